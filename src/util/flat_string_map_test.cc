#include "util/flat_string_map.h"

#include <gtest/gtest.h>

#include <string>
#include <unordered_map>

namespace sweinfer::util {
namespace {

TEST(FlatStringMap, AgreesWithAnUnorderedMapThroughGrowth) {
  StringArena arena;
  FlatStringMap map;
  std::unordered_map<std::string, uint32_t> reference;
  for (uint32_t i = 0; i < 50000; ++i) {
    std::string key = (i % 3 ? "k" : "a much longer key that spans several words ") + std::to_string(i * 7919 % 100003);
    if (reference.count(key)) continue;
    reference[key] = i;
    map.Insert(arena.Store(key), FlatStringMap::Hash(key), i);
  }
  EXPECT_EQ(map.size(), reference.size());
  for (const auto& [key, id] : reference) EXPECT_EQ(map.Find(key, FlatStringMap::Hash(key)), id) << key;
  for (const char* absent : {"", "k", "zzz", "k100004"}) EXPECT_EQ(map.Find(absent, FlatStringMap::Hash(absent)), std::nullopt);
}

TEST(FlatStringMap, HashSeesEveryByteAndTheLength) {
  // Keys that differ in one byte at each position, or only in length, hash apart.
  for (size_t n = 1; n <= 40; ++n) {
    std::string a(n, 'x');
    for (size_t i = 0; i < n; ++i) {
      std::string b = a;
      b[i] = 'y';
      EXPECT_NE(FlatStringMap::Hash(a), FlatStringMap::Hash(b)) << n << " " << i;
    }
    EXPECT_NE(FlatStringMap::Hash(a), FlatStringMap::Hash(std::string(n + 1, 'x')));
  }
  EXPECT_NE(FlatStringMap::Hash(std::string_view("\0", 1)), FlatStringMap::Hash(""));
}

TEST(StringArena, StoredViewsStayPut) {
  StringArena arena;
  std::vector<std::string_view> views;
  for (int i = 0; i < 10000; ++i) views.push_back(arena.Store(std::string(i % 300, static_cast<char>('a' + i % 26))));
  views.push_back(arena.Store(std::string(200000, 'q')));  // bigger than a chunk
  for (int i = 0; i < 10000; ++i) EXPECT_EQ(views[i], std::string(i % 300, static_cast<char>('a' + i % 26)));
  EXPECT_EQ(views.back().size(), 200000u);
}

}  // namespace
}  // namespace sweinfer::util
