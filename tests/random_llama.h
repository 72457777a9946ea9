// Tiny random Llama models written to disk the way real ones are shipped, for the engine's tests
// and benchmark: a Hugging Face directory (config.json, safetensors in F32/F16/BF16, optionally
// sharded with an index, a byte-fallback tokenizer.json), the same weights as a GGUF file (Q/K
// rows permuted to llama.cpp's interleaved RoPE layout, as its converter does), and PEFT LoRA
// adapters. Weights are kept as the f32 values the stored type rounds them to, so a reference
// implementation can use exactly what the engine reads.
#pragma once

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "dataset/jsonl.h"
#include "llm/tensor.h"

namespace sweinfer::testing {

struct RandomLlamaSpec {
  int dim = 64, hidden_dim = 96, n_layers = 2, n_heads = 8, n_kv_heads = 2, vocab_size = 300;
  bool tied = false;
  llm::DType dtype = llm::DType::kF32;
  float rope_theta = 10000.0f, rope_scale = 1.0f;
  uint64_t seed = 1;
  int head_dim() const { return dim / n_heads; }
};

struct NamedTensor {
  std::vector<int64_t> shape;
  std::vector<float> values;  // as rounded to the stored type
};

struct RandomLlama {
  RandomLlamaSpec spec;
  std::map<std::string, NamedTensor> tensors;  // Hugging Face names

