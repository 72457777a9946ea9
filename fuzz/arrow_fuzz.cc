// libFuzzer target: the Arrow IPC stream reader treats files as untrusted; bad ones give an Error.
#include <cstdint>
#include <string_view>

#include "dataset/arrow_ipc.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    (void)sweinfer::dataset::ReadArrowBytes(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
  } catch (const sweinfer::Error&) {
  }
  return 0;
}
