// End-to-end tests of the sweinfer binary: every subcommand is run as a user would run it.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <sys/stat.h>

#include "dataset/dataset.h"
#include "dataset/jsonl.h"
#include "git/repository.h"
#include "pipelines/make_dataset.h"
#include "prompt/styles.h"
#include "random_llama.h"
#include "test_support.h"
#include "text/python_str.h"
#include "tokenizer/tokenizer.h"

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
                          "run-live", "extract-diff", "dataset-info", "convert-dataset", "encode"}) {
    EXPECT_EQ(RunSweinfer(std::string(sub) + " --help", dir / "help"), 0) << sub;
    EXPECT_NE(ReadFile(dir / "help").find("--help"), std::string::npos) << sub;
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

namespace sweinfer {
namespace {

// Resume: a progress file left by an interrupted run (with a torn last line) is continued, the
// finished instance is not redone, and the default output is the save_to_disk layout.
TEST(Cli, MakeDatasetResumesFromProgressFileAndWritesSaveToDisk) {
  SWEINFER_REQUIRE_SHARED(shared);
  ScratchDir dir;
  std::vector<dataset::Record> flask;
  dataset::ForEachJsonl(shared + "/swebench/lite_test.jsonl", [&](dataset::Record&& r, size_t) {
    if (r["repo"] == "pallets/flask") flask.push_back(std::move(r));
    return true;
  });
  ASSERT_GE(flask.size(), 2u);
  std::string lines;
  for (const auto& r : flask) lines += dataset::DumpRecord(r) + "\n";
  WriteFile(dir / "flask.jsonl", lines);
  std::string name = dir.path() + "/flask.jsonl__style-3__fs-oracle";
  for (size_t at; (at = name.find('/')) != std::string::npos;) name.replace(at, 1, "__");
  dataset::Record done = flask[0];
  done["text_inputs"] = "PREVIOUSLY DONE";
  std::filesystem::create_directories(dir / "out");
  WriteFile(dir / ("out/" + name + ".test.progress.jsonl"), dataset::DumpRecord(done) + "\n{\"instance_id\": \"torn");
  std::string args = "make-dataset --dataset_name_or_path " + (dir / "flask.jsonl") + " --splits test --output_dir " +
                     (dir / "out") + " --repos_dir " + shared + "/repos";
  ASSERT_EQ(RunSweinfer(args, dir / "o", dir / "e"), 0) << ReadFile(dir / "e");
  EXPECT_NE(ReadFile(dir / "e").find("torn last record"), std::string::npos) << ReadFile(dir / "e");
  EXPECT_NE(ReadFile(dir / "e").find("Found 1 already processed instances"), std::string::npos);
  auto ds = dataset::Dataset::Open(dir / ("out/" + name));
  auto rows = ds.LoadSplit("test");
  ASSERT_EQ(rows.size(), flask.size());
  EXPECT_EQ(rows[0]["text"], "PREVIOUSLY DONE\n\n");
  for (size_t i = 1; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i]["text"].get<std::string>().rfind("You will be provided", 0), 0u);
  }
}

TEST(Cli, MakeDatasetClonesMissingRepositoriesFromBaseUrl) {
  SWEINFER_REQUIRE_SHARED(shared);
  ScratchDir dir;
  // A "server" holding owner/name.git, reached through a file:// base URL (a full, non-shallow clone).
  std::filesystem::create_directories(dir / "server/golden");
  std::string cmd = "git clone -q --bare " + shared + "/conformance/synthetic/synthetic.bundle " +
                    (dir / "server/golden/synthetic.git");
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::filesystem::copy_file(shared + "/conformance/synthetic/instances.jsonl", dir / "flask.jsonl");
  std::string args = "make-dataset --dataset_name_or_path " + (dir / "flask.jsonl") + " --splits test --output_dir " +
                     (dir / "out") + " --clone_base_url file://" + (dir / "server") + " --output_format jsonl";
  std::string env = "GITHUB_TOKEN=ghp_secret_never_printed XDG_CACHE_HOME=" + (dir / "cache") + " ";
  std::string full = env + std::string(SWEINFER_BINARY) + " " + args + " >" + (dir / "o") + " 2>" + (dir / "e");
  ASSERT_EQ(std::system(full.c_str()), 0) << ReadFile(dir / "e");
  EXPECT_TRUE(std::filesystem::exists(dir / "cache/sweinfer/repos/golden__synthetic.git")) << ReadFile(dir / "e");
  EXPECT_EQ(ReadFile(dir / "e").find("ghp_secret_never_printed"), std::string::npos);
  EXPECT_EQ(ReadFile(dir / "cache/sweinfer/repos/golden__synthetic.git/config").find("ghp_secret"), std::string::npos);
  // The four synthetic instances the reference fails on fail here too; the other eight are built.
  std::string name = dir.path() + "/flask.jsonl__style-3__fs-oracle";
  for (size_t at; (at = name.find('/')) != std::string::npos;) name.replace(at, 1, "__");
  auto rows = dataset::ReadJsonl(dir / ("out/" + name + "/test.jsonl"));
  ASSERT_EQ(rows.size(), 12u);
  size_t built = 0;
  for (const auto& r : rows) built += r["text"].is_string();
  EXPECT_EQ(built, 8u);
}

}  // namespace
}  // namespace sweinfer

