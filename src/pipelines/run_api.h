// run-api: the reference's run_api with many requests in flight. Instances are sorted by prompt
// length, sharded contiguously, filtered by the model's context limit, skipped when already in
// the output file, and sent through the provider; each answer is appended crash-safely with its
// patch (extract_diff), usage and cost. The run stops handing out work when --max_cost is reached
// (counting the cost already recorded). Keys come from the environment or .env and are never
// written anywhere.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/models.h"
#include "api/providers.h"

namespace sweinfer::pipelines {

struct RunApiOptions {
  std::string dataset_name_or_path;
  std::string split = "test";
  std::string model_name_or_path;
  std::string output_dir;
  std::optional<int> shard_id, num_shards;
  std::string model_args;
  std::optional<double> max_cost;
  std::optional<std::string> provider;        // default: from the model name
  std::vector<std::string> base_urls;         // OpenAI-compatible servers (several: load spread)
  std::optional<std::string> price_file;
  std::optional<std::string> azure_endpoint, azure_deployment, azure_api_version;
  int concurrency = 8;
  double rpm = 0;
  double tpm = 0;
  double temperature = 0.2;
  std::optional<double> top_p;
  long timeout_seconds = 600;
  int max_attempts = 6;
  std::string dotenv_path = ".env";
  std::string tiktoken_dir;
  bool batch = false;               // OpenAI Batch API / Anthropic Message Batches (half price)
  bool include_images = false;      // send image_assets' problem-statement images as image parts
  bool inline_images = false;       // download them first and send base64 (else their URLs)
  uint64_t max_image_bytes = 5 << 20;
  double batch_poll_seconds = 30;
  int batch_max_polls = -1;         // -1: poll until every batch ends; else return after that many rounds
  bool quiet = false;
};

struct RunApiSummary {
  size_t done = 0, skipped_existing = 0, filtered_too_long = 0, not_sent_cost_cap = 0, patches = 0;
  std::map<std::string, size_t> failed;  // reason -> count
  int64_t input_tokens = 0, output_tokens = 0;
  double cost = 0, previous_cost = 0;
  size_t batches_submitted = 0, batches_pending = 0;
  std::string output_file;
};

RunApiSummary RunApi(const RunApiOptions& options);

// The servers to send a model's requests to (one per --base_url, else one), with the provider
// chosen from the flags or the model name and keys from the environment or .env. Throws Error
// saying which setting is missing.
std::vector<api::ProviderConfig> ResolveServers(const RunApiOptions& options, api::Provider& provider);
std::string RunApiOutputName(const RunApiOptions& options);

}  // namespace sweinfer::pipelines
