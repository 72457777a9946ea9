#include "llm/llama.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>

#include "dataset/jsonl.h"
#include "llm/weights.h"
#include "random_llama.h"
#include "test_support.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"

namespace sweinfer::llm {
namespace {

using testing::RandomLlama;
using testing::RandomLlamaSpec;

// ---- A plain reference: the whole sequence recomputed in double precision for every call ----

std::vector<double> MatVec(const std::vector<float>& w, const std::vector<double>& x, int rows, int cols) {
  std::vector<double> y(rows);
  for (int r = 0; r < rows; ++r) {
    double s = 0;
    for (int c = 0; c < cols; ++c) s += static_cast<double>(w[static_cast<size_t>(r) * cols + c]) * x[c];
    y[r] = s;
  }
  return y;
}

std::vector<double> Norm(const std::vector<double>& x, const std::vector<float>& w) {
  double ss = 0;
  for (double v : x) ss += v * v;
  const double scale = 1.0 / std::sqrt(ss / x.size() + 1e-5);
  std::vector<double> out(x.size());
  for (size_t i = 0; i < x.size(); ++i) out[i] = w[i] * x[i] * scale;
  return out;
}

// Hugging Face's rotate_half RoPE.
void Rotate(std::vector<double>& v, int heads, int hd, int pos, const RandomLlamaSpec& s) {
  for (int h = 0; h < heads; ++h) {
    for (int i = 0; i < hd / 2; ++i) {
      const double freq = 1.0 / std::pow(static_cast<double>(s.rope_theta), 2.0 * i / hd);
      const double angle = pos / static_cast<double>(s.rope_scale) * freq;
      double& a = v[h * hd + i];
      double& b = v[h * hd + i + hd / 2];
      const double x0 = a, x1 = b;
      a = x0 * std::cos(angle) - x1 * std::sin(angle);
      b = x0 * std::sin(angle) + x1 * std::cos(angle);
    }
  }
}

// Logits of every position (tokens.size() x vocab).
std::vector<std::vector<double>> ReferenceLogits(const RandomLlama& m, const std::vector<int>& tokens) {
  const auto& s = m.spec;
  const int hd = s.head_dim(), q_dim = s.n_heads * hd, kv_dim = s.n_kv_heads * hd, T = static_cast<int>(tokens.size());
  std::vector<std::vector<double>> x(T);
  for (int t = 0; t < T; ++t) {
    const auto& e = m.W("model.embed_tokens.weight");
    x[t].assign(e.begin() + static_cast<size_t>(tokens[t]) * s.dim, e.begin() + static_cast<size_t>(tokens[t] + 1) * s.dim);
  }
  for (int l = 0; l < s.n_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    std::vector<std::vector<double>> q(T), k(T), v(T);
    for (int t = 0; t < T; ++t) {
      auto xn = Norm(x[t], m.W(p + "input_layernorm.weight"));
      q[t] = MatVec(m.W(p + "self_attn.q_proj.weight"), xn, q_dim, s.dim);
      k[t] = MatVec(m.W(p + "self_attn.k_proj.weight"), xn, kv_dim, s.dim);
      v[t] = MatVec(m.W(p + "self_attn.v_proj.weight"), xn, kv_dim, s.dim);
      Rotate(q[t], s.n_heads, hd, t, s);
      Rotate(k[t], s.n_kv_heads, hd, t, s);
    }
    for (int t = 0; t < T; ++t) {
      std::vector<double> att(q_dim, 0.0);
      for (int h = 0; h < s.n_heads; ++h) {
        const int kvh = h / (s.n_heads / s.n_kv_heads);
        std::vector<double> w(t + 1);
        double mx = -1e300, sum = 0;
        for (int u = 0; u <= t; ++u) {
          double d = 0;
          for (int i = 0; i < hd; ++i) d += q[t][h * hd + i] * k[u][kvh * hd + i];
          w[u] = d / std::sqrt(static_cast<double>(hd));
          mx = std::max(mx, w[u]);
        }
        for (auto& wu : w) sum += (wu = std::exp(wu - mx));
        for (int u = 0; u <= t; ++u)
          for (int i = 0; i < hd; ++i) att[h * hd + i] += w[u] / sum * v[u][kvh * hd + i];
      }
      auto o = MatVec(m.W(p + "self_attn.o_proj.weight"), att, s.dim, q_dim);
      for (int i = 0; i < s.dim; ++i) x[t][i] += o[i];
      auto xn = Norm(x[t], m.W(p + "post_attention_layernorm.weight"));
      auto g = MatVec(m.W(p + "mlp.gate_proj.weight"), xn, s.hidden_dim, s.dim);
      auto up = MatVec(m.W(p + "mlp.up_proj.weight"), xn, s.hidden_dim, s.dim);
      for (int i = 0; i < s.hidden_dim; ++i) g[i] = g[i] / (1 + std::exp(-g[i])) * up[i];
      auto d = MatVec(m.W(p + "mlp.down_proj.weight"), g, s.dim, s.hidden_dim);
      for (int i = 0; i < s.dim; ++i) x[t][i] += d[i];
    }
  }
  std::vector<std::vector<double>> logits(T);
  const auto& out = m.W(s.tied ? "model.embed_tokens.weight" : "lm_head.weight");
  for (int t = 0; t < T; ++t) logits[t] = MatVec(out, Norm(x[t], m.W("model.norm.weight")), s.vocab_size, s.dim);
  return logits;
}

std::vector<int> ReferenceGreedy(const RandomLlama& m, std::vector<int> tokens, int n) {
  std::vector<int> out;
  for (int i = 0; i < n; ++i) {
    auto logits = ReferenceLogits(m, tokens).back();
    int next = static_cast<int>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    if (next == 2) break;
    out.push_back(next);
    tokens.push_back(next);
  }
  return out;
}

std::vector<int> Prompt(int n, int vocab, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int> t{1};
  while (static_cast<int>(t.size()) < n) t.push_back(3 + static_cast<int>(rng() % (vocab - 3)));
  return t;
}

double MaxError(const std::vector<float>& got, const std::vector<std::vector<double>>& want, int vocab) {
  double err = 0;
  for (size_t t = 0; t < want.size(); ++t)
    for (int v = 0; v < vocab; ++v) err = std::max(err, std::fabs(got[t * vocab + v] - want[t][v]));
  return err;
}

struct Shape {
  const char* name;
  RandomLlamaSpec spec;
  double bound;  // max |logit - reference|; logits here are of order 1-10
};

std::vector<Shape> Shapes() {
  std::vector<Shape> shapes;
  RandomLlamaSpec gqa;  // 8 query heads over 2 KV heads, untied, F32, f32 KV cache
  shapes.push_back({"gqa_f32_untied", gqa, 2e-4});
  RandomLlamaSpec mha;  // multi-head, tied, BF16 weights, f16 KV cache, FFN width not a multiple of 16
  mha.dim = 128;
  mha.n_heads = mha.n_kv_heads = 4;
  mha.hidden_dim = 200;
  mha.tied = true;
  mha.dtype = DType::kBF16;
  mha.seed = 2;
  shapes.push_back({"mha_bf16_tied", mha, 2e-2});
  RandomLlamaSpec f16;  // one KV head, F16, linear RoPE scaling and a large theta
  f16.dim = 96;
  f16.n_heads = 3;
  f16.n_kv_heads = 1;
  f16.hidden_dim = 160;
  f16.n_layers = 3;
  f16.dtype = DType::kF16;
  f16.rope_theta = 500000;
  f16.rope_scale = 2;
  f16.seed = 3;
  shapes.push_back({"mqa_f16_rope_scaled", f16, 2e-2});
  return shapes;
}

class EngineVsReference : public ::testing::TestWithParam<Shape> {};

TEST_P(EngineVsReference, LogitsKvCacheAndGreedy) {
  const Shape& shape = GetParam();
  testing::ScratchDir dir;
  RandomLlama rm = testing::MakeRandomLlama(shape.spec);
  testing::WriteHuggingFace(rm, dir / "hf");
  LlamaModel model = LoadLlama(dir / "hf");
  EXPECT_EQ(model.weight_dtype(), shape.spec.dtype);
  const int vocab = shape.spec.vocab_size;
  const auto tokens = Prompt(40, vocab, 7);
  const auto want = ReferenceLogits(rm, tokens);

  // Batched prefill in uneven chunks, two threads.
  SessionOptions chunked;
  chunked.threads = 2;
  chunked.prefill_chunk = 7;
  LlamaSession batch(model, 64, chunked);
  const auto all = batch.ForwardAll(tokens);
  const double err = MaxError(all, want, vocab);
  std::printf("%s: prefill max |logit - reference| = %.3g (bound %.0e)\n", shape.name, err, shape.bound);
  EXPECT_LT(err, shape.bound);

  // Token-by-token decoding through the KV cache gives the recomputed logits.
  LlamaSession one(model, 64, 1);
  std::vector<float> stepwise;
  for (int t : tokens) {
    const auto& l = one.Forward(t);
    stepwise.insert(stepwise.end(), l.begin(), l.end());
  }
  const double step_err = MaxError(stepwise, want, vocab);
  std::printf("%s: KV-cache decode max |logit - reference| = %.3g\n", shape.name, step_err);
  EXPECT_LT(step_err, shape.bound);
  double vs_batch = 0;
  for (size_t i = 0; i < all.size(); ++i) vs_batch = std::max<double>(vs_batch, std::fabs(all[i] - stepwise[i]));
  EXPECT_LT(vs_batch, shape.bound / 4);

  // Greedy continuation equals the reference's argmax over full recomputation.
  const std::vector<int> prompt(tokens.begin(), tokens.begin() + 12);
  EXPECT_EQ(GenerateGreedy(model, prompt, 16, 2), ReferenceGreedy(rm, prompt, 16));
}

INSTANTIATE_TEST_SUITE_P(Shapes, EngineVsReference, ::testing::ValuesIn(Shapes()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Llama, WeightsStayMappedInTheirStoredType) {
  testing::ScratchDir dir;
  RandomLlamaSpec spec;
  spec.dtype = DType::kBF16;
  RandomLlama rm = testing::MakeRandomLlama(spec);
  testing::WriteHuggingFace(rm, dir / "hf");
  LlamaModel model = LoadLlama(dir / "hf");
  ASSERT_EQ(model.files.size(), 1u);
  const auto bytes = model.files[0]->bytes();
  const auto* begin = reinterpret_cast<const uint8_t*>(bytes.data());
  for (const auto& L : model.layers) {
    for (const Matrix* w : L.matrices()) {
      EXPECT_EQ(w->dtype, DType::kBF16);
      EXPECT_FALSE(w->owned);
      EXPECT_GE(w->data, begin);
      EXPECT_LE(w->data + w->bytes(), begin + bytes.size());
    }
  }
  // All of the file but its header is weights.
  EXPECT_GT(model.WeightBytes(), bytes.size() * 9 / 10);
  LlamaSession session(model, 100, 1);
  const size_t kv_dim = static_cast<size_t>(spec.n_kv_heads) * spec.head_dim();
  EXPECT_EQ(session.KvCacheBytes(), 2u * spec.n_layers * 128 * kv_dim * 2);  // f16, positions in tiles of 32
}

TEST(Llama, ShardedSafetensorsLoadAsOne) {
  testing::ScratchDir dir;
  RandomLlama rm = testing::MakeRandomLlama(RandomLlamaSpec{});
  testing::WriteHuggingFace(rm, dir / "one");
  testing::WriteHuggingFace(rm, dir / "two", 2);
  ASSERT_TRUE(std::filesystem::exists(dir / "two/model.safetensors.index.json"));
  const auto tokens = Prompt(10, 300, 3);
  auto model_two = LoadLlama(dir / "two");
  EXPECT_EQ(model_two.files.size(), 2u);
  auto model_one = LoadLlama(dir / "one");
  LlamaSession s1(model_one, 16, 1), s2(model_two, 16, 1);
  EXPECT_EQ(s1.ForwardAll(tokens), s2.ForwardAll(tokens));
}

TEST(Llama, GgufAndSafetensorsOfTheSameWeightsAgree) {
  for (DType type : {DType::kF32, DType::kBF16, DType::kF16}) {
    testing::ScratchDir dir;
    RandomLlamaSpec spec;
    spec.dtype = type;
    spec.tied = type == DType::kF16;
    RandomLlama rm = testing::MakeRandomLlama(spec);
    testing::WriteHuggingFace(rm, dir / "hf");
    testing::WriteGguf(rm, dir / "m.gguf", type);
    auto hf = LoadLlama(dir / "hf");
    auto gguf = LoadLlama(dir / "m.gguf");
    EXPECT_TRUE(gguf.config.rope.interleaved);
    EXPECT_EQ(gguf.weight_dtype(), type);
    const auto tokens = Prompt(30, 300, 5);
    // An f32 KV cache: the comparison is of the weight paths, and an f16 cache would round the two
    // runs' last-bit differences (from the two RoPE layouts) into whole f16 steps, by chance.
    SessionOptions exact;
    exact.threads = 2;
    exact.kv_dtype = DType::kF32;
    LlamaSession a(hf, 32, exact), b(gguf, 32, exact);
    const auto la = a.ForwardAll(tokens), lb = b.ForwardAll(tokens);
    double err = 0;
    for (size_t i = 0; i < la.size(); ++i) err = std::max<double>(err, std::fabs(la[i] - lb[i]));
    std::printf("%s: GGUF vs safetensors max |logit difference| = %.3g\n", DTypeName(type).c_str(), err);
    EXPECT_LT(err, 1e-4);
  }
}

// Every matrix whose rows are whole Q8_0 blocks, rounded through Q8_0 as QuantizeModel stores it.
RandomLlama RoundThroughQ8(RandomLlama m) {
  for (auto& [name, t] : m.tensors) {
    if (t.shape.size() != 2 || t.shape[1] % 32) continue;
    std::vector<uint8_t> row(RowBytes(DType::kQ8_0, t.shape[1]));
    Matrix one{DType::kQ8_0, 1, t.shape[1], row.data(), nullptr};
    for (int64_t r = 0; r < t.shape[0]; ++r) {
      FloatToRow(t.values.data() + r * t.shape[1], t.shape[1], DType::kQ8_0, row.data());
      RowToFloat(one, 0, t.values.data() + r * t.shape[1]);
    }
  }
  return m;
}

TEST(Llama, QuantizedQ8MatchesReferenceOnQuantizedWeightsAndGgufQ8) {
  testing::ScratchDir dir;
  RandomLlamaSpec spec;
  spec.dtype = DType::kBF16;
  RandomLlama rm = testing::MakeRandomLlama(spec);
  testing::WriteHuggingFace(rm, dir / "hf");
  testing::WriteGguf(rm, dir / "q8.gguf", DType::kQ8_0);
  auto model = LoadLlama(dir / "hf");
  const size_t bf16_bytes = model.WeightBytes();
  QuantizeModel(model, DType::kQ8_0);
  EXPECT_EQ(model.weight_dtype(), DType::kQ8_0);
  EXPECT_TRUE(model.files.empty());  // every matrix converted: the mapping is released
  EXPECT_LT(model.WeightBytes(), bf16_bytes * 6 / 10);
  const auto tokens = Prompt(30, 300, 9);
  const auto want = ReferenceLogits(RoundThroughQ8(rm), tokens);
  LlamaSession s(model, 32, 2);
  const auto got = s.ForwardAll(tokens);
  const double err = MaxError(got, want, 300);
  std::printf("q8: max |logit - reference on Q8_0 weights| = %.3g\n", err);
  // Decoding (and these logits, computed 8 rows at a time) quantizes the activations to Q8_0 as
  // llama.cpp does, which the float reference does not: about 0.5% of the logits' scale (~20).
  EXPECT_LT(err, 0.25);
  // llama.cpp's Q8_0 file of the same weights: the same numbers (both with an f32 KV cache, which
  // leaves the two RoPE layouts' last-bit differences unrounded; see GgufAndSafetensors...).
  auto gguf = LoadLlama(dir / "q8.gguf");
  EXPECT_EQ(gguf.weight_dtype(), DType::kQ8_0);
  SessionOptions exact;
  exact.threads = 2;
  exact.kv_dtype = DType::kF32;
  LlamaSession q(model, 32, exact), g(gguf, 32, exact);
  const auto got_exact = q.ForwardAll(tokens);
  const auto from_gguf = g.ForwardAll(tokens);
  double diff = 0;
  for (size_t i = 0; i < got_exact.size(); ++i) diff = std::max<double>(diff, std::fabs(got_exact[i] - from_gguf[i]));
  EXPECT_LT(diff, 1e-4);
}

// Every matrix rounded through the type `recipe` gives it, as QuantizeModel stores it.
RandomLlama RoundThrough(RandomLlama m, const QuantRecipe& recipe) {
  const std::pair<const char*, const char*> roles[] = {{"q_proj", "wq"},   {"k_proj", "wk"},    {"v_proj", "wv"},
                                                      {"o_proj", "wo"},   {"gate_proj", "w_gate"},
                                                      {"up_proj", "w_up"}, {"down_proj", "w_down"}};
  for (auto& [name, t] : m.tensors) {
    if (t.shape.size() != 2) continue;
    std::string role = name == "lm_head.weight" ? "output" : "embed";
    int layer = 0;
    for (const auto& [module, r] : roles) {
      if (name.find(module) != std::string::npos) {
        role = r;
        layer = std::stoi(name.substr(std::string("model.layers.").size()));
      }
    }
    const DType type = recipe.TypeFor(role, layer, m.spec.n_layers, t.shape[1]);
    std::vector<uint8_t> row(RowBytes(type, t.shape[1]));
    Matrix one{type, 1, t.shape[1], row.data(), nullptr};
    for (int64_t r = 0; r < t.shape[0]; ++r) {
      FloatToRow(t.values.data() + r * t.shape[1], t.shape[1], type, row.data());
      RowToFloat(one, 0, t.values.data() + r * t.shape[1]);
    }
  }
  return m;
}

TEST(Llama, KQuantMixesFollowLlamaCppAndMatchTheReferenceOnTheirWeights) {
  testing::ScratchDir dir;
  RandomLlamaSpec spec;
  spec.dim = 256;
  spec.hidden_dim = 512;
  spec.n_layers = 8;
  spec.n_heads = 4;
  spec.n_kv_heads = 2;
  spec.dtype = DType::kBF16;
  RandomLlama rm = testing::MakeRandomLlama(spec);
  testing::WriteHuggingFace(rm, dir / "hf");
  for (const char* name : {"q4_k_m", "q5_k_m", "q4_0", "q6_k"}) {
    const QuantRecipe recipe = ParseQuantRecipe(name);
    auto model = LoadLlama(dir / "hf");
    QuantizeModel(model, recipe);
    if (recipe.mixed) {
      // use_more_bits for 8 layers: 0, 3, 6 and 7 get Q6_K for attn_v and ffn_down.
      for (int l = 0; l < 8; ++l) {
        const DType want = l == 0 || l == 3 || l == 6 || l == 7 ? DType::kQ6_K : recipe.base;
        EXPECT_EQ(model.layers[l].wv.dtype, want) << name << " layer " << l;
        EXPECT_EQ(model.layers[l].w_down.dtype, want) << name << " layer " << l;
        EXPECT_EQ(model.layers[l].wq.dtype, recipe.base);
      }
      EXPECT_EQ(model.output.dtype, DType::kQ6_K);
    }
    const auto tokens = Prompt(20, spec.vocab_size, 4);
    const auto want = ReferenceLogits(RoundThrough(rm, recipe), tokens);
    LlamaSession s(model, 24, 2);
    const double err = MaxError(s.ForwardAll(tokens), want, spec.vocab_size);
    double scale = 0;
    for (const auto& row : want) {
      for (double v : row) scale = std::max(scale, std::fabs(v));
    }
    std::printf("%s: max |logit - reference on the same quantized weights| = %.3g (largest logit %.3g)\n", name, err,
                scale);
    // What remains is the activations' 8-bit rounding in the integer dot products of decoding (one
    // scale per 256 values for the k-quants, as llama.cpp's Q8_K).
    EXPECT_LT(err, 0.02 * scale) << name;
  }
  EXPECT_THROW(ParseQuantRecipe("q3_k"), Error);
}

TEST(Llama, LoraAdapterMergesAsTheDenseUpdate) {
  for (DType type : {DType::kF32, DType::kBF16}) {
    testing::ScratchDir dir;
    RandomLlamaSpec spec;
    spec.dtype = type;
    RandomLlama rm = testing::MakeRandomLlama(spec);
    testing::WriteHuggingFace(rm, dir / "hf");
    auto updates = testing::WriteLora(rm, dir / "lora", {"q_proj", "v_proj", "o_proj", "down_proj"}, 4, 8.0f, 11);
    RandomLlama merged = rm;
    for (const auto& [name, delta] : updates) {
      auto& w = merged.tensors.at(name).values;
      for (size_t i = 0; i < w.size(); ++i) w[i] = testing::RoundTo(w[i] + delta[i], type);
    }
    auto model = LoadLlama(dir / "hf");
    MergeLora(model, dir / "lora");
    EXPECT_EQ(model.weight_dtype(), type);
    EXPECT_TRUE(model.layers[0].wq.owned);
    EXPECT_FALSE(model.layers[0].wk.owned);  // not a target: still mapped
    const auto tokens = Prompt(24, 300, 13);
    LlamaSession s(model, 32, 2);
    const auto logits = s.ForwardAll(tokens);
    const double err = MaxError(logits, ReferenceLogits(merged, tokens), 300);
    const double base_err = MaxError(logits, ReferenceLogits(rm, tokens), 300);
    std::printf("%s + LoRA: max |logit - reference| = %.3g (without the adapter: %.3g)\n", DTypeName(type).c_str(), err, base_err);
    EXPECT_LT(err, type == DType::kF32 ? 2e-4 : 3e-2);
    EXPECT_GT(base_err, 10 * err);  // the adapter really changed the model
  }
  testing::ScratchDir dir;
  RandomLlama rm = testing::MakeRandomLlama(RandomLlamaSpec{});
  testing::WriteHuggingFace(rm, dir / "hf");
  auto model = LoadLlama(dir / "hf");
  EXPECT_THROW(MergeLora(model, dir / "missing"), Error);
  RandomLlamaSpec other;
  other.dim = 32;
  other.n_heads = 4;
  testing::WriteLora(testing::MakeRandomLlama(other), dir / "wrong", {"q_proj"}, 2, 2.0f, 1);
  try {
    MergeLora(model, dir / "wrong");
    FAIL() << "a LoRA of another shape merged";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("do not fit"), std::string::npos) << e.what();
  }
}

TEST(Llama, BadModelsAndInputsAreClearErrors) {
  testing::ScratchDir dir;
  RandomLlama rm = testing::MakeRandomLlama(RandomLlamaSpec{});
  testing::WriteHuggingFace(rm, dir / "hf");
  // A config that does not fit the tensors names the tensor.
  auto config = dataset::ParseRecord(testing::ReadFile(dir / "hf/config.json"), "config.json");
  config["intermediate_size"] = 128;
  testing::WriteFile(dir / "hf/config.json", config.dump());
  try {
    LoadLlama(dir / "hf");
    FAIL() << "loaded a model whose tensors do not match its config";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("mlp.gate_proj.weight"), std::string::npos) << e.what();
  }
  EXPECT_THROW(LoadLlama(dir / "nothing"), Error);
  config["intermediate_size"] = 96;
  testing::WriteFile(dir / "hf/config.json", config.dump());
  auto model = LoadLlama(dir / "hf");
  LlamaSession s(model, 4, 1);
  EXPECT_THROW(s.Forward(300), Error);  // outside the vocabulary
  s.Forward(std::vector<int>{1, 5, 6, 7});
  EXPECT_THROW(s.Forward(8), Error);  // past max_len
}

TEST(Llama, TinyTokenizerIsLlamaLike) {
  testing::ScratchDir dir;
  testing::WriteHuggingFace(testing::MakeRandomLlama(RandomLlamaSpec{}), dir / "hf");
  tokenizer::TokenizerOptions options;
  options.tokenizer_path = dir / "hf";
  auto tok = tokenizer::LoadTokenizer("llama", options);
  auto ids = tok->Encode("ab\n\n");
  ASSERT_GE(ids.size(), 2u);
  EXPECT_EQ(ids[ids.size() - 1], 13);
  EXPECT_EQ(ids[ids.size() - 2], 13);
  EXPECT_EQ(tok->Decode(ids), "ab\n\n");
}

// ---- The shared reference model (stories260K: llama2.c's run.c logits) ------------------------

void CheckAgainstStories(const std::string& shared, const std::string& model_path, float bound) {
  const std::string dir = shared + "/models/stories260K";
  auto expected = dataset::ParseRecord(testing::ReadFile(dir + "/expected_greedy.json"), "expected_greedy.json");
  std::vector<int> ids = expected["generated_ids"].get<std::vector<int>>();
  std::string raw = testing::ReadFile(dir + "/logits_bos_greedy.f32");
  ASSERT_EQ(raw.size(), 256u * 512u * 4u);
  LlamaModel model = LoadLlama(model_path);
  ASSERT_EQ(model.config.vocab_size, 512);
  LlamaSession session(model, 512, 2);
  float max_err = 0;
  int token = 1;  // BOS
  for (size_t t = 0; t < 256; ++t) {
    const auto& logits = session.Forward(token);
    for (int v = 0; v < 512; ++v) {
      float want;
      std::memcpy(&want, raw.data() + (t * 512 + v) * 4, 4);
      max_err = std::max(max_err, std::fabs(logits[v] - want));
    }
    token = ids[t];
  }
  std::printf("%s: max |logit - reference| over 256 steps = %.3g\n", model_path.c_str(), max_err);
  EXPECT_LT(max_err, bound);
  auto greedy = GenerateGreedy(model, {1}, 256, 1);
  size_t same = 0;
  while (same < greedy.size() && same < ids.size() && greedy[same] == ids[same]) ++same;
  EXPECT_GE(same, 200u);  // run.c's greedy ids (llama.cpp agrees on the first 200)
}

TEST(Llama, HuggingFaceSafetensorsMatchReferenceLogits) {
  SWEINFER_REQUIRE_SHARED(shared);
  CheckAgainstStories(shared, shared + "/models/stories260K/hf", 1e-4f);
}

TEST(Llama, GgufMatchesReferenceLogits) {
  SWEINFER_REQUIRE_SHARED(shared);
  CheckAgainstStories(shared, shared + "/models/stories260K/stories260K.gguf", 1e-4f);
}

}  // namespace
}  // namespace sweinfer::llm
