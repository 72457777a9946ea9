#include "retrieval/term_dictionary.h"

#include <algorithm>
#include <cstring>
#include <mutex>

namespace sweinfer::retrieval {

TermDictionary::TermDictionary() = default;
TermDictionary::~TermDictionary() = default;

uint32_t TermDictionary::InternLocked(std::string_view term, uint64_t hash) {
  if (auto id = ids_.Find(term, hash)) return *id;
  const uint32_t id = static_cast<uint32_t>(terms_.size());
  std::string_view stored = arena_.Store(term);
  terms_.push_back(stored);
  ids_.Insert(stored, hash, id);
  return id;
}

uint32_t TermDictionary::Intern(std::string_view term) {
  const uint64_t hash = util::FlatStringMap::Hash(term);
  {
    std::shared_lock lock(mutex_);
    if (auto id = ids_.Find(term, hash)) return *id;
  }
  std::unique_lock lock(mutex_);
  return InternLocked(term, hash);
}

void TermDictionary::InternAll(const std::vector<std::string_view>& terms, std::vector<uint32_t>& ids) {
  ids.resize(terms.size());
  std::unique_lock lock(mutex_);
  for (size_t i = 0; i < terms.size(); ++i) ids[i] = InternLocked(terms[i], util::FlatStringMap::Hash(terms[i]));
}

std::optional<uint32_t> TermDictionary::Find(std::string_view term) const {
  std::shared_lock lock(mutex_);
  return ids_.Find(term, util::FlatStringMap::Hash(term));
}

std::string_view TermDictionary::TermOf(uint32_t id) const {
  std::shared_lock lock(mutex_);
  return terms_.at(id);
}

size_t TermDictionary::size() const {
  std::shared_lock lock(mutex_);
  return terms_.size();
}

uint32_t TermCounter::IdOf(std::string_view term, uint32_t key) {
  constexpr uint32_t kUnknown = 0xFFFFFFFF;
  uint32_t id = key < id_of_key_.size() ? id_of_key_[key] : kUnknown;
  if (id != kUnknown) return id;
  const uint64_t hash = util::FlatStringMap::Hash(term);
  if (auto known = known_.Find(term, hash)) {
    id = *known;
  } else {
    id = dictionary_.Intern(term);
    known_.Insert(dictionary_.TermOf(id), hash, id);
  }
  if (key != Analyzer::kNoKey) {
    if (key >= id_of_key_.size()) id_of_key_.resize(std::max<size_t>(key + 1, id_of_key_.size() * 2), kUnknown);
    id_of_key_[key] = id;
  }
  return id;
}

void TermCounter::Tally(uint32_t id) {
  if (id >= tf_by_id_.size()) tf_by_id_.resize(std::max<size_t>(id + 1, tf_by_id_.size() * 2), 0);
  if (tf_by_id_[id]++ == 0) seen_.push_back(id);
  ++length_;
}

TermCounts TermCounter::Count(std::string_view text) {
  length_ = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) continue;
    const uint64_t hash = util::FlatStringMap::Hash(line);
    if (auto index = lines_.Find(line, hash)) {
      const auto [offset, count] = line_spans_[*index];
      for (uint32_t i = offset; i < offset + count; ++i) Tally(line_terms_[i]);
      continue;
    }
    const size_t start = line_terms_.size();
    analyzer_.AnalyzeKeyed(line, [&](std::string_view term, uint32_t key) { line_terms_.push_back(IdOf(term, key)); });
    const size_t count = line_terms_.size() - start;
    for (size_t i = start; i < start + count; ++i) Tally(line_terms_[i]);
    const size_t cost = line.size() + count * sizeof(uint32_t) + 32;
    if (line_memo_used_ + cost <= line_memo_budget_) {
      line_memo_used_ += cost;
      lines_.Insert(line_bytes_.Store(line), hash, static_cast<uint32_t>(line_spans_.size()));
      line_spans_.push_back({static_cast<uint32_t>(start), static_cast<uint32_t>(count)});
    } else {
      line_terms_.resize(start);
    }
  }
  TermCounts out;
  out.length = length_;
  std::sort(seen_.begin(), seen_.end());
  out.terms.reserve(seen_.size());
  for (uint32_t id : seen_) {
    out.terms.push_back({id, tf_by_id_[id]});
    tf_by_id_[id] = 0;
  }
  seen_.clear();
  return out;
}

}  // namespace sweinfer::retrieval
