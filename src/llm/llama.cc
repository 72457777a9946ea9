#include "llm/llama.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>

#include "dataset/jsonl.h"
#include "llm/weights.h"
#include "util/error.h"

namespace sweinfer::llm {

namespace fs = std::filesystem;

// ---- Loading ----------------------------------------------------------------------------------

namespace {

std::vector<float> Take(std::map<std::string, Tensor>& tensors, const std::string& name, const std::string& file,
                        int64_t expected) {
  auto it = tensors.find(name);
  if (it == tensors.end()) throw Error("'" + file + "': missing tensor '" + name + "'");
  if (static_cast<int64_t>(it->second.data.size()) != expected) {
    throw Error("'" + file + "': tensor '" + name + "' has " + std::to_string(it->second.data.size()) +
                " values, the configuration needs " + std::to_string(expected));
  }
  return std::move(it->second.data);
}

LlamaModel LoadHuggingFace(const fs::path& dir) {
  std::ifstream in(dir / "config.json");
  if (!in) throw Error("'" + dir.string() + "': no config.json");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  dataset::Record c = dataset::ParseRecord(text, (dir / "config.json").string());
  LlamaModel m;
  auto& cfg = m.config;
  try {
    cfg.dim = c.at("hidden_size");
    cfg.hidden_dim = c.at("intermediate_size");
    cfg.n_layers = c.at("num_hidden_layers");
    cfg.n_heads = c.at("num_attention_heads");
    cfg.n_kv_heads = c.value("num_key_value_heads", cfg.n_heads);
    cfg.vocab_size = c.at("vocab_size");
    cfg.head_dim = c.contains("head_dim") && c["head_dim"].is_number() ? c["head_dim"].get<int>() : cfg.dim / cfg.n_heads;
    cfg.max_seq_len = c.value("max_position_embeddings", 2048);
    cfg.norm_eps = c.value("rms_norm_eps", 1e-5f);
    cfg.rope_theta = c.value("rope_theta", 10000.0f);
    if (c.contains("rope_scaling") && c["rope_scaling"].is_object()) {
      if (c["rope_scaling"].value("type", c["rope_scaling"].value("rope_type", "")) == "linear") {
        cfg.rope_scale = c["rope_scaling"].value("factor", 1.0f);
      }
    }
    if (c.contains("bos_token_id") && c["bos_token_id"].is_number()) cfg.bos_id = c["bos_token_id"];
    if (c.contains("eos_token_id") && c["eos_token_id"].is_number()) cfg.eos_id = c["eos_token_id"];
  } catch (const nlohmann::json::exception& e) {
    throw Error((dir / "config.json").string() + ": " + e.what());
  }
  std::map<std::string, Tensor> tensors;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".safetensors") files.push_back(e.path());
  }
  if (files.empty()) throw Error("'" + dir.string() + "': no .safetensors files");
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    MappedFile mapped(f.string());
    auto part = ReadSafetensors(mapped.bytes(), f.string());
    for (auto& [k, v] : part) tensors[k] = std::move(v);
  }
  const int kv_dim = cfg.n_kv_heads * cfg.head_dim, q_dim = cfg.n_heads * cfg.head_dim;
  const std::string file = dir.string();
  m.embed = Take(tensors, "model.embed_tokens.weight", file, int64_t{cfg.vocab_size} * cfg.dim);
  m.final_norm = Take(tensors, "model.norm.weight", file, cfg.dim);
  bool tied = c.value("tie_word_embeddings", false) || !tensors.count("lm_head.weight");
  m.output = tied ? m.embed : Take(tensors, "lm_head.weight", file, int64_t{cfg.vocab_size} * cfg.dim);
  for (int l = 0; l < cfg.n_layers; ++l) {
    std::string p = "model.layers." + std::to_string(l) + ".";
    LlamaLayer L;
    L.attn_norm = Take(tensors, p + "input_layernorm.weight", file, cfg.dim);
    L.wq = Take(tensors, p + "self_attn.q_proj.weight", file, int64_t{q_dim} * cfg.dim);
    L.wk = Take(tensors, p + "self_attn.k_proj.weight", file, int64_t{kv_dim} * cfg.dim);
    L.wv = Take(tensors, p + "self_attn.v_proj.weight", file, int64_t{kv_dim} * cfg.dim);
    L.wo = Take(tensors, p + "self_attn.o_proj.weight", file, int64_t{cfg.dim} * q_dim);
    L.ffn_norm = Take(tensors, p + "post_attention_layernorm.weight", file, cfg.dim);
    L.w_gate = Take(tensors, p + "mlp.gate_proj.weight", file, int64_t{cfg.hidden_dim} * cfg.dim);
    L.w_up = Take(tensors, p + "mlp.up_proj.weight", file, int64_t{cfg.hidden_dim} * cfg.dim);
    L.w_down = Take(tensors, p + "mlp.down_proj.weight", file, int64_t{cfg.dim} * cfg.hidden_dim);
    m.layers.push_back(std::move(L));
  }
  return m;
}

