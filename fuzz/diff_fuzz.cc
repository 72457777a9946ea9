// libFuzzer target: unified-diff parsing and patch extraction on arbitrary (valid UTF-8) text.
#include <cstdint>
#include <string>

#include "patch/extract.h"
#include "patch/unified_diff.h"
#include "text/python_str.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text = sweinfer::text::Utf8Replace(std::string_view(reinterpret_cast<const char*>(data), size));
  try {
    (void)sweinfer::patch::ParsePatchSet(text);
  } catch (const sweinfer::patch::PatchParseError&) {
  }
  auto extracted = sweinfer::patch::ExtractDiff(std::string_view(text));
  try {
    (void)sweinfer::patch::RepairPatch(extracted);
    (void)sweinfer::patch::ExtractMinimalPatch(extracted);
  } catch (const sweinfer::patch::PatchExtractError&) {
  }
  return 0;
}
