#include "pipelines/run_live.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <ctime>

#include "dataset/jsonl.h"
#include "live/github.h"
#include "mock_llm_server.h"
#include "test_support.h"
#include "util/error.h"

namespace sweinfer::pipelines {
namespace {

// A local GitHub API: issue 7 (rate-limited once, two pages of comments), 8 is a pull request.
class MockGitHub {
 public:
  MockGitHub() {
    server_.Get("/repos/acme/proj/issues/7", [this](const httplib::Request& req, httplib::Response& res) {
      auth_ = req.get_header_value("Authorization");
      if (!limited_once_.exchange(true)) {
        res.status = 403;
        res.set_header("x-ratelimit-remaining", "0");
        res.set_header("x-ratelimit-reset", std::to_string(std::time(nullptr) + 1));
        return;
      }
      res.set_content(R"({"title": "Wrong letter in x.py", "body": "x.py says a but should say b."})", "application/json");
    });
    server_.Get("/repos/acme/proj/issues/7/comments", [this](const httplib::Request& req, httplib::Response& res) {
      if (req.has_param("page") && req.get_param_value("page") == "2") {
        res.set_content(R"([{"body": "second page"}])", "application/json");
        return;
      }
      res.set_header("Link", "<" + url() + "/repos/acme/proj/issues/7/comments?per_page=100&page=2>; rel=\"next\"");
      res.set_content(R"([{"body": "first"}, {"body": "also first page"}])", "application/json");
    });
    server_.Get("/repos/acme/proj/issues/8", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"title": "a PR", "body": "", "pull_request": {"url": "x"}})", "application/json");
    });
    server_.Get("/repos/acme/proj/issues/99", [](const httplib::Request&, httplib::Response& res) { res.status = 404; });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~MockGitHub() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string auth() const { return auth_; }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<bool> limited_once_{false};
  std::string auth_;
};

std::string MakeServedRepository(const testing::ScratchDir& dir) {
  std::string work = dir / "work";
  std::string script = "set -e; git init -q " + work + "; cd " + work +
                       "; mkdir -p pkg; printf 'a\\n' > x.py; printf 'def add(a, b):\\n    return a - b\\n' > pkg/calc.py;"
                       " printf '# proj\\n' > README.md; printf 'proj\\n' > README.rst;"
                       " git add -A; git -c user.name=t -c user.email=t@t commit -qm one;"
                       " mkdir -p " + dir.path() + "/server/acme; git clone -q --bare " + work + " " + dir.path() +
                       "/server/acme/proj.git";
  EXPECT_EQ(std::system(("bash -c \"" + script + "\"").c_str()), 0);
  return "file://" + dir.path() + "/server";
}

TEST(RunLive, EndToEndOffline) {
  SWEINFER_REQUIRE_SHARED(shared);
  MockGitHub github;
  testing::MockLlmServer model("sk-local");
  testing::ScratchDir dir;
  RunLiveOptions o;
  o.model_name = "local-model";
  o.issue_urls = {"https://github.com/acme/proj/issues/7"};
  o.include_readmes = true;
  o.include_comments = true;
  o.github_api_url = github.url();
  o.git_base_url = MakeServedRepository(dir);
  o.base_urls = {model.url() + "/v1"};
  o.output_dir = dir / "live";
  o.root_dir = dir / "data";
  o.max_wait_seconds = 5;
  o.dotenv_path = dir / ".env";
  testing::WriteFile(dir / ".env", "OPENAI_API_KEY=sk-local\n");
  o.tiktoken_dir = shared + "/tokenizers";
  o.quiet = true;
  setenv("GITHUB_TOKEN", "ghp_live_secret_9999", 1);
  std::string file = RunLive(o);
  unsetenv("GITHUB_TOKEN");
  EXPECT_EQ(github.auth(), "Bearer ghp_live_secret_9999");
  auto rows = dataset::ReadJsonl(file);
  ASSERT_EQ(rows.size(), 1u);
  const auto& r = rows[0];
  EXPECT_EQ(r["instance_id"], "acme__proj-7");
  EXPECT_EQ(r["problem_statement"],
            "Wrong letter in x.py\nx.py says a but should say b.\nComment: first\nComment: also first page\nComment: second page");
  std::string text = r["text_inputs"];
  EXPECT_NE(text.find("[start of README.md]"), std::string::npos);
  EXPECT_EQ(text.find("[start of README.rst]"), std::string::npos);  // the shortest-named README only
  EXPECT_NE(text.find("[start of x.py]"), std::string::npos);
  EXPECT_EQ(r["model_patch"], "\n--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a\n+b\n");
  EXPECT_TRUE(r["minimal_patch"].is_string());
  EXPECT_EQ(r["base_commit"].get<std::string>().size(), 40u);
  EXPECT_EQ(r["patch_applies"], true) << r.dump();
  EXPECT_EQ(testing::ReadFile(file).find("ghp_live_secret_9999"), std::string::npos);
  EXPECT_EQ(testing::ReadFile(dir / "data/repo__acme__proj.git/config").find("ghp_live"), std::string::npos);
  // A second run reuses the clone.
  std::string second = RunLive(o);
  EXPECT_EQ(dataset::ReadJsonl(second).size(), 1u);
}

TEST(RunLive, LocalModelOnTheInProcessEngine) {
  SWEINFER_REQUIRE_SHARED(shared);
  MockGitHub github;
  testing::ScratchDir dir;
  RunLiveOptions o;
  o.model_name = shared + "/models/stories260K/hf";
  o.issue_urls = {"https://github.com/acme/proj/issues/7"};
  o.github_api_url = github.url();
  o.git_base_url = MakeServedRepository(dir);
  o.output_dir = dir / "live";
  o.root_dir = dir / "data";
  o.max_wait_seconds = 5;
  o.max_context_length = 400;  // the tiny model's context is 512 positions
  o.max_new_tokens = 20;
  o.tiktoken_dir = shared + "/tokenizers";
  o.quiet = true;
  auto rows = dataset::ReadJsonl(RunLive(o));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(rows[0]["response"].is_string());
  EXPECT_FALSE(rows[0]["patch_applies"].get<bool>());  // a story model writes no patch
}

TEST(RunLive, ClearErrors) {
  EXPECT_THROW(live::ParseIssueUrl("https://github.com/acme/proj/pull/3"), Error);
  EXPECT_THROW(live::ParseIssueUrl("acme/proj#3"), Error);
  auto ref = live::ParseIssueUrl("https://ghe.corp.example/acme/proj/issues/12");
  EXPECT_EQ(ref.host, "ghe.corp.example");
  EXPECT_EQ(ref.number, 12);
  MockGitHub github;
  live::GitHubClient client(github.url(), std::nullopt, 0);
  try {
    client.FetchIssue(live::ParseIssueUrl("https://github.com/acme/proj/issues/99"), false);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("GITHUB_TOKEN"), std::string::npos) << e.what();
  }
  EXPECT_THROW(client.FetchIssue(live::ParseIssueUrl("https://github.com/acme/proj/issues/8"), false), Error);
  // Rate limited with no time to wait: an error with the reset time.
  try {
    client.FetchIssue(live::ParseIssueUrl("https://github.com/acme/proj/issues/7"), false);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("resets at"), std::string::npos) << e.what();
  }
  RunLiveOptions o;
  o.model_name = "x";
  o.issue_urls = {"https://github.com/a/b/issues/1", "https://github.com/a/b/issues/2"};
  o.base_commits = {"abc"};
  EXPECT_THROW(RunLive(o), Error);
}

}  // namespace
}  // namespace sweinfer::pipelines
