// Predictions files as the SWE-bench harness takes them: JSON Lines, a JSON list of records, or a
// JSON object keyed by instance id. Every record comes back with its `instance_id`; a record
// without one, a duplicate id or a file that is not one of these shapes is an Error naming the
// file and the record.
#pragma once

#include <string>
#include <vector>

#include "dataset/jsonl.h"

namespace sweinfer::dataset {

std::vector<Record> LoadPredictions(const std::string& path);

}  // namespace sweinfer::dataset
