#include "pipelines/run_llama.h"

#include <gtest/gtest.h>

#include <httplib.h>

#include <cstring>
#include <mutex>
#include <thread>

#include "dataset/jsonl.h"
#include "llm/llama.h"
#include "random_llama.h"
#include "test_support.h"
#include "tokenizer/tokenizer.h"
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

// A random model with the tiny byte-fallback tokenizer: text rows are tokenised and end in two
// newline ids, outputs decode to text, --quantize q8 runs, and three failing instances stop the run
// after the good ones are saved.
TEST(RunLlama, RandomModelTextRowsQuantizeAndFailureRule) {
  testing::ScratchDir dir;
  testing::RandomLlamaSpec spec;
  spec.dtype = llm::DType::kBF16;
  testing::WriteHuggingFace(testing::MakeRandomLlama(spec), dir / "model");
  testing::WriteFile(dir / "ds.jsonl",
                     "{\"instance_id\": \"t1\", \"text\": \"fix the bug\\n\"}\n"
                     "{\"instance_id\": \"t2\", \"text\": \"abc\"}\n");
  RunLlamaOptions o;
  o.model_name_or_path = dir / "model";
  o.dataset_path = dir / "ds.jsonl";
  o.output_dir = dir / "out";
  o.max_new_tokens = 8;
  o.threads = 2;
  o.quiet = true;
  o.quantize = "q8";
  const std::string out = RunLlama(o);
  auto rows = dataset::ReadJsonl(out);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["instance_id"], "t2");  // shorter prompt first
  // The engine's own greedy continuation of the tokenised prompt, decoded.
  tokenizer::TokenizerOptions to;
  to.tokenizer_path = dir / "model";
  auto tok = tokenizer::LoadTokenizer("llama", to);
  auto ids64 = tok->EncodeWithSpecials("abc");
  std::vector<int> ids(ids64.begin(), ids64.end());
  ids.push_back(13);
  ids.push_back(13);
  auto model = llm::LoadLlama(dir / "model");
  llm::QuantizeModel(model, llm::DType::kQ8_0);
  auto greedy = llm::GenerateGreedy(model, ids, 8, 2);
  // (as JSON stores it: bytes that are not UTF-8 become U+FFFD)
  const std::string decoded = tok->Decode(std::vector<int64_t>(greedy.begin(), greedy.end()));
  EXPECT_EQ(rows[0]["full_output"].dump(), dataset::Record(decoded).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));

  testing::WriteFile(dir / "bad.jsonl",
                     "{\"instance_id\": \"ok\", \"input_ids\": [1, 5]}\n"
                     "{\"instance_id\": \"b1\", \"input_ids\": [1, 5, 999]}\n"
                     "{\"instance_id\": \"b2\", \"input_ids\": [1, 5, 6, 999]}\n"
                     "{\"instance_id\": \"b3\", \"input_ids\": [1, 5, 6, 7, 999]}\n"
                     "{\"instance_id\": \"never\", \"input_ids\": [1, 5, 6, 7, 8, 9]}\n");
  o.dataset_path = dir / "bad.jsonl";
  o.quantize.reset();
  try {
    RunLlama(o);
    FAIL() << "three failures did not stop the run";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("three instances failed"), std::string::npos) << e.what();
  }
  auto saved = dataset::ReadJsonl(dir / "out/bad.jsonl__test__model__temp-0.0__top-p-1.0.jsonl");
  ASSERT_EQ(saved.size(), 1u);
  EXPECT_EQ(saved[0]["instance_id"], "ok");
}

