// Datasets as SWE-bench users hold them, found by looking at what a path is:
//   - a .jsonl or .json (array) file: one split, answering to any split name asked for;
//   - a directory of `{split}.jsonl|.json|.parquet` files, or hub files `data/{split}-NNNNN-of-NNNNN.parquet`;
//   - a .parquet or .arrow file (one split, like a single JSON file);
//   - a hub name `owner/name`: its parquet files, downloaded into the huggingface_hub cache (hub.h);
//   - a `datasets.save_to_disk` directory: a DatasetDict (dataset_dict.json + one folder per split)
//     or a single Dataset (state.json + data-*.arrow), which serves any split name.
// Splits are loaded on demand; records keep every column, known or not.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dataset/jsonl.h"

namespace sweinfer::dataset {

enum class FileFormat { kJsonl, kJson, kParquet, kArrow };

class Dataset {
 public:
  // Inspects `name_or_path`; throws Error when it is neither a supported file nor directory.
  static Dataset Open(const std::string& name_or_path);

  std::vector<std::string> SplitNames() const;
  bool HasSplit(const std::string& split) const;
  // Loads a split; an unknown split fails with the list of splits that exist.
  std::vector<Record> LoadSplit(const std::string& split) const;
  // True for a single file, which serves whatever split is asked for.
  bool single_file() const { return single_file_; }

 private:
  bool single_file_ = false;
  std::map<std::string, std::vector<std::pair<std::string, FileFormat>>> files_;  // split -> shard files
};

enum class OutputFormat { kJsonl, kParquet, kArrow };
// "jsonl", "parquet" or "arrow" (the save_to_disk layout); nullopt otherwise.
std::optional<OutputFormat> ParseOutputFormat(const std::string& name);

// Writes splits under `output`: `{output}/{split}.jsonl`, `{output}/{split}.parquet`, or a
// save_to_disk DatasetDict at `{output}` (keeping splits already saved there that are not rewritten).
// Each file is written atomically.
void WriteDataset(const std::string& output, OutputFormat format, const std::map<std::string, std::vector<Record>>& splits);
// Whether `output` already holds `split` in `format`.
bool DatasetHasSplit(const std::string& output, OutputFormat format, const std::string& split);

// Reads one data file of any supported format.
std::vector<Record> ReadDataFile(const std::string& path, FileFormat format);
// The reference's dataset name for output files (construct_output_filename's first steps).
std::string OutputDatasetName(const std::string& name_or_path);

}  // namespace sweinfer::dataset
