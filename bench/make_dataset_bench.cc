// Benchmark for make-dataset (oracle, style-3) on every shared instance of the shared repositories.
// Anchor: the reference's per-instance cost, reproduced with the git CLI: `git reset --hard <commit>
// && git clean -fdxq` in a work tree, then reading the README and oracle files from disk.
// Prints instances/s for the baseline and for sweinfer with 1 and 2 workers, and the ratios.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>
#include <atomic>

#include "dataset/jsonl.h"
#include "patch/unified_diff.h"
#include "pipelines/make_dataset.h"

using namespace sweinfer;
namespace fs = std::filesystem;

namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

std::string SharedDir() {
  if (const char* env = std::getenv("SWEINFER_SHARED_DIR")) return env;
  return (fs::path(SWEINFER_SOURCE_DIR) / ".." / "shared").string();
}

}  // namespace

int main() {
  const std::string shared = SharedDir();
  if (!fs::is_directory(shared + "/repos")) {
    std::printf("../shared is absent: nothing to benchmark\n");
    return 0;
  }
  std::map<std::string, dataset::Record> instances;
  for (const char* f : {"verified_test.jsonl", "lite_test.jsonl"}) {
    dataset::ForEachJsonl(shared + "/swebench/" + f, [&](dataset::Record&& r, size_t) {
      std::string repo = r["repo"];
      std::string slug = repo.substr(0, repo.find('/')) + "__" + repo.substr(repo.find('/') + 1);
      if (fs::is_directory(shared + "/repos/" + slug + ".git")) {
        std::string id = r["instance_id"];
        instances[id] = std::move(r);
      }
      return true;
    });
  }
  std::vector<const dataset::Record*> list;
  for (const auto& [id, r] : instances) list.push_back(&r);
  std::printf("make-dataset benchmark: %zu instances (oracle, style-3)\n", list.size());

  // Baseline: work-tree checkouts with the git CLI.
  std::string scratch = (fs::temp_directory_path() / "sweinfer-bench-worktrees").string();
  fs::remove_all(scratch);
  fs::create_directories(scratch);
  std::set<std::string> cloned;
  for (const auto* r : list) {
    std::string repo = (*r)["repo"];
    std::string slug = repo.substr(0, repo.find('/')) + "__" + repo.substr(repo.find('/') + 1);
    if (cloned.insert(slug).second) {
      std::string cmd = "git clone -q --shared --no-checkout " + shared + "/repos/" + slug + ".git " + scratch + "/" +
                        slug + " 2>/dev/null";
      if (std::system(cmd.c_str()) != 0) return 1;
    }
  }
  auto start = std::chrono::steady_clock::now();
  size_t bytes_read = 0;
  for (const auto* r : list) {
    std::string repo = (*r)["repo"];
    std::string dir = scratch + "/" + repo.substr(0, repo.find('/')) + "__" + repo.substr(repo.find('/') + 1);
    std::string cmd = "cd " + dir + " && git reset -q --hard " + (*r)["base_commit"].get<std::string>() +
                      " >/dev/null 2>&1 && git clean -fdxq";
    if (std::system(cmd.c_str()) != 0) std::printf("baseline: reset failed for %s\n", (*r)["instance_id"].get<std::string>().c_str());
    for (const auto& entry : fs::directory_iterator(dir)) {
      std::string name = entry.path().filename().string();
      std::string lower = name;
      for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (lower.rfind("readme", 0) == 0 && entry.is_regular_file()) bytes_read += fs::file_size(entry.path());
    }
    for (const auto& f : patch::ParsePatchSet((*r)["patch"].get<std::string>())) {
      std::ifstream in(dir + "/" + std::string(patch::SourcePathOf(f)));
      std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      bytes_read += content.size();
    }
  }
  double baseline = Seconds(start);
  double baseline_rate = list.size() / baseline;
  std::printf("  baseline (git reset --hard + clean + read): %.2f s, %.1f instances/s\n", baseline, baseline_rate);
  fs::remove_all(scratch);

  for (int workers : {1, 2}) {
    start = std::chrono::steady_clock::now();
    std::atomic<size_t> next{0}, failures{0}, text_bytes{0};
    auto work = [&] {
      std::map<std::string, std::optional<git::Repository>> repos;
      for (size_t i; (i = next.fetch_add(1)) < list.size();) {
        const auto& r = *list[i];
        std::string repo = r["repo"];
        auto& handle = repos[repo];
        if (!handle) {
          handle = git::Repository::Open(shared + "/repos/" + repo.substr(0, repo.find('/')) + "__" +
                                         repo.substr(repo.find('/') + 1) + ".git");
        }
        auto built = pipelines::BuildInstancePrompt(handle->Snapshot(r["base_commit"].get<std::string>()), r,
                                                    prompt::PromptStyle::kStyle3, pipelines::FileSource::kOracle);
        if (!built.text_inputs) ++failures;
        else text_bytes += built.text_inputs->size();
      }
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < workers; ++t) threads.emplace_back(work);
    for (auto& t : threads) t.join();
    double elapsed = Seconds(start);
    double rate = list.size() / elapsed;
    std::printf("  sweinfer, %d worker%s: %.3f s, %.1f instances/s, %.1fx the baseline (%zu failures, %.1f MB of prompts)\n",
                workers, workers > 1 ? "s" : "", elapsed, rate, rate / baseline_rate, failures.load(),
                text_bytes.load() / 1e6);
  }
  return 0;
}
