// A Llama-architecture model: configuration, weights, loading, LoRA merging, quantisation, and a
// session that runs the forward pass (RMSNorm, RoPE, grouped-query attention, SwiGLU) through a
// Backend with a KV cache and chunked prefill. Loads a Hugging Face directory (config.json +
// safetensors, single or sharded; RoPE in the rotate_half layout) or a GGUF file (RoPE in
// llama.cpp's interleaved layout). Weights stay in their stored type (F32/F16/BF16/Q8_0), mapped
// from the file; only norms are copied to f32.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "llm/backend.h"
#include "llm/tensor.h"

namespace sweinfer::llm {

class MappedFile;

struct LlamaConfig {
  int dim = 0, hidden_dim = 0, n_layers = 0, n_heads = 0, n_kv_heads = 0, vocab_size = 0, head_dim = 0;
  int max_seq_len = 2048;
  float norm_eps = 1e-5f;
  RopeSpec rope;
  int bos_id = 1, eos_id = 2;
};

struct LlamaLayer {
  std::vector<float> attn_norm, ffn_norm;
  Matrix wq, wk, wv, wo, w_gate, w_up, w_down;
  // The seven matrices above, in that order.
  std::vector<const Matrix*> matrices() const;
  std::vector<Matrix*> matrices();
};

struct LlamaModel {
  LlamaConfig config;
  Matrix embed, output;  // output: vocab x dim (the embedding when tied)
  std::vector<float> final_norm;
  std::vector<LlamaLayer> layers;
  std::vector<std::shared_ptr<MappedFile>> files;  // the mappings the matrices point into

  // Bytes of weights a forward pass reads (the output matrix counted once when tied).
  size_t WeightBytes() const;
  // The type of the layer matrices ("BF16", "Q8_0", ...), from the first layer's q_proj.
  DType weight_dtype() const;
};

// A model directory (config.json, *.safetensors or model.safetensors.index.json) or a .gguf file.
LlamaModel LoadLlama(const std::string& path);

// Merges a PEFT LoRA adapter (adapter_config.json: r, lora_alpha, target_modules;
// adapter_model.safetensors) into the weights: W += (lora_alpha / r) * B * A, computed in f32 and
// stored back in each weight's type (as PEFT's merge_and_unload does).
void MergeLora(LlamaModel& model, const std::string& adapter_dir);

// The type each weight matrix gets when a model is quantized. "q8_0" (or "q8"), "q4_0", "q4_1",
// "q5_0", "q5_1", "q4_k", "q5_k", "q6_k", "f16", "bf16": every layer, output and embedding matrix in
// that type. "q4_k_m" and "q5_k_m": llama.cpp's mixes (the output matrix in Q6_K, and attn_v and
// ffn_down in Q6_K for the layers its use_more_bits rule picks). A matrix whose rows are not whole
// blocks takes llama.cpp's fallback (Q4_K -> Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0, then F16).
struct QuantRecipe {
  std::string name;
  DType base = DType::kQ8_0;
  bool mixed = false;  // the _m mixes
  // The type for a matrix; `role` is "output", "embed", "wq".. "w_down", for layer `layer` of `n_layers`.
  DType TypeFor(const std::string& role, int layer, int n_layers, int64_t cols) const;
};
QuantRecipe ParseQuantRecipe(const std::string& name);

// Converts every layer, output and embedding matrix as `recipe` says and releases file mappings no
// longer needed.
void QuantizeModel(LlamaModel& model, const QuantRecipe& recipe);
void QuantizeModel(LlamaModel& model, DType type);

struct SessionOptions {
  int threads = 1;              // for the CPU backend made when `backend` is null; <= 0: physical cores
  Backend* backend = nullptr;   // shared, not owned
  int prefill_chunk = 512;      // tokens per batched forward pass (llama.cpp's ubatch)
  std::optional<DType> kv_dtype;  // default: F32 for F32 models, else F16
};

// One sequence: the KV cache and scratch buffers, sized for `max_len` positions.
class LlamaSession {
 public:
  LlamaSession(const LlamaModel& model, int max_len, const SessionOptions& options);
  LlamaSession(const LlamaModel& model, int max_len, int threads = 1);
  ~LlamaSession();

  // Feeds tokens at the next positions (in chunks) and returns the last token's logits.
  const std::vector<float>& Forward(std::span<const int> tokens);
  const std::vector<float>& Forward(int token) { return Forward(std::span<const int>(&token, 1)); }
  // Feeds tokens and returns every token's logits (n x vocab_size).
  std::vector<float> ForwardAll(std::span<const int> tokens);
  // Forgets the tokens fed at `position` and after (a rejected draft): the next token fed goes to
  // `position`. Throws past the current position.
  void Rewind(int position);

  int position() const { return pos_; }
  size_t KvCacheBytes() const { return kv_bytes_; }
  const Backend& backend() const { return *backend_; }

 private:
  void Chunk(const int* tokens, int n, float* logits_all);

  const LlamaModel& m_;
  std::unique_ptr<Backend> owned_backend_;
  Backend* backend_ = nullptr;
  int max_len_, chunk_, pos_ = 0;
  DType kv_dtype_;
  size_t kv_bytes_ = 0;
  std::vector<std::shared_ptr<uint8_t>> buffers_;
  std::vector<KvLayer> kv_;
  float *x_, *xb_, *q_, *k_, *v_, *att_, *hb_, *hb2_, *last_;
  float* all_logits_ = nullptr;  // ForwardAll's rows, allocated on first use
  std::vector<float> logits_;
};

// How greedy decoding drafts tokens to verify in batches (speculative.h): not at all, or from the
// context (prompt lookup).
enum class Speculation { kNone, kPromptLookup };
struct SpeculationStats;

// Greedy decoding from `prompt` until EOS or `max_new_tokens`; returns the new token ids. With
// prompt-lookup speculation (speculative.h) the ids are the same, in fewer forward passes.
std::vector<int> GenerateGreedy(const LlamaModel& model, const std::vector<int>& prompt, int max_new_tokens,
                                int threads = 1, Speculation speculation = Speculation::kPromptLookup,
                                SpeculationStats* stats = nullptr);

}  // namespace sweinfer::llm
