// SWE-bench beyond Python, end to end on the shared JavaScript repository (markedjs/marked, the 14
// tasks of SWE-bench Multimodal's dev split there): oracle prompts hold every gold-edited file,
// --file_source all and retrieve index the repository's JavaScript (no tests, vendored or generated
// files), image_assets reach the text dataset, and retrieval recall is in the range of Python's.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <set>

#include "dataset/dataset.h"
#include "dataset/jsonl.h"
#include "patch/diff_stat.h"
#include "retrieval/languages.h"
#include "test_support.h"

namespace sweinfer {
namespace {

using testing::ReadFile;
using testing::RunSweinfer;
using testing::ScratchDir;
using testing::WriteFile;

std::string MarkedTasks(const std::string& shared, const ScratchDir& dir) {
  std::string lines;
  for (const auto& r : dataset::ReadJsonl(shared + "/swebench/multimodal_dev.jsonl")) {
    if (r["repo"] == "markedjs/marked") lines += dataset::DumpRecord(r) + "\n";
  }
  WriteFile(dir / "marked.jsonl", lines);
  return dir / "marked.jsonl";
}

// make-dataset names its output after the dataset path: find the folder by its suffix.
std::string OutputFile(const std::string& out_dir, const std::string& suffix) {
  for (const auto& e : std::filesystem::directory_iterator(out_dir)) {
    std::string name = e.path().filename().string();
    if (name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return (e.path() / "test.jsonl").string();
    }
  }
  return out_dir + "/(no output ending in " + suffix + ")";
}

// make-dataset on the marked tasks with one file source; returns the rows written.
std::vector<dataset::Record> MakeDataset(const std::string& shared, const ScratchDir& dir, const std::string& tasks,
                                         const std::string& file_source) {
  EXPECT_EQ(RunSweinfer("make-dataset --dataset_name_or_path " + tasks + " --splits test --output_dir " + (dir / "out") +
                            " --file_source " + file_source + " --repos_dir " + shared + "/repos --output_format jsonl --quiet",
                        dir / "o", dir / "e"),
            0)
      << ReadFile(dir / "e");
  return dataset::ReadJsonl(OutputFile(dir / "out", "__style-3__fs-" + file_source));
}

TEST(Multilingual, OraclePromptsHoldEveryGoldFileAndKeepImages) {
  SWEINFER_REQUIRE_SHARED(shared);
  ScratchDir dir;
  std::string tasks = MarkedTasks(shared, dir);
  auto rows = MakeDataset(shared, dir, tasks, "oracle");
  ASSERT_EQ(rows.size(), 14u);
  std::map<std::string, dataset::Record> inputs;
  for (auto& r : dataset::ReadJsonl(tasks)) inputs[r["instance_id"]] = r;
  for (const auto& r : rows) {
    ASSERT_TRUE(r["text"].is_string()) << r["instance_id"];
    const std::string text = r["text"];
    for (const auto& file : patch::StatPatch(inputs[r["instance_id"]]["patch"].get<std::string>()).paths) {
      EXPECT_NE(text.find("[start of " + file + "]"), std::string::npos) << r["instance_id"] << " lacks " << file;
    }
    EXPECT_EQ(r["image_assets"], inputs[r["instance_id"]]["image_assets"]) << r["instance_id"];
  }
}

TEST(Multilingual, FileSourceAllIndexesTheRepositorysJavaScript) {
  SWEINFER_REQUIRE_SHARED(shared);
  ScratchDir dir;
  std::string tasks = MarkedTasks(shared, dir);
  auto rows = MakeDataset(shared, dir, tasks, "all");
  ASSERT_EQ(rows.size(), 14u);
  static const std::regex file_re("\\[start of ([^\\]]+)\\]");
  size_t with_src = 0;
  for (const auto& r : rows) {
    const std::string text = r["text"];
    std::set<std::string> files;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), file_re); it != std::sregex_iterator(); ++it) files.insert((*it)[1]);
    EXPECT_FALSE(files.empty()) << r["instance_id"];
    for (const auto& f : files) {
      if (f.find("README") != std::string::npos) continue;
      const auto* language = retrieval::LanguageOfPath(f);
      ASSERT_NE(language, nullptr) << f;
      EXPECT_EQ(language->name, "JavaScript/TypeScript") << f;
      EXPECT_FALSE(retrieval::IsTestPathForLanguage(f)) << f;
      EXPECT_EQ(f.find("node_modules/"), std::string::npos) << f;
      EXPECT_EQ(f.find(".min.js"), std::string::npos) << f;
    }
    with_src += files.count("src/marked.js");
  }
  EXPECT_GE(with_src, 8u);  // the later tasks, whose sources live in src/
}

