#include "retrieval/analyzer.h"

#include <gtest/gtest.h>

#include "retrieval/porter_stemmer.h"

namespace sweinfer::retrieval {
namespace {

std::string Terms(const std::string& text) {
  Analyzer analyzer;
  std::string out;
  analyzer.Analyze(text, [&](std::string_view t) { out += (out.empty() ? "" : " ") + std::string(t); });
  return out;
}

// Expected outputs were produced by Lucene 8.7 with the Pyserini analysis chain (the shared oracle);
// the analyzer also equals Lucene term for term on all 932 shared problem statements.
TEST(Analyzer, MatchesLuceneOnTokenizerCorners) {
  EXPECT_EQ(Terms("Hello World possibly the cats running \"foo.bar\" foo_bar 3.14 don't John's"),
            "hello world possibl cat run foo.bar foo_bar 3.14 don't john");
  EXPECT_EQ(Terms("no:x plugin py:class @pytest.hookimpl"), "no:x plugin py:class pytest.hookimpl");
  EXPECT_EQ(Terms("\xc2\xa9x \xe2\x80\xbc a\xe2\x98\xba" "b #"), "\xc2\xa9 x \xe2\x80\xbc \xe2\x98\xba b");
  EXPECT_EQ(Terms("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"), "\xe6\x97\xa5 \xe6\x9c\xac \xe8\xaa\x9e");  // one per Han char
  EXPECT_EQ(Terms("\xef\xbe\x8c\xef\xbe\x9f\xef\xbe\x9b"), "\xef\xbe\x8c\xef\xbe\x9f\xef\xbe\x9b");  // katakana run
  std::string long_word(600, 'a');
  EXPECT_EQ(Terms(long_word), std::string(255, 'a') + " " + std::string(255, 'a') + " " + std::string(90, 'a'));
}

// Characters whose word-break class changed after Unicode 9.0, which Lucene 8's scanner was built
// from (expected terms printed by Lucene 8.7; tests/lucene_unicode_conformance_test.cc checks every
// assigned character when Java is installed).
TEST(Analyzer, FollowsUnicode9LikeLucene87) {
  EXPECT_EQ(Terms("5\u02B03\u1D502\u02E2 a\u02D7b a\u02C2b _\u0E31_ a.\u0E31"),
            "5\u02B03\u1D502\u02E2 a\u02D7b b \u0E31 \u0E31");
  // A lone skin-tone modifier is an emoji; the family became a modifier base only in emoji 12.
  EXPECT_EQ(Terms("\U0001F3FB\uFE0F \U0001F46A\U0001F3FB \U0001FB00"), "\U0001F3FB \U0001F46A \U0001F3FB \U0001FB00");
  EXPECT_EQ(Terms("\u3005a \u230Ax\u230B 1\u00B12 x\u2032 \u00C5 \u03A9 \u0130stanbul"),
            "\u3005a x 1 2 x \u00E5 \u03C9 istanbul");
}

TEST(PorterStemmer, LuceneDeparturesFromThePublishedAlgorithm) {
  auto stem = [](std::u16string w) {
    PorterStem(w);
    return w;
  };
  EXPECT_EQ(stem(u"possibly"), u"possibl");   // -bli -> -ble (published: -abli -> -able)
  EXPECT_EQ(stem(u"apology"), u"apolog");
  EXPECT_EQ(stem(u"archaeology"), u"archaeolog");  // -logi -> -log
  EXPECT_EQ(stem(u"caresses"), u"caress");
  EXPECT_EQ(stem(u"ponies"), u"poni");
  EXPECT_EQ(stem(u"relational"), u"relat");
  EXPECT_EQ(stem(u"is"), u"is");  // two letters: untouched
  EXPECT_EQ(stem(u"generously"), u"gener");
  EXPECT_EQ(stem(u"analogous"), u"analog");
  EXPECT_EQ(stem(u"miscellaneous"), u"miscellan");
}

// The analyzer's ASCII fast path stems bytes; it must agree with the UTF-16 stemmer on every word.
TEST(PorterStemmer, AsciiAndUtf16FormsAgree) {
  for (const char* word : {"possibly", "apology", "caresses", "ponies", "relational", "generously", "analogous",
                           "hopping", "filing", "conditional", "sensibiliti", "electrical", "adjustment", "controll",
                           "rate", "cease", "a", "xyz", "yyy", "feed", "agreed", "plastered", "bled", "motoring"}) {
    std::string ascii = word;
    std::u16string wide(ascii.begin(), ascii.end());
    PorterStem(ascii);
    PorterStem(wide);
    EXPECT_EQ(std::u16string(ascii.begin(), ascii.end()), wide) << word;
  }
}

// Chunks of ASCII take a byte-level path, others the general tokenizer; a chunk mixing both, long
// tokens and possessives must come out as Lucene makes them (expected terms printed by Lucene 8.7).
TEST(Analyzer, AsciiFastPathMatchesTheGeneralPath) {
  EXPECT_EQ(Terms("John's x_1.y 3,5 a:b __init__ _ 1.2.3. foo'bar' JOHN'S"), "john x_1 y 3,5 a:b __init__ 1.2.3 foo'bar john");
  EXPECT_EQ(Terms("John\u2019s caf\u00E9's na\u00EFve_x"), "john caf\u00E9 na\u00EFve_x");
  std::string mixed = std::string(300, 'b') + "\u00E9";
  EXPECT_EQ(Terms(std::string(300, 'b')), std::string(255, 'b') + " " + std::string(45, 'b'));
  EXPECT_EQ(Terms(mixed), std::string(255, 'b') + " " + std::string(45, 'b') + "\u00E9");
}

}  // namespace
}  // namespace sweinfer::retrieval
