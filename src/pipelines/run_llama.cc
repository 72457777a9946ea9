#include "pipelines/run_llama.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "api/settings.h"
#include "dataset/dataset.h"
#include "http/concurrent_requests.h"
#include "hub/hub.h"
#include "llm/llama.h"
#include "llm/memory.h"
#include "llm/speculative.h"
#include "patch/extract.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"
#include "util/progress.h"

namespace sweinfer::pipelines {

namespace fs = std::filesystem;
using dataset::Record;

namespace {

// Python's str(float): "0.0", "0.2", "1.0".
std::string PyFloat(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  std::string s(buf, end);
  if (s.find_first_of(".e") == std::string::npos && s.find("inf") == std::string::npos && s.find("nan") == std::string::npos) s += ".0";
  return s;
}

// Temperature (> 0; greedy decoding is llm::DecodeGreedy) and top-p sampling.
int Sample(const std::vector<float>& logits, double temperature, double top_p, std::mt19937_64& rng) {
  std::vector<std::pair<float, int>> probs(logits.size());
  float max_logit = *std::max_element(logits.begin(), logits.end());
  double sum = 0;
  for (size_t i = 0; i < logits.size(); ++i) {
    float p = std::exp((logits[i] - max_logit) / static_cast<float>(temperature));
    probs[i] = {p, static_cast<int>(i)};
    sum += p;
  }
  std::sort(probs.begin(), probs.end(), std::greater<>());
  double cumulative = 0;
  size_t keep = probs.size();
  for (size_t i = 0; i < probs.size(); ++i) {
    cumulative += probs[i].first / sum;
    if (cumulative >= top_p) {
      keep = i + 1;
      break;
    }
  }
  double kept = 0;
  for (size_t i = 0; i < keep; ++i) kept += probs[i].first;
  double r = std::uniform_real_distribution<double>(0, kept)(rng);
  for (size_t i = 0; i < keep; ++i) {
    r -= probs[i].first;
    if (r <= 0) return probs[i].second;
  }
  return probs[keep - 1].second;
}

}  // namespace

bool RepetitionStop(const std::vector<int>& generated) {
  if (generated.size() < 100) return false;
  std::set<int> last(generated.end() - 100, generated.end());
  return last.size() <= 10;
}

std::string RunLlamaOutputName(const RunLlamaOptions& o) {
  fs::path dataset(o.dataset_path);
  std::string ds = dataset.filename().empty() ? dataset.parent_path().filename().string() : dataset.filename().string();
  fs::path model(o.model_name_or_path);
  std::string nickname = model.filename().string();
  if (nickname.find("checkpoint") != std::string::npos) nickname = model.parent_path().filename().string();
  if (o.peft_path) nickname += "__" + fs::path(*o.peft_path).filename().string();
  std::string name = ds + "__" + o.split + "__" + nickname + "__temp-" + PyFloat(o.temperature) + "__top-p-" + PyFloat(o.top_p);
  if (o.min_len) name += "__min-" + std::to_string(*o.min_len);
  if (o.max_len) name += "__max-" + std::to_string(*o.max_len);
  if (o.shard_id && o.num_shards) name += "__shard-" + std::to_string(*o.shard_id) + "-" + std::to_string(*o.num_shards);
  return name;
}

namespace {

struct Item {
  std::string id;
  std::vector<int> ids;
};

// What the three-failures rule counts; a fourth instance is never started after the third.
class FailureCounter {
 public:
  void Fail(const std::string& id, const std::string& why) {
    std::fprintf(stderr, "Failed on instance %s: %s\n", id.c_str(), why.c_str());
    if (++failures_ >= 3) throw Error("three instances failed; stopping (last: " + id + ": " + why + ")");
  }

