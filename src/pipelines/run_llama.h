// run-llama: the reference's run_llama on sweinfer's own engine (llm/llama.h). Instances are
// tokenised when they have no input_ids (prompts end in exactly two newline ids), filtered to
// min_len <= length < max_len, sorted by length and sharded contiguously; ids in any output file
// of the same run name are skipped. Generation stops at EOS, at max_new_tokens, or when the last
// 100 tokens hold at most 10 distinct ids (after 100 tokens). Greedy at temperature 0, else
// temperature + top-p sampling from a seeded generator.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace sweinfer::pipelines {

struct RunLlamaOptions {
  std::string model_name_or_path;
  std::optional<std::string> peft_path;
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
  bool quiet = false;
};

std::string RunLlamaOutputName(const RunLlamaOptions& options);
// Returns the output file.
std::string RunLlama(const RunLlamaOptions& options);

// The reference's stopping rule on repetition.
bool RepetitionStop(const std::vector<int>& generated);

}  // namespace sweinfer::pipelines
