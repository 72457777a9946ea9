// libFuzzer target: reading a predictions file (JSONL, a JSON list or a dict keyed by instance id)
// from arbitrary bytes; bad input must end in sweinfer::Error, never a crash.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "dataset/predictions.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/tmp/sweinfer-predictions-fuzz-" + std::to_string(getpid()) + ".json";
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  try {
    (void)sweinfer::dataset::LoadPredictions(path);
  } catch (const sweinfer::Error&) {
  }
  return 0;
}
