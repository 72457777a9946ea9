// The project's one HTTP client (libcurl): blocking requests with headers, redirects, timeouts
// and TLS verification always on. Secrets passed in headers are never logged or put in errors.
// A client may be used from one thread at a time; make one per thread.
#pragma once

#include <map>
#include <memory>
#include <string>
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