LlamaModel LoadGguf(const std::string& path) {
  MappedFile mapped(path);
  GgufFile g = ReadGguf(mapped.bytes(), path);
  std::string arch = g.strings.count("general.architecture") ? g.strings["general.architecture"] : "llama";
  auto num = [&](const std::string& key, double fallback) {
    auto it = g.numbers.find(arch + "." + key);
    return it == g.numbers.end() ? fallback : it->second;
  };
  LlamaModel m;
  auto& cfg = m.config;
  cfg.dim = static_cast<int>(num("embedding_length", 0));
  cfg.n_layers = static_cast<int>(num("block_count", 0));
  cfg.n_heads = static_cast<int>(num("attention.head_count", 0));
  cfg.n_kv_heads = static_cast<int>(num("attention.head_count_kv", cfg.n_heads));
  cfg.hidden_dim = static_cast<int>(num("feed_forward_length", 0));
  cfg.norm_eps = static_cast<float>(num("attention.layer_norm_rms_epsilon", 1e-5));
  cfg.rope_theta = static_cast<float>(num("rope.freq_base", 10000));
  cfg.max_seq_len = static_cast<int>(num("context_length", 2048));
  cfg.rope_interleaved = true;
  if (cfg.dim <= 0 || cfg.n_layers <= 0 || cfg.n_heads <= 0 || cfg.n_kv_heads <= 0 || cfg.hidden_dim <= 0 ||
      cfg.dim % cfg.n_heads || cfg.n_heads % cfg.n_kv_heads) {
    throw Error("'" + path + "': incomplete or inconsistent " + arch + " metadata");
  }
  cfg.head_dim = cfg.dim / cfg.n_heads;
  auto& embed = g.tensors["token_embd.weight"];
  if (embed.shape.size() != 2) throw Error("'" + path + "': missing tensor 'token_embd.weight'");
  cfg.vocab_size = static_cast<int>(embed.shape[0]);
  if (g.numbers.count("tokenizer.ggml.bos_token_id")) cfg.bos_id = static_cast<int>(g.numbers["tokenizer.ggml.bos_token_id"]);
  if (g.numbers.count("tokenizer.ggml.eos_token_id")) cfg.eos_id = static_cast<int>(g.numbers["tokenizer.ggml.eos_token_id"]);
  const int kv_dim = cfg.n_kv_heads * cfg.head_dim;
  m.embed = Take(g.tensors, "token_embd.weight", path, int64_t{cfg.vocab_size} * cfg.dim);
  m.final_norm = Take(g.tensors, "output_norm.weight", path, cfg.dim);
  m.output = g.tensors.count("output.weight") ? Take(g.tensors, "output.weight", path, int64_t{cfg.vocab_size} * cfg.dim)
                                               : m.embed;
  for (int l = 0; l < cfg.n_layers; ++l) {
    std::string p = "blk." + std::to_string(l) + ".";
    LlamaLayer L;
    L.attn_norm = Take(g.tensors, p + "attn_norm.weight", path, cfg.dim);
    L.wq = Take(g.tensors, p + "attn_q.weight", path, int64_t{cfg.dim} * cfg.dim);
    L.wk = Take(g.tensors, p + "attn_k.weight", path, int64_t{kv_dim} * cfg.dim);
    L.wv = Take(g.tensors, p + "attn_v.weight", path, int64_t{kv_dim} * cfg.dim);
    L.wo = Take(g.tensors, p + "attn_output.weight", path, int64_t{cfg.dim} * cfg.dim);
    L.ffn_norm = Take(g.tensors, p + "ffn_norm.weight", path, cfg.dim);
    L.w_gate = Take(g.tensors, p + "ffn_gate.weight", path, int64_t{cfg.hidden_dim} * cfg.dim);
    L.w_up = Take(g.tensors, p + "ffn_up.weight", path, int64_t{cfg.hidden_dim} * cfg.dim);
    L.w_down = Take(g.tensors, p + "ffn_down.weight", path, int64_t{cfg.dim} * cfg.hidden_dim);
    m.layers.push_back(std::move(L));
  }
  return m;
}

}  // namespace

