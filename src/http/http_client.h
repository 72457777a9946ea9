// The project's one HTTP client (libcurl): blocking requests with headers, redirects, timeouts
// and TLS verification always on. Secrets passed in headers are never logged or put in errors.
// A client may be used from one thread at a time; make one per thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sweinfer::http {

struct Response {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-cased names; the last response after redirects
  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? "" : it->second;
  }
};

struct Request {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
  long timeout_seconds = 300;
  bool follow_redirects = true;
  // When set, the body goes here in chunks as it arrives (with the status of the response it
  // belongs to) instead of into Response::body; returning false aborts the transfer.
  std::function<bool(long status, std::string_view chunk)> on_body = nullptr;
  // Abort when fewer than this many bytes per second arrive for 30 s (0: no such limit), so that a
  // stalled download fails and can resume instead of waiting out timeout_seconds.
  long low_speed_bytes = 0;
};

class Client {
 public:
  Client();
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Throws Error on transport failures (DNS, connection, timeout), naming the URL; HTTP error
  // statuses are returned, not thrown.
  Response Send(const Request& request);

 private:
  void* curl_;
};

}  // namespace sweinfer::http