// Temperature + top-p sampling draws from a seeded generator: the same seed gives the same outputs,
// another seed other ones, and the file name records the settings as the reference does.
TEST(RunLlama, SamplingIsSeeded) {
  testing::ScratchDir dir;
  testing::WriteHuggingFace(testing::MakeRandomLlama(testing::RandomLlamaSpec{}), dir / "model");
  testing::WriteFile(dir / "ds.jsonl", "{\"instance_id\": \"a\", \"input_ids\": [1, 40, 50, 13, 13]}\n"
                                       "{\"instance_id\": \"b\", \"input_ids\": [1, 60, 13, 13]}\n");
  auto run = [&](uint64_t seed, const std::string& out) {
    RunLlamaOptions o;
    o.model_name_or_path = dir / "model";
    o.dataset_path = dir / "ds.jsonl";
    o.output_dir = dir / out;
    o.temperature = 0.8;
    o.top_p = 0.9;
    o.seed = seed;
    o.max_new_tokens = 24;
    o.quiet = true;
    std::string file = RunLlama(o);
    EXPECT_EQ(std::filesystem::path(file).filename(), "ds.jsonl__test__model__temp-0.8__top-p-0.9.jsonl");
    std::string texts;
    for (const auto& r : dataset::ReadJsonl(file)) texts += r["full_output"].get<std::string>() + "|";
    return texts;
  };
  const std::string a = run(7, "one"), b = run(7, "two"), c = run(8, "three");
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

// --backend server: the same token ids go to an OpenAI-compatible /completions endpoint, the LoRA
// adapter named by its folder; transient 5xx answers are retried.
TEST(RunLlama, ServerBackendSendsTokenIdsAndAdapterName) {
  testing::ScratchDir dir;
  httplib::Server server;
  std::mutex mutex;
  std::vector<dataset::Record> requests;
  int failures_left = 1;
  server.Post("/v1/completions", [&](const httplib::Request& req, httplib::Response& res) {
    auto body = dataset::ParseRecord(req.body, "request");
    std::lock_guard<std::mutex> lock(mutex);
    requests.push_back(body);
    if (body["prompt"].size() == 3 && failures_left-- > 0) {
      res.status = 503;
      return;
    }
    const std::string text = "<patch>\ndiff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a\n+b\n</patch>";
    res.set_content(dataset::Record{{"choices", {{{"text", text}, {"index", 0}}}}}.dump(), "application/json");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread thread([&] { server.listen_after_bind(); });
  testing::WriteFile(dir / "ds.jsonl",
                     "{\"instance_id\": \"a\", \"input_ids\": [1, 13, 13]}\n"
                     "{\"instance_id\": \"b\", \"input_ids\": [1, 7, 8, 13, 13]}\n");
  RunLlamaOptions o;
  o.model_name_or_path = "princeton-nlp/SWE-Llama-7b";
  o.peft_path = dir / "my-adapter";
  o.dataset_path = dir / "ds.jsonl";
  o.output_dir = dir / "out";
  o.backend = "server";
  o.retry_base_seconds = 0.05;
  o.base_url = "http://127.0.0.1:" + std::to_string(port) + "/v1/";
  o.max_new_tokens = 64;
  o.quiet = true;
  const std::string out = RunLlama(o);
  server.stop();
  thread.join();
  auto rows = dataset::ReadJsonl(out);
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& r : rows) {
    EXPECT_EQ(r["model_patch"], "\ndiff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a\n+b\n");
    EXPECT_EQ(r["model_name_or_path"], "princeton-nlp/SWE-Llama-7b__" + (dir / "my-adapter"));
  }
  ASSERT_EQ(requests.size(), 3u);  // one retried
  for (const auto& q : requests) {
    EXPECT_EQ(q["model"], "my-adapter");
    EXPECT_EQ(q["max_tokens"], 64);
    EXPECT_EQ(q["temperature"], 0.0);
  }
  std::set<std::vector<int>> prompts;
  for (const auto& q : requests) prompts.insert(q["prompt"].get<std::vector<int>>());
  EXPECT_TRUE(prompts.count({1, 13, 13}));
  EXPECT_TRUE(prompts.count({1, 7, 8, 13, 13}));
  o.base_url.clear();
  o.output_dir = dir / "out2";
  EXPECT_THROW(RunLlama(o), Error);
}

}  // namespace
}  // namespace sweinfer::pipelines
