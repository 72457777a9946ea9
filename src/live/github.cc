#include "live/github.h"

#include <chrono>
#include <ctime>
#include <thread>

#include "dataset/jsonl.h"
#include "http/http_client.h"
#include "text/py_regex.h"
#include "util/error.h"

namespace sweinfer::live {

IssueRef ParseIssueUrl(const std::string& url) {
  static const text::PyRegex issue(R"(^https?://([^/\s]+)/([^/\s]+)/([^/\s]+)/issues/(\d+)/?(?:[#?].*)?$)");
  static const text::PyRegex pull(R"(^https?://([^/\s]+)/([^/\s]+)/([^/\s]+)/pull/(\d+))");
  if (auto m = issue.Match(url)) {
    return IssueRef{std::string(m->Group(0)), std::string(m->Group(1)), std::string(m->Group(2)),
                    std::stoll(std::string(m->Group(3)))};
  }
  if (pull.Match(url)) throw Error("'" + url + "' is a pull request; run-live needs an issue URL like https://github.com/owner/repo/issues/12345");
  throw Error("'" + url + "' does not look like an issue URL; use the form https://github.com/owner/repo/issues/12345");
}

GitHubClient::GitHubClient(std::string api_url, std::optional<std::string> token, double max_wait_seconds)
    : api_url_(std::move(api_url)), token_(std::move(token)), max_wait_seconds_(max_wait_seconds) {
  while (!api_url_.empty() && api_url_.back() == '/') api_url_.pop_back();
}

std::string GitHubClient::Get(const std::string& url, const IssueRef& ref, std::string* next_page) {
  std::vector<std::string> headers = {"Accept: application/vnd.github+json", "X-GitHub-Api-Version: 2022-11-28"};
  if (token_) headers.push_back("Authorization: Bearer " + *token_);
  http::Client client;
  const std::string where = ref.owner + "/" + ref.repo + "#" + std::to_string(ref.number);
  for (int attempt = 0;; ++attempt) {
    http::Response r = client.Send({"GET", url, headers, "", 60});
    bool limited = (r.status == 403 || r.status == 429) && r.Header("x-ratelimit-remaining") == "0";
    if (limited) {
      long long reset = std::atoll(r.Header("x-ratelimit-reset").c_str());
      double wait = static_cast<double>(reset - std::time(nullptr)) + 1;
      if (wait <= max_wait_seconds_ && attempt < 3) {
        std::this_thread::sleep_for(std::chrono::duration<double>(std::max(wait, 0.0)));
        continue;
      }
      std::time_t at = static_cast<std::time_t>(reset);
      char when[64];
      std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&at));
      throw Error("GitHub rate limit reached while reading " + where + "; it resets at " + when +
                  (token_ ? "" : " (set GITHUB_TOKEN for a higher limit)") + "; --max_wait lets run-live wait for it");
    }
    if (r.status == 401) throw Error("GitHub refused GITHUB_TOKEN while reading " + where + "; check the token");
    if (r.status == 403) throw Error("GitHub denied access to " + where + (token_ ? "; check the token's scopes" : "; set GITHUB_TOKEN"));
    if (r.status == 404) {
      throw Error("issue " + where + " was not found" +
                  (token_ ? " (check the number and that the token can read the repository)"
                          : " (if the repository is private, set GITHUB_TOKEN)"));
    }
    if (r.status != 200) throw Error("GitHub answered HTTP " + std::to_string(r.status) + " for " + where);
    if (next_page) {
      next_page->clear();
      std::string link = r.Header("link");
      static const text::PyRegex next(R"(<([^>]+)>;\s*rel="next")");
      if (auto m = next.Search(link)) *next_page = std::string(m->Group(0));
    }
    return r.body;
  }
}

Issue GitHubClient::FetchIssue(const IssueRef& ref, bool include_comments) {
  const std::string base = api_url_ + "/repos/" + ref.owner + "/" + ref.repo + "/issues/" + std::to_string(ref.number);
  dataset::Record issue = dataset::ParseRecord(Get(base, ref, nullptr), "GitHub issue");
  if (issue.contains("pull_request")) {
    throw Error(ref.owner + "/" + ref.repo + "#" + std::to_string(ref.number) + " is a pull request, not an issue");
  }
  Issue out;
  out.title = issue.value("title", "");
  out.body = issue.contains("body") && issue["body"].is_string() ? issue["body"].get<std::string>() : "";
  if (include_comments) {
    std::string url = base + "/comments?per_page=100";
    while (!url.empty()) {
      std::string next;
      dataset::Record page = dataset::ParseRecord(Get(url, ref, &next), "GitHub comments");
      for (const auto& c : page) out.comments.push_back(c.value("body", ""));
      url = next;
    }
  }
  return out;
}

std::string ProblemStatement(const Issue& issue, bool include_comments) {
  std::string text = issue.title + "\n" + issue.body;
  if (include_comments && !issue.comments.empty()) {
    text += "\n";
    for (size_t i = 0; i < issue.comments.size(); ++i) text += (i ? "\nComment: " : "Comment: ") + issue.comments[i];
  }
  return text;
}

}  // namespace sweinfer::live
