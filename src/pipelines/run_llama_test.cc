#include "pipelines/run_llama.h"

#include <gtest/gtest.h>

#include <cstring>

#include "dataset/jsonl.h"
#include "llm/llama.h"
#include "test_support.h"
#include "util/error.h"

namespace sweinfer::pipelines {
namespace {

TEST(RunLlama, GeneratesResumesAndNamesLikeTheReference) {
  SWEINFER_REQUIRE_SHARED(shared);
  testing::ScratchDir dir;
  testing::WriteFile(dir / "ds.jsonl",
                     "{\"instance_id\": \"a\", \"text\": \"Once upon a time\"}\n"
                     "{\"instance_id\": \"b\", \"input_ids\": [1, 403, 407]}\n"
                     "{\"instance_id\": \"c\", \"text\": \"The cat sat on the mat and then it went to sleep\"}\n");
  RunLlamaOptions o;
  o.model_name_or_path = shared + "/models/stories260K/hf";
  o.dataset_path = dir / "ds.jsonl";
  o.output_dir = dir / "out";
  o.max_new_tokens = 30;
  o.max_len = 12;  // drops "c"
  o.threads = 2;
  o.quiet = true;
  std::string out = RunLlama(o);
  EXPECT_EQ(out, dir / "out/ds.jsonl__test__hf__temp-0.0__top-p-1.0__max-12.jsonl");
  auto rows = dataset::ReadJsonl(out);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["instance_id"], "b");  // sorted by length
  // Greedy from [1, 403, 407] continues as run.c's greedy sequence does.
  auto model = llm::LoadLlama(o.model_name_or_path);
  auto expected = llm::GenerateGreedy(model, {1, 403, 407}, 30);
  EXPECT_FALSE(rows[0]["full_output"].get<std::string>().empty());
  EXPECT_EQ(rows[0]["model_name_or_path"], o.model_name_or_path);
  EXPECT_FALSE(expected.empty());
  // Resume: nothing is generated twice.
  RunLlama(o);
  EXPECT_EQ(dataset::ReadJsonl(out).size(), 2u);
}

TEST(RunLlama, RepetitionRule) {
  std::vector<int> tokens;
  for (int i = 0; i < 99; ++i) tokens.push_back(i % 5);
  EXPECT_FALSE(RepetitionStop(tokens));
  tokens.push_back(0);
  EXPECT_TRUE(RepetitionStop(tokens));
  for (int i = 0; i < 100; ++i) tokens.push_back(100 + i);
  EXPECT_FALSE(RepetitionStop(tokens));
}

TEST(RunLlama, LoraMergesScaledProduct) {
  SWEINFER_REQUIRE_SHARED(shared);
  testing::ScratchDir dir;
  // r = 2, alpha = 4: W_q of layer 0 gains 2 * B * A.
  std::string header = R"({"base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight": {"dtype": "F32", "shape": [2, 64], "data_offsets": [0, 512]}, )"
                       R"("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight": {"dtype": "F32", "shape": [64, 2], "data_offsets": [512, 1024]}})";
  std::vector<float> a(128, 0.0f), b(128, 0.0f);
  a[0] = 1.0f;   // A[0][0]
  b[2] = 0.5f;   // B[1][0]
  std::string file(8, '\0');
  uint64_t n = header.size();
  std::memcpy(file.data(), &n, 8);
  file += header;
  file.append(reinterpret_cast<const char*>(a.data()), 512);
  file.append(reinterpret_cast<const char*>(b.data()), 512);
  std::filesystem::create_directories(dir / "lora");
  testing::WriteFile(dir / "lora/adapter_model.safetensors", file);
  testing::WriteFile(dir / "lora/adapter_config.json", R"({"r": 2, "lora_alpha": 4, "target_modules": ["q_proj"]})");
  auto base = llm::LoadLlama(shared + "/models/stories260K/hf");
  auto merged = base;
  llm::MergeLora(merged, dir / "lora");
  EXPECT_FLOAT_EQ(merged.layers[0].wq[1 * 64 + 0], base.layers[0].wq[1 * 64 + 0] + 2.0f * 0.5f * 1.0f);
  EXPECT_EQ(merged.layers[0].wq[0], base.layers[0].wq[0]);
  EXPECT_THROW(llm::MergeLora(merged, dir / "missing"), Error);
}

}  // namespace
}  // namespace sweinfer::pipelines
