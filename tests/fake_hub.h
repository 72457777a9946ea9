// A local stand-in for the Hugging Face hub that serves repositories from directories: the API's
// revision info (commit sha and file list), and resolve URLs answering as the hub does for LFS
// files (X-Linked-Etag = SHA-256, X-Linked-Size). A repository not registered answers 404, one
// registered as gated answers 401.
#pragma once

#include <httplib.h>

#include <filesystem>
#include <map>
#include <thread>

#include "test_support.h"
#include "util/digest.h"

namespace sweinfer::testing {

class FakeHub {
 public:
  FakeHub() {
    server_.Get(R"(/api/(models|datasets)/([^/]+/[^/]+)/revision/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
      const std::string key = std::string(req.matches[1]) + ":" + std::string(req.matches[2]);
      if (gated_.count(key)) {
        res.status = 401;
        return;
      }
      auto it = repos_.find(key);
      if (it == repos_.end()) {
        res.status = 404;
        return;
      }
      std::string siblings;
      for (const auto& e : std::filesystem::recursive_directory_iterator(it->second)) {
        if (!e.is_regular_file()) continue;
        siblings += std::string(siblings.empty() ? "" : ",") + R"({"rfilename": ")" +
                    std::filesystem::relative(e.path(), it->second).string() + "\"}";
      }
      res.set_content(R"({"sha": "1111111111111111111111111111111111111111", "siblings": [)" + siblings + "]}", "application/json");
    });
    server_.Get(R"(/(datasets/)?([^/]+/[^/]+)/resolve/([0-9a-f]+)/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
      const std::string key = std::string(req.matches[1].length() ? "datasets" : "models") + ":" + std::string(req.matches[2]);
      auto it = repos_.find(key);
      const std::filesystem::path file = it == repos_.end() ? "" : it->second / std::string(req.matches[4]);
      if (it == repos_.end() || !std::filesystem::is_regular_file(file)) {
        res.status = 404;
        return;
      }
      const std::string data = ReadFile(file.string());
      res.set_header("X-Linked-Etag", "\"" + Sha256Hex(data) + "\"");
      res.set_header("X-Linked-Size", std::to_string(data.size()));
      res.set_content(data, "application/octet-stream");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeHub() {
    server_.stop();
    thread_.join();
  }
  void AddModel(const std::string& repo, const std::filesystem::path& dir) { repos_["models:" + repo] = dir; }
  void AddDataset(const std::string& repo, const std::filesystem::path& dir) { repos_["datasets:" + repo] = dir; }
  void AddGatedModel(const std::string& repo) { gated_.insert("models:" + repo); }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  std::map<std::string, std::filesystem::path> repos_;
  std::set<std::string> gated_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace sweinfer::testing
