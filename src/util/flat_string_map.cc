#include "util/flat_string_map.h"

#include <algorithm>
#include <cstring>

namespace sweinfer::util {

std::string_view StringArena::Store(std::string_view term) {
  constexpr size_t kChunk = 1 << 16;
  if (term.size() > left_) {
    size_t size = std::max(kChunk, term.size());
    chunks_.push_back(std::make_unique<char[]>(size));
    at_ = chunks_.back().get();
    left_ = size;
  }
  if (!term.empty()) std::memcpy(at_, term.data(), term.size());
  std::string_view stored(at_, term.size());
  at_ += term.size();
  left_ -= term.size();
  return stored;
}

uint64_t FlatStringMap::Hash(std::string_view s) {
  // 8 bytes at a time with a multiply-xorshift mix: terms are short, and this is on the hot path.
  uint64_t h = 0x9E3779B97F4A7C15ull ^ s.size();
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t v;
    std::memcpy(&v, s.data() + i, 8);
    h = (h ^ v) * 0xBF58476D1CE4E5B9ull;
    h ^= h >> 31;
  }
  if (i < s.size()) {
    uint64_t v = 0;
    std::memcpy(&v, s.data() + i, s.size() - i);
    h = (h ^ v) * 0x94D049BB133111EBull;
    h ^= h >> 29;
  }
  h *= 0xBF58476D1CE4E5B9ull;
  return h ^ (h >> 32);
}

void FlatStringMap::Place(uint64_t hash, uint32_t index) {
  const size_t mask = slots_.size() - 1;
  size_t i = hash & mask;
  while (slots_[i].index != kEmpty) i = (i + 1) & mask;
  slots_[i] = Slot{Tag(hash), index};
}

void FlatStringMap::Insert(std::string_view key, uint64_t hash, uint32_t id) {
  const uint32_t index = static_cast<uint32_t>(keys_.size());
  keys_.push_back(key);
  ids_.push_back(id);
  hashes_.push_back(hash);
  if (keys_.size() * 2 > slots_.size()) {
    slots_.assign(std::max<size_t>(64, slots_.size() * 2), Slot{});
    for (uint32_t i = 0; i < keys_.size(); ++i) Place(hashes_[i], i);
  } else {
    Place(hash, index);
  }
}

}  // namespace sweinfer::util
