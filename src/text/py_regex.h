// PyRegex: a compiled PCRE2 pattern that behaves like Python's `re` on str patterns, for porting
// reference code whose regexes define observable output. Patterns are written in Python syntax;
// \s, \w and \d are rewritten to Python's Unicode classes (str.isspace, isalnum + '_', Nd).
// Matching is JIT-compiled and non-recursive, so long model outputs cannot overflow the stack.
// A PyRegex is immutable after construction and safe to share across threads.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sweinfer::text {

struct RegexMatch {
  size_t begin = 0, end = 0;
  // Group spans; a group that did not participate is std::nullopt (Python's None).
  std::vector<std::optional<std::string_view>> groups;
  std::string_view Group(size_t i) const { return groups[i].value_or(std::string_view()); }
};

class PyRegex {
 public:
  enum Flags { kNone = 0, kDotAll = 1 };
  explicit PyRegex(std::string_view python_pattern, int flags = kNone);
  ~PyRegex();
  PyRegex(const PyRegex&) = delete;
  PyRegex& operator=(const PyRegex&) = delete;

  // re.match: anchored at `start`.
  std::optional<RegexMatch> Match(std::string_view subject, size_t start = 0) const;
  // re.search from `start`.
  std::optional<RegexMatch> Search(std::string_view subject, size_t start = 0) const;
  // re.finditer: non-overlapping matches, left to right.
  std::vector<RegexMatch> FindAll(std::string_view subject) const;

 private:
  std::optional<RegexMatch> Run(std::string_view subject, size_t start, bool anchored) const;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sweinfer::text
