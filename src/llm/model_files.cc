// Reading models in their published layouts (declared in llm/llama.h): Hugging Face directories
// (safetensors or torch .bin, single or sharded), GGUF files, Meta's original checkpoints
// (params.json + consolidated.NN.pth, tensors split across model-parallel shards joined here), and
// PEFT LoRA adapters (merged into the weights).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "dataset/jsonl.h"
#include "llm/llama.h"
#include "llm/weights.h"
#include "util/error.h"

namespace sweinfer::llm {

namespace fs = std::filesystem;

// ---- Loading ----------------------------------------------------------------------------------

namespace {

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
constexpr WeightNames kMetaNames{"tok_embeddings.weight", "norm.weight", "output.weight", "layers.",
                                 "attention_norm.weight", "attention.wq.weight", "attention.wk.weight",
                                 "attention.wv.weight", "attention.wo.weight", "ffn_norm.weight",
                                 "feed_forward.w1.weight", "feed_forward.w3.weight", "feed_forward.w2.weight"};
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

// The shards named by an index's weight_map.
std::vector<fs::path> IndexedFiles(const fs::path& dir, const fs::path& index_path) {
  auto index = dataset::ReadJsonFile(index_path.string());
  std::set<std::string> names;
  if (index.contains("weight_map") && index["weight_map"].is_object()) {
    for (const auto& [k, v] : index["weight_map"].items()) {
      if (v.is_string()) names.insert(v.get<std::string>());
    }
  }
  std::vector<fs::path> files;
  for (const auto& n : names) {
    if (n.find('/') != std::string::npos || n.find("..") != std::string::npos) {
      throw Error("'" + index_path.string() + "': bad shard name '" + n + "'");
    }
    files.push_back(dir / n);
  }
  return files;
}

// The weight files of a Hugging Face directory: safetensors when there are any (through the index
// when there is one), else torch's pytorch_model*.bin (likewise).
std::vector<fs::path> WeightFiles(const fs::path& dir) {
  std::vector<fs::path> files;
  if (fs::exists(dir / "model.safetensors.index.json")) return IndexedFiles(dir, dir / "model.safetensors.index.json");
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".safetensors") files.push_back(e.path());
  }
  if (files.empty() && fs::exists(dir / "pytorch_model.bin.index.json")) {
    files = IndexedFiles(dir, dir / "pytorch_model.bin.index.json");
  }
  if (files.empty()) {
    for (const auto& e : fs::directory_iterator(dir)) {
      const std::string name = e.path().filename().string();
      if (name.rfind("pytorch_model", 0) == 0 && e.path().extension() == ".bin") files.push_back(e.path());
    }
  }
  if (files.empty()) throw Error("'" + dir.string() + "': no weights (*.safetensors or pytorch_model*.bin)");
  std::sort(files.begin(), files.end());
  return files;
}

std::map<std::string, TensorView> ReadWeightFile(const MappedFile& mapped, const fs::path& path) {
  if (path.extension() == ".safetensors") return ReadSafetensors(mapped.bytes(), path.string());
  return ReadTorchWeights(mapped.bytes(), path.string());
}

