// Datasets on the Hugging Face hub by name (`owner/name`): the parquet files of a revision fetched
// through the hub client (hub/hub.h: cache layout, resumable and verified downloads) and read like
// any local folder; and pushing splits as parquet to a dataset repository.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "dataset/jsonl.h"
#include "hub/hub.h"

namespace sweinfer::dataset {

// Uploads splits as data/{split}-00000-of-00001.parquet to the dataset repository `repo_id`
// through the hub's HTTP API (creating the repository when needed), in one commit. Needs a token.
// Returns the commit URL the hub reports.
std::string PushDatasetToHub(const std::string& repo_id, const std::map<std::string, std::vector<Record>>& splits,
                             const hub::Options& options);

// Downloads (or finds in the cache) the parquet files of `repo_id`; throws Error with the reason.
std::string FetchHubDataset(const std::string& repo_id, const hub::Options& options);

}  // namespace sweinfer::dataset
