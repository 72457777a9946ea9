#include "retrieval/analyzer.h"

#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf16.h>

#include <array>
#include <cstring>
#include <mutex>
#include <optional>

#include "retrieval/porter_stemmer.h"
#include "retrieval/standard_tokenizer.h"
#include "util/error.h"

namespace sweinfer::retrieval {

namespace {


// Word-break classes of the ASCII characters, as the general tokenizer sees them (Unicode 9.0).
enum AsciiClass : uint8_t { kAsciiOther, kAsciiLetter, kAsciiDigit, kAsciiUnderscore, kAsciiMidLetter, kAsciiMidNum, kAsciiMidNumLet, kAsciiQuote };

constexpr std::array<uint8_t, 128> AsciiClasses() {
  std::array<uint8_t, 128> table{};
  for (int c = 'a'; c <= 'z'; ++c) table[c] = kAsciiLetter;
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = kAsciiLetter;
  for (int c = '0'; c <= '9'; ++c) table[c] = kAsciiDigit;
  table['_'] = kAsciiUnderscore;
  table[':'] = kAsciiMidLetter;
  table[','] = kAsciiMidNum;
  table[';'] = kAsciiMidNum;
  table['.'] = kAsciiMidNumLet;
  table['\''] = kAsciiQuote;
  return table;
}
constexpr std::array<uint8_t, 128> kAsciiClasses = AsciiClasses();

constexpr bool IsAsciiSpace(unsigned char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

// The 33 stop words, tested without hashing: by length, then bytes.
bool IsAsciiStopWord(const char* w, size_t n) {
  switch (n) {
    case 1: return w[0] == 'a';
    case 2: {
      static constexpr const char* kTwo[] = {"an", "as", "at", "be", "by", "if", "in", "is", "it", "no", "of", "on", "or", "to"};
      for (const char* s : kTwo) {
        if (w[0] == s[0] && w[1] == s[1]) return true;
      }
      return false;
    }
    case 3: {
      static constexpr const char* kThree[] = {"and", "are", "but", "for", "not", "the", "was"};
      for (const char* s : kThree) {
        if (std::memcmp(w, s, 3) == 0) return true;
      }
      return false;
    }
    case 4: {
      static constexpr const char* kFour[] = {"into", "such", "that", "then", "they", "this", "will", "with"};
      for (const char* s : kFour) {
        if (std::memcmp(w, s, 4) == 0) return true;
      }
      return false;
    }
    case 5: {
      static constexpr const char* kFive[] = {"their", "there", "these"};
      for (const char* s : kFive) {
        if (std::memcmp(w, s, 5) == 0) return true;
      }
      return false;
    }
    default: return false;
  }
}

// The same test for a UTF-16 term: the stop words are all ASCII.
bool IsStopWord(const std::u16string& term) {
  if (term.size() > 5) return false;
  char ascii[5];
  for (size_t i = 0; i < term.size(); ++i) {
    if (term[i] >= 0x80) return false;
    ascii[i] = static_cast<char>(term[i]);
  }
  return IsAsciiStopWord(ascii, term.size());
}

}  // namespace

using Sink = Analyzer::TokenSink;

struct Analyzer::Impl {
  std::u16string text, token;
  std::vector<std::pair<size_t, size_t>> spans;
  std::string utf8;

