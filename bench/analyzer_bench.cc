// Analysis speed: sweinfer's analyzer (StandardTokenizer, possessive, lowercase, stop words,
// Porter) over the documents of a real repository, in MB/s per core: the terms as strings, and as
// retrieve runs it (TermCounter: the terms counted by id, repeated tokens memoised).
//
//   analyzer_bench --write-documents OUT.jsonl [REPO COMMIT]  the reference's documents as the
//       shared Lucene oracle's `index` reads them ({"id", "contents"} per line); by default the
//       shared sympy repository at the base commit of its first SWE-bench Lite instance
//   analyzer_bench DOCS.jsonl                                 analyses every "contents", best of 3
//
// bench/analyzer_bench.sh runs both and the oracle, and prints the ratio against Lucene.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dataset/jsonl.h"
#include "git/repository.h"
#include "retrieval/analyzer.h"
#include "retrieval/documents.h"
#include "retrieval/languages.h"
#include "retrieval/term_dictionary.h"

using namespace sweinfer;
namespace fs = std::filesystem;

namespace {

std::string SharedDir() {
  if (const char* env = std::getenv("SWEINFER_SHARED_DIR")) return env;
  return (fs::path(SWEINFER_SOURCE_DIR) / ".." / "shared").string();
}

int WriteDocuments(const std::string& out_path, std::string repo_path, std::string commit) {
  if (repo_path.empty()) {
    repo_path = SharedDir() + "/repos/sympy__sympy.git";
    if (!fs::exists(repo_path)) {
      std::printf("../shared is absent: nothing to benchmark\n");
      return 2;
    }
    git::Repository probe = git::Repository::Open(repo_path);
    std::ifstream lite(SharedDir() + "/swebench/lite_test.jsonl");
    for (std::string line; std::getline(lite, line);) {
      auto row = nlohmann::json::parse(line);
      if (row["repo"] == "sympy/sympy" && probe.HasCommit(row["base_commit"].get<std::string>())) {
        commit = row["base_commit"];
        break;
      }
    }
  }
  git::Repository repo = git::Repository::Open(repo_path);
  git::TreeSnapshot tree = repo.Snapshot(commit);
  auto files = retrieval::ListDocumentFiles(tree, retrieval::DocumentSelection::PythonReference());
  std::ofstream out(out_path, std::ios::binary);
  size_t bytes = 0;
  for (const auto& file : files) {
    auto body = retrieval::ReadDocumentBytes(tree, file);
    if (!body) continue;
    std::string contents = file.path + "\n" + *body;
    bytes += contents.size();
    out << nlohmann::json{{"id", file.path}, {"contents", contents}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  }
  std::fprintf(stderr, "%zu documents, %.1f MB, from %s at %s\n", files.size(), bytes / 1e6, repo_path.c_str(), commit.c_str());
  return 0;
}

int Analyse(const std::string& docs_path) {
  std::vector<std::string> docs;
  size_t bytes = 0;
  std::ifstream in(docs_path);
  for (std::string line; std::getline(in, line);) {
    docs.push_back(nlohmann::json::parse(line)["contents"].get<std::string>());
    bytes += docs.back().size();
  }
  retrieval::Analyzer analyzer;
  double best = 1e9;
  size_t terms = 0, term_bytes = 0;
  for (int round = 0; round < 3; ++round) {
    terms = term_bytes = 0;
    auto start = std::chrono::steady_clock::now();
    for (const auto& doc : docs) {
      analyzer.Analyze(doc, [&](std::string_view term) {
        ++terms;
        term_bytes += term.size();
      });
    }
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  // What retrieve runs: the same analysis, each term counted by id (a fresh dictionary per round,
  // so that every round interns the whole vocabulary as a cold run does).
  double best_counting = 1e9;
  size_t counted = 0;
  for (int round = 0; round < 3; ++round) {
    retrieval::TermDictionary dictionary;
    retrieval::TermCounter counter(dictionary);
    counted = 0;
    auto start = std::chrono::steady_clock::now();
    for (const auto& doc : docs) counted += counter.Count(doc).length;
    best_counting = std::min(best_counting, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  if (counted != terms) {
    std::fprintf(stderr, "counting saw %zu terms where analysis saw %zu\n", counted, terms);
    return 1;
  }
  std::printf("documents %zu\nbytes %zu\nterms %zu\nterm_bytes %zu\nseconds %.4f\nmb_per_s %.1f\n", docs.size(), bytes,
              terms, term_bytes, best, bytes / 1e6 / best);
  std::printf("counting_seconds %.4f\ncounting_mb_per_s %.1f\n", best_counting, bytes / 1e6 / best_counting);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::string(argv[1]) == "--write-documents") {
    return WriteDocuments(argv[2], argc >= 5 ? argv[3] : "", argc >= 5 ? argv[4] : "");
  }
  if (argc == 2) return Analyse(argv[1]);
  std::fprintf(stderr, "usage: analyzer_bench --write-documents OUT.jsonl [REPO COMMIT] | analyzer_bench DOCS.jsonl\n");
  return 2;
}
