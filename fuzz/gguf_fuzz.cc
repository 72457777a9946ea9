// libFuzzer target: GGUF headers (metadata, tensor infos) are untrusted; a bad one gives an
// Error, and every tensor view handed out lies inside the input.
#include <cstdint>
#include <string_view>

#include "llm/weights.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto file = sweinfer::llm::ReadGguf(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
    volatile uint8_t sink = 0;
    for (const auto& [name, t] : file.tensors) {
      for (size_t i = 0; i < t.size; ++i) sink = sink ^ t.data[i];
      if (t.shape.size() == 2 && t.elements() > 0 && t.elements() < 4096) (void)sweinfer::llm::ToFloats(t.AsMatrix(name));
    }
  } catch (const sweinfer::Error&) {
  }
  return 0;
}