  const std::vector<float>& W(const std::string& name) const { return tensors.at(name).values; }
};

inline float RoundTo(float v, llm::DType type) {
  if (type == llm::DType::kBF16) return llm::BFloat16ToFloat(llm::FloatToBFloat16(v));
  if (type == llm::DType::kF16) return llm::HalfToFloat(llm::FloatToHalf(v));
  return v;
}

inline RandomLlama MakeRandomLlama(const RandomLlamaSpec& spec) {
  RandomLlama m;
  m.spec = spec;
  std::mt19937_64 rng(spec.seed);
  auto add = [&](const std::string& name, std::vector<int64_t> shape, float scale, float offset = 0) {
    NamedTensor t;
    t.shape = shape;
    int64_t n = 1;
    for (auto d : shape) n *= d;
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    for (int64_t i = 0; i < n; ++i) t.values.push_back(RoundTo(offset + scale * u(rng), spec.dtype));
    m.tensors[name] = std::move(t);
  };
  const int hd = spec.head_dim(), q = spec.n_heads * hd, kv = spec.n_kv_heads * hd;
  add("model.embed_tokens.weight", {spec.vocab_size, spec.dim}, 1.0f);
  for (int l = 0; l < spec.n_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    const float in_scale = 1.7f / std::sqrt(static_cast<float>(spec.dim));
    add(p + "input_layernorm.weight", {spec.dim}, 0.2f, 1.0f);
    add(p + "self_attn.q_proj.weight", {q, spec.dim}, in_scale);
    add(p + "self_attn.k_proj.weight", {kv, spec.dim}, in_scale);
    add(p + "self_attn.v_proj.weight", {kv, spec.dim}, in_scale);
    add(p + "self_attn.o_proj.weight", {spec.dim, q}, 1.7f / std::sqrt(static_cast<float>(q)));
    add(p + "post_attention_layernorm.weight", {spec.dim}, 0.2f, 1.0f);
    add(p + "mlp.gate_proj.weight", {spec.hidden_dim, spec.dim}, in_scale);
    add(p + "mlp.up_proj.weight", {spec.hidden_dim, spec.dim}, in_scale);
    add(p + "mlp.down_proj.weight", {spec.dim, spec.hidden_dim}, 1.7f / std::sqrt(static_cast<float>(spec.hidden_dim)));
  }
  add("model.norm.weight", {spec.dim}, 0.2f, 1.0f);
  if (!spec.tied) add("lm_head.weight", {spec.vocab_size, spec.dim}, 1.0f);
  return m;
}

inline void PutBytes(std::string& out, const void* p, size_t n) { out.append(static_cast<const char*>(p), n); }

// A safetensors file of `names` (all of `tensors` when empty), each stored as `type`.
inline std::string SafetensorsBytes(const std::map<std::string, NamedTensor>& tensors, llm::DType type) {
  dataset::Record header = dataset::Record::object();
  header["__metadata__"] = {{"format", "pt"}};
  std::string data;
  for (const auto& [name, t] : tensors) {
    const size_t begin = data.size();
    std::vector<uint8_t> row(llm::RowBytes(type, static_cast<int64_t>(t.values.size())));
    llm::FloatToRow(t.values.data(), static_cast<int64_t>(t.values.size()), type, row.data());
    PutBytes(data, row.data(), row.size());
    header[name] = {{"dtype", llm::DTypeName(type)}, {"shape", t.shape}, {"data_offsets", {begin, data.size()}}};
  }
  std::string text = header.dump();
  while (text.size() % 8) text += ' ';
  std::string out;
  const uint64_t n = text.size();
  PutBytes(out, &n, 8);
  return out + text + data;
}

inline void WriteBytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A Llama-style byte-fallback tokenizer: <unk>, <s>, </s>, the 256 byte tokens (so "\n" is 13, as
// in Llama), "▁", the lowercase letters, and pieces "▁w<i>" up to `vocab_size` ids.
inline std::string TinyTokenizerJson(int vocab_size) {
  dataset::Record vocab = dataset::Record::object();
  vocab["<unk>"] = 0;
  vocab["<s>"] = 1;
  vocab["</s>"] = 2;
  char buf[8];
  for (int b = 0; b < 256; ++b) {
    std::snprintf(buf, sizeof buf, "<0x%02X>", b);
    vocab[buf] = 3 + b;
  }
  vocab["\xE2\x96\x81"] = 259;
  for (int c = 0; c < 26; ++c) vocab[std::string(1, static_cast<char>('a' + c))] = 260 + c;
  for (int id = 286; id < vocab_size; ++id) vocab["\xE2\x96\x81w" + std::to_string(id)] = id;
  dataset::Record j = {
      {"version", "1.0"},
      {"added_tokens", {{{"id", 0}, {"content", "<unk>"}, {"special", true}},
                        {{"id", 1}, {"content", "<s>"}, {"special", true}},
                        {{"id", 2}, {"content", "</s>"}, {"special", true}}}},
      {"normalizer", {{"type", "Sequence"}, {"normalizers", {{{"type", "Prepend"}, {"prepend", "\xE2\x96\x81"}},
                                                             {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "\xE2\x96\x81"}}}}}},
      {"pre_tokenizer", nullptr},
      {"post_processor", {{"type", "TemplateProcessing"},
                          {"single", {{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}}, {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}},
                          {"pair", dataset::Record::array()},
                          {"special_tokens", {{"<s>", {{"id", "<s>"}, {"ids", {1}}, {"tokens", {"<s>"}}}}}}}},
      {"decoder", {{"type", "Sequence"}, {"decoders", {{{"type", "Replace"}, {"pattern", {{"String", "\xE2\x96\x81"}}}, {"content", " "}},
                                                       {{"type", "ByteFallback"}}, {{"type", "Fuse"}},
                                                       {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}}}}},
      {"model", {{"type", "BPE"}, {"unk_token", "<unk>"}, {"byte_fallback", true}, {"fuse_unk", true}, {"vocab", vocab},
                 {"merges", dataset::Record::array()}}}};
  return j.dump();
}

// config.json + safetensors (two shards and an index when `shards` is 2) + tokenizer.json.
inline void WriteHuggingFace(const RandomLlama& m, const std::filesystem::path& dir, int shards = 1) {
  std::filesystem::create_directories(dir);
  const auto& s = m.spec;
  dataset::Record config = {{"architectures", {"LlamaForCausalLM"}}, {"model_type", "llama"},
                            {"hidden_size", s.dim}, {"intermediate_size", s.hidden_dim},
                            {"num_hidden_layers", s.n_layers}, {"num_attention_heads", s.n_heads},
                            {"num_key_value_heads", s.n_kv_heads}, {"vocab_size", s.vocab_size},
                            {"max_position_embeddings", 4096}, {"rms_norm_eps", 1e-5}, {"rope_theta", s.rope_theta},
                            {"tie_word_embeddings", s.tied}, {"bos_token_id", 1}, {"eos_token_id", 2},
                            {"torch_dtype", s.dtype == llm::DType::kBF16 ? "bfloat16" : s.dtype == llm::DType::kF16 ? "float16" : "float32"}};
  config["rope_scaling"] = s.rope_scale != 1.0f ? dataset::Record{{"type", "linear"}, {"factor", s.rope_scale}} : dataset::Record();
  WriteBytes(dir / "config.json", config.dump(2));
  WriteBytes(dir / "tokenizer.json", TinyTokenizerJson(s.vocab_size));
  if (shards == 1) {
    WriteBytes(dir / "model.safetensors", SafetensorsBytes(m.tensors, s.dtype));
    return;
  }
  std::map<std::string, NamedTensor> parts[2];
  dataset::Record index = {{"metadata", dataset::Record::object()}, {"weight_map", dataset::Record::object()}};
  int i = 0;
  for (const auto& [name, t] : m.tensors) {
    const int shard = (i++ % 2);
    parts[shard][name] = t;
    index["weight_map"][name] = "model-0000" + std::to_string(shard + 1) + "-of-00002.safetensors";
  }
  for (int shard = 0; shard < 2; ++shard) {
    WriteBytes(dir / ("model-0000" + std::to_string(shard + 1) + "-of-00002.safetensors"), SafetensorsBytes(parts[shard], s.dtype));
  }
  WriteBytes(dir / "model.safetensors.index.json", index.dump());
}

// llama.cpp's converter permutes Q and K rows so RoPE pairs are adjacent: row h*hd + 2i + s
// holds Hugging Face row h*hd + s*hd/2 + i.
inline std::vector<float> PermuteForGguf(const std::vector<float>& w, int heads, int head_dim, int cols) {
  std::vector<float> out(w.size());
  for (int h = 0; h < heads; ++h)
    for (int i = 0; i < head_dim / 2; ++i)
      for (int s = 0; s < 2; ++s)
        std::memcpy(&out[(static_cast<size_t>(h) * head_dim + 2 * i + s) * cols],
                    &w[(static_cast<size_t>(h) * head_dim + s * head_dim / 2 + i) * cols], sizeof(float) * cols);
  return out;
}

// The same model as a GGUF v3 file; matrices stored as `type` (F32, F16, BF16 or Q8_0), norms F32.
inline void WriteGguf(const RandomLlama& m, const std::filesystem::path& path, llm::DType type) {
  const auto& s = m.spec;
  std::string kv;
  int kv_count = 0;
  auto str = [&](const std::string& v) {
    const uint64_t n = v.size();
    PutBytes(kv, &n, 8);
    kv += v;
  };
  auto key = [&](const std::string& k, uint32_t vtype) {
    str(k);
    PutBytes(kv, &vtype, 4);
    ++kv_count;
  };
  key("general.architecture", 8);
  str("llama");
  auto u32 = [&](const std::string& k, uint32_t v) { key(k, 4); PutBytes(kv, &v, 4); };
  auto f32 = [&](const std::string& k, float v) { key(k, 6); PutBytes(kv, &v, 4); };
  u32("llama.context_length", 4096);
  u32("llama.embedding_length", s.dim);
  u32("llama.block_count", s.n_layers);
  u32("llama.feed_forward_length", s.hidden_dim);
  u32("llama.attention.head_count", s.n_heads);
  u32("llama.attention.head_count_kv", s.n_kv_heads);
  f32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
  f32("llama.rope.freq_base", s.rope_theta);
  if (s.rope_scale != 1.0f) {
    key("llama.rope.scaling.type", 8);
    str("linear");
    f32("llama.rope.scaling.factor", s.rope_scale);
  }
  u32("tokenizer.ggml.bos_token_id", 1);
  u32("tokenizer.ggml.eos_token_id", 2);
  struct Out {
    std::string name;
    std::vector<int64_t> shape;
    std::vector<float> values;
    llm::DType type;
  };
  std::vector<Out> outs;
  const int hd = s.head_dim();
  auto put = [&](const std::string& gguf, const std::string& hf, bool matrix, int permute_heads = 0) {
    const NamedTensor& t = m.tensors.at(hf);
    Out o{gguf, t.shape, t.values, matrix ? type : llm::DType::kF32};
    if (permute_heads) o.values = PermuteForGguf(t.values, permute_heads, hd, s.dim);
    outs.push_back(std::move(o));
  };
  put("token_embd.weight", "model.embed_tokens.weight", true);
  put("output_norm.weight", "model.norm.weight", false);
  if (!s.tied) put("output.weight", "lm_head.weight", true);
  for (int l = 0; l < s.n_layers; ++l) {
    const std::string b = "blk." + std::to_string(l) + ".", p = "model.layers." + std::to_string(l) + ".";
    put(b + "attn_norm.weight", p + "input_layernorm.weight", false);
    put(b + "attn_q.weight", p + "self_attn.q_proj.weight", true, s.n_heads);
    put(b + "attn_k.weight", p + "self_attn.k_proj.weight", true, s.n_kv_heads);
    put(b + "attn_v.weight", p + "self_attn.v_proj.weight", true);
    put(b + "attn_output.weight", p + "self_attn.o_proj.weight", true);
    put(b + "ffn_norm.weight", p + "post_attention_layernorm.weight", false);
    put(b + "ffn_gate.weight", p + "mlp.gate_proj.weight", true);
    put(b + "ffn_up.weight", p + "mlp.up_proj.weight", true);
    put(b + "ffn_down.weight", p + "mlp.down_proj.weight", true);
  }
  std::string infos, data;
  for (const auto& o : outs) {
    const uint64_t n = o.name.size();
    PutBytes(infos, &n, 8);
    infos += o.name;
    const uint32_t dims = static_cast<uint32_t>(o.shape.size());
    PutBytes(infos, &dims, 4);
    for (auto it = o.shape.rbegin(); it != o.shape.rend(); ++it) {
      const uint64_t d = static_cast<uint64_t>(*it);
      PutBytes(infos, &d, 8);
    }
    const uint32_t code = o.type == llm::DType::kF32 ? 0 : o.type == llm::DType::kF16 ? 1 : o.type == llm::DType::kQ8_0 ? 8 : 30;
    PutBytes(infos, &code, 4);
    while (data.size() % 32) data += '\0';
    const uint64_t offset = data.size();
    PutBytes(infos, &offset, 8);
    std::vector<uint8_t> bytes(llm::RowBytes(o.type, static_cast<int64_t>(o.values.size())));
    const int64_t cols = o.shape.back();
    for (size_t r = 0; r < o.values.size() / cols; ++r) {
      llm::FloatToRow(o.values.data() + r * cols, cols, o.type, bytes.data() + r * llm::RowBytes(o.type, cols));
    }
    PutBytes(data, bytes.data(), bytes.size());
  }
  std::string out = "GGUF";
  const uint32_t version = 3;
  const uint64_t tensor_count = outs.size(), kv_n = kv_count;
  PutBytes(out, &version, 4);
  PutBytes(out, &tensor_count, 8);
  PutBytes(out, &kv_n, 8);
  out += kv + infos;
  while (out.size() % 32) out += '\0';
  WriteBytes(path, out + data);
}

// A PEFT adapter on `modules` (e.g. {"q_proj", "v_proj"}) of every layer; returns the dense update
// (alpha / r) * B * A of each target, by Hugging Face weight name, for the reference.
inline std::map<std::string, std::vector<float>> WriteLora(const RandomLlama& m, const std::filesystem::path& dir,
                                                          const std::vector<std::string>& modules, int r, float alpha,
                                                          uint64_t seed) {
  std::filesystem::create_directories(dir);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-0.3f, 0.3f);
  std::map<std::string, NamedTensor> tensors;
  std::map<std::string, std::vector<float>> updates;
  for (int l = 0; l < m.spec.n_layers; ++l) {
    for (const auto& module : modules) {
      const std::string group = module == "gate_proj" || module == "up_proj" || module == "down_proj" ? "mlp." : "self_attn.";
      const std::string hf = "model.layers." + std::to_string(l) + "." + group + module + ".weight";
      const auto& shape = m.tensors.at(hf).shape;
      const int64_t out = shape[0], in = shape[1];
      NamedTensor a{{r, in}, {}}, b{{out, r}, {}};
      for (int64_t i = 0; i < r * in; ++i) a.values.push_back(u(rng));
      for (int64_t i = 0; i < out * r; ++i) b.values.push_back(u(rng));
      std::vector<float> delta(static_cast<size_t>(out * in));
      for (int64_t o = 0; o < out; ++o)
        for (int64_t k = 0; k < r; ++k)
          for (int64_t i = 0; i < in; ++i) delta[o * in + i] += alpha / r * b.values[o * r + k] * a.values[k * in + i];
      updates[hf] = std::move(delta);
      const std::string prefix = "base_model.model.model.layers." + std::to_string(l) + "." + group + module;
      tensors[prefix + ".lora_A.weight"] = std::move(a);
      tensors[prefix + ".lora_B.weight"] = std::move(b);
    }
  }
  WriteBytes(dir / "adapter_model.safetensors", SafetensorsBytes(tensors, llm::DType::kF32));
  dataset::Record config = {{"peft_type", "LORA"}, {"r", r}, {"lora_alpha", alpha}, {"target_modules", modules},
                            {"base_model_name_or_path", "random"}, {"task_type", "CAUSAL_LM"}};
  WriteBytes(dir / "adapter_config.json", config.dump(2));
  return updates;
}

}  // namespace sweinfer::testing
