#include "pipelines/report.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>

#include "dataset/jsonl.h"
#include "test_support.h"
#include "util/error.h"

namespace sweinfer::pipelines {
namespace {

using testing::ReadFile;
using testing::ScratchDir;
using testing::WriteFile;

// The page's embedded data (gzip + base64), decoded as the browser does.
dataset::Record EmbeddedData(const std::string& html) {
  const std::string open = "data-encoding=\"gzip+base64\">";
  size_t at = html.find(open);
  EXPECT_NE(at, std::string::npos);
  at += open.size();
  std::string b64 = html.substr(at, html.find("</script>", at) - at);
  std::string bytes;
  int bits = 0;
  uint32_t acc = 0;
  for (char c : b64) {
    int v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 : c >= '0' && c <= '9' ? c - '0' + 52
            : c == '+' ? 62 : c == '/' ? 63 : -1;
    if (v < 0) continue;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  z_stream zs{};
  inflateInit2(&zs, 15 + 16);
  std::string out(bytes.size() * 20 + 1024, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(bytes.data());
  zs.avail_in = static_cast<uInt>(bytes.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return dataset::ParseRecord(out, "embedded report data");
}

TEST(Report, JoinsPredictionsChecksHarnessLogsAndRetrieval) {
  ScratchDir dir;
  const std::string gold = "--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-x\n+y\n";
  WriteFile(dir / "ds.jsonl",
            dataset::DumpRecord({{"instance_id", "o__r-1"}, {"repo", "o/r"}, {"patch", gold}, {"problem_statement", "</script><b>issue</b>"}}) +
                "\n" + dataset::DumpRecord({{"instance_id", "o__r-2"}, {"repo", "o/r"}, {"patch", gold}, {"problem_statement", "two"}}) +
                "\n" + dataset::DumpRecord({{"instance_id", "o__r-3"}, {"repo", "o/r"}, {"patch", gold}, {"problem_statement", "three"}}) + "\n");
  WriteFile(dir / "preds.jsonl",
            dataset::DumpRecord({{"instance_id", "o__r-1"}, {"model_patch", gold}, {"model_name_or_path", "m"},
                                 {"usage", {{"input_tokens", 1200}, {"output_tokens", 30}}}, {"cost", 0.25}}) +
                "\n" + dataset::DumpRecord({{"instance_id", "o__r-2"}, {"model_patch", ""}, {"model_name_or_path", "m"}}) + "\n");
  WriteFile(dir / "checks.jsonl",
            dataset::DumpRecord({{"instance_id", "o__r-1"}, {"category", "applied"}, {"applies_with", "patch"},
                                 {"hunks", {{{"file", "a.py"}, {"hunk", 1}, {"outcome", "fuzz"}, {"fuzz", 1}, {"offset", 0}}}},
                                 {"gold_file_recall", 1.0}, {"lines_added", 1}, {"lines_removed", 1}, {"syntax_ok", true}}) +
                "\n" + dataset::DumpRecord({{"instance_id", "o__r-2"}, {"category", "empty"}, {"applies_with", nullptr}}) + "\n");
  std::filesystem::create_directories(dir / "logs/run/m/o__r-1");
  WriteFile(dir / "logs/run/m/o__r-1/report.json",
            "{\"o__r-1\": {\"patch_is_None\": false, \"patch_exists\": true, \"patch_successfully_applied\": true, \"resolved\": true,"
            " \"tests_status\": {\"FAIL_TO_PASS\": {\"success\": [\"t1\"], \"failure\": []}, \"PASS_TO_PASS\": {\"success\": [\"t2\", \"t3\"], \"failure\": [\"t4\"]}}}}");
  WriteFile(dir / "hits.jsonl", "{\"instance_id\": \"o__r-1\", \"hits\": [{\"docid\": \"b.py\", \"score\": 2}, {\"docid\": \"a.py\", \"score\": 1}]}\n");
  ReportOptions o;
  o.predictions = {dir / "preds.jsonl"};
  o.dataset_name_or_path = dir / "ds.jsonl";
  o.checks = {dir / "checks.jsonl"};
  o.harness_logs = {dir / "logs"};
  o.retrieval_file = dir / "hits.jsonl";
  o.output = dir / "r.html";
  o.quiet = true;
  auto summary = RunReport(o);
  EXPECT_EQ(summary.instances, 2u);  // the instances predicted
  std::string html = ReadFile(dir / "r.html");
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<b>issue</b>"), std::string::npos);  // only inside the encoded data
  EXPECT_NE(html.find("Retrieval: gold-file recall@k"), std::string::npos);
  EXPECT_NE(html.find("$0.25"), std::string::npos);
  EXPECT_NE(html.find(">50.0%<"), std::string::npos);  // resolved: 1 of 2 predictions
  dataset::Record data = EmbeddedData(html);
  ASSERT_EQ(data["rows"].size(), 2u);
  const auto& first = data["rows"][0];
  EXPECT_EQ(first["issue"], "</script><b>issue</b>");
  EXPECT_EQ(first["runs"][0]["applies_with"], "patch");
  EXPECT_EQ(first["runs"][0]["resolved"], true);
  EXPECT_EQ(first["runs"][0]["tokens"], 1200);
  EXPECT_NE(first["runs"][0]["harness_detail"].get<std::string>().find("FAIL_TO_PASS 1/1, PASS_TO_PASS 2/3"), std::string::npos);
  EXPECT_EQ(first["retrieval_recall"]["1"], 0.0);
  EXPECT_EQ(first["retrieval_recall"]["5"], 1.0);
  EXPECT_EQ(data["rows"][1]["runs"][0]["category"], "empty");
}

TEST(Report, ChecksPatchesItselfWithARepositoryAndRejectsBadArguments) {
  ScratchDir dir;
  std::filesystem::create_directories(dir / "work");
  WriteFile(dir / "work/a.py", "x = 1\n");
  std::string cmd = "cd '" + (dir / "work") + "' && git init -q && git -c user.email=t@t -c user.name=t add -A && " +
                    "git -c user.email=t@t -c user.name=t commit -qm base && git clone -q --bare . '" + (dir / "repos/o__r.git") +
                    "' && git rev-parse HEAD > '" + (dir / "head") + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::string head = ReadFile(dir / "head");
  head.pop_back();
  const std::string gold = "--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n";
  WriteFile(dir / "ds.jsonl", dataset::DumpRecord({{"instance_id", "o__r-1"}, {"repo", "o/r"}, {"base_commit", head}, {"patch", gold}}) + "\n");
  WriteFile(dir / "preds.jsonl", dataset::DumpRecord({{"instance_id", "o__r-1"}, {"model_patch", gold}}) + "\n");
  ReportOptions o;
  o.predictions = {dir / "preds.jsonl"};
  o.dataset_name_or_path = dir / "ds.jsonl";
  o.repositories = RepositorySource();
  o.repositories->repos_dir = dir / "repos";
  o.output = dir / "r.html";
  o.quiet = true;
  RunReport(o);
  auto data = EmbeddedData(ReadFile(dir / "r.html"));
  EXPECT_EQ(data["rows"][0]["runs"][0]["applies_with"], "git apply");
  o.checks = {"a", "b"};
  EXPECT_THROW(RunReport(o), Error);
  o.checks.clear();
  o.predictions = {};
  EXPECT_THROW(RunReport(o), Error);
}

}  // namespace
}  // namespace sweinfer::pipelines
