// Reading Parquet files into records, written here because no Debian library reads Parquet from
// C++ without Arrow. Supports what pyarrow writes by default and what the Hugging Face hub holds:
// data pages v1 and v2, PLAIN and (RLE_/PLAIN_)DICTIONARY encodings, snappy, zstd, gzip and
// uncompressed pages, optional (null) values, strings/binary, booleans, 32/64-bit integers,
// floats, and one-level lists of those. Files are untrusted: every length and offset is checked
// and a bad file gives an Error naming the file, row group, column and page.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dataset/jsonl.h"

namespace sweinfer::dataset {

std::vector<Record> ReadParquetFile(const std::string& path);
// Parses an in-memory file; `name` is used in error messages.
std::vector<Record> ReadParquetBytes(std::string_view bytes, const std::string& name);

}  // namespace sweinfer::dataset
