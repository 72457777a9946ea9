#include "api/models.h"

#include <fstream>

#include "util/error.h"

namespace sweinfer::api {

std::optional<Provider> ParseProvider(const std::string& name) {
  if (name == "openai") return Provider::kOpenAI;
  if (name == "azure") return Provider::kAzure;
  if (name == "anthropic") return Provider::kAnthropic;
  if (name == "anthropic-legacy") return Provider::kAnthropicLegacy;
  if (name == "openai-compatible" || name == "vllm" || name == "local") return Provider::kOpenAICompatible;
  return std::nullopt;
}

std::string ProviderName(Provider p) {
  switch (p) {
    case Provider::kOpenAI: return "openai";
    case Provider::kAzure: return "azure";
    case Provider::kAnthropic: return "anthropic";
    case Provider::kAnthropicLegacy: return "anthropic-legacy";
    case Provider::kOpenAICompatible: return "openai-compatible";
  }
  return "";
}

Provider ProviderForModel(const std::string& model, bool azure_configured) {
  auto starts = [&](const char* p) { return model.rfind(p, 0) == 0; };
  if (starts("claude-2") || starts("claude-instant")) return Provider::kAnthropicLegacy;
  if (starts("claude")) return Provider::kAnthropic;
  if (starts("gpt") || starts("o1") || starts("o3") || starts("o4") || starts("chatgpt")) {
    return azure_configured ? Provider::kAzure : Provider::kOpenAI;
  }
  return Provider::kOpenAICompatible;
}

ModelTable::ModelTable() {
  auto m = [&](const char* name, int64_t context, double in_per_m, double out_per_m, double cached_per_m,
               bool temperature = true) {
    models_[name] = ModelInfo{context, in_per_m / 1e6, out_per_m / 1e6, cached_per_m / 1e6, temperature};
  };
  // The reference's models (prices as it lists them, per million tokens).
  m("gpt-3.5-turbo-16k-0613", 16385, 1.5, 2, 1.5);
  m("gpt-3.5-turbo-0613", 4097, 1.5, 2, 1.5);
  m("gpt-3.5-turbo-1106", 16385, 1, 2, 1);
  m("gpt-35-turbo-0613", 4097, 1.5, 2, 1.5);
  m("gpt-35-turbo", 4097, 1.5, 2, 1.5);
  m("gpt-4-0613", 8192, 30, 60, 30);
  m("gpt-4-32k-0613", 32768, 60, 120, 60);
  m("gpt-4-32k", 32768, 60, 120, 60);
  m("gpt-4-1106-preview", 128000, 10, 30, 10);
  m("gpt-4-0125-preview", 128000, 10, 30, 10);
  m("gpt-4-turbo", 128000, 10, 30, 10);
  m("claude-instant-1", 100000, 1.63, 5.51, 1.63);
  m("claude-2", 100000, 11.02, 32.68, 11.02);
  // Current OpenAI models.
  m("gpt-4o", 128000, 2.5, 10, 1.25);
  m("gpt-4o-mini", 128000, 0.15, 0.6, 0.075);
  m("gpt-4.1", 1047576, 2, 8, 0.5);
  m("gpt-4.1-mini", 1047576, 0.4, 1.6, 0.1);
  m("gpt-4.1-nano", 1047576, 0.1, 0.4, 0.025);
  m("o1", 200000, 15, 60, 7.5, false);
  m("o1-mini", 128000, 1.1, 4.4, 0.55, false);
  m("o3", 200000, 2, 8, 0.5, false);
  m("o3-mini", 200000, 1.1, 4.4, 0.55, false);
  m("o4-mini", 200000, 1.1, 4.4, 0.275, false);
  // Claude 3.x and 4.x (cache reads at a tenth of the input price).
  m("claude-3-haiku", 200000, 0.25, 1.25, 0.03);
  m("claude-3-sonnet", 200000, 3, 15, 0.3);
  m("claude-3-opus", 200000, 15, 75, 1.5);
  m("claude-3-5-haiku", 200000, 0.8, 4, 0.08);
  m("claude-3-5-sonnet", 200000, 3, 15, 0.3);
  m("claude-3-7-sonnet", 200000, 3, 15, 0.3);
  m("claude-sonnet-4", 200000, 3, 15, 0.3);
  m("claude-opus-4", 200000, 15, 75, 1.5);
  m("claude-sonnet-4-5", 200000, 3, 15, 0.3);
  m("claude-haiku-4-5", 200000, 1, 5, 0.1);
  m("claude-opus-4-1", 200000, 15, 75, 1.5);
}

void ModelTable::LoadPriceFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error("cannot open price file '" + path + "'");
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  dataset::Record doc = dataset::ParseRecord(content, path);
  if (!doc.is_object()) throw Error(path + ": expected an object of models");
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    const auto& v = it.value();
    if (!v.is_object()) throw Error(path + ": model '" + it.key() + "' must be an object");
    ModelInfo info = Find(it.key());
    try {
      if (v.contains("context")) info.context_limit = v["context"].get<int64_t>();
      if (v.contains("input")) info.input_cost = v["input"].get<double>();
      if (v.contains("output")) info.output_cost = v["output"].get<double>();
      if (v.contains("cached_input")) info.cached_input_cost = v["cached_input"].get<double>();
      if (v.contains("temperature")) info.accepts_temperature = v["temperature"].get<bool>();
    } catch (const nlohmann::json::exception& e) {
      throw Error(path + ": model '" + it.key() + "': " + e.what());
    }
    models_[it.key()] = info;
  }
}

ModelInfo ModelTable::Find(const std::string& model) const {
  auto exact = models_.find(model);
  if (exact != models_.end()) return exact->second;
  const ModelInfo* best = nullptr;
  size_t best_len = 0;
  for (const auto& [name, info] : models_) {
    if (model.rfind(name, 0) == 0 && name.size() > best_len) {
      best = &info;
      best_len = name.size();
    }
  }
  return best ? *best : ModelInfo{};
}

double CostOf(const ModelInfo& info, const dataset::Record& usage) {
  auto get = [&](const char* key) -> double {
    return usage.contains(key) && usage[key].is_number() ? usage[key].get<double>() : 0.0;
  };
  double cached = get("cached_input_tokens") + get("cache_read_input_tokens");
  double input = get("input_tokens") - get("cached_input_tokens");  // OpenAI counts cached inside input
  return input * info.input_cost + cached * info.cached_input_cost +
         get("cache_creation_input_tokens") * info.input_cost * 1.25 + get("output_tokens") * info.output_cost;
}

}  // namespace sweinfer::api
