// Writing records as a Parquet file that pyarrow, `datasets` and hyparquet read: zstd-compressed
// v1 data pages, PLAIN values, RLE definition/repetition levels, optional columns for strings,
// int64, float64, bool and 3-level lists of them, and the "huggingface" features metadata.
#pragma once

#include <string>
#include <vector>

#include "dataset/columns.h"
#include "dataset/jsonl.h"

namespace sweinfer::dataset {

std::string WriteParquetBytes(const std::vector<Record>& records, size_t row_group_rows = 10000);
// Writes atomically (temporary file + rename).
void WriteParquetFile(const std::string& path, const std::vector<Record>& records);

}  // namespace sweinfer::dataset
