#include "dataset/arrow_ipc.h"

#include <gtest/gtest.h>

#include "mixed_records.h"

#include "dataset/dataset.h"
#include "dataset/parquet_reader.h"
#include "dataset/parquet_writer.h"
#include "test_support.h"
#include "util/error.h"

namespace sweinfer::dataset {
namespace {

using testing::MixedRecords;

TEST(ArrowIpc, RoundTripsEveryColumnType) {
  auto records = MixedRecords();
  auto bytes = WriteArrowStream(records, InferColumns(records), 2);
  EXPECT_EQ(ReadArrowBytes(bytes, "mem.arrow"), records);
}

TEST(ArrowIpc, TruncatedOrDamagedStreamsAreErrors) {
  auto records = MixedRecords();
  auto bytes = WriteArrowStream(records, InferColumns(records));
  for (size_t cut : {size_t{0}, size_t{6}, bytes.size() / 3, bytes.size() - 12}) {
    EXPECT_THROW(ReadArrowBytes(std::string_view(bytes).substr(0, cut), "cut.arrow"), Error) << cut;
  }
  std::string damaged = bytes;
  for (size_t i = 8; i < 64 && i < damaged.size(); ++i) damaged[i] = static_cast<char>(0xEE);
  EXPECT_THROW(ReadArrowBytes(damaged, "damaged.arrow"), Error);
}

// JSONL -> Parquet -> Arrow (save_to_disk) -> JSONL on every shared instance.
TEST(DatasetRoundTrip, JsonlParquetArrowJsonlIsLossless) {
  SWEINFER_REQUIRE_SHARED(shared);
  testing::ScratchDir dir;
  std::map<std::string, std::vector<Record>> original;
  for (const char* split : {"verified_test", "lite_test", "lite_dev", "full_dev"}) {
    original[split] = ReadJsonl(shared + "/swebench/" + split + ".jsonl");
  }
  WriteDataset(dir / "parquet", OutputFormat::kParquet, original);
  auto from_parquet = Dataset::Open(dir / "parquet");
  std::map<std::string, std::vector<Record>> stage;
  for (const auto& split : from_parquet.SplitNames()) stage[split] = from_parquet.LoadSplit(split);
  WriteDataset(dir / "arrow", OutputFormat::kArrow, stage);
  auto from_arrow = Dataset::Open(dir / "arrow");
  stage.clear();
  for (const auto& split : from_arrow.SplitNames()) stage[split] = from_arrow.LoadSplit(split);
  WriteDataset(dir / "jsonl", OutputFormat::kJsonl, stage);
  size_t rows = 0;
  for (const auto& [split, records] : original) {
    auto back = ReadJsonl(dir / ("jsonl/" + split + ".jsonl"));
    ASSERT_EQ(back.size(), records.size()) << split;
    for (size_t i = 0; i < records.size(); ++i) ASSERT_EQ(back[i], records[i]) << split << " row " << i;
    rows += records.size();
  }
  std::printf("round trip jsonl -> parquet -> arrow -> jsonl: %zu rows in 4 splits, identical\n", rows);
}

TEST(DatasetRoundTrip, SaveToDiskKeepsOtherSplitsAndSingleDatasetServesAnySplit) {
  testing::ScratchDir dir;
  WriteDataset(dir / "dd", OutputFormat::kArrow, {{"train", {Record{{"a", 1}}}}});
  WriteDataset(dir / "dd", OutputFormat::kArrow, {{"test", {Record{{"a", 2}}}}});
  auto ds = Dataset::Open(dir / "dd");
  EXPECT_EQ(ds.SplitNames(), (std::vector<std::string>{"test", "train"}));
  EXPECT_EQ(ds.LoadSplit("train")[0]["a"], 1);
  EXPECT_TRUE(DatasetHasSplit(dir / "dd", OutputFormat::kArrow, "test"));
  EXPECT_FALSE(DatasetHasSplit(dir / "dd", OutputFormat::kArrow, "validation"));
  auto single = Dataset::Open(dir / "dd/test");  // a single Dataset folder
  EXPECT_EQ(single.LoadSplit("whatever")[0]["a"], 2);
}

}  // namespace
}  // namespace sweinfer::dataset
