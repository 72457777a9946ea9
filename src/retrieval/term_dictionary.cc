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

namespace {

constexpr size_t kMaxRawTokens = size_t{1} << 18;  // remembered tokens per worker (8 MB of slots)

}  // namespace

TermCounter::TermCounter(TermDictionary& dictionary) : dictionary_(dictionary), raw_(4096) {}

uint32_t TermCounter::IdOf(std::string_view term) {
  const uint64_t hash = util::FlatStringMap::Hash(term);
  if (auto known = known_.Find(term, hash)) return *known;
  const uint32_t id = dictionary_.Intern(term);
  known_.Insert(dictionary_.TermOf(id), hash, id);
  return id;
}

void TermCounter::RawAsciiToken(std::string_view token) {
  const size_t n = token.size();
  if (n > sizeof(RawSlot::bytes)) {
    std::string_view term = analyzer_.FilterAscii(token);
    if (!term.empty()) Tally(IdOf(term));
    return;
  }
  const uint64_t hash = util::FlatStringMap::Hash(token);
  const uint32_t tag = static_cast<uint32_t>(hash >> 32) | 1;
  const size_t mask = raw_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const RawSlot& slot = raw_[i];
    if (slot.tag == 0) break;
    if (slot.tag == tag && slot.size == n && std::memcmp(slot.bytes, token.data(), n) == 0) {
      if (slot.id != kDropped) Tally(slot.id);
      return;
    }
  }
  std::string_view term = analyzer_.FilterAscii(token);
  const uint32_t id = term.empty() ? kDropped : IdOf(term);
  Remember(token, tag, hash, id);
  if (id != kDropped) Tally(id);
}

void TermCounter::Remember(std::string_view token, uint32_t tag, uint64_t hash, uint32_t id) {
  if (raw_used_ >= kMaxRawTokens) return;
  if ((raw_used_ + 1) * 2 > raw_.size()) {
    std::vector<RawSlot> old(raw_.size() * 2);
    old.swap(raw_);
    const size_t mask = raw_.size() - 1;
    for (const RawSlot& slot : old) {
      if (slot.tag == 0) continue;
      size_t i = util::FlatStringMap::Hash(std::string_view(slot.bytes, slot.size)) & mask;
      while (raw_[i].tag != 0) i = (i + 1) & mask;
      raw_[i] = slot;
    }
  }
  const size_t mask = raw_.size() - 1;
  size_t i = hash & mask;
  while (raw_[i].tag != 0) i = (i + 1) & mask;
  RawSlot& slot = raw_[i];
  slot.tag = tag;
  slot.id = id;
  slot.size = static_cast<uint8_t>(token.size());
  std::memcpy(slot.bytes, token.data(), token.size());
  ++raw_used_;
}

TermCounts TermCounter::Count(std::string_view text) {
  length_ = 0;
  analyzer_.AnalyzeTokens(text, *this);
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
