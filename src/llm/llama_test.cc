#include "llm/llama.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "dataset/jsonl.h"
#include "test_support.h"
#include "util/error.h"

namespace sweinfer::llm {
namespace {

void CheckAgainstReference(const std::string& shared, const std::string& model_path, float bound) {
  const std::string dir = shared + "/models/stories260K";
  auto expected = dataset::ParseRecord(testing::ReadFile(dir + "/expected_greedy.json"), "expected_greedy.json");
  std::vector<int> ids = expected["generated_ids"].get<std::vector<int>>();
  std::string raw = testing::ReadFile(dir + "/logits_bos_greedy.f32");
  ASSERT_EQ(raw.size(), 256u * 512u * 4u);
  LlamaModel model = LoadLlama(model_path);
  ASSERT_EQ(model.config.vocab_size, 512);
  LlamaSession session(model, 512, 2);
  float max_err = 0;
  int token = 1;  // BOS
  for (size_t t = 0; t < 256; ++t) {
    const auto& logits = session.Forward(token);
    for (int v = 0; v < 512; ++v) {
      float want;
      std::memcpy(&want, raw.data() + (t * 512 + v) * 4, 4);
      max_err = std::max(max_err, std::fabs(logits[v] - want));
    }
    token = ids[t];
  }
  std::printf("%s: max |logit - reference| over 256 steps = %.3g\n", model_path.c_str(), max_err);
  EXPECT_LT(max_err, bound);
  auto greedy = GenerateGreedy(model, {1}, 256, 1);
  size_t same = 0;
  while (same < greedy.size() && same < ids.size() && greedy[same] == ids[same]) ++same;
  EXPECT_GE(same, 200u);  // run.c's greedy ids (llama.cpp agrees on the first 200)
}

TEST(Llama, HuggingFaceSafetensorsMatchReferenceLogits) {
  SWEINFER_REQUIRE_SHARED(shared);
  CheckAgainstReference(shared, shared + "/models/stories260K/hf", 1e-4f);
}

TEST(Llama, GgufMatchesReferenceLogits) {
  SWEINFER_REQUIRE_SHARED(shared);
  CheckAgainstReference(shared, shared + "/models/stories260K/stories260K.gguf", 1e-4f);
}

}  // namespace
}  // namespace sweinfer::llm
