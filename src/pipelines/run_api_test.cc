#include "pipelines/run_api.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <random>

#include "api/images.h"
#include "api/providers.h"
#include "api/settings.h"
#include "dataset/jsonl.h"
#include "mock_llm_server.h"
#include "test_support.h"
#include "util/base64.h"
#include "util/error.h"

namespace sweinfer::pipelines {
namespace {

const std::string kKey = "sk-test-SECRET-key-0123456789";

// A text dataset of n instances; `faults` puts fault markers into chosen instances.
std::string MakeDataset(const testing::ScratchDir& dir, int n, const std::map<int, std::string>& faults = {}) {
  std::string lines;
  for (int i = 0; i < n; ++i) {
    std::string text = "You are a helpful system.\nID:" + std::to_string(i) + "\n" + std::string(10 + i, 'x');
    auto f = faults.find(i);
    if (f != faults.end()) text += "\n" + f->second;
    lines += dataset::DumpRecord(dataset::Record{{"instance_id", "inst-" + std::to_string(i)}, {"text", text}}) + "\n";
  }
  testing::WriteFile(dir / "data.jsonl", lines);
  return dir / "data.jsonl";
}

RunApiOptions Options(const testing::ScratchDir& dir, const std::string& dataset, const std::string& url) {
  RunApiOptions o;
  o.dataset_name_or_path = dataset;
  o.model_name_or_path = "gpt-4-0613";
  o.output_dir = dir / "out";
  o.provider = "openai";
  o.concurrency = 8;
  o.quiet = true;
  o.dotenv_path = dir / ".env";
  testing::WriteFile(dir / ".env", "OPENAI_API_KEY=\"" + kKey + "\"\nOPENAI_BASE_URL=" + url + "/v1\n");
  if (auto shared = testing::SharedDir()) o.tiktoken_dir = *shared + "/tokenizers";
  return o;
}

TEST(RunApi, FaultsAreRetriedOrRecordedAndKeysNeverLeak) {
  SWEINFER_REQUIRE_SHARED(shared);
  testing::MockLlmServer server(kKey);
  testing::ScratchDir dir;
  std::string data = MakeDataset(dir, 12, {{1, "FAULT:429"}, {2, "FAULT:500"}, {3, "FAULT:MALFORMED"},
                                           {4, "FAULT:CONTEXT"}, {5, "FAULT:RESET"}, {6, "FAULT:SLOW"}});
  auto o = Options(dir, data, server.url());
  auto summary = RunApi(o);
  EXPECT_EQ(summary.done, 11u);
  EXPECT_EQ(summary.failed["context length"], 1u);
  auto rows = dataset::ReadJsonl(summary.output_file);
  ASSERT_EQ(rows.size(), 11u);
  std::set<std::string> ids;
  for (const auto& r : rows) {
    ids.insert(r["instance_id"]);
    EXPECT_EQ(r["model_patch"], "\n--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a\n+b\n");
    EXPECT_EQ(r["usage"]["input_tokens"], 1000);
    EXPECT_NEAR(r["cost"].get<double>(), 1000 * 30e-6 + 100 * 60e-6, 1e-12);
    EXPECT_EQ(r["text"].get<std::string>().rfind("You are a helpful system.\n\nID:", 0), 0u);
  }
  EXPECT_EQ(ids.size(), 11u);
  EXPECT_EQ(ids.count("inst-4"), 0u);
  EXPECT_EQ(summary.output_file, dir / "out/gpt-4-0613__data.jsonl__test.jsonl");
  // The key appears in no output file.
  for (const auto& entry : std::filesystem::directory_iterator(dir / "out")) {
    EXPECT_EQ(testing::ReadFile(entry.path()).find(kKey), std::string::npos) << entry.path();
  }
  // Resume: nothing is sent again.
  int before = server.requests();
  auto again = RunApi(o);
  EXPECT_EQ(again.done, 0u);
  EXPECT_EQ(again.skipped_existing, 12u);
  EXPECT_EQ(server.requests(), before);
}

TEST(RunApi, AnthropicMessagesAndCostCap) {
  SWEINFER_REQUIRE_SHARED(shared);
  testing::MockLlmServer server(kKey);
  testing::ScratchDir dir;
  std::string data = MakeDataset(dir, 6, {{0, "FAULT:529"}});
  auto o = Options(dir, data, server.url());
  o.provider = "anthropic";
  o.model_name_or_path = "claude-3-5-sonnet-20241022";
  testing::WriteFile(dir / ".env", "ANTHROPIC_API_KEY=" + kKey + "\nANTHROPIC_BASE_URL=" + server.url() + "\n");
  testing::WriteFile(dir / "prices.json", R"({"claude-3-5-sonnet-20241022": {"input": 0.001, "output": 0}})");
  o.price_file = dir / "prices.json";
  o.max_cost = 2.5;  // each answer costs $1: three are sent one at a time, then the cap stops the run
  o.concurrency = 1;
  auto summary = RunApi(o);
  EXPECT_EQ(summary.done, 3u);
  EXPECT_EQ(summary.not_sent_cost_cap, 3u);
  auto rows = dataset::ReadJsonl(summary.output_file);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_TRUE(rows[0].contains("text_inputs"));
  // A rerun counts the recorded cost and sends nothing more.
  auto again = RunApi(o);
  EXPECT_NEAR(again.previous_cost, 3.0, 1e-9);
  EXPECT_EQ(again.done, 0u);
}

TEST(RunApi, WrongKeyStopsTheRunWithAClearMessage) {
  SWEINFER_REQUIRE_SHARED(shared);
  testing::MockLlmServer server("another-key");
  testing::ScratchDir dir;
  auto o = Options(dir, MakeDataset(dir, 3), server.url());
  try {
    RunApi(o);
    FAIL();
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("key"), std::string::npos);
    EXPECT_EQ(m.find(kKey), std::string::npos) << m;  // the server echoed it; it is masked
  }
}

TEST(RunApi, OpenAICompatibleSpreadsOverServersAndHonoursRpm) {
  SWEINFER_REQUIRE_SHARED(shared);
  testing::MockLlmServer a(kKey), b(kKey);
  testing::ScratchDir dir;
  auto o = Options(dir, MakeDataset(dir, 10), a.url());
  o.provider.reset();
  o.model_name_or_path = "Qwen/Qwen2.5-Coder-7B";
  o.base_urls = {a.url() + "/v1", b.url() + "/v1"};
  o.rpm = 600;  // one request per 100 ms
  auto t0 = std::chrono::steady_clock::now();
  auto summary = RunApi(o);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(summary.done, 10u);
  EXPECT_EQ(a.requests(), 5);
  EXPECT_EQ(b.requests(), 5);
  EXPECT_GE(seconds, 0.85);  // ten starts paced 100 ms apart
  EXPECT_EQ(summary.output_file, dir / "out/Qwen2.5-Coder-7B__data.jsonl__test.jsonl");
}

TEST(RunApi, AzureDeployment) {
  SWEINFER_REQUIRE_SHARED(shared);
  testing::MockLlmServer server(kKey);
  testing::ScratchDir dir;
  auto o = Options(dir, MakeDataset(dir, 3), server.url());
  o.provider.reset();  // chosen from the model name: an Azure endpoint is configured
  o.model_name_or_path = "gpt-4o";
  testing::WriteFile(dir / ".env", "AZURE_OPENAI_API_KEY=" + kKey + "\nAZURE_OPENAI_ENDPOINT=" + server.url() +
                                       "\nAZURE_OPENAI_API_VERSION=2024-10-21\nAZURE_OPENAI_DEPLOYMENT=prod-4o\n");
  auto summary = RunApi(o);
  EXPECT_EQ(summary.done, 3u);
  EXPECT_EQ(server.requests(), 3);
}

TEST(RunApi, LegacyAnthropicCompletions) {
  SWEINFER_REQUIRE_SHARED(shared);
  testing::MockLlmServer server(kKey);
  testing::ScratchDir dir;
  auto o = Options(dir, MakeDataset(dir, 2), server.url());
  o.provider.reset();
  o.model_name_or_path = "claude-2";
  testing::WriteFile(dir / ".env", "ANTHROPIC_API_KEY=" + kKey + "\nANTHROPIC_BASE_URL=" + server.url() + "\n");
  auto summary = RunApi(o);
  EXPECT_EQ(summary.done, 2u);
  auto rows = dataset::ReadJsonl(summary.output_file);
  EXPECT_EQ(rows[0]["model_patch"], "\n--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a\n+b\n");
  EXPECT_TRUE(rows[0].contains("text_inputs"));
}

TEST(Providers, AzureAndAnthropicRequestShapes) {
  api::ProviderConfig azure;
  azure.provider = api::Provider::kAzure;
  azure.base_url = "https://example.openai.azure.com/";
  azure.azure_deployment = "gpt4o-prod";
  azure.azure_api_version = "2024-10-21";
  azure.api_key = "azure-key";
  api::Prompt p = api::SplitPrompt("system line\nuser text");
  p.model = "gpt4o-prod";
  auto req = api::BuildRequest(azure, p, 60);
  EXPECT_EQ(req.url, "https://example.openai.azure.com/openai/deployments/gpt4o-prod/chat/completions?api-version=2024-10-21");
  EXPECT_NE(std::find(req.headers.begin(), req.headers.end(), "api-key: azure-key"), req.headers.end());
  api::ProviderConfig claude;
  claude.provider = api::Provider::kAnthropic;
  claude.api_key = "k";
  p.model = "claude-sonnet-4-5";
  p.top_p = 0.95;
  auto body = dataset::Record::parse(api::BuildRequest(claude, p, 60).body);
  EXPECT_EQ(body["system"], "system line");
  EXPECT_EQ(body["messages"][0]["content"], "user text");
  EXPECT_FALSE(body.contains("top_p"));  // Claude 4.x takes temperature or top_p, not both
  EXPECT_EQ(api::ProviderForModel("claude-2.1", false), api::Provider::kAnthropicLegacy);
  EXPECT_EQ(api::ProviderForModel("gpt-4o", true), api::Provider::kAzure);
  EXPECT_EQ(api::ProviderForModel("o3-mini", false), api::Provider::kOpenAI);
}

// --batch: a run stopped while the batch is in progress resumes polling the same batch.
TEST(RunApi, BatchesAreResumedNotResubmitted) {
  SWEINFER_REQUIRE_SHARED(shared);
  for (const char* provider : {"openai", "anthropic"}) {
    testing::MockLlmServer server(kKey);
    testing::ScratchDir dir;
    auto o = Options(dir, MakeDataset(dir, 5), server.url());
    o.provider = provider;
    if (std::string(provider) == "anthropic") {
      o.model_name_or_path = "claude-3-5-sonnet-20241022";
      testing::WriteFile(dir / ".env", "ANTHROPIC_API_KEY=" + kKey + "\nANTHROPIC_BASE_URL=" + server.url() + "\n");
    }
    o.batch = true;
    o.batch_poll_seconds = 0.01;
    o.batch_max_polls = 1;  // the batch is still in progress when this run returns
    auto first = RunApi(o);
    EXPECT_EQ(first.batches_submitted, 1u) << provider;
    EXPECT_EQ(first.batches_pending, 1u) << provider;
    EXPECT_EQ(first.done, 0u) << provider;
    o.batch_max_polls = -1;
    auto second = RunApi(o);
    EXPECT_EQ(second.batches_submitted, 0u) << provider;
    EXPECT_EQ(second.done, 5u) << provider;
    EXPECT_EQ(server.batches_created(), 1u) << provider;
    auto rows = dataset::ReadJsonl(second.output_file);
    ASSERT_EQ(rows.size(), 5u) << provider;
    double full_price = api::CostOf(api::ModelTable().Find(o.model_name_or_path), rows[0]["usage"]);
    EXPECT_NEAR(rows[0]["cost"].get<double>(), full_price / 2, 1e-12) << provider;  // batch discount
    auto third = RunApi(o);
    EXPECT_EQ(third.done, 0u);
    EXPECT_EQ(server.batches_created(), 1u);
  }
}

TEST(ModelArgs, PythonLikeTypes) {
  auto args = api::ParseModelArgs("a=True,b=None,c=3,d=0.5,e=[],f={},g='x y',h=plain");
  EXPECT_EQ(args["a"], true);
  EXPECT_TRUE(args["b"].is_null());
  EXPECT_EQ(args["c"], 3);
  EXPECT_EQ(args["d"], 0.5);
  EXPECT_TRUE(args["e"].is_array());
  EXPECT_TRUE(args["f"].is_object());
  EXPECT_EQ(args["g"], "x y");
  EXPECT_EQ(args["h"], "plain");
}

// kill -9 the CLI at random moments against a slow server; after a final complete run every
// instance appears exactly once.
TEST(RunApi, SurvivesKillNineWithoutDuplicates) {
  SWEINFER_REQUIRE_SHARED(shared);
  testing::MockLlmServer server(kKey, /*delay_ms=*/30);
  testing::ScratchDir dir;
  std::string data = MakeDataset(dir, 40);
  testing::WriteFile(dir / ".env", "OPENAI_API_KEY=" + kKey + "\nOPENAI_BASE_URL=" + server.url() + "/v1\n");
  std::string cmd = std::string(SWEINFER_BINARY) + " run-api --dataset_name_or_path " + data +
                    " --model_name_or_path gpt-4-0613 --provider openai --output_dir " + (dir / "out") +
                    " --concurrency 4 --tiktoken_dir " + shared + "/tokenizers --quiet";
  std::mt19937 rng(3);
  for (int round = 0; round < 8; ++round) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      if (chdir(dir.path().c_str()) != 0) _exit(3);
      execl("/bin/sh", "sh", "-c", ("exec " + cmd + " 2>/dev/null").c_str(), nullptr);
      _exit(127);
    }
    usleep(std::uniform_int_distribution<int>(20000, 150000)(rng));
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  ASSERT_EQ(std::system(("cd " + dir.path() + " && " + cmd).c_str()), 0);
  std::multiset<std::string> ids;
  for (const auto& r : dataset::ReadJsonl(dir / "out/gpt-4-0613__data.jsonl__test.jsonl")) ids.insert(r["instance_id"]);
  EXPECT_EQ(ids.size(), 40u);
  for (int i = 0; i < 40; ++i) EXPECT_EQ(ids.count("inst-" + std::to_string(i)), 1u);
}

}  // namespace
}  // namespace sweinfer::pipelines

