#include "retrieval/documents.h"

#include <gtest/gtest.h>

#include "dataset/jsonl.h"
#include "test_support.h"

namespace sweinfer::retrieval {
namespace {

TEST(IsTestPath, MatchesReferenceGoldens) {
  SWEINFER_REQUIRE_SHARED(shared);
  size_t rows = 0, matched = 0;
  dataset::ForEachJsonl(shared + "/conformance/is_test.jsonl", [&](dataset::Record&& r, size_t) {
    ++rows;
    if (IsTestPath(r["path"].get<std::string>()) == r["is_test"].get<bool>()) {
      ++matched;
    } else {
      ADD_FAILURE() << r["path"];
    }
    return true;
  });
  std::printf("is_test: %zu/%zu paths agree with the reference\n", matched, rows);
  EXPECT_GT(rows, 400u);
}

}  // namespace
}  // namespace sweinfer::retrieval
