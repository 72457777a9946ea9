// run-llama: the reference's run_llama on sweinfer's own engine (llm/llama.h). Instances are
// tokenised when they have no input_ids (prompts end in exactly two newline ids), filtered to
// min_len <= length < max_len, sorted by length and sharded contiguously; ids in any output file
// of the same run name are skipped. Generation stops at EOS, at max_new_tokens, or when the last
// 100 tokens hold at most 10 distinct ids (after 100 tokens). Greedy at temperature 0, else
// temperature + top-p sampling from a seeded generator. Greedy decoding drafts tokens by prompt
// lookup (llm/speculative.h) unless --speculate none. With backend "server", the same token ids
// go to an OpenAI-compatible /completions endpoint (vLLM, llama.cpp server) instead, the LoRA
// adapter named as the server serves it.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace sweinfer::pipelines {

struct RunLlamaOptions {
  std::string model_name_or_path;  // a path, or a hub repository (owner/name) fetched into the hub cache
  std::optional<std::string> peft_path;  // likewise
  std::string revision = "main";  // of hub repositories
  std::string dataset_path;
  std::string split = "test";
  std::string output_dir;
  double temperature = 0;
  double top_p = 1;
  std::optional<int> min_len, max_len;
  std::optional<int> shard_id, num_shards;
  int max_new_tokens = 200;
  int threads = 0;
  uint64_t seed = 42;
  std::string tokenizer_path;  // default: the model directory (tokenizer.model or tokenizer.json)
  std::optional<std::string> quantize;  // "q8", "q4_k", "q4_k_m", ... (llm::ParseQuantRecipe): converted at load
  int prefill_chunk = 512;
  // "prompt-lookup" (drafts copied from the context, verified in batches; the same tokens as plain
  // greedy decoding) or "none"; unset: prompt-lookup at temperature 0. Needs temperature 0.
  std::optional<std::string> speculate;
  std::string backend = "cpu";  // "cpu" or "server"
  std::string base_url;         // server: the OpenAI-compatible base ("http://host:8000/v1")
  std::optional<std::string> served_model_name;  // server: default the LoRA adapter's folder name, else the model
  int concurrency = 8;          // server: requests in flight
  long timeout_seconds = 600;
  double retry_base_seconds = 2;  // server: first back-off after a 429/5xx, doubling, 60 s at most
  bool quiet = false;
  bool verbose = false;
};

std::string RunLlamaOutputName(const RunLlamaOptions& options);
// Returns the output file.
std::string RunLlama(const RunLlamaOptions& options);

// The reference's stopping rule on repetition.
bool RepetitionStop(const std::vector<int>& generated);

}  // namespace sweinfer::pipelines