namespace sweinfer::pipelines {
namespace {

// A multimodal text dataset: instance i has the image URLs `urls[i]` in image_assets (a JSON
// string, as SWE-bench Multimodal stores it).
std::string MakeImageDataset(const testing::ScratchDir& dir, const std::vector<std::vector<std::string>>& urls) {
  std::string lines;
  for (size_t i = 0; i < urls.size(); ++i) {
    std::string text = "You are a helpful system.\nID:" + std::to_string(i) + "\nThe chart is drawn upside down.";
    dataset::Record assets = {{"problem_statement", urls[i]}, {"patch", dataset::Record::array()}};
    lines += dataset::DumpRecord({{"instance_id", "img-" + std::to_string(i)}, {"text", text}, {"image_assets", assets.dump()}}) + "\n";
  }
  testing::WriteFile(dir / "images.jsonl", lines);
  return dir / "images.jsonl";
}

TEST(RunApi, ImagesGoAsOpenAIImageUrlParts) {
  SWEINFER_REQUIRE_SHARED(shared);
  testing::MockLlmServer server(kKey);
  testing::ScratchDir dir;
  std::string data = MakeImageDataset(dir, {{"https://example.invalid/a.png", "https://example.invalid/b.png"}, {}});
  auto o = Options(dir, data, server.url());
  o.include_images = true;
  o.concurrency = 1;
  auto summary = RunApi(o);
  ASSERT_EQ(summary.done, 2u);
  auto bodies = server.bodies();
  ASSERT_EQ(bodies.size(), 2u);
  const dataset::Record* with = nullptr;
  for (const auto& b : bodies) {
    if (b["messages"][1]["content"].is_array()) with = &b;
  }
  ASSERT_NE(with, nullptr);
  const auto& parts = (*with)["messages"][1]["content"];
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0]["type"], "text");
  EXPECT_EQ(parts[0]["text"], "ID:0\nThe chart is drawn upside down.");  // the text part is the prompt, unchanged
  EXPECT_EQ(parts[1], (dataset::Record{{"type", "image_url"}, {"image_url", {{"url", "https://example.invalid/a.png"}}}}));
  EXPECT_EQ(parts[2]["image_url"]["url"], "https://example.invalid/b.png");
  auto rows = dataset::ReadJsonl(summary.output_file);
  for (const auto& r : rows) {
    EXPECT_EQ(r["text"], r["instance_id"] == "img-0" ? "You are a helpful system.\n\nID:0\nThe chart is drawn upside down."
                                                     : "You are a helpful system.\n\nID:1\nThe chart is drawn upside down.");
    EXPECT_EQ(r["images"], r["instance_id"] == "img-0" ? 2 : 0);
  }
}

