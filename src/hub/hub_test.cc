#include "hub/hub.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <thread>

#include "test_support.h"
#include "util/digest.h"
#include "util/error.h"

namespace sweinfer::hub {
namespace {

namespace fs = std::filesystem;

// A local stand-in for the hub, as its API and file server answer: model info, resolve (small files
// straight, LFS files as a redirect to the LFS store with X-Linked-Etag / X-Linked-Size), ranges,
// a gated repository, and faults on demand: a connection dropped halfway once, a slow trickle, a
// wrong body (so the SHA-256 check fails).
class FakeModelHub {
 public:
  static constexpr const char* kCommit = "abcdef0123456789abcdef0123456789abcdef01";
  FakeModelHub() {
    weights_.resize(3 << 20);
    for (size_t i = 0; i < weights_.size(); ++i) weights_[i] = static_cast<char>((i * 2654435761u) >> 13);
    files_ = {{"config.json", R"({"model_type": "llama"})"},
              {"tokenizer.json", "{}"},
              {"model.safetensors", weights_},
              {"pytorch_model.bin", "also here, not wanted when safetensors exist"},
              {"README.md", "# not needed"}};
    server_.Get("/api/models/owner/tiny/revision/main", [this](const httplib::Request& req, httplib::Response& res) {
      auth_ = req.get_header_value("Authorization");
      std::string siblings;
      for (const auto& [name, data] : files_) siblings += std::string(siblings.empty() ? "" : ",") + R"({"rfilename": ")" + name + "\"}";
      res.set_content(std::string(R"({"sha": ")") + kCommit + R"(", "siblings": [)" + siblings + "]}", "application/json");
    });
    server_.Get("/api/datasets/owner/data/revision/main", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(R"({"sha": ")") + kCommit + R"(", "siblings": [{"rfilename": "data/test-00000-of-00001.parquet"}]})",
                      "application/json");
    });
    server_.Get(R"(/datasets/owner/data/resolve/([0-9a-f]+)/data/test-00000-of-00001.parquet)",
                [this](const httplib::Request&, httplib::Response& res) {
                  res.status = 302;
                  res.set_header("Location", endpoint() + "/lfs/" + Sha256Hex(weights_));
                  res.set_header("X-Linked-Etag", "\"" + Sha256Hex(weights_) + "\"");
                  res.set_header("X-Linked-Size", std::to_string(weights_.size()));
                });
    server_.Get("/api/models/meta-llama/gated/revision/main",
                [](const httplib::Request&, httplib::Response& res) { res.status = 401; });
    server_.Get(R"(/owner/tiny/resolve/([0-9a-f]+)/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
      const std::string file = req.matches[2];
      auto it = files_.find(file);
      if (it == files_.end()) {
        res.status = 404;
        return;
      }
      if (file == "model.safetensors") {
        res.status = 302;
        res.set_header("Location", endpoint() + "/lfs/" + Sha256Hex(weights_));
        res.set_header("X-Linked-Etag", "\"" + Sha256Hex(weights_) + "\"");
        res.set_header("X-Linked-Size", std::to_string(weights_.size()));
        return;
      }
      res.set_header("ETag", "\"" + Sha256Hex(it->second).substr(0, 40) + "\"");
      res.set_content(it->second, "application/octet-stream");
    });
    server_.Get(R"(/lfs/([0-9a-f]+))", [this](const httplib::Request& req, httplib::Response& res) {
      if (req.method != "GET") return;
      ++lfs_requests_;
      if (req.has_header("Authorization")) lfs_saw_token_ = true;
      if (req.has_header("Range")) range_requests_.push_back(req.get_header_value("Range"));
      const std::string body = corrupt_ ? std::string(weights_.size(), 'x') : weights_;
      const bool drop = drop_once_.exchange(false);
      // httplib answers a Range request with 206 and asks the provider for that part only.
      res.set_content_provider(body.size(), "application/octet-stream",
                               [this, body, drop](size_t offset, size_t length, httplib::DataSink& sink) {
                                 const size_t chunk = std::min<size_t>(length, 64 << 10);
                                 if (drop && offset >= body.size() / 2) return false;  // connection cut
                                 if (slow_) std::this_thread::sleep_for(std::chrono::milliseconds(20));
                                 sink.write(body.data() + offset, chunk);
                                 served_ += chunk;
                                 return true;
                               });
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeModelHub() {
    server_.stop();
    thread_.join();
  }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::string& weights() const { return weights_; }

  std::atomic<bool> drop_once_{false}, slow_{false}, corrupt_{false}, lfs_saw_token_{false};
  std::atomic<int> lfs_requests_{0};
  std::atomic<size_t> served_{0};
  std::vector<std::string> range_requests_;
  std::string auth_;

 private:
  std::string weights_;
  std::map<std::string, std::string> files_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

Options TestOptions(const FakeModelHub& hub, const std::string& cache) {
  Options o;
  o.endpoint = hub.endpoint();
  o.hub_cache = cache;
  o.quiet = true;
  return o;
}

TEST(HubModels, FetchesOnlyWhatRunningNeedsIntoTheCacheLayout) {
  FakeModelHub hub;
  testing::ScratchDir cache;
  Options o = TestOptions(hub, cache.path());
  o.token = "hf_secret";
  const std::string snapshot = FetchModel("owner/tiny", o);
  EXPECT_EQ(hub.auth_, "Bearer hf_secret");
  EXPECT_FALSE(hub.lfs_saw_token_) << "the token must not go to the LFS store";
  const fs::path root = cache / "models--owner--tiny";
  EXPECT_EQ(snapshot, (root / "snapshots" / FakeModelHub::kCommit).string());
  EXPECT_EQ(testing::ReadFile((root / "refs/main").string()), FakeModelHub::kCommit);
  EXPECT_TRUE(fs::is_symlink(snapshot + "/model.safetensors"));
  EXPECT_EQ(testing::ReadFile(snapshot + "/model.safetensors"), hub.weights());
  EXPECT_TRUE(fs::exists(root / "blobs" / Sha256Hex(hub.weights())));
  EXPECT_TRUE(fs::exists(snapshot + "/config.json"));
  EXPECT_FALSE(fs::exists(snapshot + "/pytorch_model.bin"));  // safetensors preferred
  EXPECT_FALSE(fs::exists(snapshot + "/README.md"));
  // Cached: nothing downloaded again; offline works from the cache alone.
  const int before = hub.lfs_requests_;
  FetchModel("owner/tiny", o);
  EXPECT_EQ(hub.lfs_requests_, before);
  o.offline = true;
  o.endpoint = "http://127.0.0.1:1";
  EXPECT_EQ(FetchModel("owner/tiny", o), snapshot);
}

TEST(HubModels, ResumesAfterADroppedConnectionWithARange) {
  FakeModelHub hub;
  hub.drop_once_ = true;
  testing::ScratchDir cache;
  const std::string snapshot = FetchModel("owner/tiny", TestOptions(hub, cache.path()));
  EXPECT_EQ(testing::ReadFile(snapshot + "/model.safetensors"), hub.weights());
  ASSERT_EQ(hub.range_requests_.size(), 1u);
  EXPECT_NE(hub.range_requests_[0], "bytes=0-");
  // Less than the file and a half went over the wire: the second request continued the first.
  EXPECT_LT(hub.served_.load(), hub.weights().size() * 3 / 2);
}

TEST(HubModels, DatasetsResumeTooWhenTheConnectionDropsHalfwayThroughAParquetFile) {
  FakeModelHub hub;
  hub.drop_once_ = true;
  testing::ScratchDir cache;
  Hub client(TestOptions(hub, cache.path()));
  const RepoInfo info = client.Info("owner/data", RepoType::kDataset);
  const std::string snapshot = client.Fetch("owner/data", RepoType::kDataset, info, info.files);
  EXPECT_EQ(testing::ReadFile(snapshot + "/data/test-00000-of-00001.parquet"), hub.weights());
  EXPECT_EQ(hub.range_requests_.size(), 1u);
  EXPECT_TRUE(fs::exists(cache / "datasets--owner--data/refs/main"));
}

TEST(HubModels, AFileThatFailsItsHashIsDeletedNeverUsed) {
  FakeModelHub hub;
  hub.corrupt_ = true;
  testing::ScratchDir cache;
  try {
    FetchModel("owner/tiny", TestOptions(hub, cache.path()));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("failed its SHA-256 check"), std::string::npos) << e.what();
  }
  const fs::path blobs = cache / "models--owner--tiny/blobs";
  for (const auto& e : fs::directory_iterator(blobs)) {
    EXPECT_EQ(e.path().filename().string().find(Sha256Hex(hub.weights())), std::string::npos) << e.path();
  }
  EXPECT_FALSE(fs::exists(cache / ("models--owner--tiny/snapshots/" + std::string(FakeModelHub::kCommit) + "/model.safetensors")));
}

TEST(HubModels, GatedRepositoriesSayWhichTokenToSet) {
  FakeModelHub hub;
  testing::ScratchDir cache;
  try {
    FetchModel("meta-llama/gated", TestOptions(hub, cache.path()));
    FAIL();
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("HTTP 401"), std::string::npos) << what;
    EXPECT_NE(what.find("HF_TOKEN"), std::string::npos) << what;
  }
}

TEST(HubModels, AKilledDownloadResumesWhereItStopped) {
  FakeModelHub hub;
  hub.slow_ = true;
  testing::ScratchDir cache;
  const Options o = TestOptions(hub, cache.path());
  const pid_t child = fork();
  if (child == 0) {
    try {
      FetchModel("owner/tiny", o);
    } catch (...) {
    }
    _exit(0);
  }
  // kill -9 once about a third of the weights has arrived.
  while (hub.served_.load() < hub.weights().size() / 3) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  const fs::path incomplete = cache / ("models--owner--tiny/blobs/" + Sha256Hex(hub.weights()) + ".incomplete");
  ASSERT_TRUE(fs::exists(incomplete));
  const uintmax_t kept = fs::file_size(incomplete);
  EXPECT_GT(kept, 0u);
  hub.slow_ = false;
  const std::string snapshot = FetchModel("owner/tiny", o);
  EXPECT_EQ(testing::ReadFile(snapshot + "/model.safetensors"), hub.weights());
  ASSERT_FALSE(hub.range_requests_.empty());
  EXPECT_EQ(hub.range_requests_.back(), "bytes=" + std::to_string(kept) + "-");
  EXPECT_FALSE(fs::exists(incomplete));
}

TEST(HubModels, TellsRepoIdsFromPaths) {
  EXPECT_TRUE(LooksLikeRepoId("princeton-nlp/SWE-Llama-7b-peft"));
  EXPECT_FALSE(LooksLikeRepoId("./model"));
  EXPECT_FALSE(LooksLikeRepoId("a/b/c"));
  EXPECT_FALSE(LooksLikeRepoId("model.gguf"));
}

}  // namespace
}  // namespace sweinfer::hub
