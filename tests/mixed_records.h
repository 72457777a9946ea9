// Records covering every column type the columnar writers handle, nulls included; shared by the
// Parquet and Arrow tests.
#pragma once

#include <vector>

#include "dataset/jsonl.h"

namespace sweinfer::testing {

inline std::vector<dataset::Record> MixedRecords() {
  using dataset::Record;
  return {Record{{"id", "a"}, {"n", 1}, {"x", 1.5}, {"ok", true}, {"ids", Record::array({1, 2, 3})},
                 {"tags", Record::array({"p", "q"})}, {"maybe", nullptr}},
          Record{{"id", "b\xc3\xa9"}, {"n", nullptr}, {"x", -2.25}, {"ok", false}, {"ids", Record::array()},
                 {"tags", nullptr}, {"maybe", "now"}},
          Record{{"id", ""}, {"n", -7}, {"x", nullptr}, {"ok", nullptr}, {"ids", nullptr},
                 {"tags", Record::array({"r"})}, {"maybe", nullptr}}};
}

}  // namespace sweinfer::testing
