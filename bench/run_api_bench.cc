// run-api benchmark: a mock OpenAI server that answers after 200 ms; requests/s at concurrency
// 1 (the reference's sequential mode), 8, 32 and 64, the ratio to concurrency 1, and the client's
// CPU time per request (the client's thread only; the mock server runs on its own threads).
// Goal from the run-api issue: at concurrency 32 at least 25x the sequential rate, < 1 ms CPU/request.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "dataset/jsonl.h"
#include "mock_llm_server.h"
#include "pipelines/run_api.h"

using namespace sweinfer;
namespace fs = std::filesystem;

namespace {

// CPU time of the calling thread: run-api's client runs on it, the mock server on others.
double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

}  // namespace

int main() {
  const std::string key = "sk-bench";
  testing::MockLlmServer server(key, /*delay_ms=*/200, /*threads=*/80);
  fs::path dir = fs::temp_directory_path() / "sweinfer-run-api-bench";
  fs::remove_all(dir);
  fs::create_directories(dir);
  {
    std::string env = "OPENAI_API_KEY=" + key + "\n";
    std::FILE* f = std::fopen((dir / ".env").c_str(), "w");
    std::fputs(env.c_str(), f);
    std::fclose(f);
  }
  double sequential_rate = 0;
  for (int concurrency : {1, 8, 32, 64}) {
    int n = concurrency == 1 ? 20 : concurrency * 8;
    std::string lines;
    for (int i = 0; i < n; ++i) {
      std::string text = "system\nID:";
      text.append(std::to_string(i)).append("\nfix it");
      lines.append(dataset::DumpRecord(dataset::Record{{"instance_id", std::string("i").append(std::to_string(i))}, {"text", text}}));
      lines.push_back('\n');
    }
    fs::path data = dir / std::string("c").append(std::to_string(concurrency)).append(".jsonl");
    std::FILE* f = std::fopen(data.c_str(), "w");
    std::fputs(lines.c_str(), f);
    std::fclose(f);
    pipelines::RunApiOptions o;
    o.dataset_name_or_path = data.string();
    o.model_name_or_path = "served-model";
    o.provider = "openai-compatible";
    o.base_urls = {server.url() + "/v1"};
    o.output_dir = (dir / "out").string();
    o.concurrency = concurrency;
    o.dotenv_path = (dir / ".env").string();
    o.quiet = true;
    double cpu0 = CpuSeconds();
    auto t0 = std::chrono::steady_clock::now();
    auto summary = pipelines::RunApi(o);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double cpu = CpuSeconds() - cpu0;
    double rate = summary.done / seconds;
    if (concurrency == 1) sequential_rate = rate;
    std::printf("concurrency %2d: %3zu requests in %6.2f s = %7.2f req/s, %5.1fx sequential, %.3f ms CPU/request\n",
                concurrency, summary.done, seconds, rate, rate / sequential_rate, 1000 * cpu / summary.done);
  }
  fs::remove_all(dir);
  return 0;
}
