// Column types of a list of records, for the columnar writers (Parquet, Arrow). Records are
// schemaless JSON; a column's type is taken from its non-null values, and a column whose values
// disagree (a string here, a number there) is an Error naming the column and row.
#pragma once

#include <string>
#include <vector>

#include "dataset/jsonl.h"

namespace sweinfer::dataset {

enum class ColumnType { kNull, kString, kInt64, kFloat64, kBool, kListInt64, kListFloat64, kListString };

struct ColumnSpec {
  std::string name;
  ColumnType type = ColumnType::kNull;
};

// Columns in first-seen order; a column missing from a record is null there.
std::vector<ColumnSpec> InferColumns(const std::vector<Record>& records);

// Hugging Face `datasets` feature description of a column ({"dtype": "string", "_type": "Value"}, ...).
Record FeatureOf(ColumnType type);
// The features object for a schema, as in dataset_info.json.
Record FeaturesOf(const std::vector<ColumnSpec>& columns);

}  // namespace sweinfer::dataset
