// A Llama-architecture model on the CPU, read top to bottom like llama2.c: configuration, weights,
// the per-sequence state (KV cache), the forward pass (RMSNorm, RoPE, grouped-query attention,
// SwiGLU), and greedy generation. Loads a Hugging Face directory (config.json + safetensors, RoPE in
// the rotate_half layout) or a GGUF file (RoPE in llama.cpp's interleaved layout). Weights are
// held as float; the forward pass is multi-threaded over matrix rows.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sweinfer::llm {

struct LlamaConfig {
  int dim = 0, hidden_dim = 0, n_layers = 0, n_heads = 0, n_kv_heads = 0, vocab_size = 0, head_dim = 0;
  int max_seq_len = 2048;
  float norm_eps = 1e-5f, rope_theta = 10000.0f, rope_scale = 1.0f;
  bool rope_interleaved = false;  // GGUF: pairs (2i, 2i+1); Hugging Face: pairs (i, i + d/2)
  int bos_id = 1, eos_id = 2;
};

struct LlamaLayer {
  std::vector<float> attn_norm, wq, wk, wv, wo, ffn_norm, w_gate, w_up, w_down;
};

struct LlamaModel {
  LlamaConfig config;
  std::vector<float> embed, final_norm, output;  // output: vocab x dim
  std::vector<LlamaLayer> layers;
};

// A model directory (config.json, *.safetensors or model.safetensors.index.json) or a .gguf file.
LlamaModel LoadLlama(const std::string& path);

// Merges a PEFT LoRA adapter (adapter_config.json: r, lora_alpha, target_modules;
// adapter_model.safetensors) into the weights: W += (lora_alpha / r) * B * A.
void MergeLora(LlamaModel& model, const std::string& adapter_dir);

// One sequence's state: the KV cache and scratch buffers.
class LlamaSession {
 public:
  LlamaSession(const LlamaModel& model, int max_len, int threads = 1);
  // Feeds `token` at the next position and returns the logits (vocab_size floats).
  const std::vector<float>& Forward(int token);
  int position() const { return pos_; }

 private:
  const LlamaModel& m_;
  int max_len_, threads_, pos_ = 0;
  std::vector<float> x_, xb_, xb2_, q_, k_, v_, att_, hb_, hb2_, logits_;
  std::vector<float> key_cache_, value_cache_;  // layer x position x kv_dim
};

// Greedy decoding from `prompt` until EOS or `max_new_tokens`; returns the new token ids.
std::vector<int> GenerateGreedy(const LlamaModel& model, const std::vector<int>& prompt, int max_new_tokens, int threads = 1);

}  // namespace sweinfer::llm
