#include "llm/llama.h"

#include <algorithm>
#include <cctype>
#include <cmath>
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

// ---- Loading ----------------------------------------------------------------------------------

namespace {

std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read '" + path.string() + "'");
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Tensors of a model by name, with the file they came from for messages.
class TensorTable {
 public:
  explicit TensorTable(std::string source) : source_(std::move(source)) {}
  void Add(const std::string& name, const TensorView& t) { tensors_[name] = t; }
  bool Has(const std::string& name) const { return tensors_.count(name) > 0; }
  const TensorView& Get(const std::string& name) const {
    auto it = tensors_.find(name);
    if (it == tensors_.end()) throw Error("'" + source_ + "': missing tensor '" + name + "'");
    return it->second;
  }
  Matrix TakeMatrix(const std::string& name, int64_t rows, int64_t cols) const {
    const TensorView& t = Get(name);
    if (t.shape.size() != 2 || t.shape[0] != rows || t.shape[1] != cols) {
      throw Error("'" + source_ + "': tensor '" + name + "' has shape " + ShapeText(t.shape) + ", the configuration needs [" +
                  std::to_string(rows) + ", " + std::to_string(cols) + "]");
    }
    return t.AsMatrix(name);
  }
  std::vector<float> TakeVector(const std::string& name, int64_t n) const {
    const TensorView& t = Get(name);
    if (t.elements() != n) {
      throw Error("'" + source_ + "': tensor '" + name + "' has " + std::to_string(t.elements()) +
                  " values, the configuration needs " + std::to_string(n));
    }
    TensorView flat = t;
    flat.shape = {n};
    return ToFloats(flat.AsMatrix(name));
  }

