// Comparing models in tests: every token's logits computed with an f32 KV cache on one thread
// (so only the weights differ between two runs), and the largest difference between two such runs.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "llm/llama.h"

namespace sweinfer::testing {

inline std::vector<float> ExactLogits(const llm::LlamaModel& m, const std::vector<int>& tokens) {
  llm::SessionOptions o;
  o.threads = 1;
  o.kv_dtype = llm::DType::kF32;
  llm::LlamaSession s(m, static_cast<int>(tokens.size()) + 1, o);
  return s.ForwardAll(tokens);
}

inline double MaxAbsDifference(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double d = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) d = std::max<double>(d, std::fabs(a[i] - b[i]));
  return d;
}

}  // namespace sweinfer::testing