LlamaModel LoadLlama(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return LoadHuggingFace(path);
  if (fs::path(path).extension() == ".gguf") return LoadGguf(path);
  throw Error("'" + path + "': expected a Hugging Face model directory or a .gguf file");
}

void MergeLora(LlamaModel& m, const std::string& adapter_dir) {
  const fs::path dir(adapter_dir);
  std::ifstream in(dir / "adapter_config.json");
  if (!in) throw Error("'" + adapter_dir + "': no adapter_config.json");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  dataset::Record cfg = dataset::ParseRecord(text, (dir / "adapter_config.json").string());
  const double r = cfg.value("r", 8.0), alpha = cfg.value("lora_alpha", 8.0);
  if (r <= 0) throw Error("'" + adapter_dir + "': adapter r must be positive");
  const float scale = static_cast<float>(alpha / r);
  fs::path weights = dir / "adapter_model.safetensors";
  MappedFile mapped(weights.string());
  auto tensors = ReadSafetensors(mapped.bytes(), weights.string());
  int merged = 0;
  const auto& c = m.config;
  for (int l = 0; l < c.n_layers; ++l) {
    LlamaLayer& L = m.layers[l];
    const std::pair<const char*, std::vector<float>*> targets[] = {
        {"self_attn.q_proj", &L.wq}, {"self_attn.k_proj", &L.wk}, {"self_attn.v_proj", &L.wv},
        {"self_attn.o_proj", &L.wo}, {"mlp.gate_proj", &L.w_gate}, {"mlp.up_proj", &L.w_up},
        {"mlp.down_proj", &L.w_down}};
    for (const auto& [module, weight] : targets) {
      std::string prefix = "base_model.model.model.layers." + std::to_string(l) + "." + module;
      auto a = tensors.find(prefix + ".lora_A.weight");
      auto b = tensors.find(prefix + ".lora_B.weight");
      if (a == tensors.end() || b == tensors.end()) continue;
      const Tensor& A = a->second;  // r x in
      const Tensor& B = b->second;  // out x r
      if (A.shape.size() != 2 || B.shape.size() != 2 || A.shape[0] != B.shape[1] ||
          B.shape[0] * A.shape[1] != static_cast<int64_t>(weight->size())) {
        throw Error("'" + weights.string() + "': LoRA shapes of " + prefix + " do not fit the model");
      }
      const int64_t out = B.shape[0], in_dim = A.shape[1], rank = A.shape[0];
      for (int64_t o = 0; o < out; ++o) {
        for (int64_t k = 0; k < rank; ++k) {
          float bk = B.data[o * rank + k] * scale;
          if (bk == 0) continue;
          float* row = weight->data() + o * in_dim;
          const float* arow = A.data.data() + k * in_dim;
          for (int64_t i = 0; i < in_dim; ++i) row[i] += bk * arow[i];
        }
      }
      ++merged;
    }
  }
  if (merged == 0) throw Error("'" + adapter_dir + "': no LoRA weights matched the model's layers");
}

// ---- Kernels ----------------------------------------------------------------------------------

