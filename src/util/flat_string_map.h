// Small building blocks for interning strings on hot paths: StringArena keeps copies of strings at
// addresses that never move, and FlatStringMap maps strings (views the caller keeps alive, usually
// into an arena) to 32-bit ids with a compact probe table. Neither is thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace sweinfer::util {

class StringArena {
 public:
  // A copy of `s` that lives as long as the arena.
  std::string_view Store(std::string_view s);

 private:
  std::vector<std::unique_ptr<char[]>> chunks_;
  size_t left_ = 0;
  char* at_ = nullptr;
};

// An open-addressing map from strings (views the caller keeps alive) to ids. The probe table holds
// 8 bytes per slot (a hash tag and an entry index), so that a lookup touches little memory even
// when the map holds a large repository's vocabulary. Not thread-safe.
class FlatStringMap {
 public:
  static uint64_t Hash(std::string_view s);
  // The id stored for `key` (hashed as Hash(key)), or nullopt.
  std::optional<uint32_t> Find(std::string_view key, uint64_t hash) const {
    if (slots_.empty()) return std::nullopt;
    const uint32_t tag = Tag(hash);
    const size_t mask = slots_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      const Slot slot = slots_[i];
      if (slot.index == kEmpty) return std::nullopt;
      if (slot.tag == tag && keys_[slot.index] == key) return ids_[slot.index];
    }
  }
  // Stores `id` for a key that is not in the map.
  void Insert(std::string_view key, uint64_t hash, uint32_t id);
  size_t size() const { return keys_.size(); }

 private:
  static constexpr uint32_t kEmpty = 0xFFFFFFFF;
  struct Slot {
    uint32_t tag = 0;
    uint32_t index = kEmpty;
  };
  static uint32_t Tag(uint64_t hash) { return static_cast<uint32_t>(hash >> 32); }
  void Place(uint64_t hash, uint32_t index);
  std::vector<Slot> slots_;
  std::vector<std::string_view> keys_;
  std::vector<uint32_t> ids_;
  std::vector<uint64_t> hashes_;  // to rehash on growth without touching the keys
};

}  // namespace sweinfer::util
