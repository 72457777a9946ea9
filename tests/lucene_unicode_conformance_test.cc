// The analyzer against Lucene 8.7 itself on every assigned Unicode character: each code point in
// the contexts that exercise the word-break rules (between letters, digits, Hebrew, katakana, after
// an emoji or a combining mark, as a possessive, upper case), every run of consecutive code points,
// and code-like lines with the non-ASCII characters real Python sources carry. The same corpus goes
// through a small Java program (tests/lucene/LuceneAnalysis.java) on Debian's Lucene jars; tokens
// and analysed terms must be equal document for document. Skips when javac or the jars are absent.
// SWEINFER_LUCENE_MISMATCHES=FILE writes every differing document (tab-separated) for study.
#include <gtest/gtest.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf16.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "git/repository.h"
#include "retrieval/analyzer.h"
#include "retrieval/documents.h"
#include "retrieval/languages.h"
#include "retrieval/standard_tokenizer.h"
#include "test_support.h"

namespace sweinfer::retrieval {
namespace {

namespace fs = std::filesystem;
using ::sweinfer::testing::ScratchDir;

std::string LuceneDir() {
  const char* env = std::getenv("LUCENE_DIR");
  return env && *env ? env : "/usr/share/java";
}

std::string LuceneClassPath() {
  return LuceneDir() + "/lucene-core-8.7.0.jar:" + LuceneDir() + "/lucene-analyzers-common-8.7.0.jar";
}

std::string WhyLuceneIsUnavailable() {
  if (std::system("command -v javac >/dev/null 2>&1 && command -v java >/dev/null 2>&1") != 0) {
    return "javac/java are not installed (Debian default-jdk-headless)";
  }
  for (const char* jar : {"lucene-core-8.7.0.jar", "lucene-analyzers-common-8.7.0.jar"}) {
    if (!fs::exists(LuceneDir() + "/" + jar)) return std::string(jar) + " is missing (Debian liblucene8-java)";
  }
  return "";
}

void AppendCodePoint(std::u32string& doc, char32_t c) { doc.push_back(c); }

// One document per code point: the character in every context that decides its word-break class.
std::u32string ContextsOf(char32_t c) {
  const std::u32string contexts[] = {
      U"@", U"a@b", U"1@2", U"@@", U"x@1", U"1@x", U"@a", U"a@", U"\u05D0@\u05D1", U"\u05D0@",
      U"\u30A2@\u30A2", U"_@_", U"A@B", U"@'s", U"a@'s", U"@\u0301", U"@\uFE0F", U"@\u200D@",
      U"@\U0001F3FB", U"@\u20E3", U"\u0E01@\u0E01", U"\u4E00@", U"a.@", U"1,@", U"@\u00AD",
  };
  std::u32string doc;
  for (const auto& context : contexts) {
    for (char32_t x : context) {
      if (x == U'@') AppendCodePoint(doc, c);
      else doc.push_back(x);
    }
    doc.push_back(U' ');
  }
  return doc;
}

bool Assigned(char32_t c) {
  return c != 0 && !(c >= 0xD800 && c <= 0xDFFF) && u_charType(static_cast<UChar32>(c)) != U_UNASSIGNED;
}

std::u32string FromUtf8(std::string_view text);
void AddSympyDocuments(std::vector<std::u32string>& docs);

std::vector<std::u32string> Corpus() {
  std::vector<std::u32string> docs;
  std::vector<char32_t> assigned;
  for (char32_t c = 1; c <= 0x10FFFF; ++c) {
    // Unassigned code points of the pictographic planes too: Lucene's emoji data reserved them.
    const bool pictographic_plane = c >= 0x1F000 && c <= 0x1FFFD;
    if (!pictographic_plane && (!Assigned(c) || u_charType(static_cast<UChar32>(c)) == U_PRIVATE_USE_CHAR)) continue;
    assigned.push_back(c);
    docs.push_back(ContextsOf(c));
  }
  // Runs of consecutive assigned code points, so that neighbours meet each other.
  for (size_t i = 0; i < assigned.size(); i += 24) {
    std::u32string run;
    for (size_t j = i; j < assigned.size() && j < i + 24; ++j) run.push_back(assigned[j]);
    docs.push_back(run);
  }
  // Code-like lines with the characters found in real astropy sources.
  const char* code_lines[] = {
      "u.hourangle  # 5ʰ 3ᵐ 2ˢ, 1ʰ2ᵐ3.5ˢ",
      "r\"\"\"10⁰ 10¹ 10² 10⁹ 10⁻³ x₀ mₚ mₑ x⁻¹ 2⁻⁵\"\"\"",
      "names = ['ı', 'Ĭ', 'Ī', 'Ķ', 'Ļ', 'ĩ', 'ĭ', 'ĺ', 'ķ', 'ļ', 'Ę', 'İstanbul', 'Ĳĳŉſǅǈǋǲΐΰ']",
      "ANGSTROM = 'Å'  # also Å; OHM = 'Ω' (Ω), MICRO = 'µ' vs 'μ', LITRE = 'ℓ', KELVIN = 'K'",
      "def f(x):  # ⸍ ′ ″ – ’ … x′ y″ a–b don’t it’s John’s",
      "arrows = '↑ ↓ ➝ ♔ ♘ ♙ ♈ ♌ ♐ ◐ ◑ ◓'; ok = '✓ ✔ ☺ ☹ ♥ ★ ⚠️ 👍🏽 👨‍👩‍👧 🇫🇷 #️⃣ 1️⃣'",
      "floor = '⌊x⌋ ⊕ ∞ ± × ÷ − 1±2 3×4 6÷2 a−b ∞∞'",
      "ΑΒΓ αβγ Straße STRASSE ǅemal ǈ Ǆ ﬁle ﬀ ǰ ΐ ẞ ϴ ϑ ϐ ϕ ϖ ϰ ϱ ϵ ℹ ℺ ⅰ Ⅰ ⓐ Ⓐ 🄰 𝐀𝐁 𝔄 𝒜",
      "x = 1_000_000.5e-3; y = 0x1F; s = f'{a!r:>10}' \\N{GREEK SMALL LETTER ALPHA}",
      "日本語のテキスト ｶﾀｶﾅ ひらがな 한국어 ภาษาไทย ພາສາລາວ ြမန်မာ ខ្មែរ עברית \"שלום\" ש\"ח ערבית عربي",
  };
  for (const char* line : code_lines) docs.push_back(FromUtf8(line));
  AddSympyDocuments(docs);
  return docs;
}

std::u32string FromUtf8(std::string_view text) {
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  std::u32string out;
  for (int32_t i = 0; i < u.length();) {
    UChar32 c = u.char32At(i);
    out.push_back(static_cast<char32_t>(c));
    i += U16_LENGTH(c);
  }
  return out;
}

// Real code: every document the reference would index for the shared sympy repository at one base
// commit (10 MB of Python with Greek, math and box-drawing characters), when ../shared is there.
void AddSympyDocuments(std::vector<std::u32string>& docs) {
  auto shared = ::sweinfer::testing::SharedDir();
  if (!shared || !fs::exists(*shared + "/repos/sympy__sympy.git")) return;
  git::Repository repo = git::Repository::Open(*shared + "/repos/sympy__sympy.git");
  git::TreeSnapshot tree = repo.Snapshot("8dcb12a6cf500e8738d6729ab954a261758f49ca");
  for (const auto& file : ListDocumentFiles(tree, DocumentSelection::PythonReference())) {
    if (auto body = ReadDocumentBytes(tree, file)) docs.push_back(FromUtf8(file.path + "\n" + *body));
  }
}

std::string ToUtf8(const std::u32string& s) {
  std::string out;
  icu::UnicodeString u;
  for (char32_t c : s) u.append(static_cast<UChar32>(c));
  u.toUTF8String(out);
  return out;
}

std::string HexToken(const std::u16string& s, size_t begin, size_t end) {
  std::string out;
  char buf[16];
  for (size_t i = begin; i < end;) {
    UChar32 c;
    U16_NEXT(s.data(), i, end, c);
    snprintf(buf, sizeof buf, "%s%x", out.empty() ? "" : ".", static_cast<unsigned>(c));
    out += buf;
  }
  return out;
}

std::string OurTokens(const std::u32string& doc) {
  std::u16string s;
  for (char32_t c : doc) {
    if (c < 0x10000) {
      s.push_back(static_cast<char16_t>(c));
    } else {
      s.push_back(static_cast<char16_t>(U16_LEAD(c)));
      s.push_back(static_cast<char16_t>(U16_TRAIL(c)));
    }
  }
  std::vector<std::pair<size_t, size_t>> spans;
  StandardTokenize(s, spans);
  std::string line = "T";
  for (const auto& [b, e] : spans) line += " " + HexToken(s, b, e);
  return line;
}

std::string OurTerms(Analyzer& analyzer, const std::u32string& doc) {
  std::string line = "A";
  analyzer.Analyze(ToUtf8(doc), [&](std::string_view term) {
    icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(term.data(), static_cast<int32_t>(term.size())));
    std::u16string s(reinterpret_cast<const char16_t*>(u.getBuffer()), static_cast<size_t>(u.length()));
    line += " " + HexToken(s, 0, s.size());
  });
  return line;
}

TEST(LuceneUnicodeConformance, EveryAssignedCodePointTokenizesAndAnalysesAsLucene87) {
  if (std::string why = WhyLuceneIsUnavailable(); !why.empty()) GTEST_SKIP() << why << ": skipping";
  ScratchDir dir;
  std::string build = dir / "classes";
  std::string javac = "javac -nowarn -cp '" + LuceneClassPath() + "' -d '" + build + "' '" SWEINFER_SOURCE_DIR
                      "/tests/lucene/LuceneAnalysis.java' >'" + (dir / "javac.log") + "' 2>&1";
  ASSERT_EQ(std::system(javac.c_str()), 0) << ::sweinfer::testing::ReadFile(dir / "javac.log");

  std::vector<std::u32string> docs = Corpus();
  {
    std::ofstream out(dir / "corpus.txt", std::ios::binary);
    for (size_t i = 0; i < docs.size(); ++i) out << (i ? std::string(1, '\0') : "") << ToUtf8(docs[i]);
  }
  std::string java = "java -Xss4m -cp '" + build + ":" + LuceneClassPath() + "' LuceneAnalysis '" + (dir / "corpus.txt") +
                     "' '" + (dir / "lucene.txt") + "' 2>'" + (dir / "java.log") + "'";
  ASSERT_EQ(std::system(java.c_str()), 0) << ::sweinfer::testing::ReadFile(dir / "java.log");

  std::ifstream lucene(dir / "lucene.txt");
  Analyzer analyzer;
  size_t token_mismatches = 0, term_mismatches = 0;
  std::string tokens_line, terms_line;
  std::ostringstream failing;  // the first code point of every failing document, for a summary
  const char* dump_path = std::getenv("SWEINFER_LUCENE_MISMATCHES");  // every mismatch, for study
  std::ofstream dump;
  if (dump_path) dump.open(dump_path);
  for (size_t i = 0; i < docs.size(); ++i) {
    ASSERT_TRUE(std::getline(lucene, tokens_line) && std::getline(lucene, terms_line)) << "Lucene output ends at document " << i;
    std::string ours_tokens = OurTokens(docs[i]), ours_terms = OurTerms(analyzer, docs[i]);
    if (ours_tokens != tokens_line || ours_terms != terms_line) {
      if (dump_path) dump << std::hex << static_cast<unsigned>(docs[i][0]) << std::dec << '\t' << ToUtf8(docs[i]) << '\t' << tokens_line << '\t' << ours_tokens << '\t' << terms_line << '\t' << ours_terms << '\n';
      if (failing.tellp() < 6000) failing << std::hex << static_cast<unsigned>(docs[i][0]) << std::dec << ' ';
    }
    if (ours_tokens != tokens_line && ++token_mismatches <= 8) {
      ADD_FAILURE() << "document " << i << " '" << ToUtf8(docs[i]) << "' (first U+" << std::hex
                    << static_cast<unsigned>(docs[i][0]) << std::dec << ")\n  lucene: " << tokens_line
                    << "\n  ours:   " << ours_tokens;
    }
    if (ours_terms != terms_line && ++term_mismatches <= 8 && ours_tokens == tokens_line) {
      ADD_FAILURE() << "document " << i << " '" << ToUtf8(docs[i]) << "'\n  lucene: " << terms_line << "\n  ours:   " << ours_terms;
    }
  }
  EXPECT_EQ(token_mismatches, 0u) << "of " << docs.size() << " documents; failing documents start with " << failing.str();
  EXPECT_EQ(term_mismatches, 0u) << "of " << docs.size() << " documents";
  std::cout << docs.size() << " documents compared with Lucene 8.7: " << token_mismatches << " token and "
            << term_mismatches << " term mismatches\n";
}

}  // namespace
}  // namespace sweinfer::retrieval
