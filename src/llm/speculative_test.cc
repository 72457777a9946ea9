#include "llm/speculative.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "dataset/jsonl.h"
#include "random_llama.h"
#include "test_support.h"
#include "util/error.h"

namespace sweinfer::llm {
namespace {

TEST(PromptLookup, DraftsWhatFollowedTheLongestRecentMatch) {
  // "7 8 9" occurred before, followed by "1 2 3 4"; the most recent occurrence wins.
  std::vector<int> context{5, 7, 8, 9, 6, 6, 7, 8, 9, 1, 2, 3, 4, 0, 7, 8, 9};
  EXPECT_EQ(PromptLookupDraft(context, 3, 8), (std::vector<int>{1, 2, 3, 4, 0, 7, 8, 9}));
  EXPECT_EQ(PromptLookupDraft(context, 3, 2), (std::vector<int>{1, 2}));
  // No trigram match: the bigram, then the unigram.
  EXPECT_EQ(PromptLookupDraft(std::vector<int>{1, 2, 3, 9, 2, 3}, 3, 8), (std::vector<int>{9, 2, 3}));
  EXPECT_EQ(PromptLookupDraft(std::vector<int>{4, 5, 6, 5}, 3, 8), (std::vector<int>{6, 5}));
  EXPECT_TRUE(PromptLookupDraft(std::vector<int>{1, 2, 3}, 3, 8).empty());
  EXPECT_TRUE(PromptLookupDraft(std::vector<int>{1}, 3, 8).empty());
  EXPECT_TRUE(PromptLookupDraft(std::vector<int>{}, 3, 8).empty());
}

// Plain greedy decoding, one token per forward pass: what speculation must reproduce.
std::vector<int> PlainGreedy(const LlamaModel& model, const std::vector<int>& prompt, int n, int threads,
                             const std::function<bool(const std::vector<int>&)>& stop) {
  LlamaSession session(model, static_cast<int>(prompt.size()) + n + 1, threads);
  const std::vector<float>* logits = &session.Forward(prompt);
  std::vector<int> out;
  while (static_cast<int>(out.size()) < n) {
    int next = Argmax(*logits);
    if (next == model.config.eos_id) break;
    out.push_back(next);
    if (stop(out)) break;
    logits = &session.Forward(next);
  }
  return out;
}

std::vector<int> Speculative(const LlamaModel& model, const std::vector<int>& prompt, int n, int threads,
                             const std::function<bool(const std::vector<int>&)>& stop, SpeculationStats* stats) {
  LlamaSession session(model, static_cast<int>(prompt.size()) + n + 1, threads);
  const std::vector<float>& logits = session.Forward(prompt);
  std::vector<int> out;
  DecodeGreedy(session, logits, prompt, n, model.config.eos_id, stop, Speculation::kPromptLookup, out, stats);
  return out;
}

TEST(PromptLookup, SameTokensAsPlainGreedyOnRandomModels) {
  ::sweinfer::testing::ScratchDir dir;
  int64_t drafted = 0, accepted = 0;
  for (DType type : {DType::kF32, DType::kBF16}) {
    ::sweinfer::testing::RandomLlamaSpec spec;
    spec.dtype = type;
    spec.seed = type == DType::kF32 ? 3 : 4;
    auto rm = ::sweinfer::testing::MakeRandomLlama(spec);
    const std::string path = dir / ("m" + std::to_string(static_cast<int>(type)));
    ::sweinfer::testing::WriteHuggingFace(rm, path);
    LlamaModel model = LoadLlama(path);
    // Prompts that repeat themselves, so that drafts are found (and mostly rejected: the model is random).
    for (int p = 0; p < 6; ++p) {
      std::vector<int> prompt;
      for (int i = 0; i < 40; ++i) prompt.push_back(3 + (i * (p + 2) + p) % (5 + 3 * p));
      for (int threads : {1, 2}) {
        auto never = [](const std::vector<int>&) { return false; };
        SpeculationStats stats;
        EXPECT_EQ(Speculative(model, prompt, 60, threads, never, &stats), PlainGreedy(model, prompt, 60, threads, never))
            << "prompt " << p << ", " << threads << " threads";
        drafted += stats.drafted;
        accepted += stats.accepted;
        // A stop condition that fires inside a verified draft ends decoding at the same token.
        auto at_25 = [](const std::vector<int>& g) { return g.size() == 25; };
        EXPECT_EQ(Speculative(model, prompt, 60, threads, at_25, nullptr), PlainGreedy(model, prompt, 60, threads, at_25));
      }
    }
  }
  EXPECT_GT(drafted, 0);
  std::printf("random models: %lld of %lld drafted tokens kept\n", static_cast<long long>(accepted), static_cast<long long>(drafted));
}

TEST(PromptLookup, SameTokensAsPlainGreedyOnStories260K) {
  SWEINFER_REQUIRE_SHARED(shared);
  for (const char* file : {"/models/stories260K/hf", "/models/stories260K/stories260K.gguf"}) {
    LlamaModel model = LoadLlama(shared + file);
    auto expected = dataset::ParseRecord(::sweinfer::testing::ReadFile(shared + "/models/stories260K/expected_greedy.json"),
                                         "expected_greedy.json");
    std::vector<int> story = expected["generated_ids"].get<std::vector<int>>();
    // BOS alone, and a prompt of the model's own story (its continuation repeats earlier text).
    std::vector<int> long_prompt{1};
    long_prompt.insert(long_prompt.end(), story.begin(), story.begin() + 120);
    for (const auto& prompt : {std::vector<int>{1}, long_prompt}) {
      auto never = [](const std::vector<int>&) { return false; };
      SpeculationStats stats;
      auto fast = Speculative(model, prompt, 200, 2, never, &stats);
      EXPECT_EQ(fast, PlainGreedy(model, prompt, 200, 2, never)) << file;
      std::printf("%s, %zu-token prompt: %lld of %lld drafted kept, %lld passes for %zu tokens\n", file, prompt.size(),
                  static_cast<long long>(stats.accepted), static_cast<long long>(stats.drafted),
                  static_cast<long long>(stats.passes), fast.size());
    }
  }
}

// What makes the identity hold whatever the logits: a verified batch's logits are bitwise those of
// feeding the same tokens one at a time.
TEST(PromptLookup, VerifiedBatchLogitsEqualOneAtATimeBitwise) {
  ::sweinfer::testing::ScratchDir dir;
  ::sweinfer::testing::RandomLlamaSpec spec;
  spec.dtype = DType::kBF16;
  auto rm = ::sweinfer::testing::MakeRandomLlama(spec);
  ::sweinfer::testing::WriteHuggingFace(rm, dir.path());
  LlamaModel model = LoadLlama(dir.path());
  const std::vector<int> prompt{1, 5, 9, 14, 3, 7, 7, 2, 11, 40, 41, 42};
  const std::vector<int> batch{17, 23, 5, 9, 14, 3, 7, 88};  // kExactBatchTokens tokens
  for (int threads : {1, 2}) {
    LlamaSession a(model, 64, threads), b(model, 64, threads);
    a.Forward(prompt);
    b.Forward(prompt);
    const std::vector<float> all = a.ForwardAll(batch);
    const size_t vocab = all.size() / batch.size();
    for (size_t t = 0; t < batch.size(); ++t) {
      const std::vector<float>& one = b.Forward(batch[t]);
      for (size_t v = 0; v < vocab; ++v) ASSERT_EQ(all[t * vocab + v], one[v]) << "token " << t << ", " << threads << " threads";
    }
  }
}

TEST(LlamaSession, RewindRefusesTheFuture) {
  ::sweinfer::testing::ScratchDir dir;
  auto rm = ::sweinfer::testing::MakeRandomLlama({});
  ::sweinfer::testing::WriteHuggingFace(rm, dir.path());
  LlamaModel model = LoadLlama(dir.path());
  LlamaSession session(model, 16, 1);
  session.Forward(std::vector<int>{1, 2, 3});
  EXPECT_THROW(session.Rewind(4), sweinfer::Error);
  session.Rewind(1);
  EXPECT_EQ(session.position(), 1);
}

}  // namespace
}  // namespace sweinfer::llm
