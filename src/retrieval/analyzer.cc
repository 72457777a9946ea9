#include "retrieval/analyzer.h"

#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf16.h>

#include <array>
#include <mutex>
#include <unordered_set>

#include "retrieval/porter_stemmer.h"
#include "retrieval/standard_tokenizer.h"
#include "util/error.h"

namespace sweinfer::retrieval {

namespace {

const std::unordered_set<std::u16string>& StopWords() {
  static const std::unordered_set<std::u16string> words = {
      u"a",   u"an",   u"and",  u"are",   u"as",    u"at",    u"be",    u"but",  u"by",   u"for",  u"if",
      u"in",  u"into", u"is",   u"it",    u"no",    u"not",   u"of",    u"on",   u"or",   u"such", u"that",
      u"the", u"their", u"then", u"there", u"these", u"they", u"this",  u"to",   u"was",  u"will", u"with"};
  return words;
}

}  // namespace

struct Analyzer::Impl {
  std::u16string text, token;
  std::vector<std::pair<size_t, size_t>> spans;
  std::string utf8;
};

Analyzer::Analyzer() : impl_(std::make_unique<Impl>()) {}
Analyzer::~Analyzer() = default;

void Analyzer::Analyze(std::string_view text, const std::function<void(const std::string&)>& emit) {
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  std::u16string& s = impl_->text;
  s.assign(reinterpret_cast<const char16_t*>(u.getBuffer()), static_cast<size_t>(u.length()));
  impl_->spans.clear();
  StandardTokenize(s, impl_->spans);
  const auto& stop = StopWords();
  std::u16string& token = impl_->token;
  for (const auto& [begin, end] : impl_->spans) {
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
    impl_->utf8.clear();
    bool ascii = true;
    for (char16_t ch : token) ascii = ascii && ch < 0x80;
    if (ascii) {
      impl_->utf8.assign(token.begin(), token.end());
    } else {
      icu::UnicodeString(false, token.data(), static_cast<int32_t>(token.size())).toUTF8String(impl_->utf8);
    }
    emit(impl_->utf8);
  }
}

}  // namespace sweinfer::retrieval
