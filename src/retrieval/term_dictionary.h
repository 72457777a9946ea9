// Term ids for a retrieval run. TermDictionary gives every distinct term of the run one id (shared
// by all workers, thread-safe); TermCounter turns a text into its term frequencies by id through the
// Analyzer, keeping a lock-free per-worker cache in front of the dictionary so that the shared lock
// is taken once per new term of the worker, not once per token. Term bytes live in an arena and
// never move: a string_view from TermOf stays valid for the dictionary's lifetime.
#pragma once

#include <algorithm>
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

// Counts the terms of texts for one worker. Raw ASCII tokens are remembered with the id of their
// term (or as dropped) in a table whose slots hold short tokens inline, so that a repeated token,
// which most tokens of source code are, costs one probe instead of the filters and a term lookup.
// The table is bounded; past it, new tokens are filtered every time.
class TermCounter : private Analyzer::TokenSink {
 public:
  explicit TermCounter(TermDictionary& dictionary);
  TermCounts Count(std::string_view text);

 private:
  static constexpr uint32_t kDropped = 0xFFFFFFFF;  // a stop word, or a token the filters empty
  struct RawSlot {
    uint32_t tag = 0;  // 0: empty
    uint32_t id = 0;
    uint8_t size = 0;
    char bytes[23];
  };
  void RawAsciiToken(std::string_view token) override;
  void Term(std::string_view term) override { Tally(IdOf(term)); }
  uint32_t IdOf(std::string_view term);
  void Remember(std::string_view token, uint32_t tag, uint64_t hash, uint32_t id);
  void Tally(uint32_t id) {
    if (id >= tf_by_id_.size()) tf_by_id_.resize(std::max<size_t>(id + 1, tf_by_id_.size() * 2), 0);
    if (tf_by_id_[id]++ == 0) seen_.push_back(id);
    ++length_;
  }

  TermDictionary& dictionary_;
  Analyzer analyzer_;
  util::FlatStringMap known_;  // term -> id, keys viewing the dictionary's arena
  std::vector<RawSlot> raw_;   // open addressing, power-of-two size
  size_t raw_used_ = 0;
  std::vector<uint32_t> tf_by_id_;
  std::vector<uint32_t> seen_;
  uint32_t length_ = 0;
};

}  // namespace sweinfer::retrieval
