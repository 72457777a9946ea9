// libFuzzer target: torch.save archives are untrusted; the zip directory, the pickle and the storage
// references give an Error or tensors whose bytes lie inside the input.
#include <cstdint>
#include <string_view>

#include "torch/checkpoint.h"
#include "torch/zip_archive.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    sweinfer::torch::ZipArchive zip(bytes, "fuzz");
    for (const auto& e : zip.entries()) {
      if (e.method == 0) (void)zip.Stored(e);
    }
  } catch (const sweinfer::Error&) {
  }
  try {
    auto checkpoint = sweinfer::torch::ReadCheckpoint(bytes, "fuzz");
    volatile uint8_t sink = 0;
    for (const auto& [name, t] : checkpoint.tensors) {
      for (char c : t.bytes) sink = sink ^ static_cast<uint8_t>(c);
    }
  } catch (const sweinfer::Error&) {
  }
  return 0;
}
