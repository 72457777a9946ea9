#include "llm/speculative.h"

#include "llm/cpu_kernels.h"

#include <algorithm>

namespace sweinfer::llm {

namespace {

// Longest match first, down to one token; seven tokens per draft, so that the token fed and its
// draft (eight) stay within the batch the kernels compute exactly as single tokens
// (kExactBatchTokens). On a model whose decoding is bound by reading its weights (any real one on
// a CPU), verifying eight tokens costs about one pass, so fewer passes is what counts, even when
// most drafted tokens are rejected.
constexpr int kMaxNgram = 3, kMaxDraft = kExactBatchTokens - 1, kMinNgram = 1;

}  // namespace

std::vector<int> PromptLookupDraft(std::span<const int> context, int max_ngram, int max_draft, int min_ngram) {
  const int64_t len = static_cast<int64_t>(context.size());
  for (int n = std::min<int64_t>(max_ngram, len - 1); n >= std::max(1, min_ngram); --n) {
    const int* tail = context.data() + len - n;
    // The most recent occurrence that ends before the tail itself.
    for (int64_t start = len - n - 1; start >= 0; --start) {
      if (!std::equal(tail, tail + n, context.data() + start)) continue;
      const int64_t from = start + n;
      const int64_t count = std::min<int64_t>(max_draft, len - from);
      return std::vector<int>(context.begin() + from, context.begin() + from + count);
    }
  }
  return {};
}

int Argmax(const std::vector<float>& logits, size_t offset, size_t size) {
  if (size == 0) size = logits.size() - offset;
  const float* begin = logits.data() + offset;
  return static_cast<int>(std::max_element(begin, begin + size) - begin);
}

void DecodeGreedy(LlamaSession& session, const std::vector<float>& logits, std::span<const int> context,
                  int max_new_tokens, int eos, const std::function<bool(const std::vector<int>&)>& stop,
                  Speculation speculation, std::vector<int>& generated, SpeculationStats* stats) {
  std::vector<int> history(context.begin(), context.end());  // prompt + generated, for drafting
  int next = Argmax(logits);
  // Appends a token as plain greedy decoding would; false when decoding ends here.
  auto take = [&](int token) {
    if (token == eos) return false;
    generated.push_back(token);
    history.push_back(token);
    if (static_cast<int>(generated.size()) >= max_new_tokens) return false;
    return !stop(generated);
  };
  if (max_new_tokens <= 0) return;
  while (take(next)) {
    std::vector<int> draft;
    if (speculation == Speculation::kPromptLookup) {
      draft = PromptLookupDraft(history, kMaxNgram, kMaxDraft, kMinNgram);
      const size_t room = static_cast<size_t>(max_new_tokens) - generated.size();
      if (draft.size() > room) draft.resize(room);
    }
    if (stats) ++stats->passes;
    if (draft.empty()) {
      next = Argmax(session.Forward(next));
      continue;
    }
    // Feed `next` and the draft in one pass; row i's logits follow the i-th token fed.
    const int base = session.position();
    std::vector<int> batch{next};
    batch.insert(batch.end(), draft.begin(), draft.end());
    const std::vector<float> all = session.ForwardAll(batch);
    const size_t vocab = all.size() / batch.size();
    size_t kept = 0;
    bool ended = false;
    while (true) {
      const int predicted = Argmax(all, kept * vocab, vocab);
      if (kept < draft.size() && predicted == draft[kept]) {
        ++kept;
        if (!take(predicted)) {
          ended = true;
          break;
        }
        continue;
      }
      next = predicted;
      break;
    }
    if (stats) {
      stats->drafted += static_cast<int64_t>(draft.size());
      stats->accepted += static_cast<int64_t>(kept);
    }
    if (ended) return;
    session.Rewind(base + 1 + static_cast<int>(kept));  // `next` and the kept draft tokens stay
  }
}

}  // namespace sweinfer::llm