 private:
  int failures_ = 0;
};

std::vector<Item> PrepareItems(const RunLlamaOptions& o, const tokenizer::Tokenizer* tok) {
  auto rows = dataset::Dataset::Open(o.dataset_path).LoadSplit(o.split);
  std::vector<Item> items;
  for (size_t i = 0; i < rows.size(); ++i) {
    const Record& r = rows[i];
    Item item;
    item.id = r.value("instance_id", "");
    if (r.contains("input_ids") && r["input_ids"].is_array()) {
      try {
        item.ids = r["input_ids"].get<std::vector<int>>();
      } catch (const nlohmann::json::exception&) {
        throw Error(o.dataset_path + ": row " + std::to_string(i) + " (" + item.id + "): input_ids must be integers");
      }
    } else {
      if (!tok) {
        throw Error(o.dataset_path + ": row " + std::to_string(i) + " (" + item.id +
                    ") has no input_ids and no tokenizer was found (--tokenizer_path)");
      }
      auto ids = tok->EncodeWithSpecials(r.value("text", ""));
      item.ids.assign(ids.begin(), ids.end());
      // SWE-Llama prompts end in exactly two newline tokens.
      while (!item.ids.empty() && item.ids.back() == 13) item.ids.pop_back();
      item.ids.push_back(13);
      item.ids.push_back(13);
    }
    const int len = static_cast<int>(item.ids.size());
    if ((o.min_len && len < *o.min_len) || (o.max_len && len >= *o.max_len)) continue;
    items.push_back(std::move(item));
  }
  std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.ids.size() < b.ids.size(); });
  if (o.shard_id && o.num_shards) {
    const size_t n = items.size(), shards = static_cast<size_t>(*o.num_shards), i = static_cast<size_t>(*o.shard_id);
    if (*o.num_shards <= 0 || *o.shard_id < 0 || i >= shards) throw Error("--shard_id must be in [0, --num_shards)");
    const size_t div = n / shards, mod = n % shards, start = div * i + std::min(i, mod);
    items = std::vector<Item>(items.begin() + start, items.begin() + start + div + (i < mod ? 1 : 0));
  }
  return items;
}

std::set<std::string> DoneIds(const std::string& output_dir, const std::string& stem) {
  std::set<std::string> done;
  for (const auto& e : fs::directory_iterator(output_dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(stem, 0) == 0 && e.path().extension() == ".jsonl") {
      for (const auto& r : dataset::ReadJsonl(e.path().string())) done.insert(r.value("instance_id", ""));
    }
  }
  return done;
}

std::unique_ptr<tokenizer::Tokenizer> LoadTokenizerIfAny(const RunLlamaOptions& o) {
  std::string path = o.tokenizer_path;
  std::error_code ec;
  if (path.empty() && fs::is_directory(o.model_name_or_path, ec)) path = o.model_name_or_path;
  if (path.empty()) return nullptr;
  tokenizer::TokenizerOptions options;
  options.tokenizer_path = path;
  try {
    return tokenizer::LoadTokenizer("llama", options);
  } catch (const Error&) {
    if (!o.tokenizer_path.empty()) throw;
    return nullptr;  // needed only for rows without input_ids, and for decoding
  }
}

using Emit = std::function<void(const Item&, const std::string& text)>;

llm::Speculation ChooseSpeculation(const RunLlamaOptions& o) {
  if (!o.speculate) return o.temperature <= 0 ? llm::Speculation::kPromptLookup : llm::Speculation::kNone;
  if (*o.speculate == "none") return llm::Speculation::kNone;
  if (*o.speculate != "prompt-lookup") throw Error("--speculate takes prompt-lookup or none, not '" + *o.speculate + "'");
  if (o.temperature > 0) throw Error("--speculate prompt-lookup needs --temperature 0 (it reproduces greedy decoding)");
  return llm::Speculation::kPromptLookup;
}

// The options with hub repositories (owner/name) replaced by their snapshots in the hub cache.
RunLlamaOptions ResolveHubNames(const RunLlamaOptions& o) {
  RunLlamaOptions local = o;
  hub::Options h = hub::OptionsFromEnvironment();
  h.revision = o.revision;
  h.quiet = o.quiet;
  if (o.backend == "cpu" && hub::LooksLikeRepoId(o.model_name_or_path)) {
    local.model_name_or_path = hub::FetchModel(o.model_name_or_path, h);
  }
  if (o.backend == "cpu" && o.peft_path && hub::LooksLikeRepoId(*o.peft_path)) {
    hub::Options adapter = h;
    adapter.revision = "main";  // --revision names the base model's
    local.peft_path = hub::FetchModel(*o.peft_path, adapter);
  }
  if (!o.tokenizer_path.empty() && hub::LooksLikeRepoId(o.tokenizer_path)) {
    local.tokenizer_path = hub::FetchTokenizer(o.tokenizer_path, h);
  }
  return local;
}

