// Benchmark for dataset loading: the largest shared parquet file (MB/s of decompressed string
// data, one core) and a generated JSONL file (default 1 GB; SWEINFER_BENCH_JSONL_MB to change).
// Goal from the foundation issue: parquet at least 200 MB/s of decompressed text on one core.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "dataset/jsonl.h"
#include "dataset/parquet_reader.h"

using namespace sweinfer;
namespace fs = std::filesystem;

namespace {

size_t StringBytes(const dataset::Record& r) {
  size_t n = 0;
  if (r.is_string()) return r.get_ref<const std::string&>().size();
  if (r.is_object() || r.is_array()) {
    for (const auto& v : r) n += StringBytes(v);
  }
  return n;
}

}  // namespace

int main() {
  std::string shared = std::getenv("SWEINFER_SHARED_DIR") ? std::getenv("SWEINFER_SHARED_DIR")
                                                          : (fs::path(SWEINFER_SOURCE_DIR) / ".." / "shared").string();
  fs::path largest;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(shared + "/swebench/parquet", ec)) {
    if (largest.empty() || fs::file_size(e.path()) > fs::file_size(largest)) largest = e.path();
  }
  if (!largest.empty()) {
    std::ifstream in(largest, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t text = 0;
    constexpr int kRounds = 10;
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kRounds; ++i) {
      auto rows = dataset::ReadParquetBytes(bytes, largest.string());
      if (i == 0) {
        for (const auto& r : rows) text += StringBytes(r);
      }
    }
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / kRounds;
    std::printf("parquet %s: %.1f MB decompressed text in %.3f s: %.0f MB/s (goal 200 MB/s: %.2fx)\n",
                largest.filename().c_str(), text / 1e6, s, text / 1e6 / s, text / 1e6 / s / 200);
  } else {
    std::printf("../shared is absent: parquet part skipped\n");
  }

  size_t target_mb = std::getenv("SWEINFER_BENCH_JSONL_MB") ? std::atoi(std::getenv("SWEINFER_BENCH_JSONL_MB")) : 1000;
  std::string path = (fs::temp_directory_path() / "sweinfer-bench.jsonl").string();
  {
    std::ofstream out(path, std::ios::binary);
    std::string body(2000, 'x');
    for (size_t i = 0, written = 0; written < target_mb * 1000000; ++i) {
      std::string line = "{\"instance_id\": \"repo__name-" + std::to_string(i) + "\", \"problem_statement\": \"" + body +
                         "\\nline two\", \"patch\": \"diff --git a/x.py b/x.py\\n\"}\n";
      out << line;
      written += line.size();
    }
  }
  size_t size = fs::file_size(path);
  auto start = std::chrono::steady_clock::now();
  size_t rows = 0;
  dataset::ForEachJsonl(path, [&](dataset::Record&&, size_t) {
    ++rows;
    return true;
  });
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("jsonl: %zu rows, %.0f MB in %.2f s: %.0f MB/s\n", rows, size / 1e6, s, size / 1e6 / s);
  fs::remove(path);
  return 0;
}
