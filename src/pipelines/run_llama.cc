#include "pipelines/run_llama.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <random>
#include <set>
#include <thread>

#include "dataset/dataset.h"
#include "llm/llama.h"
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

int Sample(const std::vector<float>& logits, double temperature, double top_p, std::mt19937_64& rng) {
  if (temperature <= 0) return static_cast<int>(std::max_element(logits.begin(), logits.end()) - logits.begin());
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

std::string RunLlama(const RunLlamaOptions& o) {
  llm::LlamaModel model = llm::LoadLlama(o.model_name_or_path);
  if (o.peft_path) llm::MergeLora(model, *o.peft_path);
  tokenizer::TokenizerOptions tok_options;
  tok_options.tokenizer_path = o.tokenizer_path.empty() ? o.model_name_or_path : o.tokenizer_path;
  std::unique_ptr<tokenizer::Tokenizer> tok;
  try {
    tok = tokenizer::LoadTokenizer("llama", tok_options);
  } catch (const Error&) {
    tok = nullptr;  // needed only for rows without input_ids, and for decoding
  }
  auto rows = dataset::Dataset::Open(o.dataset_path).LoadSplit(o.split);
  struct Item {
    std::string id;
    std::vector<int> ids;
  };
  std::vector<Item> items;
  for (size_t i = 0; i < rows.size(); ++i) {
    const Record& r = rows[i];
    Item item;
    item.id = r.value("instance_id", "");
    if (r.contains("input_ids") && r["input_ids"].is_array()) {
      item.ids = r["input_ids"].get<std::vector<int>>();
    } else {
      if (!tok) throw Error("row " + std::to_string(i) + " has no input_ids and no tokenizer was found for the model");
      auto ids = tok->EncodeWithSpecials(r.value("text", ""));
      item.ids.assign(ids.begin(), ids.end());
      // SWE-Llama prompts end in exactly two newline tokens.
      while (!item.ids.empty() && item.ids.back() == 13) item.ids.pop_back();
      item.ids.push_back(13);
      item.ids.push_back(13);
    }
    int len = static_cast<int>(item.ids.size());
    if ((o.min_len && len < *o.min_len) || (o.max_len && len >= *o.max_len)) continue;
    items.push_back(std::move(item));
  }
  std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.ids.size() < b.ids.size(); });
  if (o.shard_id && o.num_shards) {
    size_t n = items.size(), shards = static_cast<size_t>(*o.num_shards), i = static_cast<size_t>(*o.shard_id);
    if (i >= shards) throw Error("--shard_id must be below --num_shards");
    size_t div = n / shards, mod = n % shards, start = div * i + std::min(i, mod);
    items = std::vector<Item>(items.begin() + start, items.begin() + start + div + (i < mod ? 1 : 0));
  }
  fs::create_directories(o.output_dir);
  const std::string stem = RunLlamaOutputName(o);
  std::set<std::string> done;
  for (const auto& e : fs::directory_iterator(o.output_dir)) {
    std::string name = e.path().filename().string();
    if (name.rfind(stem, 0) == 0 && e.path().extension() == ".jsonl") {
      for (const auto& r : dataset::ReadJsonl(e.path().string())) done.insert(r.value("instance_id", ""));
    }
  }
  const std::string output = (fs::path(o.output_dir) / (stem + ".jsonl")).string();
  dataset::JsonlWriter out(output, "instance_id");
  const std::string model_name = o.model_name_or_path + (o.peft_path ? "__" + *o.peft_path : "");
  const int threads = o.threads > 0 ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  std::mt19937_64 rng(o.seed);
  Progress bar("run-llama", items.size(), o.quiet);
  int failures = 0;
  for (const auto& item : items) {
    if (done.count(item.id)) {
      bar.Advance();
      continue;
    }
    try {
      llm::LlamaSession session(model, static_cast<int>(item.ids.size()) + o.max_new_tokens + 1, threads);
      const std::vector<float>* logits = nullptr;
      for (int t : item.ids) logits = &session.Forward(t);
      std::vector<int> generated;
      while (static_cast<int>(generated.size()) < o.max_new_tokens) {
        int next = Sample(*logits, o.temperature, o.top_p, rng);
        if (next == model.config.eos_id) break;
        generated.push_back(next);
        if (RepetitionStop(generated)) break;
        logits = &session.Forward(next);
      }
      std::string text;
      if (tok) {
        text = tok->Decode(std::vector<int64_t>(generated.begin(), generated.end()));
      } else {
        for (int g : generated) text += std::to_string(g) + " ";
      }
      out.Append(Record{{"instance_id", item.id}, {"full_output", text},
                        {"model_patch", patch::ExtractDiff(std::string_view(text))}, {"model_name_or_path", model_name}});
    } catch (const Error& e) {
      std::fprintf(stderr, "Failed on instance %s: %s\n", item.id.c_str(), e.what());
      if (++failures >= 3) throw Error("three instances failed; stopping (last: " + std::string(e.what()) + ")");
    }
    bar.Advance();
  }
  bar.Finish();
  return output;
}

}  // namespace sweinfer::pipelines
