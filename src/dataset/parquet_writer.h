// Writing records as a Parquet file that pyarrow, `datasets` and hyparquet read: zstd-compressed
// v1 data pages, PLAIN values, RLE definition/repetition levels, optional columns for strings,
// int64, float64, bool and 3-level lists of them, and the "huggingface" features metadata.
#pragma once

#include <string>
#include <vector>

#include "dataset/columns.h"
#include "dataset/jsonl.h"

namespace sweinfer::dataset {

struct ParquetWriteOptions {
  enum class Codec { kUncompressed = 0, kSnappy = 1, kGzip = 2, kZstd = 6 } codec = Codec::kZstd;
  int data_page_version = 1;  // 1 or 2
  bool dictionary = false;    // RLE_DICTIONARY-encode string columns (as pyarrow does by default)
  size_t row_group_rows = 10000;
};

std::string WriteParquetBytes(const std::vector<Record>& records, const ParquetWriteOptions& options = {});
// Writes atomically (temporary file + rename).
void WriteParquetFile(const std::string& path, const std::vector<Record>& records);

}  // namespace sweinfer::dataset
