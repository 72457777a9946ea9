// check-patches end to end: a repository made here, predictions in each shape the harness takes,
// every outcome category, the output fields, resuming after a torn write, and errors that name the
// instance; then the real SWE-Llama predictions on the shared repositories.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "dataset/jsonl.h"
#include "test_support.h"
#include "util/digest.h"
#include "tokenizer/tokenizer.h"

namespace sweinfer {
namespace {

using testing::ReadFile;
using testing::RunSweinfer;
using testing::ScratchDir;
using testing::WriteFile;

// A git repository `owner__proj.git` under dir/repos whose only commit holds pkg/mod.py and
// pkg/other.py; returns the commit id.
std::string MakeRepository(const ScratchDir& dir) {
  std::string work = dir / "work";
  std::filesystem::create_directories(work + "/pkg");
  std::string mod;
  for (int i = 1; i <= 20; ++i) mod += "def f" + std::to_string(i) + "():\n    return " + std::to_string(i) + "\n";
  WriteFile(work + "/pkg/mod.py", mod);
  WriteFile(work + "/pkg/other.py", "X = 1\n");
  std::string cmd = "cd '" + work + "' && git init -q && git -c user.email=t@t -c user.name=t add -A && " +
                    "git -c user.email=t@t -c user.name=t commit -qm base && git clone -q --bare . '" + (dir / "repos/owner__proj.git") +
                    "' && git rev-parse HEAD > '" + (dir / "head") + "'";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  std::string head = ReadFile(dir / "head");
  head.pop_back();
  return head;
}

std::map<std::string, dataset::Record> ById(const std::string& path) {
  std::map<std::string, dataset::Record> out;
  for (auto& r : dataset::ReadJsonl(path)) out[r["instance_id"]] = r;
  return out;
}

TEST(CheckPatches, EveryOutcomeOnARepositoryMadeHere) {
  ScratchDir dir;
  std::string commit = MakeRepository(dir);
  const std::string gold = "--- a/pkg/mod.py\n+++ b/pkg/mod.py\n@@ -3,3 +3,3 @@\n def f2():\n-    return 2\n+    return 22\n def f3():\n";
  std::string instances;
  for (int i = 1; i <= 7; ++i) {
    dataset::Record r = {{"instance_id", "owner__proj-" + std::to_string(i)}, {"repo", "owner/proj"},
                         {"base_commit", commit}, {"patch", gold}, {"problem_statement", "f2 is wrong"}};
    instances += dataset::DumpRecord(r) + "\n";
  }
  WriteFile(dir / "instances.jsonl", instances);
  std::map<std::string, std::optional<std::string>> patches = {
      {"owner__proj-1", gold},  // exact: git apply
      {"owner__proj-2", "--- a/pkg/mod.py\n+++ b/pkg/mod.py\n@@ -3,3 +3,3 @@\n def f2():\n-    return 2\n+    return 22\n"
                        " def f3_renamed():\n"},  // git pins it, patch fuzzes one line
      {"owner__proj-3", "--- a/pkg/mod.py\n+++ b/pkg/mod.py\n@@ -3,3 +3,3 @@\n def f2():\n-    return 2\n+  return (\n def f3():\n"},
      {"owner__proj-4", "--- a/pkg/nope.py\n+++ b/pkg/nope.py\n@@ -1 +1 @@\n-a\n+b\n"},  // file missing
      {"owner__proj-5", ""},                                                          // empty
      {"owner__proj-6", std::nullopt},                                                // null
      {"owner__proj-7", "--- a/pkg/mod.py\n+++ b/pkg/mod.py\n@@ -3,3 +3,3 @@\n def f2():\n-    return 2\n"},  // truncated
  };
  std::string jsonl;
  for (const auto& [id, p] : patches) {
    dataset::Record r = {{"instance_id", id}, {"model_patch", p ? dataset::Record(*p) : dataset::Record(nullptr)},
                         {"model_name_or_path", "test-model"}};
    jsonl += dataset::DumpRecord(r) + "\n";
  }
  WriteFile(dir / "preds.jsonl", jsonl);
  std::string args = "check-patches --predictions " + (dir / "preds.jsonl") + " --dataset_name_or_path " +
                     (dir / "instances.jsonl") + " --repos_dir " + (dir / "repos") + " --num_workers 2";
  ASSERT_EQ(RunSweinfer(args, dir / "stdout", dir / "stderr"), 0) << ReadFile(dir / "stderr");
  auto out = ById(dir / "preds.checks.jsonl");
  ASSERT_EQ(out.size(), 7u);
  EXPECT_EQ(out["owner__proj-1"]["applies_with"], "git apply");
  EXPECT_EQ(out["owner__proj-1"]["gold_file_recall"], 1.0);
  EXPECT_EQ(out["owner__proj-1"]["gold_file_precision"], 1.0);
  EXPECT_EQ(out["owner__proj-1"]["lines_added"], 1);
  EXPECT_EQ(out["owner__proj-1"]["lines_removed"], 1);
  EXPECT_EQ(out["owner__proj-1"]["syntax_ok"], true);
  EXPECT_EQ(out["owner__proj-1"]["hunks"][0]["outcome"], "applied");
  std::string after;
  for (int i = 1; i <= 20; ++i) after += "def f" + std::to_string(i) + "():\n    return " + (i == 2 ? std::string("22") : std::to_string(i)) + "\n";
  EXPECT_EQ(out["owner__proj-1"]["files"]["pkg/mod.py"], Sha256Hex(after));

  EXPECT_EQ(out["owner__proj-2"]["applies_with"], "patch");
  EXPECT_EQ(out["owner__proj-2"]["git_apply"]["exit_code"], 1);
  EXPECT_EQ(out["owner__proj-2"]["hunks"][0]["outcome"], "fuzz");
  EXPECT_EQ(out["owner__proj-2"]["hunks"][0]["fuzz"], 1);

  EXPECT_EQ(out["owner__proj-3"]["applies_with"], "git apply");
  EXPECT_EQ(out["owner__proj-3"]["syntax_ok"], false);
  EXPECT_EQ(out["owner__proj-3"]["syntax_errors"][0]["file"], "pkg/mod.py");

  EXPECT_TRUE(out["owner__proj-4"]["applies_with"].is_null());
  EXPECT_EQ(out["owner__proj-4"]["category"], "not applied");
  EXPECT_EQ(out["owner__proj-4"]["hunks"][0]["reason"], "file missing");
  EXPECT_EQ(out["owner__proj-4"]["gold_file_recall"], 0.0);

  EXPECT_EQ(out["owner__proj-5"]["category"], "empty");
  EXPECT_TRUE(out["owner__proj-5"]["applies_with"].is_null());
  EXPECT_EQ(out["owner__proj-6"]["category"], "null");
  EXPECT_EQ(out["owner__proj-7"]["category"], "not applied");
  EXPECT_EQ(out["owner__proj-7"]["git_apply"]["exit_code"], 128);
  EXPECT_EQ(out["owner__proj-7"]["patch"]["exit_code"], 2);

  std::string table = ReadFile(dir / "stdout");
  EXPECT_NE(table.find("owner/proj"), std::string::npos) << table;
  EXPECT_NE(table.find("overall"), std::string::npos);

  // Killed mid-write: a torn last line is dropped and only the missing records are redone.
  std::string text = ReadFile(dir / "preds.checks.jsonl");
  size_t cut = text.rfind('\n', text.size() - 2);
  WriteFile(dir / "preds.checks.jsonl", text.substr(0, cut + 1) + text.substr(cut + 1, 20));
  ASSERT_EQ(RunSweinfer(args, dir / "stdout", dir / "stderr"), 0) << ReadFile(dir / "stderr");
  EXPECT_NE(ReadFile(dir / "stderr").find("6 were already there"), std::string::npos) << ReadFile(dir / "stderr");
  auto again = dataset::ReadJsonl(dir / "preds.checks.jsonl");
  EXPECT_EQ(again.size(), 7u);

  // A dict keyed by instance id, with an instance the dataset does not have.
  WriteFile(dir / "preds.json", "{\"owner__proj-1\": {\"model_patch\": " + dataset::DumpRecord(gold) +
                                    ", \"model_name_or_path\": \"m\"}, \"ghost-1\": {\"model_patch\": \"x\"}}");
  ASSERT_EQ(RunSweinfer("check-patches --predictions " + (dir / "preds.json") + " --dataset_name_or_path " +
                            (dir / "instances.jsonl") + " --repos_dir " + (dir / "repos") + " --output " + (dir / "d.jsonl"),
                        dir / "stdout", dir / "stderr"),
            0);
  auto d = ById(dir / "d.jsonl");
  EXPECT_EQ(d["owner__proj-1"]["applies_with"], "git apply");
  EXPECT_EQ(d["ghost-1"]["category"], "error");
  EXPECT_NE(d["ghost-1"]["error"].get<std::string>().find("ghost-1"), std::string::npos);

  // Bad input names the file and line.
  WriteFile(dir / "bad.jsonl", "{\"instance_id\": \"a\"}\nnot json\n");
  EXPECT_NE(RunSweinfer("check-patches --predictions " + (dir / "bad.jsonl") + " --dataset_name_or_path " + (dir / "instances.jsonl"),
                        dir / "stdout", dir / "stderr"),
            0);
  EXPECT_NE(ReadFile(dir / "stderr").find("bad.jsonl:2"), std::string::npos) << ReadFile(dir / "stderr");
}

TEST(CheckPatches, SweLlamaPredictionsOnSharedRepositories) {
  SWEINFER_REQUIRE_SHARED(shared);
  ScratchDir dir;
  std::string preds;
  for (const auto& e : std::filesystem::directory_iterator(shared + "/predictions")) preds = e.path().string();
  ASSERT_EQ(RunSweinfer("check-patches --predictions " + preds + " --dataset_name_or_path " + shared +
                            "/swebench/lite_test.jsonl --repos_dir " + shared + "/repos --clone_base_url file:///nonexistent --output " +
                            (dir / "checks.jsonl"),
                        dir / "stdout", dir / "stderr"),
            0)
      << ReadFile(dir / "stderr");
  auto out = ById(dir / "checks.jsonl");
  EXPECT_EQ(out.size(), 1440u);
  // Verdicts the real programs give on these (git apply: corrupt patch; GNU patch: fuzz 3).
  EXPECT_EQ(out["pallets__flask-4992"]["git_apply"]["exit_code"], 128);
  EXPECT_EQ(out["pytest-dev__pytest-9359"]["applies_with"], "patch");
  EXPECT_EQ(out["pytest-dev__pytest-9359"]["hunks"][0]["fuzz"], 3);
  EXPECT_EQ(out["psf__requests-3362"]["syntax_ok"], false);
  EXPECT_EQ(out["django__django-15272"]["category"], "error");  // no django repository here
}

}  // namespace
}  // namespace sweinfer
