#include "pipelines/retrieve.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "dataset/jsonl.h"
#include "test_support.h"
#include "git/repository.h"
#include "util/error.h"

namespace sweinfer::pipelines {
namespace {

std::string SharedInstances(const std::string& shared, const testing::ScratchDir& dir) {
  // The oracle's instance set: Lite then Verified, first wins, the four shared repositories.
  std::set<std::string> seen;
  std::string lines;
  for (const char* f : {"lite_test.jsonl", "verified_test.jsonl"}) {
    dataset::ForEachJsonl(shared + "/swebench/" + f, [&](dataset::Record&& r, size_t) {
      std::string repo = r["repo"];
      if ((repo == "psf/requests" || repo == "pallets/flask" || repo == "mwaskom/seaborn" ||
           repo == "pytest-dev/pytest") &&
          seen.insert(r["instance_id"]).second) {
        lines += dataset::DumpRecord(r) + "\n";
      }
      return true;
    });
  }
  testing::WriteFile(dir / "visible.jsonl", lines);
  return dir / "visible.jsonl";
}

// A blob is analysed once per run whatever the number of workers: a worker that meets a blob
// another is analysing waits for that result instead of analysing it again.
TEST(Retrieve, EachBlobAnalysedOnceWhateverTheWorkers) {
  SWEINFER_REQUIRE_SHARED(shared);
  testing::ScratchDir dir;
  std::map<int, RetrieveSummary> runs;
  std::map<int, std::map<std::string, dataset::Record>> hits;
  for (int workers : {1, 2}) {
    RetrieveOptions o;
    o.dataset_name_or_path = SharedInstances(shared, dir);
    o.splits = {"test"};
    o.output_dir = dir / ("out" + std::to_string(workers));
    o.repositories.repos_dir = shared + "/repos";
    o.num_workers = workers;
    o.quiet = true;
    runs[workers] = RunRetrieve(o);
    for (auto& r : dataset::ReadJsonl(runs[workers].output_file)) hits[workers][r["instance_id"]] = r["hits"];
  }
  EXPECT_GT(runs[1].analysed_blobs, 1000u);
  EXPECT_EQ(runs[2].analysed_blobs, runs[1].analysed_blobs);
  EXPECT_EQ(runs[2].analysed_bytes, runs[1].analysed_bytes);
  EXPECT_EQ(hits[2], hits[1]);
}

TEST(Retrieve, HitsEqualPyseriniOracle) {
  SWEINFER_REQUIRE_SHARED(shared);
  testing::ScratchDir dir;
  RetrieveOptions o;
  o.dataset_name_or_path = SharedInstances(shared, dir);
  o.splits = {"test"};
  o.output_dir = dir / "out";
  o.repositories.repos_dir = shared + "/repos";
  o.num_workers = 2;
  o.quiet = true;
  RetrieveSummary summary = RunRetrieve(o);
  EXPECT_EQ(summary.output_file, dir / "out/visible/file_name_and_contents.retrieval.jsonl");
  std::map<std::string, dataset::Record> ours;
  for (auto& r : dataset::ReadJsonl(summary.output_file)) ours[r["instance_id"]] = r;
  size_t instances = 0, same_order = 0, same_set_tie_order = 0, score_mismatches = 0;
  dataset::ForEachJsonl(shared + "/conformance/retrieval/swebench_visible.retrieval.jsonl", [&](dataset::Record&& want, size_t) {
    ++instances;
    auto it = ours.find(want["instance_id"]);
    if (it == ours.end()) {
      ADD_FAILURE() << "missing " << want["instance_id"];
      return true;
    }
    const auto& got = it->second["hits"];
    const auto& expected = want["hits"];
    bool order = got.size() == expected.size();
    for (size_t i = 0; order && i < got.size(); ++i) order = got[i]["docid"] == expected[i]["docid"];
    if (order) {
      ++same_order;
    } else {
      // Allowed only between exactly equal scores: the same docids at each distinct score.
      std::map<double, std::multiset<std::string>, std::greater<double>> a, b;
      for (const auto& h : got) a[h["score"].get<double>()].insert(h["docid"]);
      for (const auto& h : expected) b[h["score"].get<double>()].insert(h["docid"]);
      if (a == b) {
        ++same_set_tie_order;
      } else {
        std::string diff;
        for (size_t i = 0; i < std::max(got.size(), expected.size()); ++i) {
          diff += "\n  " + (i < expected.size() ? expected[i].dump() : "-") + "  |  " + (i < got.size() ? got[i].dump() : "-");
        }
        ADD_FAILURE() << want["instance_id"] << " (oracle | ours):" << diff;
      }
    }
    for (size_t i = 0; i < std::min(got.size(), expected.size()); ++i) {
      if (got[i]["docid"] == expected[i]["docid"] &&
          static_cast<float>(got[i]["score"].get<double>()) != static_cast<float>(expected[i]["score"].get<double>())) {
        ++score_mismatches;
      }
    }
    return true;
  });
  std::printf("retrieval vs Pyserini oracle: %zu instances, %zu same top-20 order, %zu differ only within exact ties, "
              "%zu score mismatches\n",
              instances, same_order, same_set_tie_order, score_mismatches);
  EXPECT_EQ(instances, 57u);
  EXPECT_GE((same_order + same_set_tie_order) * 100, instances * 99);
  EXPECT_EQ(score_mismatches, 0u);
  // Resuming writes nothing new; a second run reads every blob from the cache.
  RetrieveSummary again = RunRetrieve(o);
  EXPECT_EQ(again.done, 0u);
  EXPECT_EQ(again.skipped, 57u);
}

}  // namespace
}  // namespace sweinfer::pipelines

