#include "llm/memory.h"

#include <gtest/gtest.h>

#include "util/error.h"

namespace sweinfer::llm {
namespace {

// A model of the given shape whose matrices have no bytes behind them (only shapes are read).
LlamaModel Shape(int dim, int hidden, int layers, int heads, int kv_heads, int vocab) {
  LlamaModel m;
  m.config.dim = dim;
  m.config.hidden_dim = hidden;
  m.config.n_layers = layers;
  m.config.n_heads = heads;
  m.config.n_kv_heads = kv_heads;
  m.config.head_dim = dim / heads;
  m.config.vocab_size = vocab;
  auto matrix = [](int64_t rows, int64_t cols) { return Matrix{DType::kBF16, rows, cols, nullptr, nullptr}; };
  static const uint8_t kTwoPlaces[2] = {0, 0};
  m.embed = matrix(vocab, dim);
  m.embed.data = kTwoPlaces;
  m.output = matrix(vocab, dim);
  m.output.data = kTwoPlaces + 1;  // not tied
  m.final_norm.resize(dim);
  const int kv = kv_heads * (dim / heads);
  for (int l = 0; l < layers; ++l) {
    LlamaLayer L;
    L.attn_norm.resize(dim);
    L.ffn_norm.resize(dim);
    L.wq = matrix(dim, dim);
    L.wk = matrix(kv, dim);
    L.wv = matrix(kv, dim);
    L.wo = matrix(dim, dim);
    L.w_gate = matrix(hidden, dim);
    L.w_up = matrix(hidden, dim);
    L.w_down = matrix(dim, hidden);
    m.layers.push_back(std::move(L));
  }
  return m;
}

constexpr uint64_t kGiB = uint64_t{1} << 30;

TEST(Memory, CodeLlama7bAnd13bShapes) {
  const LlamaModel seven = Shape(4096, 11008, 32, 32, 32, 32016);
  const MemoryNeeds bf16 = EstimateMemory(seven, std::nullopt, 4096);
  EXPECT_EQ(bf16.parameters, 6738546688);  // CodeLlama-7B's published count
  EXPECT_EQ(bf16.weight_bytes, 2 * 6738546688ull - 2 * (32 * 2 + 1) * 4096ull + 4 * (32 * 2 + 1) * 4096ull);
  EXPECT_EQ(bf16.kv_bytes_per_token, 524288u);  // 0.5 MiB per token
  EXPECT_NO_THROW(CheckFits(bf16, 24 * kGiB));
  const MemoryNeeds q4 = EstimateMemory(seven, ParseQuantRecipe("q4_k_m"), 4096);
  EXPECT_LT(q4.weight_bytes, 4.2 * kGiB);
  EXPECT_GT(q4.weight_bytes, 3.6 * kGiB);
  // 13B in bf16 does not fit 24 GiB; the error names the figures and the recipe that fits.
  const LlamaModel thirteen = Shape(5120, 13824, 40, 40, 40, 32000);
  const MemoryNeeds big = EstimateMemory(thirteen, std::nullopt, 4096);
  try {
    CheckFits(big, 24 * kGiB);
    FAIL();
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("13015864320 parameters as BF16"), std::string::npos) << what;
    EXPECT_NE(what.find("--quantize q8_0"), std::string::npos) << what;
  }
  EXPECT_NO_THROW(CheckFits(EstimateMemory(thirteen, ParseQuantRecipe("q8_0"), 4096), 24 * kGiB));
  try {
    CheckFits(big, 2 * kGiB);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no --quantize recipe fits"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace sweinfer::llm
