#include "retrieval/standard_tokenizer.h"

#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utf16.h>

#include <memory>
#include <mutex>

namespace sweinfer::retrieval {

namespace {

constexpr size_t kMaxTokenLength = 255;

enum Class : uint8_t {
  kOther, kLetter, kHebrew, kNumeric, kKatakana, kExtendNumLet, kMidLetter, kMidNum, kMidNumLet,
  kSingleQuote, kDoubleQuote, kExtendFormat, kHan, kHiragana, kComplex, kNewline, kRegional,
};

Class Classify(UChar32 c) {
  UErrorCode status = U_ZERO_ERROR;
  UScriptCode script = uscript_getScript(c, &status);
  if (script == USCRIPT_HAN) return kHan;
  if (script == USCRIPT_HIRAGANA) return kHiragana;
  switch (u_getIntPropertyValue(c, UCHAR_WORD_BREAK)) {
    case U_WB_ALETTER: return kLetter;
    case U_WB_HEBREW_LETTER: return kHebrew;
    case U_WB_NUMERIC: return kNumeric;
    case U_WB_KATAKANA: return kKatakana;
    case U_WB_EXTENDNUMLET: return kExtendNumLet;
    case U_WB_MIDLETTER: return kMidLetter;
    case U_WB_MIDNUM: return kMidNum;
    case U_WB_MIDNUMLET: return kMidNumLet;
    case U_WB_SINGLE_QUOTE: return kSingleQuote;
    case U_WB_DOUBLE_QUOTE: return kDoubleQuote;
    case U_WB_EXTEND: case U_WB_FORMAT: case U_WB_ZWJ: return kExtendFormat;
    case U_WB_CR: case U_WB_LF: case U_WB_NEWLINE: return kNewline;
    case U_WB_REGIONAL_INDICATOR: return kRegional;
    default: break;
  }
  if (u_getIntPropertyValue(c, UCHAR_LINE_BREAK) == U_LB_COMPLEX_CONTEXT) return kComplex;
  return kOther;
}

const uint8_t* BmpTable() {
  static std::unique_ptr<uint8_t[]> table;
  static std::once_flag once;
  std::call_once(once, [] {
    table.reset(new uint8_t[0x10000]);
    for (UChar32 c = 0; c < 0x10000; ++c) table[c] = Classify(c);
  });
  return table.get();
}

struct Cluster {
  size_t begin, end;  // UTF-16 offsets: a base character and the Extend/Format characters after it
  Class cls;
  UChar32 base;
};

// Lucene takes every Emoji character as a token, except that '#', '*' and digits need a
// variation selector 16 or a keycap mark (checked against Lucene 8.7: "☺", "©", "‼" are tokens).
bool IsEmojiStart(const std::u16string& s, const Cluster& c) {
  // ASCII: only '#', '*' and digits are Emoji characters.
  if (c.base < 0x80 && c.base != '#' && c.base != '*' && (c.base < '0' || c.base > '9')) return false;
  if (!u_hasBinaryProperty(c.base, UCHAR_EMOJI)) return false;
  if (c.base >= 0x80) return true;
  for (size_t i = c.begin; i < c.end; ++i) {
    if (s[i] == 0xFE0F || s[i] == 0x20E3) return true;
  }
  return false;
}

}  // namespace

void StandardTokenize(const std::u16string& s, std::vector<std::pair<size_t, size_t>>& spans) {
  const uint8_t* bmp = BmpTable();
  // Clusters per WB4: Extend and Format characters join the character before them (not newlines).
  std::vector<Cluster> clusters;
  clusters.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    size_t begin = i;
    UChar32 c;
    U16_NEXT(s.data(), i, s.size(), c);
    Class cls = c < 0x10000 ? static_cast<Class>(bmp[c]) : Classify(c);
    if (cls == kExtendFormat && !clusters.empty() && clusters.back().cls != kNewline) {
      clusters.back().end = i;
      continue;
    }
    clusters.push_back({begin, i, cls, c});
  }
  const size_t n = clusters.size();
  size_t p = 0;
  while (p < n) {
    const Cluster& first = clusters[p];
    size_t end = p;  // clusters [p, end) form the token; end == p: no token here
    // Word (also numbers, katakana, hangul): a hand-built DFA for the JFlex WORD rule; the longest
    // accepted prefix wins.
    {
      enum State { kStart, kLeadingE, kA, kN, kK, kE, kMidA, kMidAHebrewQuote, kMidN, kDoubleQuoteH } st = kStart;
      bool last_hebrew = false;
      size_t accept = p;
      for (size_t q = p; q < n; ++q) {
        Class c = clusters[q].cls;
        bool letter = c == kLetter || c == kHebrew;
        State next = st;
        bool ok = true;
        switch (st) {
          case kStart:
          case kLeadingE:
            if (c == kExtendNumLet) next = kLeadingE;
            else if (letter) next = kA;
            else if (c == kNumeric) next = kN;
            else if (c == kKatakana) next = kK;
            else ok = false;
            break;
          case kA:
            if (letter) next = kA;
            else if (c == kNumeric) next = kN;
            else if (c == kExtendNumLet) next = kE;
            else if (c == kMidLetter || c == kMidNumLet) next = kMidA;
            else if (c == kSingleQuote) next = last_hebrew ? kMidAHebrewQuote : kMidA;
            else if (c == kDoubleQuote && last_hebrew) next = kDoubleQuoteH;
            else ok = false;
            break;
          case kN:
            if (c == kNumeric) next = kN;
            else if (letter) next = kA;
            else if (c == kExtendNumLet) next = kE;
            else if (c == kMidNum || c == kMidNumLet || c == kSingleQuote) next = kMidN;
            else ok = false;
            break;
          case kK:
            if (c == kKatakana) next = kK;
            else if (c == kExtendNumLet) next = kE;
            else ok = false;
            break;
          case kE:
            if (c == kExtendNumLet) next = kE;
            else if (letter) next = kA;
            else if (c == kNumeric) next = kN;
            else if (c == kKatakana) next = kK;
            else ok = false;
            break;
          case kMidA:
          case kMidAHebrewQuote:
            if (letter) next = kA;
            else ok = false;
            break;
          case kMidN:
            if (c == kNumeric) next = kN;
            else ok = false;
            break;
          case kDoubleQuoteH:
            if (c == kHebrew) next = kA;
            else ok = false;
            break;
        }
        if (!ok) break;
        st = next;
        last_hebrew = c == kHebrew;
        if (st == kA || st == kN || st == kK || st == kE || st == kMidAHebrewQuote) accept = q + 1;
      }
      end = accept;
    }
    if (end == p) {
      if (first.cls == kComplex) {
        end = p + 1;
        while (end < n && clusters[end].cls == kComplex) ++end;
      } else if (first.cls == kHan || first.cls == kHiragana) {
        end = p + 1;
      } else if (first.cls == kRegional) {
        // A flag is a pair of regional indicators; a lone one is skipped.
        if (p + 1 < n && clusters[p + 1].cls == kRegional) end = p + 2;
      } else if (IsEmojiStart(s, first)) {
        end = p + 1;
        // Modifiers and ZWJ sequences continue the emoji.
        while (end < n) {
          const Cluster& c = clusters[end];
          if (u_hasBinaryProperty(c.base, UCHAR_EMOJI_MODIFIER)) {
            ++end;
            continue;
          }
          bool zwj_before = clusters[end - 1].end > clusters[end - 1].begin &&
                            s[clusters[end - 1].end - 1] == 0x200D;
          if (zwj_before && (u_hasBinaryProperty(c.base, UCHAR_EXTENDED_PICTOGRAPHIC) || IsEmojiStart(s, c))) {
            ++end;
            continue;
          }
          break;
        }
      }
    }
    if (end == p) {
      ++p;  // not a token: skipped
      continue;
    }
    size_t begin = clusters[p].begin, stop = clusters[end - 1].end;
    if (stop - begin > kMaxTokenLength) {
      // The scanner's buffer is the maximum token length: the token is cut there and scanning
      // resumes right after the cut.
      size_t cut = begin + kMaxTokenLength;
      spans.push_back({begin, cut});
      size_t q = p;
      while (q < n && clusters[q].end <= cut) ++q;
      if (q < n && clusters[q].begin < cut) {
        // The cut falls inside a cluster: resume at the next cluster boundary.
        ++q;
      }
      p = q;
      continue;
    }
    spans.push_back({begin, stop});
    p = end;
  }
}

}  // namespace sweinfer::retrieval