namespace sweinfer::pipelines {
namespace {

TEST(Retrieve, DocumentationEncodingRanksDocstrings) {
  SWEINFER_REQUIRE_SHARED(shared);
  testing::ScratchDir dir;
  RetrieveOptions o;
  o.dataset_name_or_path = SharedInstances(shared, dir);
  o.document_encoding_style = "file_name_and_documentation";
  o.splits = {"test"};
  o.output_dir = dir / "out";
  o.repositories.repos_dir = shared + "/repos";
  o.quiet = true;
  RetrieveSummary summary = RunRetrieve(o);
  EXPECT_EQ(summary.done, 57u);
  auto rows = dataset::ReadJsonl(dir / "out/visible/file_name_and_documentation.retrieval.jsonl");
  ASSERT_EQ(rows.size(), 57u);
  size_t with_hits = 0;
  for (const auto& r : rows) with_hits += !r["hits"].empty();
  EXPECT_EQ(with_hits, 57u);
  o.document_encoding_style = "file_name_and_docs_jedi";
  summary = RunRetrieve(o);
  EXPECT_EQ(summary.done, 57u);
  EXPECT_EQ(dataset::ReadJsonl(dir / "out/visible/file_name_and_docs_jedi.retrieval.jsonl").size(), 57u);
}

}  // namespace
}  // namespace sweinfer::pipelines

namespace sweinfer::pipelines {
namespace {

// A tree of 20,000 files and a 100,000-character query (past the 1,024-clause limit) both work.
TEST(Retrieve, LargeTreesAndLongQueries) {
  testing::ScratchDir dir;
  testing::WriteFile(dir / "make.sh",
                     "set -e\ngit init -q --bare big.git\n"
                     "{ echo 'commit refs/heads/main'; echo 'committer t <t@t> 0 +0000'; echo 'data 1'; echo 'x'\n"
                     "  for i in $(seq 1 20000); do echo \"M 100644 inline pkg/m$i/mod_$i.py\"; echo 'data 28'\n"
                     "    printf 'def function_%05d(): pass\\n\\n' $i; done; } | git --git-dir=big.git fast-import --quiet\n");
  ASSERT_EQ(std::system(("cd " + dir.path() + " && bash make.sh").c_str()), 0);
  auto repo = git::Repository::Open(dir / "big.git");
  auto tree = repo.Snapshot("main");
  std::string query;
  for (int i = 0; query.size() < 100000; ++i) query += "word" + std::to_string(i) + " function_00042 pass ";
  auto hits = RankRepositoryFiles(tree, query, "file_name_and_contents", 20);
  ASSERT_EQ(hits.size(), 20u);
  EXPECT_EQ(hits[0].docid, "pkg/m42/mod_42.py");
}

}  // namespace
}  // namespace sweinfer::pipelines
