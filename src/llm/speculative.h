// Greedy decoding, optionally with prompt-lookup speculation: a SWE-bench answer is mostly lines
// copied from the prompt (a patch's context lines), so the next tokens are drafted by finding the
// last n generated tokens (n = 3, 2, 1) earlier in the context and taking what followed them there;
// the draft is verified in one batched forward pass and the longest prefix that greedy decoding
// would have produced is kept. The tokens are exactly plain greedy decoding's: a draft token is
// kept only when it is the argmax of the verified logits (see DecodeGreedy's test).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "llm/llama.h"

namespace sweinfer::llm {

// Up to `max_draft` tokens that followed the most recent earlier occurrence of the context's last
// n tokens, for the longest n in [min_ngram, max_ngram] that occurs; empty when none does.
std::vector<int> PromptLookupDraft(std::span<const int> context, int max_ngram = 3, int max_draft = 8, int min_ngram = 1);

struct SpeculationStats {
  int64_t drafted = 0;   // draft tokens verified
  int64_t accepted = 0;  // of those, kept
  int64_t passes = 0;    // forward passes after the prompt
};

// Index of the largest logit (the first one on ties), as greedy decoding takes it.
int Argmax(const std::vector<float>& logits, size_t offset = 0, size_t size = 0);

// Continues greedy decoding after `context` (the prompt, already fed to `session`, whose last
// logits are `logits`): appends each new token to `generated`, stopping at `eos` (not appended),
// after `max_new_tokens`, or when `stop(generated)` says so after an append.
void DecodeGreedy(LlamaSession& session, const std::vector<float>& logits, std::span<const int> context,
                  int max_new_tokens, int eos, const std::function<bool(const std::vector<int>&)>& stop,
                  Speculation speculation, std::vector<int>& generated, SpeculationStats* stats = nullptr);

}  // namespace sweinfer::llm