namespace sweinfer {
namespace {

// make-dataset --file_source bm25 --max_context_len 13000 --tokenizer_name cl100k: every prompt is
// within budget, and no further retrieved file would have fitted.
TEST(Cli, MakeDatasetPacksRetrievedFilesUnderTheTokenBudget) {
  SWEINFER_REQUIRE_SHARED(shared);
  ScratchDir dir;
  std::string lines;
  dataset::ForEachJsonl(shared + "/swebench/lite_test.jsonl", [&](dataset::Record&& r, size_t) {
    std::string repo = r["repo"];
    if (repo == "psf/requests" || repo == "pallets/flask" || repo == "mwaskom/seaborn" || repo == "pytest-dev/pytest") {
      lines += dataset::DumpRecord(r) + "\n";
    }
    return true;
  });
  WriteFile(dir / "four.jsonl", lines);
  const int kBudget = 13000;
  std::string retrieval = shared + "/conformance/retrieval/swebench_visible.retrieval.jsonl";
  std::string args = "make-dataset --dataset_name_or_path " + (dir / "four.jsonl") + " --splits test --output_dir " +
                     (dir / "out") + " --file_source bm25 --retrieval_file " + retrieval +
                     " --k 20 --max_context_len 13000 --tokenizer_name cl100k --tiktoken_dir " + shared +
                     "/tokenizers --repos_dir " + shared + "/repos --output_format jsonl --quiet";
  ASSERT_EQ(RunSweinfer(args, dir / "o", dir / "e"), 0) << ReadFile(dir / "e");
  std::string name = dir.path() + "/four.jsonl__style-3__fs-bm25__k-20__mcc-13000-cl100k";
  for (size_t at; (at = name.find('/')) != std::string::npos;) name.replace(at, 1, "__");
  auto rows = dataset::ReadJsonl(dir / ("out/" + name + "/test.jsonl"));
  ASSERT_FALSE(rows.empty());
  tokenizer::TokenizerOptions o;
  o.tiktoken_dir = shared + "/tokenizers";
  auto tok = tokenizer::LoadTokenizer("cl100k", o);
  std::map<std::string, std::vector<std::string>> hits;
  dataset::ForEachJsonl(retrieval, [&](dataset::Record&& r, size_t) {
    for (const auto& h : r["hits"]) {
      if (hits[r["instance_id"]].size() < 20) hits[r["instance_id"]].push_back(h["docid"]);
    }
    return true;
  });
  size_t checked = 0, with_files = 0, max_tokens = 0;
  for (const auto& row : rows) {
    ASSERT_TRUE(row["text"].is_string()) << row["instance_id"];
    std::string text = row["text"];
    size_t tokens = tok->Encode(text).size();
    max_tokens = std::max(max_tokens, tokens);
    EXPECT_LT(tokens, static_cast<size_t>(kBudget)) << row["instance_id"];
    // Rebuild the reference's running total from the files present and check the excluded ones.
    auto repo = git::Repository::Open(shared + "/repos/" +
                                      std::string(row["repo"]).replace(std::string(row["repo"]).find('/'), 1, "__") + ".git");
    auto tree = repo.Snapshot(row["base_commit"].get<std::string>());
    std::vector<std::string> included, excluded;
    for (const auto& path : hits[row["instance_id"]]) {
      (text.find("[start of " + path + "]\n") != std::string::npos ? included : excluded).push_back(path);
    }
    with_files += !included.empty();
    pipelines::InstancePrompt none = pipelines::BuildInstancePrompt(tree, row, prompt::PromptStyle::kStyle3,
                                                                    pipelines::FileSource::kNone);
    size_t total = tok->Encode(*none.text_inputs).size();
    auto file_tokens = [&](const std::string& path) {
      std::string content = text::UniversalNewlines(*tree.ReadFile(path).bytes);
      return tok->Encode(prompt::MakeCodeText({{path, content}})).size();
    };
    for (const auto& path : included) total += file_tokens(path);
    EXPECT_LT(total, static_cast<size_t>(kBudget));
    for (const auto& path : excluded) EXPECT_GE(total + file_tokens(path), static_cast<size_t>(kBudget)) << path;
    ++checked;
  }
  std::printf("budget 13000 (cl100k): %zu prompts checked, %zu with retrieved files, largest %zu tokens\n", checked,
              with_files, max_tokens);
}

}  // namespace
}  // namespace sweinfer

