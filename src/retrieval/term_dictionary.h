// Term ids for a retrieval run. TermDictionary gives every distinct term of the run one id (shared
// by all workers, thread-safe); TermCounter turns a text into its term frequencies by id through the
// Analyzer, keeping a lock-free per-worker cache in front of the dictionary so that the shared lock
// is taken once per new term of the worker, not once per token. Term bytes live in an arena and
// never move: a string_view from TermOf stays valid for the dictionary's lifetime.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string_view>
#include <vector>

#include "retrieval/analyzer.h"
#include "util/flat_string_map.h"

namespace sweinfer::retrieval {

// Term frequencies of an analysed text, sorted by term id, and its token count.
struct TermCounts {
  std::vector<std::pair<uint32_t, uint32_t>> terms;
  uint32_t length = 0;
};

class TermDictionary {
 public:
  TermDictionary();
  ~TermDictionary();
  uint32_t Intern(std::string_view term);
  // Interns many terms under one lock; ids[i] is the id of terms[i].
  void InternAll(const std::vector<std::string_view>& terms, std::vector<uint32_t>& ids);
  std::optional<uint32_t> Find(std::string_view term) const;
  std::string_view TermOf(uint32_t id) const;
  size_t size() const;

 private:
  uint32_t InternLocked(std::string_view term, uint64_t hash);
  mutable std::shared_mutex mutex_;
  util::FlatStringMap ids_;
  std::vector<std::string_view> terms_;
  util::StringArena arena_;
};

// Counts the terms of texts for one worker. No token spans a line break, so a text's counts are
// the sum of its lines' counts: the terms of every line analysed are remembered (up to a memory
// budget), and the many lines that recur between versions of a file, and within one, are looked
// up instead of analysed again.
class TermCounter {
 public:
  explicit TermCounter(TermDictionary& dictionary, size_t line_memo_bytes = size_t{128} << 20)
      : dictionary_(dictionary), line_memo_budget_(line_memo_bytes) {}
  TermCounts Count(std::string_view text);

 private:
  uint32_t IdOf(std::string_view term, uint32_t key);
  void Tally(uint32_t id);

  TermDictionary& dictionary_;
  size_t line_memo_budget_;
  size_t line_memo_used_ = 0;
  util::FlatStringMap lines_;  // line -> index into line_spans_
  util::StringArena line_bytes_;
  std::vector<uint32_t> line_terms_;                      // term ids of the remembered lines, in order
  std::vector<std::pair<uint32_t, uint32_t>> line_spans_;  // (offset, count) in line_terms_
  uint32_t length_ = 0;
  Analyzer analyzer_;
  util::FlatStringMap known_;  // term -> id, keys viewing the dictionary's arena
  std::vector<uint32_t> id_of_key_;  // the analyzer's term key -> id (kUnknown: not seen yet)
  std::vector<uint32_t> tf_by_id_;
  std::vector<uint32_t> seen_;
};

}  // namespace sweinfer::retrieval
