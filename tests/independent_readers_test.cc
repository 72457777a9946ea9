// The Parquet and Arrow files sweinfer writes, read back by independent readers: hyparquet and
// apache-arrow (npm, installed into tools/js by scripts/install-deps.sh when npm is available).
#include <gtest/gtest.h>

#include <filesystem>

#include "dataset/arrow_ipc.h"
#include "dataset/parquet_writer.h"
#include "test_support.h"

namespace sweinfer::dataset {
namespace {

bool ReadersAvailable() {
  return std::system("node --version >/dev/null 2>&1") == 0 &&
         std::filesystem::exists(std::string(SWEINFER_SOURCE_DIR) + "/tools/js/node_modules/hyparquet") &&
         std::filesystem::exists(std::string(SWEINFER_SOURCE_DIR) + "/tools/js/node_modules/apache-arrow");
}

std::vector<Record> ReadWithNode(const std::string& kind, const std::string& path, const std::string& out) {
  std::string cmd = "node " + std::string(SWEINFER_SOURCE_DIR) + "/tools/js/read_columnar.mjs " + kind + " " + path +
                    " > " + out;
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  return ReadJsonl(out);
}

std::vector<Record> SampleRecords() {
  std::vector<Record> records;
  if (auto shared = testing::SharedDir()) {
    records = ReadJsonl(*shared + "/swebench/lite_dev.jsonl");
  }
  records.push_back(Record{{"repo", "x/y"}, {"instance_id", "extra"}, {"input_ids", Record::array({1, 2, 3})}});
  for (auto& r : records) {
    if (!r.contains("input_ids")) r["input_ids"] = Record::array({7, 8});
  }
  return records;
}

TEST(IndependentReaders, HyparquetReadsOurParquet) {
  if (!ReadersAvailable()) GTEST_SKIP() << "node or tools/js/node_modules missing: run scripts/install-deps.sh";
  testing::ScratchDir dir;
  auto records = SampleRecords();
  WriteParquetFile(dir / "d.parquet", records);
  auto back = ReadWithNode("parquet", dir / "d.parquet", dir / "p.jsonl");
  ASSERT_EQ(back.size(), records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    for (auto it = records[i].begin(); it != records[i].end(); ++it) {
      EXPECT_EQ(back[i][it.key()], it.value()) << "row " << i << " column " << it.key();
    }
  }
}

TEST(IndependentReaders, ApacheArrowReadsOurStream) {
  if (!ReadersAvailable()) GTEST_SKIP() << "node or tools/js/node_modules missing: run scripts/install-deps.sh";
  testing::ScratchDir dir;
  auto records = SampleRecords();
  testing::WriteFile(dir / "d.arrow", WriteArrowStream(records, InferColumns(records), 7));
  auto back = ReadWithNode("arrow", dir / "d.arrow", dir / "a.jsonl");
  ASSERT_EQ(back.size(), records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    for (auto it = records[i].begin(); it != records[i].end(); ++it) {
      EXPECT_EQ(back[i][it.key()], it.value()) << "row " << i << " column " << it.key();
    }
  }
}

}  // namespace
}  // namespace sweinfer::dataset
