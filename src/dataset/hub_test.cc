#include "dataset/hub.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "dataset/dataset.h"
#include "dataset/parquet_reader.h"
#include "test_support.h"
#include "util/error.h"

namespace sweinfer::dataset {
namespace {

// A local stand-in for the hub's API: one dataset with one parquet file.
class FakeHub {
 public:
  explicit FakeHub(std::string parquet) : parquet_(std::move(parquet)) {
    server_.Get("/api/datasets/owner/bench/revision/main", [this](const httplib::Request& req, httplib::Response& res) {
      last_auth_ = req.get_header_value("Authorization");
      ++api_calls_;
      res.set_content(R"({"sha": "0123456789abcdef0123456789abcdef01234567", "siblings": [)"
                      R"({"rfilename": "README.md"}, {"rfilename": "data/test-00000-of-00001.parquet"}]})",
                      "application/json");
    });
    server_.Get("/api/datasets/owner/missing/revision/main",
                [](const httplib::Request&, httplib::Response& res) { res.status = 404; });
    server_.Get(R"(/datasets/owner/bench/resolve/([0-9a-f]+)/data/test-00000-of-00001.parquet)",
                [this](const httplib::Request& req, httplib::Response& res) {
                  if (req.method == "GET") ++downloads_;
                  res.set_header("X-Linked-Etag", "\"5ca1ab1e\"");
                  res.set_content(parquet_, "application/octet-stream");
                });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeHub() {
    server_.stop();
    thread_.join();
  }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int downloads() const { return downloads_; }
  std::string last_auth() const { return last_auth_; }

 private:
  std::string parquet_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> downloads_{0}, api_calls_{0};
  std::string last_auth_;
};

TEST(Hub, DownloadsIntoHubCacheLayoutAndReusesIt) {
  SWEINFER_REQUIRE_SHARED(shared);
  FakeHub hub(testing::ReadFile(shared + "/swebench/parquet/SWE-bench_Verified.test-00000-of-00001.parquet"));
  testing::ScratchDir cache;
  hub::Options o;
  o.endpoint = hub.endpoint();
  o.hub_cache = cache.path();
  o.token = "hf_secret_token_1234";
  std::string snapshot = FetchHubDataset("owner/bench", o);
  EXPECT_EQ(hub.last_auth(), "Bearer hf_secret_token_1234");
  std::string root = cache / "datasets--owner--bench";
  EXPECT_EQ(testing::ReadFile(root + "/refs/main"), "0123456789abcdef0123456789abcdef01234567");
  EXPECT_TRUE(std::filesystem::is_regular_file(root + "/blobs/5ca1ab1e"));
  EXPECT_TRUE(std::filesystem::is_symlink(snapshot + "/data/test-00000-of-00001.parquet"));
  auto ds = Dataset::Open(snapshot);
  EXPECT_EQ(ds.LoadSplit("test").size(), 500u);
  // Second fetch: cached, no download; offline mode works from the cache alone.
  FetchHubDataset("owner/bench", o);
  EXPECT_EQ(hub.downloads(), 1);
  o.offline = true;
  o.endpoint = "http://127.0.0.1:1";
  EXPECT_EQ(FetchHubDataset("owner/bench", o), snapshot);
}

TEST(Hub, ClearErrorsForMissingDatasetsAndOfflineMisses) {
  FakeHub hub("PAR1");
  testing::ScratchDir cache;
  hub::Options o;
  o.endpoint = hub.endpoint();
  o.hub_cache = cache.path();
  try {
    FetchHubDataset("owner/missing", o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not found"), std::string::npos) << e.what();
  }
  o.offline = true;
  try {
    FetchHubDataset("owner/bench", o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("HF_HUB_OFFLINE"), std::string::npos) << e.what();
  }
}

std::string DecodeBase64(const std::string& in) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : in) {
    int v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 : c >= '0' && c <= '9' ? c - '0' + 52
            : c == '+' ? 62 : c == '/' ? 63 : -1;
    if (v < 0) continue;
    buffer = (buffer << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

TEST(Hub, PushesSplitsAsParquetInOneCommit) {
  httplib::Server server;
  std::string create_body, commit_body, auth;
  server.Post("/api/repos/create", [&](const httplib::Request& req, httplib::Response& res) {
    create_body = req.body;
    auth = req.get_header_value("Authorization");
    res.status = 409;  // already exists: fine
  });
  server.Post("/api/datasets/me/prompts/commit/main", [&](const httplib::Request& req, httplib::Response& res) {
    commit_body = req.body;
    res.set_content(R"({"commitUrl": "http://hub/datasets/me/prompts/commit/abc"})", "application/json");
  });
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread t([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  hub::Options o;
  o.endpoint = "http://127.0.0.1:" + std::to_string(port);
  o.token = "hf_push_token_9876";
  std::map<std::string, std::vector<Record>> splits{{"test", {Record{{"instance_id", "a"}, {"text", "hello"}}}},
                                                    {"train", {Record{{"instance_id", "b"}, {"text", "bye"}}}}};
  std::string url = PushDatasetToHub("me/prompts", splits, o);
  server.stop();
  t.join();
  EXPECT_EQ(url, "http://hub/datasets/me/prompts/commit/abc");
  EXPECT_EQ(auth, "Bearer hf_push_token_9876");
  EXPECT_EQ(ParseRecord(create_body, "create")["type"], "dataset");
  std::vector<Record> lines;
  size_t start = 0;
  while (start < commit_body.size()) {
    size_t nl = commit_body.find('\n', start);
    lines.push_back(ParseRecord(commit_body.substr(start, nl - start), "commit"));
    start = nl + 1;
  }
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["key"], "header");
  EXPECT_EQ(lines[1]["value"]["path"], "data/test-00000-of-00001.parquet");
  auto rows = ReadParquetBytes(DecodeBase64(lines[1]["value"]["content"].get<std::string>()), "pushed");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["text"], "hello");
  o.token.clear();
  EXPECT_THROW(PushDatasetToHub("me/prompts", splits, o), Error);
}

TEST(Hub, TellsHubNamesFromPaths) {
  EXPECT_TRUE(hub::LooksLikeRepoId("princeton-nlp/SWE-bench_Lite"));
  EXPECT_FALSE(hub::LooksLikeRepoId("./data/x"));
  EXPECT_FALSE(hub::LooksLikeRepoId("lite_test.jsonl"));
  EXPECT_FALSE(hub::LooksLikeRepoId("a/b/c"));
}

}  // namespace
}  // namespace sweinfer::dataset