TEST(RunApi, ImagesGoAsAnthropicBlocksInlinedWithACap) {
  SWEINFER_REQUIRE_SHARED(shared);
  testing::MockLlmServer server(kKey);
  testing::ScratchDir dir;
  std::string base = server.url();
  std::string data = MakeImageDataset(dir, {{base + "/images/small.png", base + "/images/huge.png", base + "/images/page.html"}});
  auto o = Options(dir, data, server.url());
  o.provider = "anthropic";
  o.model_name_or_path = "claude-3-5-sonnet-20241022";
  testing::WriteFile(dir / ".env", "ANTHROPIC_API_KEY=" + kKey + "\nANTHROPIC_BASE_URL=" + server.url() + "\n");
  o.include_images = true;
  o.inline_images = true;
  o.max_image_bytes = 1 << 20;
  auto summary = RunApi(o);
  ASSERT_EQ(summary.done, 1u);
  auto bodies = server.bodies();
  ASSERT_EQ(bodies.size(), 1u);
  const auto& parts = bodies[0]["messages"][0]["content"];
  ASSERT_EQ(parts.size(), 2u);  // the text and the one image that passed the checks
  EXPECT_EQ(parts[0]["type"], "text");
  EXPECT_EQ(parts[1]["type"], "image");
  EXPECT_EQ(parts[1]["source"]["type"], "base64");
  EXPECT_EQ(parts[1]["source"]["media_type"], "image/png");
  EXPECT_EQ(parts[1]["source"]["data"], Base64Encode(std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16)));
  auto rows = dataset::ReadJsonl(summary.output_file);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["images"], 1);
  ASSERT_EQ(rows[0]["image_errors"].size(), 2u);
  EXPECT_NE(rows[0]["image_errors"][0].get<std::string>().find("over the cap"), std::string::npos);
  EXPECT_NE(rows[0]["image_errors"][1].get<std::string>().find("not a PNG, JPEG, GIF or WebP"), std::string::npos);
  // Without inlining, Anthropic gets URL sources.
  testing::ScratchDir dir2;
  auto o2 = Options(dir2, MakeImageDataset(dir2, {{"https://example.invalid/x.png"}}), server.url());
  o2.provider = "anthropic";
  o2.model_name_or_path = "claude-3-5-sonnet-20241022";
  testing::WriteFile(dir2 / ".env", "ANTHROPIC_API_KEY=" + kKey + "\nANTHROPIC_BASE_URL=" + server.url() + "\n");
  o2.include_images = true;
  ASSERT_EQ(RunApi(o2).done, 1u);
  const auto last = server.bodies().back();
  EXPECT_EQ(last["messages"][0]["content"][1],
            (dataset::Record{{"type", "image"}, {"source", {{"type", "url"}, {"url", "https://example.invalid/x.png"}}}}));
}

TEST(Images, ImageAssetsAndMediaTypes) {
  EXPECT_EQ(api::ProblemStatementImages({{"instance_id", "a"}, {"image_assets", "{\"problem_statement\": [\"u1\", \"u2\"], \"patch\": []}"}}),
            (std::vector<std::string>{"u1", "u2"}));
  EXPECT_EQ(api::ProblemStatementImages({{"instance_id", "a"}, {"image_assets", {{"problem_statement", {"u"}}}}}),
            (std::vector<std::string>{"u"}));
  EXPECT_TRUE(api::ProblemStatementImages({{"instance_id", "a"}}).empty());
  EXPECT_THROW(api::ProblemStatementImages({{"instance_id", "a"}, {"image_assets", "not json"}}), Error);
  EXPECT_EQ(api::ImageMediaType(std::string("\xff\xd8\xff\xe0", 4)), "image/jpeg");
  EXPECT_EQ(api::ImageMediaType("GIF89a...."), "image/gif");
  EXPECT_EQ(api::ImageMediaType(std::string("RIFF\x10\0\0\0WEBPVP8 ", 16)), "image/webp");
  EXPECT_EQ(api::ImageMediaType("<svg/>"), "");
}

}  // namespace
}  // namespace sweinfer::pipelines
