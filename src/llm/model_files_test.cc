// Loading the published layouts: Meta checkpoints (fixture written by torch, and a random model split
// across two model-parallel shards by hand), Hugging Face directories with torch .bin shards, and
// PEFT adapters in adapter_model.bin: each gives the logits of the same model in safetensors.
#include <gtest/gtest.h>

#include <cmath>

#include "dataset/jsonl.h"
#include "llm/llama.h"
#include "llm/weights.h"
#include "exact_logits.h"
#include "random_llama.h"
#include "test_support.h"
#include "torch_files.h"
#include "util/error.h"

namespace sweinfer::llm {
namespace {

namespace fs = std::filesystem;
using testing::RandomLlama;
using testing::RandomLlamaSpec;
using TorchTensors = std::map<std::string, std::pair<std::vector<int64_t>, std::vector<float>>>;

TEST(ModelFiles, MetaFixtureWrittenByTorchLoadsAndRuns) {
  SWEINFER_REQUIRE_SHARED(shared);
  testing::ScratchDir dir;
  fs::create_symlink(shared + "/models/fixtures/tiny_fair_checkpoint.pt", dir / "consolidated.00.pth");
  testing::WriteFile(dir / "params.json",
                     R"({"dim": 32, "n_layers": 2, "n_heads": 4, "n_kv_heads": 4, "vocab_size": 500, "multiple_of": 256, "norm_eps": 1e-05})");
  LlamaModel m = LoadLlama(dir.path());
  EXPECT_EQ(m.config.vocab_size, 500);
  EXPECT_EQ(m.config.n_layers, 2);
  EXPECT_TRUE(m.config.rope.interleaved);
  EXPECT_EQ(m.weight_dtype(), DType::kF32);
  const auto logits = testing::ExactLogits(m, {1, 7, 42});
  // Every weight is 0.2: every logit of a position is the same finite number.
  for (size_t i = 0; i < logits.size(); ++i) {
    ASSERT_TRUE(std::isfinite(logits[i]));
    ASSERT_FLOAT_EQ(logits[i], logits[i / 500 * 500]);
  }
}

// The random model in Meta's layout (Q/K rows in the interleaved RoPE order), split like a
// two-rank model-parallel checkpoint.
void WriteMeta(const RandomLlama& rm, const fs::path& dir) {
  fs::create_directories(dir);
  const auto& s = rm.spec;
  TorchTensors shards[2];
  auto split = [&](const std::string& name, const std::vector<float>& values, std::vector<int64_t> shape, int dim) {
    if (dim < 0) {
      for (auto& shard : shards) shard[name] = {shape, values};
      return;
    }
    const int64_t rows = shape[0], cols = shape[1];
    const int64_t half = shape[dim] / 2;
    for (int k = 0; k < 2; ++k) {
      std::vector<int64_t> part_shape = shape;
      part_shape[dim] = half;
      std::vector<float> part;
      for (int64_t r = 0; r < rows; ++r) {
        for (int64_t c = 0; c < cols; ++c) {
          if ((dim == 0 ? r : c) / half == k) part.push_back(values[r * cols + c]);
        }
      }
      shards[k][name] = {part_shape, part};
    }
  };
  const int hd = s.head_dim();
  split("tok_embeddings.weight", rm.W("model.embed_tokens.weight"), {s.vocab_size, s.dim}, 1);
  split("norm.weight", rm.W("model.norm.weight"), {s.dim}, -1);
  split("output.weight", rm.tensors.count("lm_head.weight") ? rm.W("lm_head.weight") : rm.W("model.embed_tokens.weight"),
        {s.vocab_size, s.dim}, 0);
  for (int l = 0; l < s.n_layers; ++l) {
    const std::string hf = "model.layers." + std::to_string(l) + ".", meta = "layers." + std::to_string(l) + ".";
    split(meta + "attention_norm.weight", rm.W(hf + "input_layernorm.weight"), {s.dim}, -1);
    split(meta + "ffn_norm.weight", rm.W(hf + "post_attention_layernorm.weight"), {s.dim}, -1);
    split(meta + "attention.wq.weight", testing::PermuteForGguf(rm.W(hf + "self_attn.q_proj.weight"), s.n_heads, hd, s.dim),
          {s.n_heads * hd, s.dim}, 0);
    split(meta + "attention.wk.weight", testing::PermuteForGguf(rm.W(hf + "self_attn.k_proj.weight"), s.n_kv_heads, hd, s.dim),
          {s.n_kv_heads * hd, s.dim}, 0);
    split(meta + "attention.wv.weight", rm.W(hf + "self_attn.v_proj.weight"), {s.n_kv_heads * hd, s.dim}, 0);
    split(meta + "attention.wo.weight", rm.W(hf + "self_attn.o_proj.weight"), {s.dim, s.n_heads * hd}, 1);
    split(meta + "feed_forward.w1.weight", rm.W(hf + "mlp.gate_proj.weight"), {s.hidden_dim, s.dim}, 0);
    split(meta + "feed_forward.w3.weight", rm.W(hf + "mlp.up_proj.weight"), {s.hidden_dim, s.dim}, 0);
    split(meta + "feed_forward.w2.weight", rm.W(hf + "mlp.down_proj.weight"), {s.dim, s.hidden_dim}, 1);
  }
  for (int k = 0; k < 2; ++k) {
    testing::WriteFile((dir / ("consolidated.0" + std::to_string(k) + ".pth")).string(),
                       testing::TorchStateDictBytes(shards[k], "consolidated"));
  }
  dataset::Record params = {{"dim", s.dim}, {"n_layers", s.n_layers}, {"n_heads", s.n_heads}, {"n_kv_heads", s.n_kv_heads},
                            {"vocab_size", -1}, {"multiple_of", 32}, {"norm_eps", 1e-5}, {"rope_theta", s.rope_theta}};
  testing::WriteFile((dir / "params.json").string(), params.dump());
}

TEST(ModelFiles, MetaShardsJoinToTheSameModel) {
  testing::ScratchDir dir;
  RandomLlamaSpec spec;
  spec.tied = false;
  RandomLlama rm = testing::MakeRandomLlama(spec);
  testing::WriteHuggingFace(rm, dir / "hf");
  WriteMeta(rm, dir / "meta");
  const std::vector<int> tokens = {1, 5, 9, 200, 17, 3};
  const auto want = testing::ExactLogits(LoadLlama(dir / "hf"), tokens);
  const auto got = testing::ExactLogits(LoadLlama(dir / "meta"), tokens);
  const double diff = testing::MaxAbsDifference(got, want);
  std::printf("Meta two-shard checkpoint vs safetensors: max |logit difference| = %.3g\n", diff);
  EXPECT_LT(diff, 1e-4);
}

TorchTensors AsTorch(const std::map<std::string, testing::NamedTensor>& tensors) {
  TorchTensors out;
  for (const auto& [name, t] : tensors) out[name] = {t.shape, t.values};
  return out;
}

TEST(ModelFiles, PytorchBinShardsAndAdapterBinLoadLikeSafetensors) {
  testing::ScratchDir dir;
  RandomLlamaSpec spec;
  RandomLlama rm = testing::MakeRandomLlama(spec);
  testing::WriteHuggingFace(rm, dir / "hf");
  testing::WriteLora(rm, dir / "lora", {"q_proj", "down_proj"}, 4, 8.0f, 3);
  // The same model as pytorch_model-0000N-of-00002.bin with an index, in the other directory.
  fs::create_directories(dir / "bin");
  fs::copy_file(dir / "hf/config.json", dir / "bin/config.json");
  TorchTensors parts[2];
  dataset::Record index = {{"weight_map", dataset::Record::object()}};
  int i = 0;
  for (const auto& [name, t] : AsTorch(rm.tensors)) {
    const int shard = i++ % 2;
    parts[shard][name] = t;
    index["weight_map"][name] = "pytorch_model-0000" + std::to_string(shard + 1) + "-of-00002.bin";
  }
  for (int k = 0; k < 2; ++k) {
    testing::WriteFile(dir / ("bin/pytorch_model-0000" + std::to_string(k + 1) + "-of-00002.bin"),
                       testing::TorchStateDictBytes(parts[k], "pytorch_model"));
  }
  testing::WriteFile(dir / "bin/pytorch_model.bin.index.json", index.dump());
  const std::vector<int> tokens = {1, 2, 3, 4, 50, 60};
  // Equal weights; only where the rows lie (the kernels align their loads) may move the last bits.
  EXPECT_LT(testing::MaxAbsDifference(testing::ExactLogits(LoadLlama(dir / "bin"), tokens), testing::ExactLogits(LoadLlama(dir / "hf"), tokens)), 1e-4);
  // The adapter as adapter_model.bin merges exactly as adapter_model.safetensors.
  fs::create_directories(dir / "lora_bin");
  fs::copy_file(dir / "lora/adapter_config.json", dir / "lora_bin/adapter_config.json");
  {
    const std::string bytes = testing::ReadFile(dir / "lora/adapter_model.safetensors");
    TorchTensors adapter;
    for (const auto& [name, view] : ReadSafetensors(bytes, "adapter")) {
      std::vector<float> values(view.size / 4);
      std::memcpy(values.data(), view.data, view.size);
      adapter[name] = {view.shape, values};
    }
    testing::WriteFile(dir / "lora_bin/adapter_model.bin", testing::TorchStateDictBytes(adapter, "adapter_model"));
  }
  LlamaModel a = LoadLlama(dir / "hf"), b = LoadLlama(dir / "hf");
  MergeLora(a, dir / "lora");
  MergeLora(b, dir / "lora_bin");
  EXPECT_LT(testing::MaxAbsDifference(testing::ExactLogits(a, tokens), testing::ExactLogits(b, tokens)), 1e-4);
}

}  // namespace
}  // namespace sweinfer::llm
