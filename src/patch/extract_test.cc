#include "patch/extract.h"

#include <gtest/gtest.h>

#include "dataset/jsonl.h"
#include "test_support.h"

namespace sweinfer::patch {
namespace {

TEST(ExtractDiff, PrefersPatchTagsOverFences) {
  EXPECT_EQ(ExtractDiff(std::string_view("```diff\nA\n```\n<patch>B</patch>")), "B");
  EXPECT_EQ(ExtractDiff(std::string_view("```python\nX\n```")), "X\n");
  EXPECT_EQ(ExtractDiff(std::string_view("no fences</s>tail")), "no fences");
  EXPECT_EQ(ExtractDiff(std::optional<std::string>()), std::nullopt);
}

TEST(RepairPatch, RecountsHunkHeaders) {
  std::string broken = "--- a/x.py\n+++ b/x.py\n@@ -1,9 +1,9 @@\n a\n-b\n+c\n+d\n";
  EXPECT_EQ(*RepairPatch(broken), "--- a/x.py\n+++ b/x.py\n@@ -1,2 +1,3 @@\n a\n-b\n+c\n+d\n");
  EXPECT_THROW(ExtractMinimalPatch(std::nullopt), PatchExtractError);
}

// Every case of the reference's golden file: extract_diff, repair_patch, extract_minimal_patch.
TEST(ExtractConformance, MatchesReferenceOnAllCases) {
  SWEINFER_REQUIRE_SHARED(shared);
  size_t cases = 0, mismatches = 0;
  auto check = [&](const std::string& source, const char* what, const dataset::Record& expected, auto compute) {
    dataset::Record actual;
    try {
      auto v = compute();
      actual = v ? dataset::Record(*v) : dataset::Record(nullptr);
    } catch (const PatchExtractError& e) {
      actual = dataset::Record{{"error", e.what()}};
    }
    if (actual != expected) {
      ++mismatches;
      if (mismatches <= 5) ADD_FAILURE() << source << " " << what << "\nexpected: " << expected.dump().substr(0, 400)
                                         << "\nactual:   " << actual.dump().substr(0, 400);
    }
  };
  dataset::ForEachJsonl(shared + "/conformance/extract_diff.jsonl", [&](dataset::Record&& r, size_t) {
    ++cases;
    std::optional<std::string> input;
    if (r["input"].is_string()) input = r["input"].get<std::string>();
    std::string source = r["source"].get<std::string>();
    auto extracted = ExtractDiff(input);
    check(source, "extract_diff", r["extract_diff"], [&] { return extracted; });
    check(source, "repair_patch", r["repair_patch_of_extracted"], [&] { return RepairPatch(extracted); });
    check(source, "extract_minimal_patch", r["extract_minimal_patch_of_extracted"],
          [&] { return std::optional<std::string>(ExtractMinimalPatch(extracted)); });
    return true;
  });
  std::printf("extract_diff conformance: %zu cases, %zu mismatching values\n", cases, mismatches);
  EXPECT_GT(cases, 2000u);
  EXPECT_EQ(mismatches, 0u);
}

// The recorded model_patch of real SWE-Llama outputs is the reference's extract_diff.
TEST(ExtractConformance, MatchesRecordedPredictions) {
  SWEINFER_REQUIRE_SHARED(shared);
  std::string path = shared +
                     "/predictions/princeton-nlp__SWE-bench_oracle__test__princeton-nlp__SWE-Llama-7b__temp-0.0__top-p-1.0.jsonl";
  size_t n = 0, bad = 0;
  dataset::ForEachJsonl(path, [&](dataset::Record&& r, size_t) {
    ++n;
    if (ExtractDiff(std::string_view(r["full_output"].get<std::string>())) != r["model_patch"].get<std::string>()) ++bad;
    return true;
  });
  std::printf("predictions: %zu outputs, %zu mismatches\n", n, bad);
  EXPECT_GT(n, 1000u);
  EXPECT_EQ(bad, 0u);
}

}  // namespace
}  // namespace sweinfer::patch

namespace sweinfer::patch {
namespace {

TEST(ExtractDiff, InvalidUtf8IsReplacedNotFatal) {
  std::string response = "<patch>\n--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-\xff\n+\xc3\n</patch>";
  auto extracted = ExtractDiff(std::string_view(response));
  EXPECT_NE(extracted.find("\xEF\xBF\xBD"), std::string::npos);
  EXPECT_TRUE(RepairPatch(extracted).has_value());
}

}  // namespace
}  // namespace sweinfer::patch
