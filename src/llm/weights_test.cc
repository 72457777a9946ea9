#include "llm/weights.h"

#include <gtest/gtest.h>

#include <cstring>

#include "random_llama.h"
#include "test_support.h"
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
  try {
    ReadSafetensors(file, "short.safetensors");
    FAIL() << "accepted offsets past the end";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'short.safetensors', tensor 'w'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ReadGguf(std::string("GGUF\x03\0\0\0", 8), "cut.gguf"), Error);
}

TEST(Weights, TensorsAreViewsInTheStoredType) {
  testing::NamedTensor t{{2, 3}, {1, 2, 3, 4, 5, 6}};
  std::string bytes = testing::SafetensorsBytes({{"w", t}}, DType::kBF16);
  auto tensors = ReadSafetensors(bytes, "w.safetensors");
  const TensorView& w = tensors.at("w");
  EXPECT_EQ(w.dtype, DType::kBF16);
  EXPECT_EQ(w.size, 12u);
  EXPECT_GE(reinterpret_cast<const char*>(w.data), bytes.data());
  EXPECT_EQ(ToFloats(w.AsMatrix("w")), t.values);
}

// Every prefix of a real file, and every single-byte corruption of its header, is either read or
// rejected with an Error: never a crash or an out-of-bounds read (run under ASan in `make asan`).
TEST(Weights, EveryTruncationAndHeaderCorruptionIsSafe) {
  testing::ScratchDir dir;
  testing::RandomLlamaSpec spec;
  spec.dim = 32;
  spec.n_heads = 4;
  spec.n_kv_heads = 2;
  spec.hidden_dim = 64;
  spec.n_layers = 1;
  spec.vocab_size = 40;
  auto m = testing::MakeRandomLlama(spec);
  testing::WriteGguf(m, dir / "m.gguf", DType::kQ8_0);
  const std::string gguf = testing::ReadFile(dir / "m.gguf");
  const std::string st = testing::SafetensorsBytes(m.tensors, DType::kF16);
  int rejected = 0;
  for (size_t n = 0; n < gguf.size(); n += (n < 2048 ? 1 : 97)) {
    try {
      ReadGguf(std::string_view(gguf).substr(0, n), "m.gguf");
    } catch (const Error&) {
      ++rejected;
    }
  }
  for (size_t n = 0; n < st.size(); n += (n < 4096 ? 1 : 97)) {
    try {
      ReadSafetensors(std::string_view(st).substr(0, n), "m.safetensors");
    } catch (const Error&) {
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 4000);
  for (size_t i = 0; i < 1200; ++i) {
    for (uint8_t flip : {0x01, 0x80, 0xFF}) {
      std::string bad = gguf;
      bad[i] = static_cast<char>(bad[i] ^ flip);
      try {
        ReadGguf(bad, "m.gguf");
      } catch (const Error&) {
      }
    }
  }
}

TEST(Weights, HalfAndBFloat16) {
  EXPECT_EQ(HalfToFloat(0x3C00), 1.0f);
  EXPECT_EQ(HalfToFloat(0xC000), -2.0f);
  EXPECT_EQ(BFloat16ToFloat(0x3F80), 1.0f);
  EXPECT_EQ(FloatToHalf(1.0f), 0x3C00);
  EXPECT_EQ(FloatToHalf(65504.0f), 0x7BFF);
  EXPECT_EQ(FloatToHalf(1e6f), 0x7C00);
  EXPECT_EQ(FloatToHalf(5.960464477539063e-08f), 0x0001);  // smallest subnormal
  EXPECT_EQ(FloatToBFloat16(1.0f), 0x3F80);
  // Round to nearest even, and every half value survives a round trip.
  EXPECT_EQ(FloatToBFloat16(BFloat16ToFloat(0x3F80) + 0.00390625f / 2), 0x3F80);
  for (uint32_t h = 0; h < 0x7C00; ++h) {
    ASSERT_EQ(FloatToHalf(HalfToFloat(static_cast<uint16_t>(h))), h);
    ASSERT_EQ(FloatToHalf(-HalfToFloat(static_cast<uint16_t>(h))), h | 0x8000);
  }
}

}  // namespace
}  // namespace sweinfer::llm
