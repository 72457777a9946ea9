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

namespace {

uint64_t Load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

uint32_t Load32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

uint64_t Mix(uint64_t a, uint64_t b) {
  __uint128_t r = static_cast<__uint128_t>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

}  // namespace

uint64_t FlatStringMap::Hash(std::string_view s) {
  // wyhash-style: whole 8-byte words, the tail read as overlapping loads (no byte loop, no memcpy
  // of a variable length). Terms are short, and this runs once per token.
  constexpr uint64_t kP0 = 0xa0761d6478bd642full, kP1 = 0xe7037ed1a0b428dbull, kP2 = 0x8ebc6af09c88c6e3ull;
  const char* p = s.data();
  const size_t n = s.size();
  uint64_t seed = kP0 ^ n;
  uint64_t a, b;
  if (n <= 16) {
    if (n >= 4) {
      a = (static_cast<uint64_t>(Load32(p)) << 32) | Load32(p + ((n >> 3) << 2));
      b = (static_cast<uint64_t>(Load32(p + n - 4)) << 32) | Load32(p + n - 4 - ((n >> 3) << 2));
    } else if (n > 0) {
      a = (static_cast<uint64_t>(static_cast<unsigned char>(p[0])) << 16) |
          (static_cast<uint64_t>(static_cast<unsigned char>(p[n >> 1])) << 8) | static_cast<unsigned char>(p[n - 1]);
      b = 0;
    } else {
      a = b = 0;
    }
  } else {
    size_t i = 0;
    for (; i + 16 < n; i += 16) seed = Mix(Load64(p + i) ^ kP1, Load64(p + i + 8) ^ seed);
    a = Load64(p + n - 16);
    b = Load64(p + n - 8);
  }
  return Mix(kP1 ^ n, Mix(a ^ kP1, b ^ seed) ^ kP2);
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