LlamaModel LoadHuggingFace(const fs::path& dir) {
  const std::string config_path = (dir / "config.json").string();
  if (!fs::exists(dir / "config.json")) throw Error("'" + dir.string() + "': no config.json");
  dataset::Record c = dataset::ReadJsonFile(config_path);
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
  TensorTable tensors(dir.string());
  for (const auto& f : WeightFiles(dir)) {
    auto mapped = std::make_shared<MappedFile>(f.string());
    for (const auto& [name, view] : ReadWeightFile(*mapped, f)) tensors.Add(name, view);
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

// The dimension along which Meta's model-parallel shards split a tensor (fairscale's
// ColumnParallelLinear splits outputs, RowParallelLinear and ParallelEmbedding inputs); -1: copied.
int MetaSplitDimension(const std::string& name) {
  auto ends = [&](const char* suffix) {
    const std::string s(suffix);
    return name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
  };
  if (name == "tok_embeddings.weight" || ends("attention.wo.weight") || ends("feed_forward.w2.weight")) return 1;
  if (name == "output.weight" || ends("attention.wq.weight") || ends("attention.wk.weight") ||
      ends("attention.wv.weight") || ends("feed_forward.w1.weight") || ends("feed_forward.w3.weight")) {
    return 0;
  }
  return -1;
}

// Joins the pieces of one tensor from every shard along `dim` into bytes of their stored type.
TensorView JoinShards(const std::vector<TensorView>& parts, int dim, const std::string& where) {
  const TensorView& first = parts[0];
  if (first.shape.size() != 2) throw Error(where + ": a split tensor must be a matrix");
  TensorView joined = first;
  joined.shape[dim] = 0;
  for (const auto& p : parts) {
    if (p.dtype != first.dtype || p.shape.size() != 2 || p.shape[1 - dim] != first.shape[1 - dim]) {
      throw Error(where + ": shards disagree on its type or shape");
    }
    joined.shape[dim] += p.shape[dim];
  }
  const size_t element = RowBytes(first.dtype, 1);
  auto bytes = std::make_shared<std::vector<uint8_t>>(static_cast<size_t>(joined.shape[0] * joined.shape[1]) * element);
  if (dim == 0) {
    size_t at = 0;
    for (const auto& p : parts) {
      std::copy(p.data, p.data + p.size, bytes->data() + at);
      at += p.size;
    }
  } else {
    const size_t out_row = static_cast<size_t>(joined.shape[1]) * element;
    size_t column = 0;
    for (const auto& p : parts) {
      const size_t part_row = static_cast<size_t>(p.shape[1]) * element;
      for (int64_t r = 0; r < p.shape[0]; ++r) {
        std::copy(p.data + r * part_row, p.data + (r + 1) * part_row, bytes->data() + r * out_row + column);
      }
      column += part_row;
    }
  }
  joined.data = bytes->data();
  joined.size = bytes->size();
  joined.owned = std::move(bytes);
  return joined;
}

// Meta's original release: params.json and consolidated.NN.pth (one per model-parallel rank).
LlamaModel LoadMeta(const fs::path& dir) {
  const fs::path params_path = dir / "params.json";
  dataset::Record p = dataset::ReadJsonFile(params_path.string());
  std::vector<fs::path> shards;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("consolidated.", 0) == 0 && e.path().extension() == ".pth") shards.push_back(e.path());
  }
  if (shards.empty()) throw Error("'" + dir.string() + "': params.json but no consolidated.NN.pth");
  std::sort(shards.begin(), shards.end());
  LlamaModel m;
  std::vector<std::map<std::string, TensorView>> pieces;
  for (const auto& f : shards) {
    auto mapped = std::make_shared<MappedFile>(f.string());
    pieces.push_back(ReadTorchWeights(mapped->bytes(), f.string()));
    m.files.push_back(std::move(mapped));
  }
  TensorTable tensors(dir.string());
  for (const auto& [name, first] : pieces[0]) {
    std::vector<TensorView> parts;
    for (size_t i = 0; i < pieces.size(); ++i) {
      auto it = pieces[i].find(name);
      if (it == pieces[i].end()) throw Error("'" + shards[i].string() + "': missing tensor '" + name + "'");
      parts.push_back(it->second);
    }
    const int dim = MetaSplitDimension(name);
    tensors.Add(name, parts.size() == 1 || dim < 0 ? first : JoinShards(parts, dim, "'" + dir.string() + "', tensor '" + name + "'"));
  }
  auto& cfg = m.config;
  try {
    cfg.dim = p.at("dim");
    cfg.n_layers = p.at("n_layers");
    cfg.n_heads = p.at("n_heads");
    cfg.n_kv_heads = p.contains("n_kv_heads") && p["n_kv_heads"].is_number() ? p["n_kv_heads"].get<int>() : cfg.n_heads;
    cfg.norm_eps = p.value("norm_eps", 1e-5f);
    cfg.rope.theta = p.contains("rope_theta") && p["rope_theta"].is_number() ? p["rope_theta"].get<float>() : 10000.0f;
    cfg.max_seq_len = p.value("max_seq_len", 4096);
  } catch (const nlohmann::json::exception& e) {
    throw Error(params_path.string() + ": " + e.what());
  }
  cfg.rope.interleaved = true;  // Meta's complex-pair RoPE, as GGUF
  cfg.head_dim = cfg.n_heads > 0 ? cfg.dim / cfg.n_heads : 0;
  // Sizes the parameters leave to the code (multiple_of, ffn_dim_multiplier, vocab_size -1) come from the tensors.
  if (!tensors.Has("tok_embeddings.weight") || !tensors.Has("layers.0.feed_forward.w1.weight")) {
    throw Error("'" + dir.string() + "': not a Llama checkpoint (no tok_embeddings / feed_forward.w1)");
  }
  cfg.vocab_size = static_cast<int>(tensors.Get("tok_embeddings.weight").shape.at(0));
  cfg.hidden_dim = static_cast<int>(tensors.Get("layers.0.feed_forward.w1.weight").shape.at(0));
  CheckConfig(cfg, params_path.string());
  TakeWeights(m, tensors, kMetaNames, false);
  return m;
}

}  // namespace

LlamaModel LoadLlama(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    if (!fs::exists(fs::path(path) / "config.json", ec) && fs::exists(fs::path(path) / "params.json", ec)) return LoadMeta(path);
    return LoadHuggingFace(path);
  }
  if (fs::path(path).extension() == ".gguf") return LoadGguf(path);
  throw Error("'" + path + "': expected a Hugging Face model directory, a Meta checkpoint directory (params.json + "
              "consolidated.00.pth) or a .gguf file");
}

void MergeLora(LlamaModel& m, const std::string& adapter_dir) {
  const fs::path dir(adapter_dir);
  if (!fs::exists(dir / "adapter_config.json")) throw Error("'" + adapter_dir + "': no adapter_config.json");
  dataset::Record cfg = dataset::ReadJsonFile((dir / "adapter_config.json").string());
  const double r = cfg.value("r", 8.0), alpha = cfg.value("lora_alpha", 8.0);
  if (r <= 0) throw Error("'" + adapter_dir + "': adapter r must be positive");
  const float scale = static_cast<float>(alpha / r);
  fs::path weights = dir / "adapter_model.safetensors";
  if (!fs::exists(weights) && fs::exists(dir / "adapter_model.bin")) weights = dir / "adapter_model.bin";
  MappedFile mapped(weights.string());
  auto tensors = ReadWeightFile(mapped, weights);
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

}  // namespace sweinfer::llm