// Available memory as the kernel estimates it (MemAvailable), in bytes; 0 when unknown.
uint64_t AvailableMemory() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  uint64_t kb = 0;
  std::string unit;
  while (in >> key >> kb >> unit) {
    if (key == "MemAvailable:") return kb * 1024;
  }
  return 0;
}

// The model as loaded (mapped, nothing read yet), checked against the memory it will need, then
// merged with its adapter and quantized.
void PrepareModel(llm::LlamaModel& model, const RunLlamaOptions& o, int longest_context) {
  const std::optional<llm::QuantRecipe> recipe =
      o.quantize ? std::optional<llm::QuantRecipe>(llm::ParseQuantRecipe(*o.quantize)) : std::nullopt;
  const llm::MemoryNeeds needs = llm::EstimateMemory(model, recipe, longest_context);
  const uint64_t available = AvailableMemory();
  if (available > 0) llm::CheckFits(needs, available);
  if (o.peft_path) llm::MergeLora(model, *o.peft_path);
  if (recipe) llm::QuantizeModel(model, *recipe);
}

void GenerateInProcess(const RunLlamaOptions& o, const llm::LlamaModel& model, const std::vector<const Item*>& work,
                       const tokenizer::Tokenizer* tok, const Emit& emit, Progress& bar) {
  auto backend = llm::MakeCpuBackend(o.threads);
  if (o.verbose) {
    std::fprintf(stderr, "run-llama: %s weights, %.1f MiB, %d layers; %s\n", llm::DTypeName(model.weight_dtype()).c_str(),
                 static_cast<double>(model.WeightBytes()) / (1 << 20), model.config.n_layers, backend->Describe().c_str());
  }
  std::mt19937_64 rng(o.seed);
  FailureCounter failures;
  llm::SessionOptions session_options;
  session_options.backend = backend.get();
  session_options.prefill_chunk = o.prefill_chunk;
  const llm::Speculation speculation = ChooseSpeculation(o);
  llm::SpeculationStats stats;
  for (const Item* item : work) {
    try {
      llm::LlamaSession session(model, static_cast<int>(item->ids.size()) + o.max_new_tokens + 1, session_options);
      const std::vector<float>* logits = &session.Forward(item->ids);
      std::vector<int> generated;
      if (o.temperature <= 0) {
        llm::DecodeGreedy(session, *logits, item->ids, o.max_new_tokens, model.config.eos_id, RepetitionStop, speculation,
                          generated, &stats);
      } else {
        while (static_cast<int>(generated.size()) < o.max_new_tokens) {
          const int next = Sample(*logits, o.temperature, o.top_p, rng);
          if (next == model.config.eos_id) break;
          generated.push_back(next);
          if (RepetitionStop(generated)) break;
          logits = &session.Forward(next);
        }
      }
      std::string text;
      if (tok) {
        text = tok->Decode(std::vector<int64_t>(generated.begin(), generated.end()));
      } else {
        for (int g : generated) text += std::to_string(g) + " ";
      }
      emit(*item, text);
    } catch (const Error& e) {
      failures.Fail(item->id, e.what());
    }
    bar.Advance();
  }
  if (o.verbose && speculation == llm::Speculation::kPromptLookup && stats.drafted > 0) {
    std::fprintf(stderr, "run-llama: prompt lookup kept %lld of %lld drafted tokens (%.0f%%)\n",
                 static_cast<long long>(stats.accepted), static_cast<long long>(stats.drafted),
                 100.0 * static_cast<double>(stats.accepted) / static_cast<double>(stats.drafted));
  }
}

