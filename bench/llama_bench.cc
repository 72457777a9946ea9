// run-llama engine benchmark on a random Llama of real shape (TinyLlama-1.1B's by default,
// CodeLlama-7B's with --shape 7b), bf16.
//
//   llama_bench write DIR [--shape tinyllama|7b|13b] [--layers N] [--q8 1] [--gguf 0]
//                                           writes DIR/hf (config.json + model.safetensors, bf16),
//                                           DIR/model-f16.gguf (the same weights, F16, for llama.cpp)
//                                           and with --q8 1 DIR/model-q8_0.gguf (Q8_0, llama.cpp's rounding);
//                                           --gguf 0 writes only DIR/hf (13B: the disk holds one copy)
//   llama_bench run DIR [--weights hf|q8_0] [--prompt 2000] [--decode 32] [--threads 1,2] [--quantize q8]
//                                           prefill and decode speed, the bandwidth bound from a read of
//                                           the mapped weights just before, peak RSS
//   llama_bench speculate MODEL [--decode 200] [--threads 1]
//                                           greedy decoding with and without prompt lookup on a prompt
//                                           whose continuation repeats earlier text: the model's own
//                                           greedy story (for stories260K, which continues its stories)
//
// Prints one "result" line per thread count; bench/llama_bench.sh adds llama.cpp (node-llama-cpp)
// on the same weights and the ratios.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "dataset/jsonl.h"
#include "llm/llama.h"
#include "llm/speculative.h"
#include "llm/tensor.h"
#include "random_llama.h"
#include "util/thread_pool.h"

namespace fs = std::filesystem;
using namespace sweinfer;

