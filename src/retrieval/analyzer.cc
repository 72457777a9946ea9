#include "retrieval/analyzer.h"

#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf16.h>

#include <array>
#include <cstring>
#include <mutex>
#include <unordered_set>

#include "retrieval/porter_stemmer.h"
#include "retrieval/standard_tokenizer.h"
#include "util/error.h"
#include "util/flat_string_map.h"

namespace sweinfer::retrieval {

namespace {

const std::unordered_set<std::u16string>& StopWords() {
  static const std::unordered_set<std::u16string> words = {
      u"a",   u"an",   u"and",  u"are",   u"as",    u"at",    u"be",    u"but",  u"by",   u"for",  u"if",
      u"in",  u"into", u"is",   u"it",    u"no",    u"not",   u"of",    u"on",   u"or",   u"such", u"that",
      u"the", u"their", u"then", u"there", u"these", u"they", u"this",  u"to",   u"was",  u"will", u"with"};
  return words;
}

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

}  // namespace

using Emit = std::function<void(std::string_view, uint32_t)>;

struct Analyzer::Impl {
  std::u16string text, token;
  std::vector<std::pair<size_t, size_t>> spans;
  std::string utf8;
  // Raw ASCII token -> key; key -> its term ("" when the filters drop it). Bounded: past the cap,
  // new tokens are analysed without being remembered.
  static constexpr size_t kMemoCap = 1 << 20;
  util::FlatStringMap memo;
  std::vector<std::string_view> memo_terms;
  util::StringArena memo_bytes;

  // The general path: any Unicode text, through the UTF-16 tokenizer.
  void AnalyzeUnicode(std::string_view text, const Emit& emit);
  // The fast path for a run of ASCII characters, which is most of any source file: the same word
  // grammar restricted to ASCII classes, on bytes, with no conversion.
  void AnalyzeAscii(const char* text, size_t size, const Emit& emit);
  void EmitAscii(const char* token, size_t size, const Emit& emit);
  // Possessive, lowercase, stop words, Porter: the term of an ASCII token ("" when dropped).
  std::string_view FilterAscii(const char* token, size_t size);
};

Analyzer::Analyzer() : impl_(std::make_unique<Impl>()) {}
Analyzer::~Analyzer() = default;

void Analyzer::Analyze(std::string_view text, const std::function<void(std::string_view)>& term) {
  AnalyzeKeyed(text, [&](std::string_view t, uint32_t) { term(t); });
}

void Analyzer::AnalyzeKeyed(std::string_view text, const Emit& emit) {
  // No token spans ASCII white space, so the text is cut there into chunks, and each chunk takes
  // the fast path when it is all ASCII.
  const char* data = text.data();
  const size_t size = text.size();
  size_t pos = 0;
  while (pos < size) {
    while (pos < size && IsAsciiSpace(static_cast<unsigned char>(data[pos]))) ++pos;
    size_t end = pos;
    unsigned char high = 0;
    while (end < size && !IsAsciiSpace(static_cast<unsigned char>(data[end]))) high |= static_cast<unsigned char>(data[end++]);
    if (end == pos) break;
    if (high < 0x80) {
      impl_->AnalyzeAscii(data + pos, end - pos, emit);
    } else {
      impl_->AnalyzeUnicode(std::string_view(data + pos, end - pos), emit);
    }
    pos = end;
  }
}

void Analyzer::Impl::AnalyzeAscii(const char* s, size_t n, const Emit& emit) {
  constexpr size_t kMaxTokenLength = 255;
  enum State : uint8_t { kStart, kLeadingUnderscore, kWord, kNumber, kUnderscore, kMidWord, kMidNumber };
  size_t p = 0;
  while (p < n) {
    State st = kStart;
    size_t accept = p;
    for (size_t q = p; q < n; ++q) {
      const uint8_t c = kAsciiClasses[static_cast<unsigned char>(s[q])];
      switch (st) {
        case kStart:
        case kLeadingUnderscore:
          if (c == kAsciiLetter) st = kWord;
          else if (c == kAsciiDigit) st = kNumber;
          else if (c == kAsciiUnderscore) st = kLeadingUnderscore;
          else goto done;
          break;
        case kWord:
          if (c == kAsciiLetter) st = kWord;
          else if (c == kAsciiDigit) st = kNumber;
          else if (c == kAsciiUnderscore) st = kUnderscore;
          else if (c == kAsciiMidLetter || c == kAsciiMidNumLet || c == kAsciiQuote) st = kMidWord;
          else goto done;
          break;
        case kNumber:
          if (c == kAsciiDigit) st = kNumber;
          else if (c == kAsciiLetter) st = kWord;
          else if (c == kAsciiUnderscore) st = kUnderscore;
          else if (c == kAsciiMidNum || c == kAsciiMidNumLet || c == kAsciiQuote) st = kMidNumber;
          else goto done;
          break;
        case kUnderscore:
          if (c == kAsciiUnderscore) st = kUnderscore;
          else if (c == kAsciiLetter) st = kWord;
          else if (c == kAsciiDigit) st = kNumber;
          else goto done;
          break;
        case kMidWord:
          if (c == kAsciiLetter) st = kWord;
          else goto done;
          break;
        case kMidNumber:
          if (c == kAsciiDigit) st = kNumber;
          else goto done;
          break;
      }
      if (st == kWord || st == kNumber || st == kUnderscore) accept = q + 1;
    }
  done:
    if (accept == p) {
      ++p;  // not a token: skipped
      continue;
    }
    if (accept - p > kMaxTokenLength) accept = p + kMaxTokenLength;  // cut; scanning resumes there
    EmitAscii(s + p, accept - p, emit);
    p = accept;
  }
}

void Analyzer::Impl::EmitAscii(const char* token, size_t n, const Emit& emit) {
  const std::string_view raw(token, n);
  const uint64_t hash = util::FlatStringMap::Hash(raw);
  if (auto key = memo.Find(raw, hash)) {
    if (!memo_terms[*key].empty()) emit(memo_terms[*key], *key);
    return;
  }
  std::string_view term = FilterAscii(token, n);
  uint32_t key = kNoKey;
  if (memo.size() < kMemoCap) {
    key = static_cast<uint32_t>(memo_terms.size());
    memo_terms.push_back(memo_bytes.Store(term));
    memo.Insert(memo_bytes.Store(raw), hash, key);
  }
  if (!term.empty()) emit(term, key);
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

void Analyzer::Impl::AnalyzeUnicode(std::string_view text, const Emit& emit) {
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  std::u16string& s = this->text;
  s.assign(reinterpret_cast<const char16_t*>(u.getBuffer()), static_cast<size_t>(u.length()));
  spans.clear();
  StandardTokenize(s, spans);
  const auto& stop = StopWords();
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
    if (token.empty() || stop.count(token)) continue;
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
    emit(utf8, kNoKey);
  }
}

}  // namespace sweinfer::retrieval
