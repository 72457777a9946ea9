// convert-model: every source the engine loads, written as safetensors and as GGUF, read back by
// the engine to the same logits; GGUF k-quant mixes typed as llama.cpp types them. (llama.cpp
// itself loads these files in bench/llama_cpp_equality.sh, which compares greedy ids.)
#include "pipelines/convert_model.h"

#include <gtest/gtest.h>

#include <cmath>

#include "llm/llama.h"
#include "llm/model_writer.h"
#include "llm/weights.h"
#include "exact_logits.h"
#include "random_llama.h"
#include "test_support.h"
#include "util/error.h"

namespace sweinfer::pipelines {
namespace {

namespace fs = std::filesystem;
using llm::DType;

std::vector<float> Logits(const llm::LlamaModel& m) { return testing::ExactLogits(m, {1, 7, 42, 99, 3, 250}); }

ConvertModelOptions Options(const std::string& in, const std::string& out, const std::string& to,
                            std::optional<std::string> type = std::nullopt) {
  ConvertModelOptions o;
  o.input = in;
  o.output = out;
  o.to = to;
  o.type = std::move(type);
  o.quiet = true;
  return o;
}

TEST(ConvertModel, SafetensorsAndGgufRoundTripsKeepTheLogits) {
  testing::ScratchDir dir;
  testing::RandomLlamaSpec spec;
  spec.dtype = DType::kBF16;
  const auto rm = testing::MakeRandomLlama(spec);
  testing::WriteHuggingFace(rm, dir / "hf");
  const auto want = Logits(llm::LoadLlama(dir / "hf"));
  // HF -> safetensors (same type: bytes copied) -> the same logits.
  ConvertModel(Options(dir / "hf", dir / "st", "safetensors"));
  EXPECT_LT(testing::MaxAbsDifference(Logits(llm::LoadLlama(dir / "st")), want), 1e-4);  // equal bytes; only alignment differs
  EXPECT_TRUE(fs::exists(dir / "st/tokenizer.json"));
  // HF -> GGUF bf16 (Q/K rows permuted to llama.cpp's order) -> the same numbers.
  ConvertModel(Options(dir / "hf", dir / "m.gguf", "gguf", "bf16"));
  auto gguf = llm::LoadLlama(dir / "m.gguf");
  EXPECT_TRUE(gguf.config.rope.interleaved);
  EXPECT_LT(testing::MaxAbsDifference(Logits(gguf), want), 1e-4);
  // GGUF -> safetensors: Q/K rows back in Hugging Face's order, bytes equal to the original.
  ConvertModel(Options(dir / "m.gguf", dir / "back", "safetensors"));
  {
    const std::string a = testing::ReadFile(dir / "hf/model.safetensors"), b = testing::ReadFile(dir / "back/model.safetensors");
    auto ta = llm::ReadSafetensors(a, "a"), tb = llm::ReadSafetensors(b, "b");
    for (const char* name : {"model.layers.0.self_attn.q_proj.weight", "model.layers.1.self_attn.k_proj.weight",
                             "model.layers.1.mlp.down_proj.weight"}) {
      ASSERT_EQ(ta.at(name).size, tb.at(name).size);
      EXPECT_EQ(0, std::memcmp(ta.at(name).data, tb.at(name).data, ta.at(name).size)) << name;
    }
  }
  EXPECT_LT(testing::MaxAbsDifference(Logits(llm::LoadLlama(dir / "back")), want), 1e-4);
  // Sharded output with an index.
  auto model = llm::LoadLlama(dir / "hf");
  llm::WriteSafetensorsDirectory(model, DType::kF32, dir / "sharded", dir / "hf", 200000);
  EXPECT_TRUE(fs::exists(dir / "sharded/model.safetensors.index.json"));
  int shards = 0;
  for (const auto& e : fs::directory_iterator(dir / "sharded")) shards += e.path().filename().string().rfind("model-0", 0) == 0;
  EXPECT_GE(shards, 2);
  EXPECT_LT(testing::MaxAbsDifference(Logits(llm::LoadLlama(dir / "sharded")), want), 1e-4);
}

TEST(ConvertModel, GgufQuantMixesAndAdapters) {
  testing::ScratchDir dir;
  testing::RandomLlamaSpec spec;
  spec.dim = 256;
  spec.hidden_dim = 512;
  spec.n_heads = 4;
  spec.n_kv_heads = 2;
  spec.n_layers = 8;
  spec.dtype = DType::kBF16;
  const auto rm = testing::MakeRandomLlama(spec);
  testing::WriteHuggingFace(rm, dir / "hf");
  testing::WriteLora(rm, dir / "lora", {"q_proj", "down_proj"}, 4, 8.0f, 9);
  ConvertModelOptions o = Options(dir / "hf", dir / "q.gguf", "gguf", "q4_k_m");
  o.peft_path = dir / "lora";
  ConvertModel(o);
  // What was written equals the merged model quantized in memory by the same recipe.
  auto in_memory = llm::LoadLlama(dir / "hf");
  llm::MergeLora(in_memory, dir / "lora");
  llm::QuantizeModel(in_memory, llm::ParseQuantRecipe("q4_k_m"));
  auto written = llm::LoadLlama(dir / "q.gguf");
  EXPECT_EQ(written.layers[0].wv.dtype, DType::kQ6_K);
  EXPECT_EQ(written.layers[1].wv.dtype, DType::kQ4_K);
  EXPECT_EQ(written.layers[3].w_down.dtype, DType::kQ6_K);
  EXPECT_EQ(written.output.dtype, DType::kQ6_K);
  EXPECT_EQ(written.embed.dtype, DType::kQ4_K);
  // Same blocks for the matrices RoPE does not touch (V is not permuted).
  ASSERT_EQ(written.layers[2].wv.bytes(), in_memory.layers[2].wv.bytes());
  EXPECT_EQ(0, std::memcmp(written.layers[2].wv.data, in_memory.layers[2].wv.data, written.layers[2].wv.bytes()));
  EXPECT_LT(testing::MaxAbsDifference(Logits(written), Logits(in_memory)), 0.02 * 40);
  // The vocabulary is embedded (the tokenizer.json's pieces, bytes typed as bytes).
  const llm::GgufVocabulary v = llm::ReadVocabulary(dir / "q.gguf");
  EXPECT_EQ(static_cast<int>(v.tokens.size()), spec.vocab_size);
  EXPECT_EQ(v.tokens[3], "<0x00>");
  EXPECT_EQ(v.types[3], 6);
  EXPECT_THROW(ConvertModel(Options(dir / "hf", dir / "x", "safetensors", "q4_k_m")), Error);
  EXPECT_THROW(ConvertModel(Options(dir / "hf", dir / "x", "onnx")), Error);
}

TEST(ConvertModel, StoriesGgufFromLlamaCppToSafetensorsAndBack) {
  SWEINFER_REQUIRE_SHARED(shared);
  testing::ScratchDir dir;
  const std::string source = shared + "/models/fixtures/stories260K.llamacpp.gguf";
  const auto want = Logits(llm::LoadLlama(source));
  ConvertModel(Options(source, dir / "st", "safetensors"));
  EXPECT_LT(testing::MaxAbsDifference(Logits(llm::LoadLlama(dir / "st")), want), 1e-4);
  // The vocabulary of llama.cpp's own file survives the trip through GGUF -> GGUF.
  ConvertModel(Options(source, dir / "copy.gguf", "gguf", "f32"));
  const auto a = llm::ReadVocabulary(source), b = llm::ReadVocabulary(dir / "copy.gguf");
  EXPECT_EQ(a.tokens, b.tokens);
  EXPECT_EQ(a.scores, b.scores);
  EXPECT_EQ(a.types, b.types);
  EXPECT_LT(testing::MaxAbsDifference(Logits(llm::LoadLlama(dir / "copy.gguf")), want), 1e-5);
}

}  // namespace
}  // namespace sweinfer::pipelines
