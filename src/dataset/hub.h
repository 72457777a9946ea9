// Datasets from the Hugging Face hub by name (`owner/name`): the parquet files of a revision,
// downloaded over HTTPS from $HF_ENDPOINT (default https://huggingface.co) with $HF_TOKEN when set,
// into the huggingface_hub cache layout under $HF_HOME/hub (datasets--owner--name/{blobs,snapshots,refs}),
// so files already cached by Python tools are reused and vice versa. HF_HUB_OFFLINE=1 uses the
// cache only. Returns the snapshot directory, which Dataset::Open reads like any local folder.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "dataset/jsonl.h"

namespace sweinfer::dataset {

struct HubOptions {
  std::string endpoint;   // default: $HF_ENDPOINT or https://huggingface.co
  std::string hub_cache;  // default: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub
  std::string token;      // default: $HF_TOKEN
  bool offline = false;   // default: HF_HUB_OFFLINE=1
  std::string revision = "main";
};

HubOptions HubOptionsFromEnvironment();
// Whether a dataset argument names a hub dataset rather than a local path.
bool LooksLikeHubName(const std::string& name_or_path);
// Uploads splits as data/{split}-00000-of-00001.parquet to the dataset repository `repo_id`
// through the hub's HTTP API (creating the repository when needed), in one commit. Needs a token.
// Returns the commit URL the hub reports.
std::string PushDatasetToHub(const std::string& repo_id, const std::map<std::string, std::vector<Record>>& splits,
                             const HubOptions& options);

// Downloads (or finds in the cache) the parquet files of `repo_id`; throws Error with the reason.
std::string FetchHubDataset(const std::string& repo_id, const HubOptions& options);

}  // namespace sweinfer::dataset