namespace {

struct Shape {
  int dim = 2048, hidden = 5632, layers = 22, heads = 32, kv_heads = 4, vocab = 32000;
  float rope_theta = 10000.0f;
};

Shape ShapeNamed(const std::string& name) {
  if (name == "tinyllama") return Shape{};
  if (name == "7b") return Shape{4096, 11008, 32, 32, 32, 32016, 1e6f};  // CodeLlama-7B
  if (name == "13b") return Shape{5120, 13824, 40, 40, 40, 32016, 1e6f};  // CodeLlama-13B / SWE-Llama-13b
  std::fprintf(stderr, "unknown --shape '%s' (tinyllama, 7b or 13b)\n", name.c_str());
  std::exit(2);
}

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct TensorSpec {
  std::string hf, gguf;
  int64_t rows, cols;  // cols = 0: a vector of `rows`
  int permute_heads = 0;
  bool norm = false;
};

std::vector<TensorSpec> Tensors(const Shape& s) {
  const int hd = s.dim / s.heads;
  std::vector<TensorSpec> t;
  t.push_back({"model.embed_tokens.weight", "token_embd.weight", s.vocab, s.dim});
  for (int l = 0; l < s.layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".", b = "blk." + std::to_string(l) + ".";
    t.push_back({p + "input_layernorm.weight", b + "attn_norm.weight", s.dim, 0, 0, true});
    t.push_back({p + "self_attn.q_proj.weight", b + "attn_q.weight", s.dim, s.dim, s.heads});
    t.push_back({p + "self_attn.k_proj.weight", b + "attn_k.weight", int64_t{s.kv_heads} * hd, s.dim, s.kv_heads});
    t.push_back({p + "self_attn.v_proj.weight", b + "attn_v.weight", int64_t{s.kv_heads} * hd, s.dim});
    t.push_back({p + "self_attn.o_proj.weight", b + "attn_output.weight", s.dim, s.dim});
    t.push_back({p + "post_attention_layernorm.weight", b + "ffn_norm.weight", s.dim, 0, 0, true});
    t.push_back({p + "mlp.gate_proj.weight", b + "ffn_gate.weight", s.hidden, s.dim});
    t.push_back({p + "mlp.up_proj.weight", b + "ffn_up.weight", s.hidden, s.dim});
    t.push_back({p + "mlp.down_proj.weight", b + "ffn_down.weight", s.dim, s.hidden});
  }
  t.push_back({"model.norm.weight", "output_norm.weight", s.dim, 0, 0, true});
  t.push_back({"lm_head.weight", "output.weight", s.vocab, s.dim});
  return t;
}

std::vector<float> Values(const TensorSpec& t, uint64_t seed) {
  const int64_t n = t.rows * std::max<int64_t>(t.cols, 1);
  std::vector<float> v(static_cast<size_t>(n));
  std::mt19937_64 rng(seed);
  const float scale = t.norm ? 0.2f : t.cols ? 1.7f / std::sqrt(static_cast<float>(t.cols)) : 1.0f;
  const float offset = t.norm ? 1.0f : 0.0f;
  for (auto& x : v) {
    // Two uniform values per draw: the generator is not the bottleneck of writing 2 GB.
    x = offset + scale * (static_cast<float>(rng() >> 40) / static_cast<float>(1 << 24) * 2 - 1);
    x = llm::BFloat16ToFloat(llm::FloatToBFloat16(x));
  }
  return v;
}

void Append(std::ofstream& out, const void* p, size_t n) { out.write(static_cast<const char*>(p), static_cast<std::streamsize>(n)); }

void Write(const fs::path& dir, const Shape& s, bool q8, bool gguf) {
  fs::create_directories(dir / "hf");
  const int hd = s.dim / s.heads;
  dataset::Record config = {{"architectures", {"LlamaForCausalLM"}}, {"model_type", "llama"}, {"hidden_size", s.dim},
                            {"intermediate_size", s.hidden}, {"num_hidden_layers", s.layers},
                            {"num_attention_heads", s.heads}, {"num_key_value_heads", s.kv_heads},
                            {"vocab_size", s.vocab}, {"max_position_embeddings", 4096}, {"rms_norm_eps", 1e-5},
                            {"rope_theta", s.rope_theta}, {"tie_word_embeddings", false}, {"torch_dtype", "bfloat16"}};
  std::ofstream(dir / "hf/config.json") << config.dump(2);
  const auto tensors = Tensors(s);
  // safetensors: header first (offsets are known from the shapes), then the data.
  dataset::Record header = dataset::Record::object();
  uint64_t offset = 0;
  for (const auto& t : tensors) {
    const uint64_t bytes = 2 * static_cast<uint64_t>(t.rows) * std::max<int64_t>(t.cols, 1);
    std::vector<int64_t> shape = t.cols ? std::vector<int64_t>{t.rows, t.cols} : std::vector<int64_t>{t.rows};
    header[t.hf] = {{"dtype", "BF16"}, {"shape", shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  while (text.size() % 8) text += ' ';
  std::ofstream st(dir / "hf/model.safetensors", std::ios::binary);
  const uint64_t header_size = text.size();
  Append(st, &header_size, 8);
  st << text;
  // GGUF F16: metadata, tensor infos, aligned data.
  std::string kv;
  uint64_t kv_count = 0;
  auto str_to = [](std::string& dst, const std::string& v) {
    const uint64_t n = v.size();
    dst.append(reinterpret_cast<const char*>(&n), 8);
    dst += v;
  };
  auto str = [&](const std::string& v) { str_to(kv, v); };
  auto key = [&](const std::string& k, uint32_t type) {
    str(k);
    kv.append(reinterpret_cast<const char*>(&type), 4);
    ++kv_count;
  };
  key("general.architecture", 8);
  str("llama");
  for (auto [k, v] : std::vector<std::pair<std::string, uint32_t>>{{"llama.context_length", 4096}, {"llama.embedding_length", s.dim},
                                                                   {"llama.block_count", s.layers}, {"llama.feed_forward_length", s.hidden},
                                                                   {"llama.attention.head_count", s.heads}, {"llama.attention.head_count_kv", s.kv_heads},
                                                                   {"llama.rope.dimension_count", hd}, {"tokenizer.ggml.bos_token_id", 1},
                                                                   {"tokenizer.ggml.eos_token_id", 2}}) {
    key(k, 4);
    kv.append(reinterpret_cast<const char*>(&v), 4);
  }
  for (auto [k, v] : std::vector<std::pair<std::string, float>>{{"llama.attention.layer_norm_rms_epsilon", 1e-5f}, {"llama.rope.freq_base", s.rope_theta}}) {
    key(k, 6);
    kv.append(reinterpret_cast<const char*>(&v), 4);
  }
  // llama.cpp needs a vocabulary to load a model: a sentencepiece-style one laid out as Llama's
  // (<unk>, <s>, </s>, 256 byte pieces, then placeholder pieces).
  key("tokenizer.ggml.model", 8);
  str("llama");
  {
    key("tokenizer.ggml.tokens", 9);
    const uint32_t type = 8;
    const uint64_t n = s.vocab;
    kv.append(reinterpret_cast<const char*>(&type), 4);
    kv.append(reinterpret_cast<const char*>(&n), 8);
    for (int i = 0; i < s.vocab; ++i) {
      std::string piece = i == 0 ? "<unk>" : i == 1 ? "<s>" : i == 2 ? "</s>" : "";
      if (i >= 3 && i < 259) {
        char byte[8];
        std::snprintf(byte, sizeof byte, "<0x%02X>", i - 3);
        piece = byte;
      } else if (i >= 259) {
        piece = "\xE2\x96\x81t";
        piece += std::to_string(i);
      }
      str(piece);
    }
    key("tokenizer.ggml.scores", 9);
    const uint32_t ftype = 6;
    kv.append(reinterpret_cast<const char*>(&ftype), 4);
    kv.append(reinterpret_cast<const char*>(&n), 8);
    for (int i = 0; i < s.vocab; ++i) {
      const float score = -static_cast<float>(i);
      kv.append(reinterpret_cast<const char*>(&score), 4);
    }
    key("tokenizer.ggml.token_type", 9);
    const uint32_t itype = 5;
    kv.append(reinterpret_cast<const char*>(&itype), 4);
    kv.append(reinterpret_cast<const char*>(&n), 8);
    for (int i = 0; i < s.vocab; ++i) {
      const int32_t tt = i < 3 ? 3 : i < 259 ? 6 : 1;  // control, byte, normal
      kv.append(reinterpret_cast<const char*>(&tt), 4);
    }
  }
  // One GGUF per type: F16 matrices (llama.cpp's reference), and Q8_0 when asked; norms in F32.
  struct GgufOut {
    llm::DType type;
    std::ofstream out;
    uint64_t data_pos = 0;
  };
  std::vector<std::unique_ptr<GgufOut>> ggufs;
  std::vector<llm::DType> gguf_types;
  if (gguf) gguf_types.push_back(llm::DType::kF16);
  if (gguf && q8) gguf_types.push_back(llm::DType::kQ8_0);
  for (llm::DType type : gguf_types) {
    const bool is_q8 = type == llm::DType::kQ8_0;
    std::string infos;
    uint64_t data_offset = 0;
    for (const auto& t : tensors) {
      str_to(infos, t.gguf);
      const uint32_t dims = t.cols ? 2 : 1;
      infos.append(reinterpret_cast<const char*>(&dims), 4);
      const uint64_t inner = t.cols ? t.cols : t.rows, outer = t.rows;
      infos.append(reinterpret_cast<const char*>(&inner), 8);
      if (t.cols) infos.append(reinterpret_cast<const char*>(&outer), 8);
      const uint32_t ggml_type = !t.cols ? 0 : is_q8 ? 8 : 1;  // F32 norms; F16 or Q8_0 matrices
      infos.append(reinterpret_cast<const char*>(&ggml_type), 4);
      data_offset = (data_offset + 31) / 32 * 32;
      infos.append(reinterpret_cast<const char*>(&data_offset), 8);
      data_offset += t.cols ? llm::RowBytes(type, t.cols) * static_cast<uint64_t>(t.rows) : 4 * static_cast<uint64_t>(t.rows);
    }
    std::string file_kv = kv;
    {
      const uint64_t n = std::string("general.file_type").size();
      file_kv.append(reinterpret_cast<const char*>(&n), 8);
      file_kv += "general.file_type";
      const uint32_t u32 = 4, file_type = is_q8 ? 7 : 1;  // MOSTLY_Q8_0 / MOSTLY_F16
      file_kv.append(reinterpret_cast<const char*>(&u32), 4);
      file_kv.append(reinterpret_cast<const char*>(&file_type), 4);
    }
    auto g = std::make_unique<GgufOut>();
    g->type = type;
    g->out.open(dir / (is_q8 ? "model-q8_0.gguf" : "model-f16.gguf"), std::ios::binary);
    g->out << "GGUF";
    const uint32_t version = 3;
    const uint64_t tensor_count = tensors.size(), count = kv_count + 1;
    Append(g->out, &version, 4);
    Append(g->out, &tensor_count, 8);
    Append(g->out, &count, 8);
    g->out << file_kv << infos;
    uint64_t written = 4 + 4 + 8 + 8 + file_kv.size() + infos.size();
    static const char zeros[32] = {};
    const uint64_t aligned = (written + 31) / 32 * 32;
    Append(g->out, zeros, aligned - written);
    ggufs.push_back(std::move(g));
  }
  uint64_t seed = 1;
  for (const auto& t : tensors) {
    std::vector<float> v = Values(t, seed++);
    std::vector<uint16_t> bf(v.size());
    for (size_t i = 0; i < v.size(); ++i) bf[i] = llm::FloatToBFloat16(v[i]);
    Append(st, bf.data(), 2 * bf.size());
    if (t.permute_heads) v = testing::PermuteForGguf(v, t.permute_heads, hd, static_cast<int>(t.cols));
    for (auto& g : ggufs) {
      static const char zeros[32] = {};
      const uint64_t aligned = (g->data_pos + 31) / 32 * 32;
      Append(g->out, zeros, aligned - g->data_pos);
      g->data_pos = aligned;
      if (t.cols) {
        const size_t row_bytes = llm::RowBytes(g->type, t.cols);
        std::vector<uint8_t> rows(row_bytes * static_cast<size_t>(t.rows));
        for (int64_t r = 0; r < t.rows; ++r) llm::FloatToRow(v.data() + r * t.cols, t.cols, g->type, rows.data() + r * row_bytes);
        Append(g->out, rows.data(), rows.size());
        g->data_pos += rows.size();
      } else {
        Append(g->out, v.data(), 4 * v.size());
        g->data_pos += 4 * v.size();
      }
    }
  }
  std::printf("wrote %s (%.2f GB bf16)%s%s\n", (dir / "hf").c_str(), offset / 1e9, gguf ? ", model-f16.gguf" : "",
              gguf && q8 ? " and model-q8_0.gguf" : "");
}

// Bytes per second of a read of the weights file as the engine maps it (page cache, shared
// mapping), with `threads` readers, best of 3: what decoding could reach if it did nothing but
// stream its weights.
// Best of 3 reads of `bytes` at `words` over `threads` threads, in bytes per second.
double ReadBandwidth(const uint64_t* words, size_t bytes, int threads);

// The bound's bandwidth: a read of the mapped weights file. A model quantized at load lives in
// memory instead (and its file may not fit the page cache): then a read of that many bytes of
// anonymous memory (at most 4 GB).
double MappedBandwidth(const fs::path& file, int threads, size_t in_memory_bytes = 0) {
  if (in_memory_bytes) {
    std::vector<uint64_t> buffer(std::min<size_t>(in_memory_bytes, size_t{4} << 30) / 8, 1);
    return ReadBandwidth(buffer.data(), buffer.size() * 8, threads);
  }
  const int fd = ::open(file.c_str(), O_RDONLY);
  if (fd < 0) return 0;
  const size_t bytes = fs::file_size(file);
  void* map = ::mmap(nullptr, bytes, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return 0;
  const double best = ReadBandwidth(static_cast<const uint64_t*>(map), bytes, threads);
  ::munmap(map, bytes);
  return best;
}

double ReadBandwidth(const uint64_t* words, size_t bytes, int threads) {
  const size_t n = bytes / 8;
  ThreadPool pool(threads);
  double best = 0;
  for (int round = 0; round < 3; ++round) {
    std::vector<uint64_t> sums(threads * 8);
    const double t0 = Now();
    pool.ParallelFor(threads, [&](int64_t part, int) {
      const size_t begin = n / threads * part, end = part + 1 == threads ? n : n / threads * (part + 1);
      uint64_t a = 0, b = 0, c = 0, d = 0;
      for (size_t i = begin; i + 4 <= end; i += 4) {
        a += words[i];
        b += words[i + 1];
        c += words[i + 2];
        d += words[i + 3];
      }
      sums[part * 8] = a + b + c + d;
    });
    const double dt = Now() - t0;
    volatile uint64_t sink = 0;
    for (auto s : sums) sink = sink + s;
    best = std::max(best, n * 8.0 / dt);
  }
  return best;
}

long PeakRssKb() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

}  // namespace

// Tokens per second of greedy decoding after `prompt`, best of 3, and the tokens.
double GreedyRate(const llm::LlamaModel& model, const std::vector<int>& prompt, int n, int threads,
                  llm::Speculation speculation, std::vector<int>& out, llm::SpeculationStats& stats) {
  double best = 0;
  for (int round = 0; round < 3; ++round) {
    auto backend = llm::MakeCpuBackend(threads);
    llm::SessionOptions options;
    options.backend = backend.get();
    llm::LlamaSession session(model, static_cast<int>(prompt.size()) + n + 1, options);
    const std::vector<float>& logits = session.Forward(prompt);
    out.clear();
    stats = {};
    const double t0 = Now();
    llm::DecodeGreedy(session, logits, prompt, n, -1, [](const std::vector<int>&) { return false; }, speculation, out, &stats);
    best = std::max(best, static_cast<double>(out.size()) / (Now() - t0));
  }
  return best;
}

int Speculate(const std::string& model_path, int n, int threads) {
  llm::LlamaModel model = llm::LoadLlama(model_path);
  // The prompt: BOS and the first 120 tokens of the model's own greedy continuation of BOS.
  std::vector<int> story, prompt{model.config.bos_id};
  llm::SpeculationStats stats;
  GreedyRate(model, prompt, 120, threads, llm::Speculation::kNone, story, stats);
  prompt.insert(prompt.end(), story.begin(), story.end());
  std::vector<int> plain, fast;
  const double plain_rate = GreedyRate(model, prompt, n, threads, llm::Speculation::kNone, plain, stats);
  const double fast_rate = GreedyRate(model, prompt, n, threads, llm::Speculation::kPromptLookup, fast, stats);
  std::printf("speculate model=%s prompt_tokens=%zu decode_tokens=%zu threads=%d plain_tok_s=%.1f prompt_lookup_tok_s=%.1f "
              "speedup=%.2fx drafted=%lld accepted=%lld acceptance=%.0f%% passes=%lld identical=%s\n",
              model_path.c_str(), prompt.size(), fast.size(), threads, plain_rate, fast_rate, fast_rate / plain_rate,
              static_cast<long long>(stats.drafted), static_cast<long long>(stats.accepted),
              stats.drafted ? 100.0 * stats.accepted / stats.drafted : 0.0, static_cast<long long>(stats.passes),
              plain == fast ? "yes" : "NO");
  return plain == fast ? 0 : 1;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: llama_bench write DIR [--layers N] | run DIR [--prompt N] [--decode N] [--threads 1,2] [--quantize q8] | "
                         "greedy MODEL IDS_FILE [--decode N] [--threads T] [--top K]\n");
    return 2;
  }
  const std::string mode = argv[1];
  const fs::path dir = argv[2];
  Shape shape;
  int prompt_len = 2000, decode = 32;
  std::vector<int> thread_counts{1, 2};
  bool q8 = false, write_q8 = false, write_gguf = true;
  int chunk = 512;
  std::string weights = "hf";
  for (int i = 3; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--shape") {
      const int layers = shape.layers;
      shape = ShapeNamed(value);
      (void)layers;
    } else if (flag == "--layers") shape.layers = std::stoi(value);
    else if (flag == "--q8") write_q8 = value == "1";
    else if (flag == "--gguf") write_gguf = value != "0";
    else if (flag == "--weights") weights = value;
    else if (flag == "--prompt") prompt_len = std::stoi(value);
    else if (flag == "--decode") decode = std::stoi(value);
    else if (flag == "--quantize") q8 = value == "q8";
    else if (flag == "--chunk") chunk = std::stoi(value);
    else if (flag == "--threads") {
      thread_counts.clear();
      std::stringstream ss(value);
      for (std::string part; std::getline(ss, part, ',');) thread_counts.push_back(std::stoi(part));
    }
  }
  if (mode == "write") {
    Write(dir, shape, write_q8, write_gguf);
    return 0;
  }
  if (mode == "speculate") return Speculate(dir.string(), decode == 32 ? 200 : decode, thread_counts.front());
  if (mode == "greedy") {
    // greedy MODEL IDS_FILE --decode N: the engine's greedy continuation of the prompt ids in
    // IDS_FILE (one per line), printed space-separated (bench/llama_cpp_equality.sh).
    if (argc < 4) return 2;
    const llm::LlamaModel model = llm::LoadLlama(dir.string());
    std::ifstream in(argv[3]);
    std::vector<int> ids;
    for (int id; in >> id;) ids.push_back(id);
    int top = 0;
    for (int i = 4; i + 1 < argc; i += 2) {
      if (std::string(argv[i]) == "--decode") decode = std::stoi(argv[i + 1]);
      if (std::string(argv[i]) == "--threads") thread_counts = {std::stoi(argv[i + 1])};
      if (std::string(argv[i]) == "--top") top = std::stoi(argv[i + 1]);
    }
    if (top > 0) {
      // --top K: the K most likely first tokens with their log-probabilities, to set beside
      // llama.cpp's (node-llama-cpp's probabilities) when greedy ids part.
      auto backend = llm::MakeCpuBackend(thread_counts.front());
      llm::SessionOptions options;
      options.backend = backend.get();
      llm::LlamaSession session(model, static_cast<int>(ids.size()) + 1, options);
      const std::vector<float>& logits = session.Forward(ids);
      const float high = *std::max_element(logits.begin(), logits.end());
      double sum = 0;
      for (float l : logits) sum += std::exp(static_cast<double>(l) - high);
      std::vector<int> order(logits.size());
      for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
      std::partial_sort(order.begin(), order.begin() + top, order.end(), [&](int a, int b) { return logits[a] > logits[b]; });
      for (int i = 0; i < top; ++i) std::printf("%d:%.6f ", order[i], logits[order[i]] - high - std::log(sum));
      std::printf("\n");
      return 0;
    }
    for (int id : llm::GenerateGreedy(model, ids, decode, thread_counts.front())) std::printf("%d ", id);
    std::printf("\n");
    return 0;
  }
  std::vector<int> prompt{1};
  std::mt19937_64 rng(42);
  while (static_cast<int>(prompt.size()) < prompt_len) prompt.push_back(3 + static_cast<int>(rng() % 31000));
  if (mode != "run") {
    std::fprintf(stderr, "unknown mode '%s'\n", mode.c_str());
    return 2;
  }
  {
    std::ofstream ids(dir / "prompt_ids.txt");
    for (int id : prompt) ids << id << "\n";
  }
  double t0 = Now();
  const fs::path weights_path = weights == "hf" ? dir / "hf" : dir / ("model-" + weights + ".gguf");
  const fs::path weights_file = weights == "hf" ? dir / "hf/model.safetensors" : weights_path;
  llm::LlamaModel model = llm::LoadLlama(weights_path.string());
  if (q8) llm::QuantizeModel(model, llm::DType::kQ8_0);
  const double load = Now() - t0;
  const double weight_gb = model.WeightBytes() / 1e9;
  std::printf("model: %s, %.2f GB of weights, %d layers, loaded in %.2f s\n", llm::DTypeName(model.weight_dtype()).c_str(),
              weight_gb, model.config.n_layers, load);
  struct Run {
    int threads;
    std::string backend;
    double prefill_s, decode_median, decode_best;  // tokens/s over rounds of 8 decoded tokens
    double kv_bytes;
    double bandwidth;  // of the probe run just before decoding
  };
  double peak_rss_mb = 0;
  std::vector<Run> runs;
  for (int threads : thread_counts) {
    auto backend = llm::MakeCpuBackend(threads);
    llm::SessionOptions options;
    options.backend = backend.get();
    options.prefill_chunk = chunk;
    // Warm-up: touch every weight page once so the timings see memory, not the disk.
    {
      llm::LlamaSession warm(model, 4, options);
      warm.Forward(std::vector<int>{1, 2});
    }
    llm::LlamaSession session(model, prompt_len + decode + 1, options);
    t0 = Now();
    const std::vector<float>* logits = &session.Forward(prompt);
    const double prefill = Now() - t0;
    // Peak RSS before the probe maps the weights a second time.
    if (peak_rss_mb == 0) peak_rss_mb = PeakRssKb() * 1024.0 / 1e6;  // ru_maxrss is in KiB
    const double bandwidth = MappedBandwidth(weights_file, threads, q8 ? model.WeightBytes() : 0);
    // Rounds of 8 tokens: this machine's memory speed drifts (a VM), so the median and best round
    // are both reported and the median is compared with the bound.
    std::vector<double> rates;
    for (int done = 0; done < decode; done += 8) {
      const int n = std::min(8, decode - done);
      t0 = Now();
      for (int i = 0; i < n; ++i) {
        const int next = static_cast<int>(std::max_element(logits->begin(), logits->end()) - logits->begin());
        logits = &session.Forward(next);
      }
      rates.push_back(n / (Now() - t0));
    }
    std::sort(rates.begin(), rates.end());
    runs.push_back({threads, backend->Describe(), prefill, rates[rates.size() / 2], rates.back(),
                    static_cast<double>(session.KvCacheBytes()), bandwidth});
  }
  for (const auto& r : runs) {
    const double bandwidth = r.bandwidth;
    // Bytes a decode step reads: every weight once, and on average half the final KV cache.
    const double bytes_per_token = static_cast<double>(model.WeightBytes()) + r.kv_bytes / 2.0;
    const double bound = bandwidth / bytes_per_token, decode_rate = r.decode_median;
    std::printf("result weights=%s threads=%d backend=\"%s\" prefill_tokens=%d prefill_s=%.2f prefill_tok_s=%.2f decode_tokens=%d "
                "decode_tok_s=%.2f decode_best_tok_s=%.2f bandwidth_gb_s=%.1f decode_bound_tok_s=%.2f of_bound=%.0f%% weights_mb=%.0f kv_mb=%.1f "
                "peak_rss_mb=%.0f overhead=%.1f%%\n",
                weights.c_str(), r.threads, r.backend.c_str(), prompt_len, r.prefill_s, prompt_len / r.prefill_s, decode, decode_rate,
                r.decode_best, bandwidth / 1e9, bound, 100 * decode_rate / bound, model.WeightBytes() / 1e6, r.kv_bytes / 1e6, peak_rss_mb,
                100 * (peak_rss_mb * 1e6 - model.WeightBytes() - r.kv_bytes) / (model.WeightBytes() + r.kv_bytes));
  }
  return 0;
}