namespace sweinfer {
namespace {

// retrieve, then make-dataset from its hits, then eval-retrieval on both.
TEST(Cli, RetrieveThenEvalRetrieval) {
  SWEINFER_REQUIRE_SHARED(shared);
  ScratchDir dir;
  std::string lines;
  dataset::ForEachJsonl(shared + "/swebench/lite_test.jsonl", [&](dataset::Record&& r, size_t) {
    if (r["repo"] == "psf/requests") lines += dataset::DumpRecord(r) + "\n";
    return true;
  });
  WriteFile(dir / "requests.jsonl", lines);
  ASSERT_EQ(RunSweinfer("retrieve --dataset-name-or-path " + (dir / "requests.jsonl") + " --splits test --output-dir " +
                            (dir / "ret") + " --repos-dir " + shared + "/repos --leave-indexes false",
                        dir / "o", dir / "e"),
            0)
      << ReadFile(dir / "e");
  std::string hits = dir / "ret/requests/file_name_and_contents.retrieval.jsonl";
  auto rows = dataset::ReadJsonl(hits);
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows[0]["hits"].size(), 20u);
  EXPECT_FALSE(std::filesystem::exists(dir / "ret/requests/file_name_and_contents_indexes"));
  ASSERT_EQ(RunSweinfer("eval-retrieval --dataset_name_or_path " + (dir / "requests.jsonl") + " --retrieval_file " + hits,
                        dir / "eval"),
            0);
  std::string report = ReadFile(dir / "eval");
  EXPECT_NE(report.find("Avg Recall: "), std::string::npos) << report;
  EXPECT_NE(report.find("File recall@20: "), std::string::npos) << report;
  ASSERT_EQ(RunSweinfer("make-dataset --dataset_name_or_path " + (dir / "requests.jsonl") + " --splits test --output_dir " +
                            (dir / "ds") + " --file_source bm25 --retrieval_file " + hits + " --k 3 --repos_dir " + shared +
                            "/repos --quiet",
                        dir / "o", dir / "e"),
            0)
      << ReadFile(dir / "e");
  std::string name = dir.path() + "/requests.jsonl__style-3__fs-bm25__k-3";
  for (size_t at; (at = name.find('/')) != std::string::npos;) name.replace(at, 1, "__");
  ASSERT_EQ(RunSweinfer("eval-retrieval --dataset_name_or_path " + (dir / ("ds/" + name)), dir / "eval2"), 0);
  EXPECT_NE(ReadFile(dir / "eval2").find("Any Recall: "), std::string::npos) << ReadFile(dir / "eval2");
}

}  // namespace
}  // namespace sweinfer

