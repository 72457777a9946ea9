// libFuzzer target: the JSON Lines record reader must reject bad input with an Error, never crash.
#include <cstdint>
#include <string_view>

#include "dataset/jsonl.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    try {
      auto record = sweinfer::dataset::ParseRecord(text.substr(start, nl - start), "fuzz:1");
      (void)sweinfer::dataset::DumpRecord(record);
    } catch (const sweinfer::Error&) {
    }
    start = nl + 1;
  }
  return 0;
}
