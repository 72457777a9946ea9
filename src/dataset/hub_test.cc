#include "dataset/hub.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "dataset/dataset.h"
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
                [this](const httplib::Request&, httplib::Response& res) {
                  ++downloads_;
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
  HubOptions o;
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
  HubOptions o;
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

TEST(Hub, TellsHubNamesFromPaths) {
  EXPECT_TRUE(LooksLikeHubName("princeton-nlp/SWE-bench_Lite"));
  EXPECT_FALSE(LooksLikeHubName("./data/x"));
  EXPECT_FALSE(LooksLikeHubName("lite_test.jsonl"));
  EXPECT_FALSE(LooksLikeHubName("a/b/c"));
}

}  // namespace
}  // namespace sweinfer::dataset
