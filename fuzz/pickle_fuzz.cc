// libFuzzer target: a weights file's data.pkl is untrusted; any byte string gives a value tree or an
// Error, never a crash, a hang, a leak (cycles included) or a call of anything.
#include <cstdint>
#include <string_view>

#include "torch/pickle.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto result = sweinfer::torch::Unpickle(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
    volatile size_t sink = result.arena.size();
    (void)sink;
  } catch (const sweinfer::Error&) {
  }
  return 0;
}
