// What running a model needs in memory, worked out before its weights are read: the weights in the
// type they will have (stored, or after --quantize), the KV cache for the longest sequence, and a
// fixed margin for activations and buffers. When it will not fit, CheckFits says so with the
// figures and names the --quantize recipes that would fit, instead of letting the machine swap.
//
//   weights = sum over matrices of rows x bytes per row of its type
//             (per parameter: F32 4, F16/BF16 2, Q8_0 1.0625, Q6_K 0.82, Q5_K 0.69, Q4_K 0.5625 bytes)
//   KV cache per token = 2 x layers x kv_heads x head_dim x 2 bytes (F16; 4 bytes for F32 models)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "llm/llama.h"

namespace sweinfer::llm {

struct MemoryNeeds {
  int64_t parameters = 0;
  std::string weights_type;     // "BF16", "Q8_0", "q4_k_m"...
  uint64_t weight_bytes = 0;
  uint64_t kv_bytes_per_token = 0;
  int context = 0;              // tokens of the longest sequence
  uint64_t margin_bytes = 0;    // activations, logits, buffers
  uint64_t total() const { return weight_bytes + kv_bytes_per_token * static_cast<uint64_t>(context) + margin_bytes; }
  // The total under other recipes, smallest last ("q8_0", "q4_k_m").
  std::vector<std::pair<std::string, uint64_t>> alternatives;
};

MemoryNeeds EstimateMemory(const LlamaModel& model, const std::optional<QuantRecipe>& recipe, int context);
// An Error naming the figures (and the recipes that would fit) when needs.total() > available.
void CheckFits(const MemoryNeeds& needs, uint64_t available);

}  // namespace sweinfer::llm
