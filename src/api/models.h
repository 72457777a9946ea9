// Model knowledge for run-api: which provider serves a model name (as the reference decides it),
// its context limit and its prices per token, overridable with a JSON price file
// ({"model": {"context": N, "input": $/token, "output": $/token, "cached_input": $/token}}).
#pragma once

#include <map>
#include <optional>
#include <string>

#include "dataset/jsonl.h"

namespace sweinfer::api {

enum class Provider { kOpenAI, kAzure, kAnthropic, kAnthropicLegacy, kOpenAICompatible };

std::optional<Provider> ParseProvider(const std::string& name);
std::string ProviderName(Provider p);
// gpt*/o1*/o3*/o4* -> OpenAI (Azure when an Azure endpoint is configured), claude-2/instant ->
// legacy Anthropic completions, other claude* -> Anthropic messages, anything else ->
// OpenAI-compatible (needs --base_url).
Provider ProviderForModel(const std::string& model, bool azure_configured);

struct ModelInfo {
  int64_t context_limit = 128000;
  double input_cost = 0, output_cost = 0, cached_input_cost = 0;  // dollars per token
  bool accepts_temperature = true;                                 // o-series models reject it
};

class ModelTable {
 public:
  ModelTable();
  // Adds or replaces entries from a price file; throws Error naming the file on bad content.
  void LoadPriceFile(const std::string& path);
  // Exact name first, then the longest known prefix (dated snapshots share their family's prices).
  ModelInfo Find(const std::string& model) const;

 private:
  std::map<std::string, ModelInfo> models_;
};

// Cost of one response from its usage record ({"input_tokens", "output_tokens", "cached_input_tokens", ...}).
double CostOf(const ModelInfo& info, const dataset::Record& usage);

}  // namespace sweinfer::api
