// Tokenizer benchmark (see bench/tokenizer_bench.sh, which also runs the npm `tiktoken` and
// `js-tiktoken` packages on the same documents). Usage:
//   tokenizer_bench write-corpus DIR [MB]  writes DIR/instances.jsonl (problem statements and
//                                          patches of all shared instances) and DIR/code.jsonl
//                                          (MB, default 100, of Python code from the shared repos)
//   tokenizer_bench run FILE.jsonl ENCODING  encodes every {"text"} document: one thread, then all
//                                          cores; prints MB/s and the total token count.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "dataset/jsonl.h"
#include "git/repository.h"
#include "tokenizer/tokenizer.h"

using namespace sweinfer;
namespace fs = std::filesystem;

namespace {

std::string SharedDir() {
  if (const char* env = std::getenv("SWEINFER_SHARED_DIR")) return env;
  return (fs::path(SWEINFER_SOURCE_DIR) / ".." / "shared").string();
}

int WriteCorpus(const std::string& dir, size_t megabytes) {
  const std::string shared = SharedDir();
  fs::create_directories(dir);
  {
    std::ofstream out(dir + "/instances.jsonl");
    for (const char* f : {"lite_test.jsonl", "verified_test.jsonl", "lite_dev.jsonl", "full_dev.jsonl"}) {
      dataset::ForEachJsonl(shared + "/swebench/" + f, [&](dataset::Record&& r, size_t) {
        out << dataset::DumpRecord(dataset::Record{{"text", r["problem_statement"]}}) << '\n';
        out << dataset::DumpRecord(dataset::Record{{"text", r["patch"]}}) << '\n';
        return true;
      });
    }
  }
  // Python files of the shared repositories' newest trees, repeated up to the size asked for.
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(shared + "/repos")) {
    auto repo = git::Repository::Open(entry.path().string());
    std::vector<std::string> tags;
    std::string head;
    for (const auto& ref : fs::directory_iterator(entry.path() / "refs" / "tags")) tags.push_back(ref.path().filename());
    std::sort(tags.begin(), tags.end());
    if (tags.empty()) continue;
    auto tree = repo.Snapshot(tags.back());
    tree.ForEachFile([&](const std::string& path, const std::string&) {
      if (path.size() > 3 && path.compare(path.size() - 3, 3, ".py") == 0) {
        auto read = tree.ReadFile(path);
        if (read.bytes) files.push_back(*read.bytes);
      }
    });
  }
  std::ofstream out(dir + "/code.jsonl");
  size_t written = 0, round = 0;
  while (written < megabytes * 1000000 && !files.empty()) {
    for (const auto& f : files) {
      // Each round renames identifiers a little so the corpus is not one text repeated.
      std::string text;
      if (round) {
        std::string renamed = "self_" + std::to_string(round);
        size_t from = 0;
        for (size_t at; (at = f.find("self", from)) != std::string::npos; from = at + 4) {
          text.append(f, from, at - from);
          text += renamed;
        }
        text.append(f, from, std::string::npos);
      } else {
        text = f;
      }
      out << dataset::DumpRecord(dataset::Record{{"text", text}}) << '\n';
      written += text.size();
      if (written >= megabytes * 1000000) break;
    }
    ++round;
  }
  std::printf("corpus: %s/instances.jsonl, %s/code.jsonl (%.1f MB of code)\n", dir.c_str(), dir.c_str(), written / 1e6);
  return 0;
}

int Run(const std::string& file, const std::string& encoding) {
  std::vector<std::string> docs;
  size_t bytes = 0;
  dataset::ForEachJsonl(file, [&](dataset::Record&& r, size_t) {
    if (r["text"].is_string()) {
      docs.push_back(r["text"].get<std::string>());
      bytes += docs.back().size();
    }
    return true;
  });
  tokenizer::TokenizerOptions o;
  o.tiktoken_dir = SharedDir() + "/tokenizers";
  auto tok = tokenizer::LoadTokenizer(encoding, o);
  auto start = std::chrono::steady_clock::now();
  size_t tokens = 0;
  for (const auto& d : docs) tokens += tok->Encode(d).size();
  double one = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  std::atomic<size_t> next{0}, tokens_mt{0};
  start = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < cores; ++t) {
    pool.emplace_back([&] {
      size_t local = 0;
      for (size_t i; (i = next.fetch_add(1)) < docs.size();) local += tok->Encode(docs[i]).size();
      tokens_mt += local;
    });
  }
  for (auto& t : pool) t.join();
  double all = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("sweinfer %s %s: %.1f MB, %zu tokens; 1 thread %.1f MB/s; %u threads %.1f MB/s (%.2fx)\n",
              encoding.c_str(), fs::path(file).filename().c_str(), bytes / 1e6, tokens, bytes / 1e6 / one, cores,
              bytes / 1e6 / all, one / all);
  return tokens == tokens_mt ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "write-corpus" && argc >= 3) return WriteCorpus(argv[2], argc > 3 ? std::atoi(argv[3]) : 100);
  if (mode == "run" && argc >= 4) return Run(argv[2], argv[3]);
  std::fprintf(stderr, "usage: tokenizer_bench write-corpus DIR [MB] | run FILE.jsonl ENCODING\n");
  return 2;
}