 private:
  static std::string ShapeText(const std::vector<int64_t>& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
  }
  std::string source_;
  std::map<std::string, TensorView> tensors_;
};

// Where each weight lives in a file format; layer weights are named layer_prefix + N + "." + name.
struct WeightNames {
  const char *embed, *final_norm, *output, *layer_prefix;
  const char *attn_norm, *wq, *wk, *wv, *wo, *ffn_norm, *w_gate, *w_up, *w_down;
};
constexpr WeightNames kHuggingFaceNames{"model.embed_tokens.weight", "model.norm.weight", "lm_head.weight", "model.layers.",
                                        "input_layernorm.weight", "self_attn.q_proj.weight", "self_attn.k_proj.weight",
                                        "self_attn.v_proj.weight", "self_attn.o_proj.weight",
                                        "post_attention_layernorm.weight", "mlp.gate_proj.weight", "mlp.up_proj.weight",
                                        "mlp.down_proj.weight"};
constexpr WeightNames kGgufNames{"token_embd.weight", "output_norm.weight", "output.weight", "blk.",
                                 "attn_norm.weight", "attn_q.weight", "attn_k.weight", "attn_v.weight",
                                 "attn_output.weight", "ffn_norm.weight", "ffn_gate.weight", "ffn_up.weight",
                                 "ffn_down.weight"};

// Takes every weight of `m.config`'s shape from `tensors`; the output is the embedding when
// `tied` or when the file has no output matrix.
void TakeWeights(LlamaModel& m, const TensorTable& tensors, const WeightNames& names, bool tied) {
  const auto& cfg = m.config;
  const int kv_dim = cfg.n_kv_heads * cfg.head_dim, q_dim = cfg.n_heads * cfg.head_dim;
  m.embed = tensors.TakeMatrix(names.embed, cfg.vocab_size, cfg.dim);
  m.final_norm = tensors.TakeVector(names.final_norm, cfg.dim);
  m.output = tied || !tensors.Has(names.output) ? m.embed : tensors.TakeMatrix(names.output, cfg.vocab_size, cfg.dim);
  for (int l = 0; l < cfg.n_layers; ++l) {
    const std::string p = names.layer_prefix + std::to_string(l) + ".";
    LlamaLayer L;
    L.attn_norm = tensors.TakeVector(p + names.attn_norm, cfg.dim);
    L.wq = tensors.TakeMatrix(p + names.wq, q_dim, cfg.dim);
    L.wk = tensors.TakeMatrix(p + names.wk, kv_dim, cfg.dim);
    L.wv = tensors.TakeMatrix(p + names.wv, kv_dim, cfg.dim);
    L.wo = tensors.TakeMatrix(p + names.wo, cfg.dim, q_dim);
    L.ffn_norm = tensors.TakeVector(p + names.ffn_norm, cfg.dim);
    L.w_gate = tensors.TakeMatrix(p + names.w_gate, cfg.hidden_dim, cfg.dim);
    L.w_up = tensors.TakeMatrix(p + names.w_up, cfg.hidden_dim, cfg.dim);
    L.w_down = tensors.TakeMatrix(p + names.w_down, cfg.dim, cfg.hidden_dim);
    m.layers.push_back(std::move(L));
  }
}

void CheckConfig(const LlamaConfig& c, const std::string& source) {
  if (c.dim <= 0 || c.hidden_dim <= 0 || c.n_layers <= 0 || c.n_heads <= 0 || c.n_kv_heads <= 0 || c.vocab_size <= 0 ||
      c.head_dim <= 0 || c.head_dim % 2 || c.n_heads % c.n_kv_heads || c.dim > (1 << 20) || c.hidden_dim > (1 << 22) ||
      c.n_layers > 4096 || c.n_heads > 4096 || c.head_dim > 4096 || c.vocab_size > (1 << 24)) {
    throw Error("'" + source + "': incomplete or inconsistent model configuration");
  }
}

LlamaModel LoadHuggingFace(const fs::path& dir) {
  const std::string config_path = (dir / "config.json").string();
  if (!fs::exists(dir / "config.json")) throw Error("'" + dir.string() + "': no config.json");
  dataset::Record c = dataset::ParseRecord(ReadText(dir / "config.json"), config_path);
  LlamaModel m;
  auto& cfg = m.config;
  bool tied = false;
  try {
    cfg.dim = c.at("hidden_size");
    cfg.hidden_dim = c.at("intermediate_size");
    cfg.n_layers = c.at("num_hidden_layers");
    cfg.n_heads = c.at("num_attention_heads");
    cfg.n_kv_heads = c.contains("num_key_value_heads") && c["num_key_value_heads"].is_number()
                         ? c["num_key_value_heads"].get<int>() : cfg.n_heads;
    cfg.vocab_size = c.at("vocab_size");
    cfg.head_dim = c.contains("head_dim") && c["head_dim"].is_number() ? c["head_dim"].get<int>()
                                                                       : (cfg.n_heads ? cfg.dim / cfg.n_heads : 0);
    cfg.max_seq_len = c.value("max_position_embeddings", 2048);
    cfg.norm_eps = c.value("rms_norm_eps", 1e-5f);
    cfg.rope.theta = c.value("rope_theta", 10000.0f);
    if (c.contains("rope_scaling") && c["rope_scaling"].is_object()) {
      const auto& scaling = c["rope_scaling"];
      std::string type = scaling.value("type", scaling.value("rope_type", ""));
      if (type == "linear") {
        cfg.rope.scale = scaling.value("factor", 1.0f);
      } else if (!type.empty() && type != "default") {
        throw Error(config_path + ": rope_scaling type '" + type + "' is not supported (linear is)");
      }
    }
    if (c.contains("bos_token_id") && c["bos_token_id"].is_number()) cfg.bos_id = c["bos_token_id"];
    if (c.contains("eos_token_id") && c["eos_token_id"].is_number()) cfg.eos_id = c["eos_token_id"];
    tied = c.value("tie_word_embeddings", false);
  } catch (const nlohmann::json::exception& e) {
    throw Error(config_path + ": " + e.what());
  }
  CheckConfig(cfg, config_path);
  // Shards: the index's files when there is one, else every *.safetensors file.
  std::vector<fs::path> files;
  if (fs::exists(dir / "model.safetensors.index.json")) {
    auto index = dataset::ParseRecord(ReadText(dir / "model.safetensors.index.json"),
                                      (dir / "model.safetensors.index.json").string());
    std::set<std::string> names;
    if (index.contains("weight_map") && index["weight_map"].is_object()) {
      for (const auto& [k, v] : index["weight_map"].items()) {
        if (v.is_string()) names.insert(v.get<std::string>());
      }
    }
    for (const auto& n : names) {
      if (n.find('/') != std::string::npos || n.find("..") != std::string::npos) throw Error("'" + dir.string() + "': bad shard name '" + n + "'");
      files.push_back(dir / n);
    }
  } else {
    for (const auto& e : fs::directory_iterator(dir)) {
      if (e.path().extension() == ".safetensors") files.push_back(e.path());
    }
  }
  if (files.empty()) throw Error("'" + dir.string() + "': no .safetensors files");
  std::sort(files.begin(), files.end());
  TensorTable tensors(dir.string());
  for (const auto& f : files) {
    auto mapped = std::make_shared<MappedFile>(f.string());
    for (const auto& [name, view] : ReadSafetensors(mapped->bytes(), f.string())) tensors.Add(name, view);
    m.files.push_back(std::move(mapped));
  }
  TakeWeights(m, tensors, kHuggingFaceNames, tied);
  return m;
}

LlamaModel LoadGguf(const std::string& path) {
  auto mapped = std::make_shared<MappedFile>(path);
  GgufFile g = ReadGguf(mapped->bytes(), path);
  std::string arch = g.strings.count("general.architecture") ? g.strings["general.architecture"] : "llama";
  if (arch != "llama") throw Error("'" + path + "': architecture '" + arch + "' is not a Llama model");
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
  cfg.rope.theta = static_cast<float>(num("rope.freq_base", 10000));
  if (g.strings.count(arch + ".rope.scaling.type") && g.strings[arch + ".rope.scaling.type"] == "linear") {
    cfg.rope.scale = static_cast<float>(num("rope.scaling.factor", 1));
  }
  cfg.rope.interleaved = true;
  cfg.max_seq_len = static_cast<int>(num("context_length", 2048));
  cfg.head_dim = cfg.n_heads > 0 ? static_cast<int>(num("attention.key_length", cfg.dim / cfg.n_heads)) : 0;
  if (!g.tensors.count("token_embd.weight") || g.tensors["token_embd.weight"].shape.size() != 2) {
    throw Error("'" + path + "': missing tensor 'token_embd.weight'");
  }
  cfg.vocab_size = static_cast<int>(std::min<int64_t>(g.tensors["token_embd.weight"].shape[0], int64_t{1} << 30));
  if (g.numbers.count("tokenizer.ggml.bos_token_id")) cfg.bos_id = static_cast<int>(g.numbers["tokenizer.ggml.bos_token_id"]);
  if (g.numbers.count("tokenizer.ggml.eos_token_id")) cfg.eos_id = static_cast<int>(g.numbers["tokenizer.ggml.eos_token_id"]);
  CheckConfig(cfg, path);
  TensorTable tensors(path);
  for (const auto& [name, view] : g.tensors) tensors.Add(name, view);
  TakeWeights(m, tensors, kGgufNames, false);
  m.files.push_back(std::move(mapped));
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
  if (!fs::exists(dir / "adapter_config.json")) throw Error("'" + adapter_dir + "': no adapter_config.json");
  dataset::Record cfg = dataset::ParseRecord(ReadText(dir / "adapter_config.json"), (dir / "adapter_config.json").string());
  const double r = cfg.value("r", 8.0), alpha = cfg.value("lora_alpha", 8.0);
  if (r <= 0) throw Error("'" + adapter_dir + "': adapter r must be positive");
  const float scale = static_cast<float>(alpha / r);
  const fs::path weights = dir / "adapter_model.safetensors";
  MappedFile mapped(weights.string());
  auto tensors = ReadSafetensors(mapped.bytes(), weights.string());
  int merged = 0;
  for (int l = 0; l < m.config.n_layers; ++l) {
    LlamaLayer& L = m.layers[l];
    const std::pair<const char*, Matrix*> targets[] = {
        {"self_attn.q_proj", &L.wq}, {"self_attn.k_proj", &L.wk}, {"self_attn.v_proj", &L.wv},
        {"self_attn.o_proj", &L.wo}, {"mlp.gate_proj", &L.w_gate}, {"mlp.up_proj", &L.w_up},
        {"mlp.down_proj", &L.w_down}};
    for (const auto& [module, weight] : targets) {
      const std::string prefix = "base_model.model.model.layers." + std::to_string(l) + "." + module;
      auto a = tensors.find(prefix + ".lora_A.weight");
      auto b = tensors.find(prefix + ".lora_B.weight");
      if (a == tensors.end() || b == tensors.end()) continue;
      const TensorView& A = a->second;  // rank x in
      const TensorView& B = b->second;  // out x rank
      if (A.shape.size() != 2 || B.shape.size() != 2 || A.shape[0] != B.shape[1] || B.shape[0] != weight->rows ||
          A.shape[1] != weight->cols) {
        throw Error("'" + weights.string() + "': LoRA shapes of " + prefix + " do not fit the model");
      }
      const std::vector<float> a_values = ToFloats(A.AsMatrix(prefix)), b_values = ToFloats(B.AsMatrix(prefix));
      const int64_t rank = A.shape[0], in_dim = A.shape[1];
      auto bytes = std::make_shared<std::vector<uint8_t>>(weight->bytes());
      std::vector<float> row(static_cast<size_t>(in_dim));
      for (int64_t o = 0; o < weight->rows; ++o) {
        RowToFloat(*weight, o, row.data());
        for (int64_t k = 0; k < rank; ++k) {
          const float bk = b_values[o * rank + k] * scale;
          if (bk == 0) continue;
          const float* arow = a_values.data() + k * in_dim;
          for (int64_t i = 0; i < in_dim; ++i) row[i] += bk * arow[i];
        }
        FloatToRow(row.data(), in_dim, weight->dtype, bytes->data() + weight->row_bytes() * o);
      }
      weight->data = bytes->data();
      weight->owned = std::move(bytes);
      ++merged;
    }
  }
  if (merged == 0) throw Error("'" + adapter_dir + "': no LoRA weights matched the model's layers");
}

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
  for (int l = 0; l < n_layers; ++l) {
    auto matrices = m.layers[l].matrices();
    for (size_t i = 0; i < matrices.size(); ++i) convert(*matrices[i], kRoles[i], l);
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
    : LlamaSession(model, max_len, SessionOptions{threads, nullptr, 64, std::nullopt}) {}

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
