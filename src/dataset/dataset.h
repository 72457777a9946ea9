// Datasets as SWE-bench users hold them, found by looking at what a path is:
//   - a .jsonl or .json (array) file: one split, answering to any split name asked for;
//   - a directory of `{split}.jsonl|.json|.parquet` files, or hub files `data/{split}-NNNNN-of-NNNNN.parquet`;
//   - a .parquet file (one split, like a single JSON file).
// Splits are loaded on demand; records keep every column, known or not.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "dataset/jsonl.h"

namespace sweinfer::dataset {

enum class FileFormat { kJsonl, kJson, kParquet };

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

// Reads one data file of any supported format.
std::vector<Record> ReadDataFile(const std::string& path, FileFormat format);
// The reference's dataset name for output files (construct_output_filename's first steps).
std::string OutputDatasetName(const std::string& name_or_path);

}  // namespace sweinfer::dataset
