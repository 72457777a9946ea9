// Many HTTP requests in flight on one thread with libcurl's multi interface (HTTP/2 multiplexing
// where the server offers it). The caller supplies work through callbacks: `next` hands out the
// next request when a slot is free (or nothing yet), `done` receives each response (or transport
// error) and says whether to retry and after how long. Requests per minute are capped, and a
// server's retry-after pauses new starts for everyone.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "http/http_client.h"

namespace sweinfer::http {

struct Transfer {
  size_t id = 0;  // the caller's handle for this request
  Request request;
  double estimated_tokens = 0;  // for the tokens-per-minute cap
};

struct Completion {
  size_t id = 0;
  std::optional<Response> response;  // nullopt on a transport error
  std::string transport_error;
};

struct RetryDecision {
  bool retry = false;
  double delay_seconds = 0;     // before this request is sent again
  double pause_all_seconds = 0;  // before any new request starts (rate limiting)
};

struct ConcurrencyOptions {
  int max_in_flight = 8;
  double requests_per_minute = 0;  // 0: unlimited
  double tokens_per_minute = 0;    // 0: unlimited; Transfer::estimated_tokens are drawn from it
};

// Runs until `next` returns nullopt and nothing is in flight or waiting. `next` is called only when
// a slot is free; it may return nullopt to stop handing out work (e.g. a cost cap).
void RunConcurrently(const ConcurrencyOptions& options, const std::function<std::optional<Transfer>()>& next,
                     const std::function<RetryDecision(const Completion&)>& done);

}  // namespace sweinfer::http
