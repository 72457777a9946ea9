// sweinfer report opened in a real browser (Debian's chromium, driven headless through npm
// puppeteer-core): a 2,294-instance report loads from disk with no console errors and no network
// requests, renders its table in under 2 s, has its charts, and filters, sorts and expands; the
// comparison of two runs shows both. A screenshot goes to the build's test-output folder. Skips
// when node, chromium or puppeteer-core is absent.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "dataset/jsonl.h"
#include "test_support.h"

namespace sweinfer {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::RunSweinfer;
using testing::ScratchDir;
using testing::WriteFile;

std::string ChecksDir() { return (fs::path(SWEINFER_SOURCE_DIR) / "tools" / "js").string(); }

std::optional<std::string> BrowserSkipReason() {
  if (std::system("command -v node >/dev/null 2>&1") != 0) return "node is not installed";
  if (!fs::exists("/usr/bin/chromium")) return "Debian's chromium is not installed (apt-get install chromium)";
  if (!fs::is_directory(ChecksDir() + "/node_modules/puppeteer-core")) return "npm puppeteer-core is not installed in tools/js";
  return std::nullopt;
}

std::string OutputDir() {
  fs::path dir = fs::path(SWEINFER_BINARY).parent_path() / "test-output";
  fs::create_directories(dir);
  return dir.string();
}

dataset::Record BrowserCheck(const std::string& html, const std::string& screenshot, const ScratchDir& dir) {
  std::string cmd = "node '" + ChecksDir() + "/report_browser_check.mjs' '" + html + "' '" + screenshot + "' > '" + (dir / "browser.json") +
                    "' 2> '" + (dir / "browser.err") + "'";
  int status = std::system(cmd.c_str());
  EXPECT_EQ(status, 0) << ReadFile(dir / "browser.err");
  std::string out = ReadFile(dir / "browser.json");
  return dataset::ParseRecord(out.empty() ? "{}" : out, "browser check output");
}

// 2,294 instances (the size of SWE-bench's test split) over a few repositories, each with an issue,
// a gold patch, a prediction and a check-patches record of every outcome.
void WriteLargeRun(const ScratchDir& dir, const std::string& tag, unsigned seed) {
  std::mt19937 rng(seed);
  const char* repos[] = {"django/django", "sympy/sympy", "sphinx-doc/sphinx", "pytest-dev/pytest", "psf/requests"};
  const char* outcomes[] = {"git apply", "git apply", "patch", "", "empty"};
  std::string ds, preds, checks;
  for (int i = 0; i < 2294; ++i) {
    std::string repo = repos[i % 5];
    std::string id = repo.substr(0, repo.find('/')) + "__" + repo.substr(repo.find('/') + 1) + "-" + std::to_string(10000 + i);
    std::string file = "pkg/module" + std::to_string(i % 37) + ".py";
    std::string gold = "diff --git a/" + file + " b/" + file + "\n--- a/" + file + "\n+++ b/" + file +
                       "\n@@ -10,3 +10,3 @@\n def f():\n-    return 1\n+    return 2\n \n";
    std::string issue = "Calling f() returns 1 where 2 is expected (instance " + std::to_string(i) + ").\n\n```python\n>>> f()\n1\n```\n" +
                        std::string(400 + rng() % 1200, 'x');
    dataset::Record inst = {{"instance_id", id}, {"repo", repo}, {"base_commit", "0123456789abcdef0123456789abcdef01234567"},
                            {"patch", gold}, {"problem_statement", issue}};
    ds += dataset::DumpRecord(inst) + "\n";
    std::string outcome = outcomes[(i + rng() % 5) % 5];
    std::string model_patch = outcome == "empty" ? "" : gold;
    dataset::Record pred = {{"instance_id", id}, {"model_patch", model_patch}, {"model_name_or_path", "model-" + tag},
                            {"usage", {{"input_tokens", 2000 + rng() % 20000}, {"output_tokens", 100 + rng() % 500}}},
                            {"cost", 0.01 * (rng() % 10)}};
    preds += dataset::DumpRecord(pred) + "\n";
    dataset::Record hunk = {{"file", file}, {"hunk", 1}, {"outcome", outcome == "patch" ? "fuzz" : outcome.empty() ? "rejected" : "applied"},
                            {"line", 10}, {"expected_line", 10}, {"offset", 0}, {"fuzz", outcome == "patch" ? 2 : 0},
                            {"reason", outcome.empty() ? dataset::Record("context not found") : dataset::Record(nullptr)}};
    dataset::Record check = {{"instance_id", id}, {"repo", repo},
                             {"category", outcome == "empty" ? "empty" : outcome.empty() ? "not applied" : "applied"},
                             {"applies_with", outcome.empty() || outcome == "empty" ? dataset::Record(nullptr) : dataset::Record(outcome)},
                             {"hunks", outcome == "empty" ? dataset::Record::array() : dataset::Record::array({hunk})},
                             {"gold_file_recall", outcome == "empty" ? dataset::Record(nullptr) : dataset::Record(1.0)},
                             {"lines_added", 1}, {"lines_removed", 1}, {"syntax_ok", true}};
    checks += dataset::DumpRecord(check) + "\n";
  }
  WriteFile(dir / "dataset.jsonl", ds);
  WriteFile(dir / ("preds_" + tag + ".jsonl"), preds);
  WriteFile(dir / ("checks_" + tag + ".jsonl"), checks);
}

TEST(ReportBrowser, LargeReportLoadsFastAndWorks) {
  if (auto why = BrowserSkipReason()) GTEST_SKIP() << *why;
  ScratchDir dir;
  WriteLargeRun(dir, "a", 1);
  ASSERT_EQ(RunSweinfer("report --predictions " + (dir / "preds_a.jsonl") + " --dataset_name_or_path " + (dir / "dataset.jsonl") +
                            " --checks " + (dir / "checks_a.jsonl") + " --output " + (dir / "report.html"),
                        dir / "out", dir / "err"),
            0)
      << ReadFile(dir / "err");
  dataset::Record r = BrowserCheck(dir / "report.html", OutputDir() + "/report.png", dir);
  ASSERT_TRUE(r.contains("failures")) << r.dump();
  EXPECT_TRUE(r["failures"].empty()) << r["failures"].dump(2);
  EXPECT_EQ(r["total"], 2294);
  EXPECT_GE(r["charts"].get<int>(), 4);  // outcome by repository, prompt length, patch size, gold recall
  EXPECT_LT(r["readyAt"].get<double>(), 2000.0) << "ms from navigation start to the table rendered";
  std::printf("2,294-instance report: table ready %.0f ms after navigation (data %.0f ms, table %.0f ms); screenshot %s/report.png\n",
              r["readyAt"].get<double>(), r["dataMs"].get<double>(), r["tableMs"].get<double>(), OutputDir().c_str());
}

TEST(ReportBrowser, ComparesTwoRunsWithHarnessReports) {
  if (auto why = BrowserSkipReason()) GTEST_SKIP() << *why;
  ScratchDir dir;
  WriteLargeRun(dir, "a", 1);
  WriteLargeRun(dir, "b", 2);
  auto ids = dataset::ReadJsonl(dir / "preds_a.jsonl");
  dataset::Record ra = {{"resolved_ids", dataset::Record::array()}, {"unresolved_ids", dataset::Record::array()}};
  dataset::Record rb = ra;
  for (size_t i = 0; i < ids.size(); ++i) {
    (i % 3 == 0 ? ra["resolved_ids"] : ra["unresolved_ids"]).push_back(ids[i]["instance_id"]);
    (i % 4 == 0 ? rb["resolved_ids"] : rb["unresolved_ids"]).push_back(ids[i]["instance_id"]);
  }
  WriteFile(dir / "a.run.json", ra.dump());
  WriteFile(dir / "b.run.json", rb.dump());
  ASSERT_EQ(RunSweinfer("report --predictions " + (dir / "preds_a.jsonl") + " --predictions " + (dir / "preds_b.jsonl") +
                            " --dataset_name_or_path " + (dir / "dataset.jsonl") + " --checks " + (dir / "checks_a.jsonl") +
                            " --checks " + (dir / "checks_b.jsonl") + " --harness_report " + (dir / "a.run.json") +
                            " --harness_report " + (dir / "b.run.json") + " --output " + (dir / "compare.html"),
                        dir / "out", dir / "err"),
            0)
      << ReadFile(dir / "err");
  std::string html = ReadFile(dir / "compare.html");
  // Resolved by a only: i % 3 == 0 and i % 4 != 0 -> 573 of 2,294; by b only: i % 4 == 0 and i % 3 != 0 -> 382.
  EXPECT_NE(html.find("<td>only model-a (preds_a.jsonl)</td><td>573</td>"), std::string::npos);
  EXPECT_NE(html.find("<td>only model-b (preds_b.jsonl)</td><td>382</td>"), std::string::npos);
  EXPECT_NE(html.find("<td>both</td><td>192</td>"), std::string::npos);
  dataset::Record r = BrowserCheck(dir / "compare.html", OutputDir() + "/compare.png", dir);
  EXPECT_TRUE(r["failures"].empty()) << r["failures"].dump(2);
  EXPECT_EQ(r["runs"], 2);
}

}  // namespace
}  // namespace sweinfer
