#include "dataset/predictions.h"

#include <gtest/gtest.h>

#include "test_support.h"
#include "util/error.h"

namespace sweinfer::dataset {
namespace {

TEST(Predictions, ReadsEveryShapeTheHarnessTakes) {
  testing::ScratchDir dir;
  testing::WriteFile(dir / "a.jsonl",
                     "{\"instance_id\": \"x__y-1\", \"model_patch\": \"p\", \"model_name_or_path\": \"m\"}\n"
                     "{\"instance_id\": \"x__y-2\", \"model_patch\": null, \"model_name_or_path\": \"m\"}\n");
  testing::WriteFile(dir / "b.json", "[{\"instance_id\": \"x__y-1\", \"model_patch\": \"p\"}]");
  testing::WriteFile(dir / "c.json", "{\"x__y-1\": {\"model_patch\": \"p\", \"model_name_or_path\": \"m\"},\n"
                                     " \"x__y-2\": {\"model_patch\": \"q\", \"model_name_or_path\": \"m\"}}");
  auto a = LoadPredictions(dir / "a.jsonl");
  ASSERT_EQ(a.size(), 2u);
  EXPECT_TRUE(a[1]["model_patch"].is_null());
  auto b = LoadPredictions(dir / "b.json");
  ASSERT_EQ(b.size(), 1u);
  auto c = LoadPredictions(dir / "c.json");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[1]["instance_id"], "x__y-2");
  EXPECT_EQ(c[1]["model_patch"], "q");
  EXPECT_EQ(c[0].begin().key(), "instance_id");
}

TEST(Predictions, BadInputNamesTheFileAndRecord) {
  testing::ScratchDir dir;
  testing::WriteFile(dir / "bad.jsonl", "{\"instance_id\": \"a\"}\n{\"instance_id\": \"a\"}\n");
  try {
    LoadPredictions(dir / "bad.jsonl");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("more than one prediction"), std::string::npos);
  }
  testing::WriteFile(dir / "torn.jsonl", "{\"instance_id\": \"a\"}\n{\"instance_id\": \n");
  try {
    LoadPredictions(dir / "torn.jsonl");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("torn.jsonl:2"), std::string::npos) << e.what();
  }
  testing::WriteFile(dir / "noid.json", "[{\"model_patch\": \"p\"}]");
  EXPECT_THROW(LoadPredictions(dir / "noid.json"), Error);
  EXPECT_THROW(LoadPredictions(dir / "absent.json"), Error);
}

}  // namespace
}  // namespace sweinfer::dataset
