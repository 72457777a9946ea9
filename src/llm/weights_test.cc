#include "llm/weights.h"

#include <gtest/gtest.h>

#include <cstring>

#include "util/error.h"

namespace sweinfer::llm {
namespace {

TEST(Weights, LyingHeadersAreErrors) {
  std::string bad_size(8, '\0');
  uint64_t huge = 1ull << 40;
  std::memcpy(bad_size.data(), &huge, 8);
  EXPECT_THROW(ReadSafetensors(bad_size, "bad.safetensors"), Error);
  std::string header = R"({"w": {"dtype": "F32", "shape": [4, 4], "data_offsets": [0, 64]}})";
  std::string file(8, '\0');
  uint64_t n = header.size();
  std::memcpy(file.data(), &n, 8);
  file += header + std::string(16, '\0');  // 16 bytes of data where 64 are promised
  EXPECT_THROW(ReadSafetensors(file, "short.safetensors"), Error);
  EXPECT_THROW(ReadGguf("GGUF\x03\0\0\0", "cut.gguf"), Error);
}

TEST(Weights, HalfAndBFloat16) {
  EXPECT_EQ(HalfToFloat(0x3C00), 1.0f);
  EXPECT_EQ(HalfToFloat(0xC000), -2.0f);
  EXPECT_EQ(BFloat16ToFloat(0x3F80), 1.0f);
}

}  // namespace
}  // namespace sweinfer::llm