namespace sweinfer::testing {
namespace {

// run-llama end to end on a random model: the reference's flags (snake and kebab case), its output
// name and fields, a GGUF model, --quantize q8, resuming, and a clear error for a bad model.
TEST(Cli, RunLlamaOnRandomModels) {
  ScratchDir dir;
  RandomLlamaSpec spec;
  spec.dtype = llm::DType::kF16;
  auto model = MakeRandomLlama(spec);
  WriteHuggingFace(model, dir / "SWE-Llama-tiny");
  WriteGguf(model, dir / "tiny.gguf", llm::DType::kF16);
  WriteFile(dir / "ds.jsonl",
            "{\"instance_id\": \"x__y-1\", \"text\": \"issue text\"}\n"
            "{\"instance_id\": \"x__y-2\", \"input_ids\": [1, 20, 30, 13, 13]}\n");
  const std::string common = " --dataset-path " + (dir / "ds.jsonl") + " --output_dir " + (dir / "out") +
                             " --max_new_tokens 6 --threads 2 --quiet";
  ASSERT_EQ(RunSweinfer("run-llama --model_name_or_path " + (dir / "SWE-Llama-tiny") + common + " --quantize q8"), 0);
  const std::string hf_out = dir / "out/ds.jsonl__test__SWE-Llama-tiny__temp-0.0__top-p-1.0.jsonl";
  auto rows = dataset::ReadJsonl(hf_out);
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& r : rows) {
    EXPECT_TRUE(r["full_output"].is_string());
    EXPECT_TRUE(r["model_patch"].is_string());
    EXPECT_EQ(r["model_name_or_path"], dir / "SWE-Llama-tiny");
  }
  // Resuming adds nothing.
  ASSERT_EQ(RunSweinfer("run-llama --model-name-or-path " + (dir / "SWE-Llama-tiny") + common + " --quantize q8"), 0);
  EXPECT_EQ(dataset::ReadJsonl(hf_out).size(), 2u);
  // The GGUF of the same F16 weights gives the same greedy outputs (it has no tokenizer: ids only
  // for rows with input_ids).
  WriteFile(dir / "ids.jsonl", "{\"instance_id\": \"x__y-2\", \"input_ids\": [1, 20, 30, 13, 13]}\n");
  ASSERT_EQ(RunSweinfer("run-llama --model_name_or_path " + (dir / "tiny.gguf") + " --dataset_path " + (dir / "ids.jsonl") +
                        " --output_dir " + (dir / "out") + " --max_new_tokens 6 --quiet --tokenizer_path " + (dir / "SWE-Llama-tiny")),
            0);
  ASSERT_EQ(RunSweinfer("run-llama --model_name_or_path " + (dir / "SWE-Llama-tiny") + " --dataset_path " + (dir / "ids.jsonl") +
                        " --output_dir " + (dir / "out") + " --max_new_tokens 6 --quiet"),
            0);
  auto from_gguf = dataset::ReadJsonl(dir / "out/ids.jsonl__test__tiny.gguf__temp-0.0__top-p-1.0.jsonl");
  auto from_hf = dataset::ReadJsonl(dir / "out/ids.jsonl__test__SWE-Llama-tiny__temp-0.0__top-p-1.0.jsonl");
  ASSERT_EQ(from_gguf.size(), 1u);
  ASSERT_EQ(from_hf.size(), 1u);
  EXPECT_EQ(from_gguf[0]["full_output"], from_hf[0]["full_output"]);
  // A model directory that is not one.
  std::filesystem::create_directories(dir / "empty");
  EXPECT_EQ(RunSweinfer("run-llama --model_name_or_path " + (dir / "empty") + common, "/dev/null", dir / "err"), 1);
  EXPECT_NE(ReadFile(dir / "err").find("no config.json"), std::string::npos) << ReadFile(dir / "err");
}

}  // namespace
}  // namespace sweinfer::testing
