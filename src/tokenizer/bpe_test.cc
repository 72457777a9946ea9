#include "tokenizer/bpe.h"

#include <gtest/gtest.h>

#include <random>

#include "dataset/jsonl.h"
#include "test_support.h"
#include "util/error.h"

namespace sweinfer::tokenizer {
namespace {

std::unique_ptr<BpeTokenizer> Load(const std::string& shared, const std::string& name) {
  auto spec = *FindBpeEncoding(name);
  std::string path = shared + "/tokenizers/" + spec.file_name;
  return std::make_unique<BpeTokenizer>(spec, testing::ReadFile(path), path);
}

void CheckConformance(const std::string& name, const std::string& field) {
  SWEINFER_REQUIRE_SHARED(shared);
  auto tok = Load(shared, name);
  size_t cases = 0, matched = 0;
  dataset::ForEachJsonl(shared + "/conformance/tokens/openai.jsonl", [&](dataset::Record&& r, size_t line) {
    ++cases;
    std::string text = r["text"].get<std::string>();
    auto expected = r[field].get<std::vector<uint32_t>>();
    auto ids = tok->Encode(text);
    if (ids == expected) {
      ++matched;
    } else if (cases - matched <= 3) {
      size_t i = 0;
      while (i < ids.size() && i < expected.size() && ids[i] == expected[i]) ++i;
      ADD_FAILURE() << name << " line " << line << ": first difference at token " << i << " of " << expected.size()
                    << " near " << ::testing::PrintToString(tok->Decode(std::vector<uint32_t>(
                                       expected.begin() + std::min(i, expected.size()),
                                       expected.begin() + std::min(i + 5, expected.size()))));
    }
    EXPECT_EQ(tok->Decode(ids), text) << "round trip, line " << line;
    return true;
  });
  std::printf("%s conformance: %zu/%zu texts encode to tiktoken's ids\n", name.c_str(), matched, cases);
  EXPECT_GT(cases, 500u);
  EXPECT_EQ(matched, cases);
}

TEST(BpeConformance, Cl100kMatchesTiktoken) { CheckConformance("cl100k_base", "cl100k"); }
TEST(BpeConformance, O200kMatchesTiktoken) { CheckConformance("o200k_base", "o200k"); }

TEST(Bpe, SpecialTokensAreTextUnlessAllowed) {
  SWEINFER_REQUIRE_SHARED(shared);
  auto tok = Load(shared, "cl100k");
  EXPECT_EQ(tok->Encode("<|endoftext|>"), (std::vector<uint32_t>{27, 91, 8862, 728, 428, 91, 29}));
  EXPECT_EQ(tok->Encode("a<|endoftext|>", true), (std::vector<uint32_t>{64, 100257}));
  EXPECT_EQ(tok->Decode({64, 100257}), "a<|endoftext|>");
  EXPECT_THROW(tok->Decode({999999}), Error);
}

TEST(Bpe, RandomUtf8RoundTrips) {
  SWEINFER_REQUIRE_SHARED(shared);
  auto tok = Load(shared, "o200k");
  std::mt19937 rng(1);
  const std::vector<std::string> alphabet = {"a", "Z", " ", "\n", "\r", "\t", "'", "s", "1", "é", "ß", "中", "\xf0\x9f\x98\x80",
                                             "\xcc\x81", "/", "-", "  ", "\xc2\xa0", "\xe2\x80\xa8", "Ǆ", "ǅ", "ʰ"};
  for (int round = 0; round < 2000; ++round) {
    std::string text;
    int n = std::uniform_int_distribution<int>(0, 40)(rng);
    for (int i = 0; i < n; ++i) text += alphabet[rng() % alphabet.size()];
    ASSERT_EQ(tok->Decode(tok->Encode(text)), text);
  }
  EXPECT_EQ(tok->Decode(tok->Encode("bad \xff byte")), "bad \xEF\xBF\xBD byte");  // replaced, never a crash
}

TEST(Bpe, CorruptRankFileNamesFileAndLine) {
  auto spec = *FindBpeEncoding("cl100k");
  try {
    BpeTokenizer tok(spec, "IQ== 0\nIg== 1\n!!notbase64 2\n", "bad.tiktoken");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.tiktoken:3"), std::string::npos) << e.what();
  }
  EXPECT_THROW(BpeTokenizer(spec, "IQ== 0\n", "short.tiktoken"), Error);
}

}  // namespace
}  // namespace sweinfer::tokenizer
