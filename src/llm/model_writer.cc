#include "llm/model_writer.h"

#include <sentencepiece_processor.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "dataset/jsonl.h"
#include "llm/quants.h"
#include "llm/weights.h"
#include "util/error.h"

namespace sweinfer::llm {

namespace fs = std::filesystem;

namespace {

// One tensor to write: a matrix (converted row by row) or a norm vector (always F32).
struct OutTensor {
  std::string name;
  const Matrix* matrix = nullptr;
  const std::vector<float>* vector = nullptr;
  DType type = DType::kF32;
  int permute_heads = 0;  // Q/K rows reordered between the two RoPE layouts
  int64_t rows() const { return matrix ? matrix->rows : 1; }
  int64_t cols() const { return matrix ? matrix->cols : static_cast<int64_t>(vector->size()); }
  uint64_t bytes() const { return RowBytes(type, cols()) * static_cast<uint64_t>(rows()); }
};

// The row of the source that lands at `row` when Q/K rows move between RoPE layouts: to the
// interleaved order (GGUF, Meta) row h*hd + 2i + s holds row h*hd + s*hd/2 + i; back, the inverse.
int64_t SourceRow(int64_t row, int head_dim, bool to_interleaved) {
  const int64_t h = row / head_dim, j = row % head_dim, half = head_dim / 2;
  return to_interleaved ? h * head_dim + (j % 2) * half + j / 2 : h * head_dim + 2 * (j % half) + j / half;
}

// Streams one tensor's bytes to `out`.
void WriteTensor(std::ofstream& out, const OutTensor& t, int head_dim, bool to_interleaved) {
  if (t.vector) {
    out.write(reinterpret_cast<const char*>(t.vector->data()), static_cast<std::streamsize>(t.vector->size() * 4));
    return;
  }
  const Matrix& m = *t.matrix;
  std::vector<float> row(static_cast<size_t>(m.cols));
  std::vector<uint8_t> bytes(RowBytes(t.type, m.cols));
  for (int64_t r = 0; r < m.rows; ++r) {
    const int64_t source = t.permute_heads ? SourceRow(r, head_dim, to_interleaved) : r;
    if (m.dtype == t.type) {
      out.write(reinterpret_cast<const char*>(m.row(source)), static_cast<std::streamsize>(m.row_bytes()));
      continue;
    }
    RowToFloat(m, source, row.data());
    FloatToRow(row.data(), m.cols, t.type, bytes.data());
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
}

void Pad(std::ofstream& out, uint64_t& position, uint64_t alignment) {
  static const char zeros[64] = {};
  const uint64_t aligned = (position + alignment - 1) / alignment * alignment;
  out.write(zeros, static_cast<std::streamsize>(aligned - position));
  position = aligned;
}

uint32_t GgmlType(DType type) {
  switch (type) {
    case DType::kF32: return 0;
    case DType::kF16: return 1;
    case DType::kQ4_0: return 2;
    case DType::kQ4_1: return 3;
    case DType::kQ5_0: return 6;
    case DType::kQ5_1: return 7;
    case DType::kQ8_0: return 8;
    case DType::kQ4_K: return 12;
    case DType::kQ5_K: return 13;
    case DType::kQ6_K: return 14;
    case DType::kBF16: return 30;
    default: throw Error("GGUF has no type " + DTypeName(type));
  }
}

// llama.cpp's llama_ftype for a recipe (general.file_type).
uint32_t FileType(const QuantRecipe& r) {
  if (r.mixed) return r.base == DType::kQ4_K ? 15 : 17;
  switch (r.base) {
    case DType::kF32: return 0;
    case DType::kF16: return 1;
    case DType::kQ4_0: return 2;
    case DType::kQ4_1: return 3;
    case DType::kQ8_0: return 7;
    case DType::kQ5_0: return 8;
    case DType::kQ5_1: return 9;
    case DType::kQ4_K: return 14;
    case DType::kQ5_K: return 16;
    case DType::kQ6_K: return 18;
    case DType::kBF16: return 32;
    default: return 1;
  }
}

// GGUF metadata, key by key.
class GgufKeys {
 public:
  void String(const std::string& key, const std::string& v) {
    Key(key, 8);
    Str(v);
  }
  void U32(const std::string& key, uint32_t v) {
    Key(key, 4);
    Put(v);
  }
  void F32(const std::string& key, float v) {
    Key(key, 6);
    Put(v);
  }
  void Strings(const std::string& key, const std::vector<std::string>& v) {
    Key(key, 9);
    Put(uint32_t{8});
    Put(static_cast<uint64_t>(v.size()));
    for (const auto& s : v) Str(s);
  }
  template <typename T>
  void Array(const std::string& key, uint32_t element_type, const std::vector<T>& v) {
    Key(key, 9);
    Put(element_type);
    Put(static_cast<uint64_t>(v.size()));
    for (const T& x : v) Put(x);
  }
  uint64_t count() const { return count_; }
  const std::string& bytes() const { return out_; }
  void Str(const std::string& s) {
    Put(static_cast<uint64_t>(s.size()));
    out_ += s;
  }
  template <typename T>
  void Put(T v) {
    out_.append(reinterpret_cast<const char*>(&v), sizeof v);
  }

 private:
  void Key(const std::string& key, uint32_t type) {
    Str(key);
    Put(type);
    ++count_;
  }
  std::string out_;
  uint64_t count_ = 0;
};

bool IsBytePiece(const std::string& piece) {
  return piece.size() == 6 && piece.rfind("<0x", 0) == 0 && piece.back() == '>';
}

}  // namespace

GgufVocabulary ReadVocabulary(const std::string& source) {
  GgufVocabulary v;
  std::error_code ec;
  if (!fs::is_directory(source, ec)) {
    MappedFile file(source);
    GgufFile g = ReadGguf(file.bytes(), source);
    if (!g.string_arrays.count("tokenizer.ggml.tokens")) throw Error("'" + source + "' has no embedded vocabulary");
    v.model = g.strings.count("tokenizer.ggml.model") ? g.strings["tokenizer.ggml.model"] : "llama";
    v.tokens = g.string_arrays["tokenizer.ggml.tokens"];
    for (double s : g.number_arrays["tokenizer.ggml.scores"]) v.scores.push_back(static_cast<float>(s));
    for (double t : g.number_arrays["tokenizer.ggml.token_type"]) v.types.push_back(static_cast<int32_t>(t));
    if (g.numbers.count("tokenizer.ggml.bos_token_id")) v.bos_id = static_cast<int>(g.numbers["tokenizer.ggml.bos_token_id"]);
    if (g.numbers.count("tokenizer.ggml.eos_token_id")) v.eos_id = static_cast<int>(g.numbers["tokenizer.ggml.eos_token_id"]);
    if (g.numbers.count("tokenizer.ggml.unknown_token_id")) v.unknown_id = static_cast<int>(g.numbers["tokenizer.ggml.unknown_token_id"]);
  } else if (fs::exists(fs::path(source) / "tokenizer.model")) {
    sentencepiece::SentencePieceProcessor sp;
    const std::string path = (fs::path(source) / "tokenizer.model").string();
    if (!sp.Load(path).ok()) throw Error("'" + path + "': not a sentencepiece model");
    for (int i = 0; i < sp.GetPieceSize(); ++i) {
      v.tokens.push_back(sp.IdToPiece(i));
      v.scores.push_back(sp.GetScore(i));
      v.types.push_back(sp.IsUnknown(i) ? 2 : sp.IsControl(i) ? 3 : sp.IsUnused(i) ? 5 : sp.IsByte(i) ? 6 : 1);
    }
    v.bos_id = sp.bos_id();
    v.eos_id = sp.eos_id();
    if (sp.unk_id() >= 0) v.unknown_id = sp.unk_id();
  } else if (fs::exists(fs::path(source) / "tokenizer.json")) {
    const fs::path path = fs::path(source) / "tokenizer.json";
    dataset::Record j = dataset::ReadJsonFile(path.string());
    std::map<int64_t, std::pair<std::string, int32_t>> by_id;
    if (j.contains("model") && j["model"].contains("vocab") && j["model"]["vocab"].is_object()) {
      for (const auto& [piece, id] : j["model"]["vocab"].items()) {
        if (id.is_number_integer()) by_id[id.get<int64_t>()] = {piece, IsBytePiece(piece) ? 6 : 1};
      }
    }
    if (j.contains("added_tokens") && j["added_tokens"].is_array()) {
      for (const auto& t : j["added_tokens"]) {
        if (t.contains("id") && t.contains("content")) {
          by_id[t["id"].get<int64_t>()] = {t["content"].get<std::string>(), t.value("special", false) ? 3 : 4};
        }
      }
    }
    if (by_id.empty()) throw Error("'" + path.string() + "': no vocabulary");
    const int64_t size = by_id.rbegin()->first + 1;
    for (int64_t id = 0; id < size; ++id) {
      auto it = by_id.find(id);
      v.tokens.push_back(it == by_id.end() ? "[PAD" + std::to_string(id) + "]" : it->second.first);
      v.types.push_back(it == by_id.end() ? 5 : it->second.second);
      v.scores.push_back(-static_cast<float>(id));  // sentencepiece orders pieces by score
    }
    for (size_t id = 0; id < v.tokens.size(); ++id) {
      if (v.tokens[id] == "<unk>") {
        v.types[id] = 2;
        v.unknown_id = static_cast<int>(id);
      }
    }
  } else {
    throw Error("'" + source + "' has no tokenizer (tokenizer.model or tokenizer.json) to embed in the GGUF");
  }
  return v;
}

void WriteGguf(const LlamaModel& m, const QuantRecipe& recipe, const GgufVocabulary& vocab, const std::string& path) {
  const auto& c = m.config;
  if (static_cast<int>(vocab.tokens.size()) < c.vocab_size) {
    throw Error("the vocabulary has " + std::to_string(vocab.tokens.size()) + " tokens, the model " +
                std::to_string(c.vocab_size));
  }
  const bool tied = m.output.data == m.embed.data;
  std::vector<OutTensor> tensors;
  auto matrix = [&](const std::string& name, const Matrix& w, const std::string& role, int layer, int permute = 0) {
    OutTensor t;
    t.name = name;
    t.matrix = &w;
    t.type = recipe.TypeFor(role, layer, c.n_layers, w.cols);
    t.permute_heads = c.rope.interleaved ? 0 : permute;
    tensors.push_back(t);
  };
  auto vector = [&](const std::string& name, const std::vector<float>& v) {
    OutTensor t;
    t.name = name;
    t.vector = &v;
    tensors.push_back(t);
  };
  matrix("token_embd.weight", m.embed, tied ? "output" : "embed", 0);
  vector("output_norm.weight", m.final_norm);
  if (!tied) matrix("output.weight", m.output, "output", 0);
  for (int l = 0; l < c.n_layers; ++l) {
    const LlamaLayer& L = m.layers[l];
    const std::string b = "blk." + std::to_string(l) + ".";
    vector(b + "attn_norm.weight", L.attn_norm);
    matrix(b + "attn_q.weight", L.wq, "wq", l, c.n_heads);
    matrix(b + "attn_k.weight", L.wk, "wk", l, c.n_kv_heads);
    matrix(b + "attn_v.weight", L.wv, "wv", l);
    matrix(b + "attn_output.weight", L.wo, "wo", l);
    vector(b + "ffn_norm.weight", L.ffn_norm);
    matrix(b + "ffn_gate.weight", L.w_gate, "w_gate", l);
    matrix(b + "ffn_up.weight", L.w_up, "w_up", l);
    matrix(b + "ffn_down.weight", L.w_down, "w_down", l);
  }
  GgufKeys kv;
  kv.String("general.architecture", "llama");
  kv.String("general.name", fs::path(path).stem().string());
  kv.U32("general.file_type", FileType(recipe));
  kv.U32("general.quantization_version", 2);
  kv.U32("llama.context_length", static_cast<uint32_t>(c.max_seq_len));
  kv.U32("llama.embedding_length", static_cast<uint32_t>(c.dim));
  kv.U32("llama.block_count", static_cast<uint32_t>(c.n_layers));
  kv.U32("llama.feed_forward_length", static_cast<uint32_t>(c.hidden_dim));
  kv.U32("llama.attention.head_count", static_cast<uint32_t>(c.n_heads));
  kv.U32("llama.attention.head_count_kv", static_cast<uint32_t>(c.n_kv_heads));
  kv.U32("llama.attention.key_length", static_cast<uint32_t>(c.head_dim));
  kv.U32("llama.attention.value_length", static_cast<uint32_t>(c.head_dim));
  kv.U32("llama.rope.dimension_count", static_cast<uint32_t>(c.head_dim));
  kv.F32("llama.attention.layer_norm_rms_epsilon", c.norm_eps);
  kv.F32("llama.rope.freq_base", c.rope.theta);
  if (c.rope.scale != 1.0f) {
    kv.String("llama.rope.scaling.type", "linear");
    kv.F32("llama.rope.scaling.factor", c.rope.scale);
  }
  kv.String("tokenizer.ggml.model", vocab.model);
  kv.Strings("tokenizer.ggml.tokens", vocab.tokens);
  if (!vocab.scores.empty()) kv.Array("tokenizer.ggml.scores", 6, vocab.scores);
  if (!vocab.types.empty()) kv.Array("tokenizer.ggml.token_type", 5, vocab.types);
  kv.U32("tokenizer.ggml.bos_token_id", static_cast<uint32_t>(vocab.bos_id));
  kv.U32("tokenizer.ggml.eos_token_id", static_cast<uint32_t>(vocab.eos_id));
  if (vocab.unknown_id) kv.U32("tokenizer.ggml.unknown_token_id", static_cast<uint32_t>(*vocab.unknown_id));
  GgufKeys infos;
  uint64_t offset = 0;
  for (const auto& t : tensors) {
    infos.Str(t.name);
    const bool is_matrix = t.matrix != nullptr;
    infos.Put(static_cast<uint32_t>(is_matrix ? 2 : 1));
    infos.Put(static_cast<uint64_t>(t.cols()));
    if (is_matrix) infos.Put(static_cast<uint64_t>(t.rows()));
    infos.Put(GgmlType(t.type));
    offset = (offset + 31) / 32 * 32;
    infos.Put(offset);
    offset += t.bytes();
  }
  const std::string temporary = path + ".partial";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw Error("cannot write '" + path + "'");
    GgufKeys head;
    out << "GGUF";
    head.Put(uint32_t{3});
    head.Put(static_cast<uint64_t>(tensors.size()));
    head.Put(kv.count());
    out << head.bytes() << kv.bytes() << infos.bytes();
    uint64_t position = 4 + head.bytes().size() + kv.bytes().size() + infos.bytes().size();
    Pad(out, position, 32);
    const uint64_t data_start = position;
    for (const auto& t : tensors) {
      Pad(out, position, 32);
      (void)data_start;
      WriteTensor(out, t, c.head_dim, true);
      position += t.bytes();
    }
    if (!out) throw Error("writing '" + path + "' failed (disk full?)");
  }
  fs::rename(temporary, path);
}

void WriteSafetensorsDirectory(const LlamaModel& m, DType type, const std::string& dir, const std::string& tokenizer_dir,
                               uint64_t shard_bytes) {
  if (type != DType::kF32 && type != DType::kF16 && type != DType::kBF16) {
    throw Error("safetensors holds F32, F16 or BF16 weights, not " + DTypeName(type) + " (write a GGUF for block types)");
  }
  const auto& c = m.config;
  const bool tied = m.output.data == m.embed.data;
  fs::create_directories(dir);
  dataset::Record config = {{"architectures", {"LlamaForCausalLM"}},
                            {"model_type", "llama"},
                            {"hidden_size", c.dim},
                            {"intermediate_size", c.hidden_dim},
                            {"num_hidden_layers", c.n_layers},
                            {"num_attention_heads", c.n_heads},
                            {"num_key_value_heads", c.n_kv_heads},
                            {"head_dim", c.head_dim},
                            {"vocab_size", c.vocab_size},
                            {"max_position_embeddings", c.max_seq_len},
                            {"rms_norm_eps", c.norm_eps},
                            {"rope_theta", c.rope.theta},
                            {"tie_word_embeddings", tied},
                            {"bos_token_id", c.bos_id},
                            {"eos_token_id", c.eos_id},
                            {"torch_dtype", type == DType::kBF16 ? "bfloat16" : type == DType::kF16 ? "float16" : "float32"}};
  if (c.rope.scale != 1.0f) config["rope_scaling"] = {{"type", "linear"}, {"factor", c.rope.scale}};
  std::ofstream(fs::path(dir) / "config.json") << config.dump(2);
  for (const char* name : {"tokenizer.json", "tokenizer.model", "tokenizer_config.json", "special_tokens_map.json",
                           "generation_config.json"}) {
    std::error_code ec;
    if (!tokenizer_dir.empty() && fs::exists(fs::path(tokenizer_dir) / name)) {
      fs::copy_file(fs::path(tokenizer_dir) / name, fs::path(dir) / name, fs::copy_options::overwrite_existing, ec);
    }
  }
  std::vector<OutTensor> tensors;
  auto matrix = [&](const std::string& name, const Matrix& w, int permute = 0) {
    OutTensor t;
    t.name = name;
    t.matrix = &w;
    t.type = type;
    t.permute_heads = c.rope.interleaved ? permute : 0;  // back to Hugging Face's rotate-half order
    tensors.push_back(t);
  };
  auto vector = [&](const std::string& name, const std::vector<float>& v) {
    OutTensor t;
    t.name = name;
    t.vector = &v;
    tensors.push_back(t);
  };
  matrix("model.embed_tokens.weight", m.embed);
  vector("model.norm.weight", m.final_norm);
  if (!tied) matrix("lm_head.weight", m.output);
  for (int l = 0; l < c.n_layers; ++l) {
    const LlamaLayer& L = m.layers[l];
    const std::string p = "model.layers." + std::to_string(l) + ".";
    vector(p + "input_layernorm.weight", L.attn_norm);
    matrix(p + "self_attn.q_proj.weight", L.wq, c.n_heads);
    matrix(p + "self_attn.k_proj.weight", L.wk, c.n_kv_heads);
    matrix(p + "self_attn.v_proj.weight", L.wv);
    matrix(p + "self_attn.o_proj.weight", L.wo);
    vector(p + "post_attention_layernorm.weight", L.ffn_norm);
    matrix(p + "mlp.gate_proj.weight", L.w_gate);
    matrix(p + "mlp.up_proj.weight", L.w_up);
    matrix(p + "mlp.down_proj.weight", L.w_down);
  }
  // Shards of at most shard_bytes (a tensor larger than that gets a shard of its own).
  std::vector<std::vector<const OutTensor*>> shards(1);
  uint64_t in_shard = 0;
  for (const auto& t : tensors) {
    if (in_shard > 0 && in_shard + t.bytes() > shard_bytes) {
      shards.emplace_back();
      in_shard = 0;
    }
    shards.back().push_back(&t);
    in_shard += t.bytes();
  }
  dataset::Record index = {{"metadata", dataset::Record::object()}, {"weight_map", dataset::Record::object()}};
  uint64_t total = 0;
  for (size_t s = 0; s < shards.size(); ++s) {
    char name[64];
    if (shards.size() == 1) {
      std::snprintf(name, sizeof name, "model.safetensors");
    } else {
      std::snprintf(name, sizeof name, "model-%05zu-of-%05zu.safetensors", s + 1, shards.size());
    }
    dataset::Record header = dataset::Record::object();
    header["__metadata__"] = {{"format", "pt"}};
    uint64_t offset = 0;
    for (const OutTensor* t : shards[s]) {
      std::vector<int64_t> shape = t->matrix ? std::vector<int64_t>{t->rows(), t->cols()} : std::vector<int64_t>{t->cols()};
      header[t->name] = {{"dtype", t->vector ? "F32" : DTypeName(t->type)}, {"shape", shape}, {"data_offsets", {offset, offset + t->bytes()}}};
      offset += t->bytes();
      index["weight_map"][t->name] = name;
    }
    total += offset;
    std::string text = header.dump();
    while (text.size() % 8) text += ' ';
    const fs::path target = fs::path(dir) / name;
    std::ofstream out(target.string() + ".partial", std::ios::binary | std::ios::trunc);
    const uint64_t header_size = text.size();
    out.write(reinterpret_cast<const char*>(&header_size), 8);
    out << text;
    for (const OutTensor* t : shards[s]) WriteTensor(out, *t, c.head_dim, false);
    out.close();
    if (!out) throw Error("writing '" + target.string() + "' failed (disk full?)");
    fs::rename(target.string() + ".partial", target);
  }
  if (shards.size() > 1) {
    index["metadata"]["total_size"] = total;
    std::ofstream(fs::path(dir) / "model.safetensors.index.json") << index.dump(2);
  }
}

}  // namespace sweinfer::llm
