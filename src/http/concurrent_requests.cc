#include "http/concurrent_requests.h"

#include <curl/curl.h>

#include <algorithm>
#include <deque>
#include <map>
#include <memory>

#include "http/curl_detail.h"
#include "util/error.h"

namespace sweinfer::http {

namespace {

using Clock = std::chrono::steady_clock;

struct Active {
  Transfer transfer;
  Response response;
  curl_slist* headers = nullptr;
  CURL* easy = nullptr;
};

}  // namespace

void RunConcurrently(const ConcurrencyOptions& options, const std::function<std::optional<Transfer>()>& next,
                     const std::function<RetryDecision(const Completion&)>& done) {
  detail::EnsureCurl();
  CURLM* multi = curl_multi_init();
  if (!multi) throw Error("cannot start the HTTP client (curl_multi_init failed)");
  curl_multi_setopt(multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
  std::map<CURL*, std::unique_ptr<Active>> active;
  std::deque<std::pair<Clock::time_point, Transfer>> waiting;  // retries, by time
  std::vector<CURL*> idle_handles;                             // reused: keeps connections warm
  Clock::time_point paused_until = Clock::now();
  Clock::time_point next_start = Clock::now();
  const auto min_interval = options.requests_per_minute > 0
                                ? std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(60.0 / options.requests_per_minute))
                                : Clock::duration::zero();
  bool source_open = true;
  // Token bucket for --tpm: refills continuously, holds at most a minute's worth.
  double token_budget = options.tokens_per_minute;
  Clock::time_point budget_time = Clock::now();
  std::optional<Transfer> held;  // drawn from `next` but waiting for tokens
  auto refill = [&] {
    if (options.tokens_per_minute <= 0) return;
    auto now = Clock::now();
    token_budget = std::min(options.tokens_per_minute,
                            token_budget + options.tokens_per_minute / 60.0 *
                                               std::chrono::duration<double>(now - budget_time).count());
    budget_time = now;
  };
  auto affordable = [&](const Transfer& t) {
    if (options.tokens_per_minute <= 0) return true;
    refill();
    // A request larger than the whole budget goes when the bucket is full.
    double need = std::min(t.estimated_tokens, options.tokens_per_minute);
    if (token_budget + 1e-9 < need) return false;
    token_budget -= need;
    return true;
  };
  auto start = [&](Transfer t) {
    auto a = std::make_unique<Active>();
    a->transfer = std::move(t);
    if (!idle_handles.empty()) {
      a->easy = idle_handles.back();
      idle_handles.pop_back();
      curl_easy_reset(a->easy);
    } else {
      a->easy = curl_easy_init();
    }
    for (const auto& h : a->transfer.request.headers) a->headers = curl_slist_append(a->headers, h.c_str());
    detail::Configure(a->easy, a->transfer.request, a->response, a->headers);
    curl_multi_add_handle(multi, a->easy);
    active[a->easy] = std::move(a);
    next_start = Clock::now() + min_interval;
  };
  while (true) {
    auto now = Clock::now();
    // Fill free slots: due retries first, then new work.
    while (static_cast<int>(active.size()) < options.max_in_flight && now >= paused_until && now >= next_start) {
      auto due = std::find_if(waiting.begin(), waiting.end(), [&](const auto& w) { return w.first <= now; });
      if (due != waiting.end()) {
        Transfer t = std::move(due->second);
        waiting.erase(due);
        start(std::move(t));
        continue;
      }
      if (!held) {
        if (!source_open) break;
        held = next();
        if (!held) {
          source_open = false;
          break;
        }
      }
      if (!affordable(*held)) break;
      start(std::move(*held));
      held.reset();
    }
    if (active.empty() && waiting.empty() && !source_open && !held) break;
    int running = 0;
    curl_multi_perform(multi, &running);
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
      if (msg->msg != CURLMSG_DONE) continue;
      auto it = active.find(msg->easy_handle);
      if (it == active.end()) continue;
      std::unique_ptr<Active> a = std::move(it->second);
      active.erase(it);
      curl_multi_remove_handle(multi, a->easy);
      Completion c;
      c.id = a->transfer.id;
      if (msg->data.result == CURLE_OK) {
        curl_easy_getinfo(a->easy, CURLINFO_RESPONSE_CODE, &a->response.status);
        c.response = std::move(a->response);
      } else {
        c.transport_error = curl_easy_strerror(msg->data.result);
      }
      curl_slist_free_all(a->headers);
      idle_handles.push_back(a->easy);
      RetryDecision d = done(c);
      auto after = [](double s) {
        return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
      };
      if (d.pause_all_seconds > 0) paused_until = std::max(paused_until, Clock::now() + after(d.pause_all_seconds));
      if (d.retry) {
        a->response = Response{};
        waiting.emplace_back(Clock::now() + after(d.delay_seconds), std::move(a->transfer));
      }
    }
    // Sleep until there is network activity or a waiting request is due.
    int wait_ms = 50;
    if (active.empty()) wait_ms = 5;
    curl_multi_poll(multi, nullptr, 0, wait_ms, nullptr);
  }
  for (CURL* h : idle_handles) curl_easy_cleanup(h);
  curl_multi_cleanup(multi);
}

}  // namespace sweinfer::http