// vLLM and llama.cpp's server take token ids as the prompt of /completions, so the server sees
// exactly the ids the in-process engine would.
void GenerateOnServer(const RunLlamaOptions& o, const std::vector<const Item*>& work, const Emit& emit, Progress& bar) {
  if (o.base_url.empty()) throw Error("--backend server needs --base_url (an OpenAI-compatible server, e.g. http://host:8000/v1)");
  std::string base = o.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  const std::string model = o.served_model_name ? *o.served_model_name
                            : o.peft_path       ? fs::path(*o.peft_path).filename().string()
                                                : o.model_name_or_path;
  const std::optional<std::string> key = api::Setting(api::ReadDotEnv(".env"), "OPENAI_API_KEY");
  FailureCounter failures;
  size_t next_item = 0;
  std::map<size_t, int> attempts;
  std::string fatal;  // set by the third failure: nothing new is sent, what is in flight finishes
  auto next = [&]() -> std::optional<http::Transfer> {
    if (next_item >= work.size() || !fatal.empty()) return std::nullopt;
    const Item& item = *work[next_item];
    Record body{{"model", model}, {"prompt", item.ids}, {"max_tokens", o.max_new_tokens},
                {"temperature", o.temperature}, {"top_p", o.top_p}, {"seed", o.seed}};
    http::Transfer t;
    t.id = next_item++;
    t.request.method = "POST";
    t.request.url = base + "/completions";
    t.request.headers = {"Content-Type: application/json"};
    if (key && !key->empty()) t.request.headers.push_back("Authorization: Bearer " + *key);
    t.request.body = body.dump();
    t.request.timeout_seconds = o.timeout_seconds;
    return t;
  };
  auto done = [&](const http::Completion& c) -> http::RetryDecision {
    const Item& item = *work[c.id];
    const bool transient = !c.response || c.response->status == 429 || c.response->status >= 500;
    if (transient && ++attempts[c.id] < 6) return {true, std::min(60.0, o.retry_base_seconds * (1 << (attempts[c.id] - 1))), 0};
    std::string why;
    if (!c.response) {
      why = c.transport_error;
    } else if (c.response->status != 200) {
      why = "HTTP " + std::to_string(c.response->status) + ": " + c.response->body.substr(0, 300);
    } else {
      try {
        const Record answer = Record::parse(c.response->body);
        emit(item, answer.at("choices").at(0).at("text").get<std::string>());
      } catch (const nlohmann::json::exception& e) {
        why = std::string("unexpected answer: ") + e.what();
      }
    }
    bar.Advance();
    if (!why.empty() && fatal.empty()) {
      try {
        failures.Fail(item.id, why);
      } catch (const Error& e) {
        fatal = e.what();
      }
    }
    return {};
  };
  http::RunConcurrently({std::max(1, o.concurrency), 0, 0}, next, done);
  if (!fatal.empty()) throw Error(fatal);
}

}  // namespace

std::string RunLlama(const RunLlamaOptions& o) {
  if (o.backend != "cpu" && o.backend != "server") throw Error("--backend takes cpu or server, not '" + o.backend + "'");
  // The model first: a bad model is reported before any dataset work.
  const RunLlamaOptions local = ResolveHubNames(o);
  std::optional<llm::LlamaModel> model;
  if (o.backend == "cpu") model = llm::LoadLlama(local.model_name_or_path);
  const std::unique_ptr<tokenizer::Tokenizer> tok = LoadTokenizerIfAny(local);
  const std::vector<Item> items = PrepareItems(o, tok.get());
  if (model) {
    int longest = 0;
    for (const auto& item : items) longest = std::max(longest, static_cast<int>(item.ids.size()) + o.max_new_tokens + 1);
    PrepareModel(*model, local, longest);
  }
  fs::create_directories(o.output_dir);
  const std::string stem = RunLlamaOutputName(o);
  const std::set<std::string> done = DoneIds(o.output_dir, stem);
  std::vector<const Item*> work;
  for (const auto& item : items) {
    if (!done.count(item.id)) work.push_back(&item);
  }
  const std::string output = (fs::path(o.output_dir) / (stem + ".jsonl")).string();
  dataset::JsonlWriter out(output, "instance_id");
  const std::string model_name = o.model_name_or_path + (o.peft_path ? "__" + *o.peft_path : "");
  Emit emit = [&](const Item& item, const std::string& text) {
    out.Append(Record{{"instance_id", item.id}, {"full_output", text},
                      {"model_patch", patch::ExtractDiff(std::string_view(text))}, {"model_name_or_path", model_name}});
  };
  Progress bar("run-llama", work.size(), o.quiet);
  if (o.backend == "server") {
    GenerateOnServer(o, work, emit, bar);
  } else {
    GenerateInProcess(o, *model, work, tok.get(), emit, bar);
  }
  bar.Finish();
  return output;
}

}  // namespace sweinfer::pipelines
