// GitHub issues for run-live: parsing issue URLs, and a small REST client (api.github.com or a
// GitHub Enterprise API URL) that reads an issue and all of its comments (following `Link`
// pagination), waits out a rate limit when the reset is within `max_wait_seconds`, and turns
// 401/403/404 into messages a person can act on. The token is sent as a header only.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace sweinfer::live {

struct IssueRef {
  std::string host, owner, repo;
  int64_t number = 0;
};

// https://HOST/owner/repo/issues/N; anything else is an Error showing the expected form.
IssueRef ParseIssueUrl(const std::string& url);

struct Issue {
  std::string title, body;
  std::vector<std::string> comments;
};

class GitHubClient {
 public:
  GitHubClient(std::string api_url, std::optional<std::string> token, double max_wait_seconds);
  Issue FetchIssue(const IssueRef& ref, bool include_comments);

 private:
  std::string Get(const std::string& url, const IssueRef& ref, std::string* next_page);
  std::string api_url_;
  std::optional<std::string> token_;
  double max_wait_seconds_;
};

// The reference's problem statement: title + "\n" + body, then "Comment: " + each comment.
std::string ProblemStatement(const Issue& issue, bool include_comments);

}  // namespace sweinfer::live
