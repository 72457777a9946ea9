#include "dataset/parquet_reader.h"

#include <gtest/gtest.h>

#include <map>

#include "dataset/dataset.h"
#include "test_support.h"
#include "util/error.h"

namespace sweinfer::dataset {
namespace {

std::map<std::string, Record> ById(const std::vector<Record>& records) {
  std::map<std::string, Record> out;
  for (const auto& r : records) out[r["instance_id"].get<std::string>()] = r;
  return out;
}

// Every column of every row equals the JSONL copy (the parquet may hold extra columns).
void ExpectEqualToJsonl(const std::string& parquet, const std::string& jsonl) {
  auto from_parquet = ById(ReadParquetFile(parquet));
  auto from_jsonl = ById(ReadJsonl(jsonl));
  ASSERT_EQ(from_parquet.size(), from_jsonl.size());
  size_t fields = 0;
  for (const auto& [id, expected] : from_jsonl) {
    const Record& actual = from_parquet.at(id);
    for (auto it = expected.begin(); it != expected.end(); ++it) {
      ASSERT_TRUE(actual.contains(it.key())) << id << " lacks " << it.key();
      ASSERT_EQ(actual[it.key()], it.value()) << id << "." << it.key();
      ++fields;
    }
  }
  std::printf("%s: %zu rows, %zu fields equal to %s\n", parquet.c_str(), from_parquet.size(), fields, jsonl.c_str());
}

TEST(ParquetReader, VerifiedEqualsJsonl) {
  SWEINFER_REQUIRE_SHARED(shared);
  ExpectEqualToJsonl(shared + "/swebench/parquet/SWE-bench_Verified.test-00000-of-00001.parquet",
                     shared + "/swebench/verified_test.jsonl");
}

TEST(ParquetReader, DevRevisionEqualsJsonlAndKeepsExtraColumns) {
  SWEINFER_REQUIRE_SHARED(shared);
  std::string parquet = shared + "/swebench/parquet/SWE-bench.dev.2026rev.parquet";
  ExpectEqualToJsonl(parquet, shared + "/swebench/full_dev.jsonl");
  auto rows = ReadParquetFile(parquet);
  for (const char* column : {"image", "eval_script", "log_parser", "eval_type"}) {
    EXPECT_TRUE(rows.front().contains(column)) << column;
  }
}

TEST(ParquetReader, CorruptFilesGiveErrorsNamingTheFile) {
  SWEINFER_REQUIRE_SHARED(shared);
  std::string bytes = testing::ReadFile(shared + "/swebench/parquet/SWE-bench_Verified.test-00000-of-00001.parquet");
  // Truncated: magic missing.
  try {
    ReadParquetBytes(std::string_view(bytes).substr(0, bytes.size() / 2), "half.parquet");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("half.parquet"), std::string::npos);
  }
  // Damaged page data: the error names row group and column.
  std::string damaged = bytes;
  for (size_t i = 100; i < 5000; ++i) damaged[i] = static_cast<char>(damaged[i] ^ 0x5A);
  try {
    ReadParquetBytes(damaged, "damaged.parquet");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("damaged.parquet"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("column"), std::string::npos) << e.what();
  }
}

TEST(Dataset, DirectoryOfHubFilesTakesSplitFromFileName) {
  SWEINFER_REQUIRE_SHARED(shared);
  testing::ScratchDir dir;
  std::filesystem::create_directories(dir / "data");
  std::filesystem::copy_file(shared + "/swebench/parquet/SWE-bench_Verified.test-00000-of-00001.parquet",
                             dir / "data/test-00000-of-00001.parquet");
  auto ds = Dataset::Open(dir.path());
  EXPECT_EQ(ds.SplitNames(), std::vector<std::string>{"test"});
  EXPECT_EQ(ds.LoadSplit("test").size(), 500u);
  try {
    ds.LoadSplit("train");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("this dataset has: test"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace sweinfer::dataset