  // The general path: any Unicode text, through the UTF-16 tokenizer.
  void AnalyzeUnicode(std::string_view text, Sink& sink);
  // The fast path for a run of ASCII characters, which is most of any source file: the same word
  // grammar restricted to ASCII classes, on bytes, with no conversion.
  void AnalyzeAscii(const char* text, size_t size, Sink& sink);
  std::string_view FilterAscii(const char* token, size_t size);
};

Analyzer::Analyzer() : impl_(std::make_unique<Impl>()) {}
Analyzer::~Analyzer() = default;

std::string_view Analyzer::FilterAscii(std::string_view token) { return impl_->FilterAscii(token.data(), token.size()); }

void Analyzer::Analyze(std::string_view text, const std::function<void(std::string_view)>& term) {
  struct Filtering : Sink {
    Analyzer& analyzer;
    const std::function<void(std::string_view)>& term;
    Filtering(Analyzer& a, const std::function<void(std::string_view)>& t) : analyzer(a), term(t) {}
    void RawAsciiToken(std::string_view token) override {
      std::string_view t = analyzer.FilterAscii(token);
      if (!t.empty()) term(t);
    }
    void Term(std::string_view t) override { term(t); }
  } sink(*this, term);
  AnalyzeTokens(text, sink);
}

void Analyzer::AnalyzeTokens(std::string_view text, Sink& sink) {
  // No token spans ASCII white space, so a text can be cut there into pieces analysed apart: the
  // runs of ASCII (most of any source file, often all of it) go to the fast path whole, and only
  // the white-space-delimited chunks that hold other characters go to the general one.
  const char* data = text.data();
  const size_t size = text.size();
  size_t pos = 0;
  while (pos < size) {
    size_t high = pos;
    for (uint64_t word; high + 8 <= size; high += 8) {
      std::memcpy(&word, data + high, 8);
      if (word & 0x8080808080808080ull) break;
    }
    while (high < size && static_cast<unsigned char>(data[high]) < 0x80) ++high;
    if (high == size) {
      impl_->AnalyzeAscii(data + pos, size - pos, sink);
      return;
    }
    size_t chunk = high;
    while (chunk > pos && !IsAsciiSpace(static_cast<unsigned char>(data[chunk - 1]))) --chunk;
    size_t end = high;
    while (end < size && !IsAsciiSpace(static_cast<unsigned char>(data[end]))) ++end;
    if (chunk > pos) impl_->AnalyzeAscii(data + pos, chunk - pos, sink);
    impl_->AnalyzeUnicode(std::string_view(data + chunk, end - chunk), sink);
    pos = end;
  }
}

namespace {

// The word grammar on ASCII classes as a transition table: kFail ends the token; the longest
// prefix that ended in an accepting state is the token.
enum AsciiState : uint8_t { kStart, kLeadingUnderscore, kWord, kNumber, kUnderscore, kMidWord, kMidNumber, kFail };

constexpr std::array<std::array<uint8_t, 8>, 8> AsciiTransitions() {
  std::array<std::array<uint8_t, 8>, 8> t{};
  for (auto& row : t) row.fill(kFail);
  for (uint8_t from : {kStart, kLeadingUnderscore}) {
    t[from][kAsciiLetter] = kWord;
    t[from][kAsciiDigit] = kNumber;
    t[from][kAsciiUnderscore] = kLeadingUnderscore;
  }
  t[kWord][kAsciiLetter] = kWord;
  t[kWord][kAsciiDigit] = kNumber;
  t[kWord][kAsciiUnderscore] = kUnderscore;
  t[kWord][kAsciiMidLetter] = t[kWord][kAsciiMidNumLet] = t[kWord][kAsciiQuote] = kMidWord;
  t[kNumber][kAsciiDigit] = kNumber;
  t[kNumber][kAsciiLetter] = kWord;
  t[kNumber][kAsciiUnderscore] = kUnderscore;
  t[kNumber][kAsciiMidNum] = t[kNumber][kAsciiMidNumLet] = t[kNumber][kAsciiQuote] = kMidNumber;
  t[kUnderscore][kAsciiUnderscore] = kUnderscore;
  t[kUnderscore][kAsciiLetter] = kWord;
  t[kUnderscore][kAsciiDigit] = kNumber;
  t[kMidWord][kAsciiLetter] = kWord;
  t[kMidNumber][kAsciiDigit] = kNumber;
  return t;
}
constexpr auto kAsciiTransitions = AsciiTransitions();
constexpr bool IsAccepting(uint8_t state) { return state == kWord || state == kNumber || state == kUnderscore; }

}  // namespace

void Analyzer::Impl::AnalyzeAscii(const char* s, size_t n, Sink& sink) {
  constexpr size_t kMaxTokenLength = 255;
  size_t p = 0;
  while (p < n) {
    uint8_t state = kAsciiTransitions[kStart][kAsciiClasses[static_cast<unsigned char>(s[p])]];
    if (state == kFail) {
      ++p;  // not a token: skipped
      continue;
    }
    size_t accept = IsAccepting(state) ? p + 1 : p;
    for (size_t q = p + 1; q < n; ++q) {
      state = kAsciiTransitions[state][kAsciiClasses[static_cast<unsigned char>(s[q])]];
      if (state == kFail) break;
      if (IsAccepting(state)) accept = q + 1;
    }
    if (accept == p) {
      ++p;
      continue;
    }
    if (accept - p > kMaxTokenLength) accept = p + kMaxTokenLength;  // cut; scanning resumes there
    sink.RawAsciiToken(std::string_view(s + p, accept - p));
    p = accept;
  }
}

std::string_view Analyzer::Impl::FilterAscii(const char* token, size_t n) {
  // EnglishPossessiveFilter.
  if (n >= 2 && token[n - 2] == '\'' && (token[n - 1] == 's' || token[n - 1] == 'S')) n -= 2;
  if (n == 0) return {};
  utf8.resize(n);
  for (size_t i = 0; i < n; ++i) {
    char c = token[i];
    utf8[i] = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  }
  if (IsAsciiStopWord(utf8.data(), n)) return {};
  PorterStem(utf8);
  return utf8;
}

void Analyzer::Impl::AnalyzeUnicode(std::string_view text, Sink& sink) {
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  std::u16string& s = this->text;
  s.assign(reinterpret_cast<const char16_t*>(u.getBuffer()), static_cast<size_t>(u.length()));
  spans.clear();
  StandardTokenize(s, spans);
  for (const auto& [begin, end] : spans) {
    token.assign(s, begin, end - begin);
    // EnglishPossessiveFilter.
    size_t n = token.size();
    if (n >= 2 && (token[n - 2] == u'\'' || token[n - 2] == u'\u2019' || token[n - 2] == u'\uFF07') &&
        (token[n - 1] == u's' || token[n - 1] == u'S')) {
      token.resize(n - 2);
    }
    // LowerCaseFilter: per code point, Java's Character.toLowerCase.
    for (size_t i = 0; i < token.size();) {
      if (token[i] < 0x80) {  // ASCII fast path
        if (token[i] >= u'A' && token[i] <= u'Z') token[i] = static_cast<char16_t>(token[i] + 32);
        ++i;
        continue;
      }
      UChar32 c;
      size_t at = i;
      U16_NEXT(token.data(), i, token.size(), c);
      UChar32 lower = u_tolower(c);
      if (lower != c && U16_LENGTH(lower) == U16_LENGTH(c)) {
        size_t w = at;
        U16_APPEND_UNSAFE(token.data(), w, lower);
      }
    }
    if (token.empty() || IsStopWord(token)) continue;
    PorterStem(token);
    if (token.empty()) continue;
    utf8.clear();
    bool ascii = true;
    for (char16_t ch : token) ascii = ascii && ch < 0x80;
    if (ascii) {
      utf8.assign(token.begin(), token.end());
    } else {
      icu::UnicodeString(false, token.data(), static_cast<int32_t>(token.size())).toUTF8String(utf8);
    }
    sink.Term(utf8);
  }
}

}  // namespace sweinfer::retrieval