TEST(Multilingual, RetrievalRecallOnMarked) {
  SWEINFER_REQUIRE_SHARED(shared);
  ScratchDir dir;
  std::string tasks = MarkedTasks(shared, dir);
  for (const char* encoding : {"file_name_and_contents", "file_name_and_documentation"}) {
    ASSERT_EQ(RunSweinfer("retrieve --dataset_name_or_path " + tasks + " --splits test --output_dir " + (dir / "ret") +
                              " --document_encoding_style " + encoding + " --repos_dir " + shared + "/repos --quiet",
                          dir / "o", dir / "e"),
              0)
        << ReadFile(dir / "e");
    std::string hits = dir / ("ret/marked/" + std::string(encoding) + ".retrieval.jsonl");
    auto lines = dataset::ReadJsonl(hits);
    ASSERT_EQ(lines.size(), 14u);
    for (const auto& l : lines) EXPECT_FALSE(l["hits"].empty()) << l["instance_id"];
    ASSERT_EQ(RunSweinfer("eval-retrieval --dataset_name_or_path " + tasks + " --retrieval_file " + hits + " --k 20", dir / "recall",
                          dir / "e"),
              0);
    std::string report = ReadFile(dir / "recall");
    std::smatch m;
    std::string r20;
    ASSERT_TRUE(std::regex_search(report, m, std::regex("File recall@20: ([0-9.]+)"))) << report;
    std::printf("marked, %s: %s", encoding, report.substr(report.find("File recall@1")).c_str());
    if (std::string(encoding) == "file_name_and_contents") {
      EXPECT_GE(std::stod(m[1]), 80.0) << report;
    }
  }
}

TEST(Multilingual, DatasetColumnsAsListsOrJsonStrings) {
  SWEINFER_REQUIRE_SHARED(shared);
  ScratchDir dir;
  // SWE-bench Multilingual and SWE-smith store FAIL_TO_PASS as lists; Multimodal as JSON strings.
  auto rows = dataset::ReadJsonl(shared + "/swebench/multimodal_dev.jsonl");
  ASSERT_EQ(rows.size(), 102u);
  std::string lines;
  for (size_t i = 0; i < 3; ++i) {
    dataset::Record r = rows[i];
    r["FAIL_TO_PASS"] = dataset::Record::parse(r["FAIL_TO_PASS"].get<std::string>());
    r["image_assets"] = dataset::Record::parse(r["image_assets"].get<std::string>());
    r["extra_column"] = {{"kept", true}};
    lines += dataset::DumpRecord(r) + "\n";
  }
  WriteFile(dir / "lists.jsonl", lines);
  ASSERT_EQ(RunSweinfer("convert-dataset --dataset_name_or_path " + (dir / "lists.jsonl") + " --output_dir " + (dir / "conv") +
                            " --output_format jsonl --splits test",
                        dir / "o", dir / "e"),
            0)
      << ReadFile(dir / "e");
  auto back = dataset::ReadJsonl(dir / "conv/test.jsonl");
  ASSERT_EQ(back.size(), 3u);
  EXPECT_TRUE(back[0]["FAIL_TO_PASS"].is_array());
  EXPECT_EQ(back[0]["extra_column"]["kept"], true);
  ASSERT_EQ(RunSweinfer("dataset-info " + shared + "/swebench/multimodal_dev.jsonl", dir / "info", dir / "e"), 0);
  EXPECT_NE(ReadFile(dir / "info").find("image_assets"), std::string::npos);
}

}  // namespace
}  // namespace sweinfer