namespace {

void RmsNorm(float* out, const float* x, const float* w, int n, float eps) {
  double ss = 0;
  for (int i = 0; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
  float scale = 1.0f / std::sqrt(static_cast<float>(ss / n) + eps);
  for (int i = 0; i < n; ++i) out[i] = w[i] * (x[i] * scale);
}

// out[rows] = W[rows x cols] * x[cols], rows split across threads.
void MatVec(float* out, const float* x, const float* w, int rows, int cols, int threads) {
  auto work = [&](int begin, int end) {
    for (int r = begin; r < end; ++r) {
      const float* row = w + static_cast<int64_t>(r) * cols;
      float sum = 0;
      for (int c = 0; c < cols; ++c) sum += row[c] * x[c];
      out[r] = sum;
    }
  };
  if (threads <= 1 || static_cast<int64_t>(rows) * cols < (1 << 16)) {
    work(0, rows);
    return;
  }
  std::vector<std::thread> pool;
  int chunk = (rows + threads - 1) / threads;
  for (int t = 0; t < threads; ++t) {
    int b = t * chunk, e = std::min(rows, b + chunk);
    if (b < e) pool.emplace_back(work, b, e);
  }
  for (auto& t : pool) t.join();
}

void Rope(float* vec, int n_heads, int head_dim, int pos, const LlamaConfig& c) {
  const float position = static_cast<float>(pos) / c.rope_scale;
  for (int h = 0; h < n_heads; ++h) {
    float* v = vec + h * head_dim;
    for (int i = 0; i < head_dim / 2; ++i) {
      float freq = 1.0f / std::pow(c.rope_theta, static_cast<float>(2 * i) / static_cast<float>(head_dim));
      float angle = position * freq, cs = std::cos(angle), sn = std::sin(angle);
      int a = c.rope_interleaved ? 2 * i : i, b = c.rope_interleaved ? 2 * i + 1 : i + head_dim / 2;
      float x0 = v[a], x1 = v[b];
      v[a] = x0 * cs - x1 * sn;
      v[b] = x0 * sn + x1 * cs;
    }
  }
}

}  // namespace

LlamaSession::LlamaSession(const LlamaModel& model, int max_len, int threads)
    : m_(model), max_len_(max_len), threads_(std::max(1, threads)) {
  const auto& c = m_.config;
  const int kv_dim = c.n_kv_heads * c.head_dim, q_dim = c.n_heads * c.head_dim;
  x_.resize(c.dim);
  xb_.resize(std::max(c.dim, q_dim));
  xb2_.resize(c.dim);
  q_.resize(q_dim);
  k_.resize(kv_dim);
  v_.resize(kv_dim);
  att_.resize(static_cast<size_t>(c.n_heads) * max_len);
  hb_.resize(c.hidden_dim);
  hb2_.resize(c.hidden_dim);
  logits_.resize(c.vocab_size);
  key_cache_.resize(static_cast<size_t>(c.n_layers) * max_len * kv_dim);
  value_cache_.resize(static_cast<size_t>(c.n_layers) * max_len * kv_dim);
}

const std::vector<float>& LlamaSession::Forward(int token) {
  const auto& c = m_.config;
  if (token < 0 || token >= c.vocab_size) throw Error("token id " + std::to_string(token) + " is outside the vocabulary");
  if (pos_ >= max_len_) throw Error("the sequence is longer than --max_len (" + std::to_string(max_len_) + ")");
  const int kv_dim = c.n_kv_heads * c.head_dim, q_dim = c.n_heads * c.head_dim, group = c.n_heads / c.n_kv_heads;
  std::copy_n(m_.embed.data() + static_cast<int64_t>(token) * c.dim, c.dim, x_.data());
  for (int l = 0; l < c.n_layers; ++l) {
    const LlamaLayer& L = m_.layers[l];
    RmsNorm(xb_.data(), x_.data(), L.attn_norm.data(), c.dim, c.norm_eps);
    MatVec(q_.data(), xb_.data(), L.wq.data(), q_dim, c.dim, threads_);
    MatVec(k_.data(), xb_.data(), L.wk.data(), kv_dim, c.dim, threads_);
    MatVec(v_.data(), xb_.data(), L.wv.data(), kv_dim, c.dim, threads_);
    Rope(q_.data(), c.n_heads, c.head_dim, pos_, c);
    Rope(k_.data(), c.n_kv_heads, c.head_dim, pos_, c);
    float* kc = key_cache_.data() + (static_cast<size_t>(l) * max_len_) * kv_dim;
    float* vc = value_cache_.data() + (static_cast<size_t>(l) * max_len_) * kv_dim;
    std::copy(k_.begin(), k_.end(), kc + static_cast<size_t>(pos_) * kv_dim);
    std::copy(v_.begin(), v_.end(), vc + static_cast<size_t>(pos_) * kv_dim);
    const float scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
    for (int h = 0; h < c.n_heads; ++h) {
      const float* qh = q_.data() + h * c.head_dim;
      float* att = att_.data() + static_cast<size_t>(h) * max_len_;
      const int kvh = h / group;
      float max_score = -INFINITY;
      for (int t = 0; t <= pos_; ++t) {
        const float* kt = kc + static_cast<size_t>(t) * kv_dim + kvh * c.head_dim;
        float s = 0;
        for (int i = 0; i < c.head_dim; ++i) s += qh[i] * kt[i];
        att[t] = s * scale;
        max_score = std::max(max_score, att[t]);
      }
      float sum = 0;
      for (int t = 0; t <= pos_; ++t) {
        att[t] = std::exp(att[t] - max_score);
        sum += att[t];
      }
      float* out = xb_.data() + h * c.head_dim;
      std::fill_n(out, c.head_dim, 0.0f);
      for (int t = 0; t <= pos_; ++t) {
        const float* vt = vc + static_cast<size_t>(t) * kv_dim + kvh * c.head_dim;
        float a = att[t] / sum;
        for (int i = 0; i < c.head_dim; ++i) out[i] += a * vt[i];
      }
    }
    MatVec(xb2_.data(), xb_.data(), L.wo.data(), c.dim, q_dim, threads_);
    for (int i = 0; i < c.dim; ++i) x_[i] += xb2_[i];
    RmsNorm(xb_.data(), x_.data(), L.ffn_norm.data(), c.dim, c.norm_eps);
    MatVec(hb_.data(), xb_.data(), L.w_gate.data(), c.hidden_dim, c.dim, threads_);
    MatVec(hb2_.data(), xb_.data(), L.w_up.data(), c.hidden_dim, c.dim, threads_);
    for (int i = 0; i < c.hidden_dim; ++i) {
      float g = hb_[i];
      hb_[i] = g / (1.0f + std::exp(-g)) * hb2_[i];  // SwiGLU
    }
    MatVec(xb2_.data(), hb_.data(), L.w_down.data(), c.dim, c.hidden_dim, threads_);
    for (int i = 0; i < c.dim; ++i) x_[i] += xb2_[i];
  }
  RmsNorm(x_.data(), x_.data(), m_.final_norm.data(), c.dim, c.norm_eps);
  MatVec(logits_.data(), x_.data(), m_.output.data(), c.vocab_size, c.dim, threads_);
  ++pos_;
  return logits_;
}

std::vector<int> GenerateGreedy(const LlamaModel& model, const std::vector<int>& prompt, int max_new_tokens, int threads) {
  if (threads <= 0) threads = std::max(1u, std::thread::hardware_concurrency());
  LlamaSession session(model, static_cast<int>(prompt.size()) + max_new_tokens + 1, threads);
  std::vector<int> out;
  const std::vector<float>* logits = nullptr;
  for (int t : prompt) logits = &session.Forward(t);
  for (int i = 0; i < max_new_tokens && logits; ++i) {
    int next = static_cast<int>(std::max_element(logits->begin(), logits->end()) - logits->begin());
    if (next == model.config.eos_id) break;
    out.push_back(next);
    logits = &session.Forward(next);
  }
  return out;
}

}  // namespace sweinfer::llm
