// An in-process mock of the OpenAI Chat Completions and Anthropic Messages APIs for tests and
// benchmarks, with injectable faults keyed on the instance text: a prompt containing
// "FAULT:429" gets one 429 with retry-after, "FAULT:500" one 500, "FAULT:529" one 529,
// "FAULT:MALFORMED" one truncated JSON body, "FAULT:RESET" one dropped connection,
// "FAULT:CONTEXT" a context-length error every time, "FAULT:SLOW" a 1 s delay. `delay_ms`
// delays every answer. The OpenAI Batch API and Anthropic Message Batches are mocked too.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "dataset/jsonl.h"

namespace sweinfer::testing {

class MockLlmServer {
 public:
  explicit MockLlmServer(std::string expected_key, int delay_ms = 0, int threads = 16)
      : key_(std::move(expected_key)), delay_ms_(delay_ms) {
    server_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    server_.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
      Handle(req, res, false);
    });
    server_.Post("/v1/messages", [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res, true); });
    // Images for --inline_images: a tiny PNG, a large one, and something that is not an image.
    server_.Get("/images/small.png", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16), "image/png");
    });
    server_.Get("/images/huge.png", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string("\x89PNG\r\n\x1a\n", 8) + std::string(3 << 20, 'x'), "image/png");
    });
    server_.Get("/images/page.html", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("<html>not an image</html>", "text/html");
    });
    // Legacy Anthropic text completions (claude-2, claude-instant).
    server_.Post("/v1/complete", [this](const httplib::Request& req, httplib::Response& res) {
      ++requests_;
      if (req.get_header_value("x-api-key") != key_) {
        res.status = 401;
        return;
      }
      auto body = dataset::Record::parse(req.body);
      std::string prompt = body["prompt"];
      std::string text = dataset::Record::parse(AnswerBody(prompt, true))["content"][0]["text"];
      res.set_content(dataset::Record{{"completion", " " + text}, {"stop_reason", "stop_sequence"}}.dump(), "application/json");
    });
    // Azure OpenAI: deployment in the path, api-version in the query, the key in "api-key".
    server_.Post(R"(/openai/deployments/([\w.-]+)/chat/completions)", [this](const httplib::Request& req, httplib::Response& res) {
      ++requests_;
      if (req.get_header_value("api-key") != key_ || !req.has_param("api-version")) {
        res.status = 401;
        res.set_content(R"({"error": {"message": "Access denied due to invalid subscription key"}})", "application/json");
        return;
      }
      res.set_content(AnswerBody(dataset::Record::parse(req.body)["messages"][1]["content"], false), "application/json");
    });
    // Batch APIs: a batch ends after `polls_until_done_` status checks.
    server_.Post("/v1/files", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mutex_);
      std::string id = "file-" + std::to_string(files_.size());
      files_[id] = req.get_file_value("file").content;
      res.set_content(dataset::Record{{"id", id}}.dump(), "application/json");
    });
    server_.Post("/v1/batches", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mutex_);
      auto body = dataset::Record::parse(req.body);
      std::string id = "batch-" + std::to_string(batches_.size());
      std::string out;
      std::string input = files_[body["input_file_id"]];
      for (size_t start = 0; start < input.size();) {
        size_t nl = input.find('\n', start);
        auto line = dataset::Record::parse(input.substr(start, nl - start));
        start = nl + 1;
        std::string user = line["body"]["messages"][1]["content"];
        out += dataset::Record{{"custom_id", line["custom_id"]},
                               {"response", {{"status_code", 200}, {"body", dataset::Record::parse(AnswerBody(user, false))}}}}.dump() + "\n";
      }
      files_[id + "-out"] = out;
      batches_[id] = 0;
      res.set_content(dataset::Record{{"id", id}, {"status", "validating"}}.dump(), "application/json");
    });
    server_.Get(R"(/v1/batches/([\w-]+))", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mutex_);
      std::string id = req.matches[1];
      bool finished = ++batches_[id] > polls_until_done_;
      dataset::Record status{{"id", id}, {"status", finished ? "completed" : "in_progress"}};
      if (finished) status["output_file_id"] = id + "-out";
      res.set_content(status.dump(), "application/json");
    });
    server_.Get(R"(/v1/files/([\w-]+)/content)", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mutex_);
      res.set_content(files_[req.matches[1]], "application/jsonl");
    });
    server_.Post("/v1/messages/batches", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mutex_);
      auto body = dataset::Record::parse(req.body);
      std::string id = "msgbatch_" + std::to_string(batches_.size());
      std::string out;
      for (const auto& r : body["requests"]) {
        std::string user = r["params"]["messages"][0]["content"];
        out += dataset::Record{{"custom_id", r["custom_id"]},
                               {"result", {{"type", "succeeded"}, {"message", dataset::Record::parse(AnswerBody(user, true))}}}}.dump() + "\n";
      }
      files_[id] = out;
      batches_[id] = 0;
      res.set_content(dataset::Record{{"id", id}, {"processing_status", "in_progress"}}.dump(), "application/json");
    });
    server_.Get(R"(/v1/messages/batches/(\w+))", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mutex_);
      std::string id = req.matches[1];
      bool finished = ++batches_[id] > polls_until_done_;
      res.set_content(dataset::Record{{"id", id}, {"processing_status", finished ? "ended" : "in_progress"},
                                      {"results_url", url() + "/v1/messages/batches/" + id + "/results"}}.dump(),
                      "application/json");
    });
    server_.Get(R"(/v1/messages/batches/(\w+)/results)", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mutex_);
      res.set_content(files_[req.matches[1]], "application/jsonl");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~MockLlmServer() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_; }
  size_t batches_created() {
    std::lock_guard<std::mutex> lock(mutex_);
    return batches_.size();
  }
  void set_polls_until_done(int n) { polls_until_done_ = n; }

  static std::string AnswerBody(const std::string& user, bool anthropic) {
    size_t id_at = user.find("ID:");
    std::string id = id_at == std::string::npos ? "the issue" : user.substr(id_at, user.find('\n', id_at) - id_at);
    std::string answer = "Here is the fix for " + id + ":\n<patch>\n--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a\n+b\n</patch>";
    dataset::Record out;
    if (anthropic) {
      out = {{"content", dataset::Record::array({dataset::Record{{"type", "text"}, {"text", answer}}})},
             {"usage", {{"input_tokens", 1000}, {"output_tokens", 100}, {"cache_read_input_tokens", 0}}}};
    } else {
      out = {{"choices", dataset::Record::array({dataset::Record{{"message", {{"role", "assistant"}, {"content", answer}}}}})},
             {"usage", {{"prompt_tokens", 1000}, {"completion_tokens", 100}}}};
    }
    return out.dump();
  }

  // Every chat/messages request body received, in arrival order.
  std::vector<dataset::Record> bodies() {
    std::lock_guard<std::mutex> lock(mutex_);
    return bodies_;
  }

 private:
  bool Once(const std::string& key) {
    std::lock_guard<std::mutex> lock(mutex_);
    return fired_.insert(key).second;
  }
  void Handle(const httplib::Request& req, httplib::Response& res, bool anthropic) {
    ++requests_;
    std::string auth = anthropic ? req.get_header_value("x-api-key") : req.get_header_value("Authorization");
    if (auth != (anthropic ? key_ : "Bearer " + key_)) {
      res.status = 401;
      res.set_content(R"({"error": {"message": "Incorrect API key provided: )" + auth + R"("}})", "application/json");
      return;
    }
    if (delay_ms_) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_));
    dataset::Record body = dataset::Record::parse(req.body);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      bodies_.push_back(body);
    }
    // The user turn is a string, or text and image parts (--include_images).
    const dataset::Record& content = anthropic ? body["messages"][0]["content"] : body["messages"][1]["content"];
    std::string user;
    if (content.is_string()) {
      user = content.get<std::string>();
    } else {
      for (const auto& part : content) {
        if (part.value("type", "") == "text") user += part["text"].get<std::string>();
      }
    }
    size_t id_at = user.find("ID:");
    std::string id = id_at == std::string::npos ? user : user.substr(id_at, user.find('\n', id_at) - id_at);
    if (user.find("FAULT:CONTEXT") != std::string::npos) {
      res.status = 400;
      res.set_content(anthropic ? R"({"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 300000 tokens > 200000 maximum"}})"
                                : R"({"error":{"message":"This model's maximum context length is 8192 tokens.","code":"context_length_exceeded"}})",
                      "application/json");
      return;
    }
    if (user.find("FAULT:429") != std::string::npos && Once(id + "429")) {
      res.status = 429;
      res.set_header("retry-after", "0.2");
      res.set_content(R"({"error":{"message":"Rate limit reached","code":"rate_limit_exceeded"}})", "application/json");
      return;
    }
    if (user.find("FAULT:500") != std::string::npos && Once(id + "500")) {
      res.status = 500;
      res.set_content("oops", "text/plain");
      return;
    }
    if (user.find("FAULT:529") != std::string::npos && Once(id + "529")) {
      res.status = 529;
      res.set_content(R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})", "application/json");
      return;
    }
    if (user.find("FAULT:MALFORMED") != std::string::npos && Once(id + "malformed")) {
      res.set_content(R"({"choices": [{"message": {"content": "trunc)", "application/json");
      return;
    }
    if (user.find("FAULT:RESET") != std::string::npos && Once(id + "reset")) {
      res.status = -1;  // httplib closes the connection without an answer
      throw std::runtime_error("drop");
    }
    if (user.find("FAULT:SLOW") != std::string::npos) std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    res.set_content(AnswerBody(user, anthropic), "application/json");
  }

  std::vector<dataset::Record> bodies_;
  std::string key_;
  int delay_ms_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> requests_{0};
  std::mutex mutex_;
  std::set<std::string> fired_;
  std::map<std::string, std::string> files_;
  std::map<std::string, int> batches_;
  std::atomic<int> polls_until_done_{2};
};

}  // namespace sweinfer::testing
