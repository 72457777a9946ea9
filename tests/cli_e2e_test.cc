// End-to-end tests of the sweinfer binary: every subcommand is run as a user would run it.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "dataset/jsonl.h"
#include "test_support.h"

namespace sweinfer {
namespace {

using testing::ReadFile;
using testing::RunSweinfer;
using testing::ScratchDir;
using testing::WriteFile;

TEST(Cli, VersionAndHelp) {
  ScratchDir dir;
  EXPECT_EQ(RunSweinfer("--version", dir / "out"), 0);
  EXPECT_NE(ReadFile(dir / "out").find("sweinfer"), std::string::npos);
  for (const char* sub : {"make-dataset", "retrieve", "eval-retrieval", "tokenize", "run-api", "run-llama",
                          "run-live", "extract-diff", "dataset-info", "convert-dataset"}) {
    EXPECT_EQ(RunSweinfer(std::string(sub) + " --help", dir / "help"), 0) << sub;
    EXPECT_NE(ReadFile(dir / "help").find("--help"), std::string::npos) << sub;
  }
}

TEST(Cli, UnfinishedCommandsSaySoAndExitTwo) {
  ScratchDir dir;
  for (const char* sub : {"retrieve", "eval-retrieval", "tokenize", "encode", "run-api", "run-llama", "run-live"}) {
    EXPECT_EQ(RunSweinfer(std::string(sub) + " --dataset_name_or_path x", dir / "o", dir / "e"), 2) << sub;
    EXPECT_NE(ReadFile(dir / "e").find("not implemented yet"), std::string::npos) << sub;
  }
}

TEST(Cli, ExtractDiffPlainAndJsonl) {
  ScratchDir dir;
  WriteFile(dir / "answer.txt", "Sure.\n<patch>\n--- a/x.py\n+++ b/x.py\n@@ -1,9 +1,9 @@\n-a\n+b\n</patch>\n");
  EXPECT_EQ(RunSweinfer("extract-diff < " + (dir / "answer.txt"), dir / "patch"), 0);
  EXPECT_EQ(ReadFile(dir / "patch"), "\n--- a/x.py\n+++ b/x.py\n@@ -1,9 +1,9 @@\n-a\n+b\n");
  WriteFile(dir / "in.jsonl", "{\"instance_id\": \"i\", \"full_output\": \"<patch>\\n--- a/x.py\\n+++ b/x.py\\n"
                              "@@ -1,9 +1,9 @@\\n-a\\n+b\\n</patch>\"}\n");
  EXPECT_EQ(RunSweinfer("extract-diff --jsonl --repair --minimal < " + (dir / "in.jsonl"), dir / "out.jsonl"), 0);
  auto records = dataset::ReadJsonl(dir / "out.jsonl");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["repaired_patch"], "--- a/x.py\n+++ b/x.py\n@@ -1,1 +1,1 @@\n-a\n+b\n");
  EXPECT_TRUE(records[0]["minimal_patch"].is_string());
  EXPECT_EQ(records[0]["instance_id"], "i");
}

TEST(Cli, DatasetInfoConvertAndBadInput) {
  SWEINFER_REQUIRE_SHARED(shared);
  ScratchDir dir;
  std::string parquet = shared + "/swebench/parquet/SWE-bench_Verified.test-00000-of-00001.parquet";
  EXPECT_EQ(RunSweinfer("dataset-info " + parquet, dir / "info"), 0);
  EXPECT_NE(ReadFile(dir / "info").find("500 rows"), std::string::npos);
  EXPECT_EQ(RunSweinfer("convert-dataset --dataset-name-or-path " + parquet + " --output-dir " + (dir / "conv") +
                        " --output-format jsonl --splits test"),
            0);
  EXPECT_EQ(dataset::ReadJsonl(dir / "conv/test.jsonl").size(), 500u);
  WriteFile(dir / "bad.jsonl", "{\"instance_id\": \"a\"}\n{oops\n");
  EXPECT_EQ(RunSweinfer("dataset-info " + (dir / "bad.jsonl"), dir / "o", dir / "e"), 1);
  EXPECT_NE(ReadFile(dir / "e").find("bad.jsonl:2"), std::string::npos) << ReadFile(dir / "e");
}

// make-dataset on the shared Lite instances of the shared repositories, with no network.
TEST(Cli, MakeDatasetFromSharedReposMatchesReferenceAndResumes) {
  SWEINFER_REQUIRE_SHARED(shared);
  ScratchDir dir;
  // Instances of the four shared repositories in Lite.
  std::string instances = dir / "lite4.jsonl";
  {
    std::string lines;
    dataset::ForEachJsonl(shared + "/swebench/lite_test.jsonl", [&](dataset::Record&& r, size_t) {
      std::string repo = r["repo"];
      if (repo == "psf/requests" || repo == "pallets/flask" || repo == "mwaskom/seaborn" ||
          repo == "pytest-dev/pytest") {
        lines += dataset::DumpRecord(r) + "\n";
      }
      return true;
    });
    WriteFile(instances, lines);
  }
  std::string args = "make-dataset --dataset_name_or_path " + instances + " --splits test --output_dir " +
                     (dir / "out") + " --prompt_style style-2 --file_source oracle --repos_dir " + shared +
                     "/repos --num_workers 2 --output_format jsonl --quiet";
  ASSERT_EQ(RunSweinfer(args, dir / "o", dir / "e"), 0) << ReadFile(dir / "e");
  std::string out_name = instances;
  for (size_t at; (at = out_name.find('/')) != std::string::npos;) out_name.replace(at, 1, "__");
  std::string out_file = dir / ("out/" + out_name + "__style-2__fs-oracle/test.jsonl");
  auto rows = dataset::ReadJsonl(out_file);
  ASSERT_FALSE(rows.empty());
  // Compare with the golden texts.
  std::map<std::string, std::string> golden;
  for (const char* f : {"psf__requests", "pallets__flask", "mwaskom__seaborn", "pytest-dev__pytest"}) {
    dataset::ForEachJsonl(shared + "/conformance/prompts/" + f + ".jsonl", [&](dataset::Record&& r, size_t) {
      if (r["prompt_style"] == "style-2" && r["file_source"] == "oracle") golden[r["instance_id"]] = r["text"];
      return true;
    });
  }
  size_t matched = 0;
  for (const auto& row : rows) {
    ASSERT_EQ(row.size(), 13u);  // the reference's final columns
    if (row["text"] == golden.at(row["instance_id"])) ++matched;
    EXPECT_EQ(row["patch"].get<std::string>().rfind("<patch>\n", 0), 0u);
  }
  EXPECT_EQ(matched, rows.size());
  EXPECT_FALSE(std::filesystem::exists(dir / ("out/" + out_name + "__style-2__fs-oracle.test.progress.jsonl")));
  // A second run finds the output and aborts without touching it.
  std::string before = ReadFile(out_file);
  ASSERT_EQ(RunSweinfer(args, dir / "o", dir / "e"), 0);
  EXPECT_NE(ReadFile(dir / "e").find("already exists for split test"), std::string::npos);
  EXPECT_EQ(ReadFile(out_file), before);
}

TEST(Cli, MakeDatasetReportsMissingCommitPerInstance) {
  SWEINFER_REQUIRE_SHARED(shared);
  ScratchDir dir;
  WriteFile(dir / "i.jsonl",
            "{\"instance_id\": \"psf__requests-0\", \"repo\": \"psf/requests\", \"base_commit\": "
            "\"0000000000000000000000000000000000000001\", \"patch\": \"\", \"problem_statement\": \"x\"}\n");
  ASSERT_EQ(RunSweinfer("make-dataset --dataset_name_or_path " + (dir / "i.jsonl") + " --splits test --output_dir " +
                            (dir / "out") + " --repos_dir " + shared + "/repos",
                        dir / "o", dir / "e"),
            0)
      << ReadFile(dir / "e");
  EXPECT_NE(ReadFile(dir / "e").find("commit 0000000000000000000000000000000000000001 not found"), std::string::npos)
      << ReadFile(dir / "e");
}

}  // namespace
}  // namespace sweinfer
