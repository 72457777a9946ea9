#include "llm/llama.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "dataset/jsonl.h"
#include "llm/quants.h"
#include "llm/speculative.h"
#include "llm/weights.h"
#include "util/error.h"
#include "util/thread_pool.h"

namespace sweinfer::llm {

namespace fs = std::filesystem;

std::vector<const Matrix*> LlamaLayer::matrices() const { return {&wq, &wk, &wv, &wo, &w_gate, &w_up, &w_down}; }
std::vector<Matrix*> LlamaLayer::matrices() { return {&wq, &wk, &wv, &wo, &w_gate, &w_up, &w_down}; }

size_t LlamaModel::WeightBytes() const {
  size_t total = embed.bytes() + final_norm.size() * 4;
  if (output.data != embed.data) total += output.bytes();
  for (const auto& L : layers) {
    total += (L.attn_norm.size() + L.ffn_norm.size()) * 4;
    for (const Matrix* w : L.matrices()) total += w->bytes();
  }
  return total;
}

DType LlamaModel::weight_dtype() const { return layers.empty() ? embed.dtype : layers[0].wq.dtype; }

QuantRecipe ParseQuantRecipe(const std::string& name) {
  static const std::map<std::string, DType> kPlain = {
      {"q8", DType::kQ8_0},   {"q8_0", DType::kQ8_0}, {"q4_0", DType::kQ4_0}, {"q4_1", DType::kQ4_1},
      {"q5_0", DType::kQ5_0}, {"q5_1", DType::kQ5_1}, {"q4_k", DType::kQ4_K}, {"q5_k", DType::kQ5_K},
      {"q6_k", DType::kQ6_K}, {"f16", DType::kF16},   {"bf16", DType::kBF16}, {"f32", DType::kF32}};
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  QuantRecipe recipe;
  recipe.name = lower;
  if (lower == "q4_k_m" || lower == "q5_k_m") {
    recipe.base = lower == "q4_k_m" ? DType::kQ4_K : DType::kQ5_K;
    recipe.mixed = true;
    return recipe;
  }
  auto it = kPlain.find(lower);
  if (it == kPlain.end()) {
    throw Error("unknown quantization '" + name + "' (one of q8_0, q4_0, q4_1, q5_0, q5_1, q4_k, q5_k, q6_k, q4_k_m, q5_k_m, f16, bf16)");
  }
  recipe.base = it->second;
  return recipe;
}

DType QuantRecipe::TypeFor(const std::string& role, int layer, int n_layers, int64_t cols) const {
  DType type = base;
  if (mixed) {
    // llama.cpp's use_more_bits: the first and last eighth of the layers and every third in between.
    const bool more_bits = layer < n_layers / 8 || layer >= 7 * n_layers / 8 || (layer - n_layers / 8) % 3 == 2;
    if (role == "output" || ((role == "wv" || role == "w_down") && more_bits)) type = DType::kQ6_K;
  }
  if (cols % BlockValues(type)) {
    switch (type) {
      case DType::kQ4_K: type = DType::kQ5_0; break;
      case DType::kQ5_K: type = DType::kQ5_1; break;
      case DType::kQ6_K: type = DType::kQ8_0; break;
      default: break;
    }
    if (cols % BlockValues(type)) type = DType::kF16;
  }
  return type;
}

void QuantizeModel(LlamaModel& m, const QuantRecipe& recipe) {
  const int n_layers = m.config.n_layers;
  auto convert = [&](Matrix& w, const std::string& role, int layer) {
    const DType type = recipe.TypeFor(role, layer, n_layers, w.cols);
    if (w.dtype != type) w = ConvertMatrix(w, type);
  };
  const bool tied = m.output.data == m.embed.data;
  static const char* kRoles[] = {"wq", "wk", "wv", "wo", "w_gate", "w_up", "w_down"};
  // The layers' matrices are converted in parallel, one matrix per task (a 13B model's 280).
  struct Job {
    Matrix* w;
    DType type;
  };
  std::vector<Job> jobs;
  for (int l = 0; l < n_layers; ++l) {
    auto matrices = m.layers[l].matrices();
    for (size_t i = 0; i < matrices.size(); ++i) {
      const DType type = recipe.TypeFor(kRoles[i], l, n_layers, matrices[i]->cols);
      if (matrices[i]->dtype != type) jobs.push_back({matrices[i], type});
    }
  }
  std::vector<std::exception_ptr> errors(jobs.size());
  ThreadPool pool(0);
  pool.ParallelFor(
      static_cast<int64_t>(jobs.size()),
      [&](int64_t i, int) {
        try {
          *jobs[i].w = ConvertMatrix(*jobs[i].w, jobs[i].type);
        } catch (...) {
          errors[i] = std::current_exception();
        }
      },
      ThreadPool::Schedule::kDynamic);
  for (const auto& error : errors) {
    if (error) std::rethrow_exception(error);
  }
  if (tied) {  // one matrix serves both, typed as the output (as llama.cpp types a tied embedding)
    convert(m.output, "output", 0);
    m.embed = m.output;
  } else {
    convert(m.output, "output", 0);
    convert(m.embed, "embed", 0);
  }
  // Mappings nothing points into any more can go.
  bool mapped_left = false;
  for (auto& L : m.layers) {
    for (Matrix* w : L.matrices()) mapped_left |= !w->owned;
  }
  mapped_left |= !m.embed.owned || !m.output.owned;
  if (!mapped_left) m.files.clear();
}

void QuantizeModel(LlamaModel& m, DType type) {
  QuantRecipe recipe;
  recipe.name = DTypeName(type);
  recipe.base = type;
  QuantizeModel(m, recipe);
}

// ---- Session ----------------------------------------------------------------------------------

LlamaSession::LlamaSession(const LlamaModel& model, int max_len, int threads)
    : LlamaSession(model, max_len, [threads] {
        SessionOptions options;
        options.threads = threads;
        return options;
      }()) {}

LlamaSession::LlamaSession(const LlamaModel& model, int max_len, const SessionOptions& options)
    : m_(model), max_len_(max_len), chunk_(std::max(1, options.prefill_chunk)) {
  if (max_len <= 0) throw Error("the sequence length limit must be positive");
  if (options.backend) {
    backend_ = options.backend;
  } else {
    owned_backend_ = MakeCpuBackend(options.threads);
    backend_ = owned_backend_.get();
  }
  const auto& c = m_.config;
  kv_dtype_ = options.kv_dtype.value_or(m_.weight_dtype() == DType::kF32 ? DType::kF32 : DType::kF16);
  if (kv_dtype_ != DType::kF32 && kv_dtype_ != DType::kF16) throw Error("the KV cache holds F32 or F16 values");
  const int kv_dim = c.n_kv_heads * c.head_dim, q_dim = c.n_heads * c.head_dim;
  const size_t layer_bytes = backend_->KvBytes(kv_dtype_, kv_dim, c.head_dim, max_len);
  for (int l = 0; l < c.n_layers; ++l) {
    KvLayer layer;
    layer.dtype = kv_dtype_;
    layer.kv_dim = kv_dim;
    layer.head_dim = c.head_dim;
    layer.max_len = max_len;
    buffers_.push_back(backend_->Allocate(layer_bytes));
    layer.keys = buffers_.back().get();
    buffers_.push_back(backend_->Allocate(layer_bytes));
    layer.values = buffers_.back().get();
    kv_.push_back(layer);
    kv_bytes_ += 2 * layer_bytes;
  }
  auto floats = [&](int64_t n) {
    buffers_.push_back(backend_->Allocate(static_cast<size_t>(n) * sizeof(float)));
    return reinterpret_cast<float*>(buffers_.back().get());
  };
  x_ = floats(int64_t{chunk_} * c.dim);
  xb_ = floats(int64_t{chunk_} * std::max(c.dim, q_dim));
  q_ = floats(int64_t{chunk_} * q_dim);
  k_ = floats(int64_t{chunk_} * kv_dim);
  v_ = floats(int64_t{chunk_} * kv_dim);
  att_ = floats(int64_t{chunk_} * q_dim);
  hb_ = floats(int64_t{chunk_} * c.hidden_dim);
  hb2_ = floats(int64_t{chunk_} * c.hidden_dim);
  last_ = floats(c.vocab_size);
  logits_.resize(c.vocab_size);
}

LlamaSession::~LlamaSession() = default;

void LlamaSession::Chunk(const int* tokens, int n, float* logits_all) {
  const auto& c = m_.config;
  for (int i = 0; i < n; ++i) {
    if (tokens[i] < 0 || tokens[i] >= c.vocab_size) {
      throw Error("token id " + std::to_string(tokens[i]) + " is outside the vocabulary");
    }
  }
  if (pos_ + n > max_len_) throw Error("the sequence is longer than --max_len (" + std::to_string(max_len_) + ")");
  Backend& b = *backend_;
  const AttentionShape shape{c.n_heads, c.n_kv_heads, c.head_dim};
  b.Embed(m_.embed, tokens, n, x_);
  for (int l = 0; l < c.n_layers; ++l) {
    const LlamaLayer& L = m_.layers[l];
    b.RmsNorm(x_, L.attn_norm.data(), n, c.dim, c.norm_eps, xb_);
    b.MatMuls({{&L.wq, q_}, {&L.wk, k_}, {&L.wv, v_}}, xb_, n);
    b.Rope(q_, n, c.n_heads, c.head_dim, pos_, c.rope);
    b.Rope(k_, n, c.n_kv_heads, c.head_dim, pos_, c.rope);
    b.StoreKv(k_, v_, n, pos_, kv_[l]);
    b.Attention(q_, n, pos_, kv_[l], shape, att_);
    b.MatMul(L.wo, att_, n, xb_);
    b.Add(x_, xb_, static_cast<size_t>(n) * c.dim);
    b.RmsNorm(x_, L.ffn_norm.data(), n, c.dim, c.norm_eps, xb_);
    b.MatMuls({{&L.w_gate, hb_}, {&L.w_up, hb2_}}, xb_, n);
    b.SwiGlu(hb_, hb2_, static_cast<size_t>(n) * c.hidden_dim);
    b.MatMul(L.w_down, hb_, n, xb_);
    b.Add(x_, xb_, static_cast<size_t>(n) * c.dim);
  }
  pos_ += n;
  if (logits_all) {
    // Every row's logits, the output matrix read once per group of rows (a draft verified in one
    // pass must not cost one pass over the vocabulary per token).
    constexpr int kRowsPerPass = 8;
    if (!all_logits_) {
      buffers_.push_back(backend_->Allocate(static_cast<size_t>(kRowsPerPass) * c.vocab_size * sizeof(float)));
      all_logits_ = reinterpret_cast<float*>(buffers_.back().get());
    }
    b.RmsNorm(x_, m_.final_norm.data(), n, c.dim, c.norm_eps, xb_);
    for (int t0 = 0; t0 < n; t0 += kRowsPerPass) {
      const int rows = std::min(kRowsPerPass, n - t0);
      b.MatMul(m_.output, xb_ + static_cast<int64_t>(t0) * c.dim, rows, all_logits_);
      b.CopyToHost(all_logits_, static_cast<size_t>(rows) * c.vocab_size, logits_all + static_cast<int64_t>(t0) * c.vocab_size);
    }
    return;
  }
  b.RmsNorm(x_ + static_cast<int64_t>(n - 1) * c.dim, m_.final_norm.data(), 1, c.dim, c.norm_eps, xb_);
  b.MatMul(m_.output, xb_, 1, last_);
}

const std::vector<float>& LlamaSession::Forward(std::span<const int> tokens) {
  if (tokens.empty()) throw Error("nothing to feed the model");
  for (size_t i = 0; i < tokens.size(); i += chunk_) {
    const int n = static_cast<int>(std::min<size_t>(chunk_, tokens.size() - i));
    Chunk(tokens.data() + i, n, nullptr);
  }
  backend_->CopyToHost(last_, logits_.size(), logits_.data());
  return logits_;
}

void LlamaSession::Rewind(int position) {
  if (position < 0 || position > pos_) throw Error("cannot rewind the session to position " + std::to_string(position));
  pos_ = position;  // the cache rows past it are overwritten by the next tokens fed
}

std::vector<float> LlamaSession::ForwardAll(std::span<const int> tokens) {
  const int vocab = m_.config.vocab_size;
  std::vector<float> all(tokens.size() * static_cast<size_t>(vocab));
  for (size_t i = 0; i < tokens.size(); i += chunk_) {
    const int n = static_cast<int>(std::min<size_t>(chunk_, tokens.size() - i));
    Chunk(tokens.data() + i, n, all.data() + i * vocab);
  }
  return all;
}

std::vector<int> GenerateGreedy(const LlamaModel& model, const std::vector<int>& prompt, int max_new_tokens, int threads,
                                Speculation speculation, SpeculationStats* stats) {
  if (prompt.empty()) throw Error("an empty prompt");
  LlamaSession session(model, static_cast<int>(prompt.size()) + max_new_tokens + 1, threads);
  std::vector<int> out;
  const std::vector<float>& logits = session.Forward(prompt);
  DecodeGreedy(session, logits, prompt, max_new_tokens, model.config.eos_id, [](const std::vector<int>&) { return false; },
               speculation, out, stats);
  return out;
}

}  // namespace sweinfer::llm
