#include "retrieval/standard_tokenizer.h"

#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utf16.h>

#include <memory>
#include <iterator>
#include <mutex>

namespace sweinfer::retrieval {

namespace {

constexpr size_t kMaxTokenLength = 255;

// Word-break classes as Lucene 8's grammar (JFlex 1.7, Unicode 9.0) sees them.
enum Class : uint8_t {
  kOther, kLetter, kHebrew, kNumeric, kKatakana, kExtendNumLet, kMidLetter, kMidNum, kMidNumLet,
  kSingleQuote, kDoubleQuote, kExtendFormat, kHan, kHiragana, kComplex, kNewline, kRegional,
  kEmojiModifier,
  kExtendComplex,  // an Extend mark of a complex-context script: a token of its own after a space
};

// A character's properties packed in one byte: its class and three emoji flags.
constexpr uint8_t kClassMask = 0x1F;
constexpr uint8_t kEmoji = 0x20;           // starts an emoji token (Emoji or Extended_Pictographic)
constexpr uint8_t kModifierBase = 0x40;    // Emoji_Modifier_Base: a following modifier joins it
constexpr uint8_t kPictographic = 0x80;    // Extended_Pictographic: may follow a ZWJ

#include "retrieval/unicode9_overrides.inc"

// Lucene 8's scanner was generated from Unicode 9.0 and emoji data 11.0: a character assigned
// later is unassigned there, and a few old characters changed class since. ICU (current Unicode)
// gives the rest; kUnicode9Overrides, derived from Lucene itself, the characters where they differ.
bool AssignedBy(UChar32 c, int major, int minor) {
  UVersionInfo age;
  u_charAge(c, age);
  return age[0] != 0 && (age[0] < major || (age[0] == major && age[1] <= minor));
}

uint8_t PropertiesFromIcu(UChar32 c) {
  uint8_t flags = 0;
  if (u_hasBinaryProperty(c, UCHAR_EXTENDED_PICTOGRAPHIC)) flags |= kPictographic | kEmoji;
  // Emoji data 11.0 reserved every code point still unassigned in the pictographic planes' blocks
  // as Extended_Pictographic; later Unicode versions gave some of them to other symbols.
  if (c >= 0x1F000 && c <= 0x1FFFD && !AssignedBy(c, 11, 0)) flags |= kPictographic | kEmoji;
  if (AssignedBy(c, 11, 0)) {
    if (u_hasBinaryProperty(c, UCHAR_EMOJI) && (c >= 0x80 || c == '#' || c == '*' || (c >= '0' && c <= '9'))) flags |= kEmoji;
    if (u_hasBinaryProperty(c, UCHAR_EMOJI_MODIFIER_BASE)) flags |= kModifierBase;
  }
  if (!AssignedBy(c, 9, 0)) return flags | kOther;
  // Unicode 9 had a Word_Break value of its own for emoji modifiers (E_Modifier); Unicode 11 folded
  // it into Extend, which would glue a modifier to whatever precedes it.
  if (u_hasBinaryProperty(c, UCHAR_EMOJI_MODIFIER)) return flags | kEmojiModifier;
  switch (u_getIntPropertyValue(c, UCHAR_WORD_BREAK)) {
    case U_WB_ALETTER: return flags | kLetter;
    case U_WB_HEBREW_LETTER: return flags | kHebrew;
    case U_WB_NUMERIC: return flags | kNumeric;
    case U_WB_KATAKANA: return flags | kKatakana;
    case U_WB_EXTENDNUMLET: return flags | kExtendNumLet;
    case U_WB_MIDLETTER: return flags | kMidLetter;
    case U_WB_MIDNUM: return flags | kMidNum;
    case U_WB_MIDNUMLET: return flags | kMidNumLet;
    case U_WB_SINGLE_QUOTE: return flags | kSingleQuote;
    case U_WB_DOUBLE_QUOTE: return flags | kDoubleQuote;
    case U_WB_EXTEND: case U_WB_FORMAT: case U_WB_ZWJ:
      // A complex-context mark (Thai, Lao, Myanmar, Khmer vowel signs) starts a token of its own
      // where it cannot extend the character before it.
      if (u_getIntPropertyValue(c, UCHAR_LINE_BREAK) == U_LB_COMPLEX_CONTEXT) return flags | kExtendComplex;
      return flags | kExtendFormat;
    case U_WB_CR: case U_WB_LF: case U_WB_NEWLINE: return flags | kNewline;
    case U_WB_REGIONAL_INDICATOR: return flags | kRegional;
    default: break;
  }
  UErrorCode status = U_ZERO_ERROR;
  UScriptCode script = uscript_getScript(c, &status);
  if (script == USCRIPT_HAN) return flags | kHan;
  if (script == USCRIPT_HIRAGANA) return flags | kHiragana;
  if (u_getIntPropertyValue(c, UCHAR_LINE_BREAK) == U_LB_COMPLEX_CONTEXT) return flags | kComplex;
  return flags | kOther;
}

uint8_t LucenePropertiesUncached(UChar32 c) {
  size_t lo = 0, hi = std::size(kUnicode9Overrides);
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (kUnicode9Overrides[mid].last < static_cast<uint32_t>(c)) lo = mid + 1;
    else hi = mid;
  }
  if (lo < std::size(kUnicode9Overrides) && kUnicode9Overrides[lo].first <= static_cast<uint32_t>(c)) {
    return kUnicode9Overrides[lo].properties;
  }
  return PropertiesFromIcu(c);
}

// Planes 0 and 1 (where nearly every character of real text lives) in one table.
constexpr UChar32 kTableSize = 0x20000;

const uint8_t* PropertyTable() {
  static std::unique_ptr<uint8_t[]> table;
  static std::once_flag once;
  std::call_once(once, [] {
    table.reset(new uint8_t[kTableSize]);
    for (UChar32 c = 0; c < kTableSize; ++c) table[c] = LucenePropertiesUncached(c);
  });
  return table.get();
}

}  // namespace

uint8_t LuceneWordBreakProperties(char32_t c) {
  return c < static_cast<char32_t>(kTableSize) ? PropertyTable()[c] : LucenePropertiesUncached(static_cast<UChar32>(c));
}

namespace {

struct Cluster {
  size_t begin, end;  // UTF-16 offsets: a base character and the Extend/Format characters after it
  uint8_t properties;
  Class cls;
  UChar32 base;
  size_t complex_mark = SIZE_MAX;  // offset of the first complex-context mark among the extenders
};

// '#', '*' and digits start an emoji only as a keycap (checked against Lucene 8.7).
bool IsEmojiStart(const std::u16string& s, const Cluster& c) {
  if (!(c.properties & kEmoji)) return false;
  if (c.base >= 0x80) return true;
  for (size_t i = c.begin; i < c.end; ++i) {
    if (s[i] == 0x20E3) return true;
  }
  return false;
}
}  // namespace

void StandardTokenize(const std::u16string& s, std::vector<std::pair<size_t, size_t>>& spans) {
  const uint8_t* table = PropertyTable();
  // Clusters per WB4: Extend and Format characters join the character before them (not newlines).
  std::vector<Cluster> clusters;
  clusters.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    size_t begin = i;
    UChar32 c;
    U16_NEXT(s.data(), i, s.size(), c);
    uint8_t properties = c < kTableSize ? table[c] : LucenePropertiesUncached(c);
    Class cls = static_cast<Class>(properties & kClassMask);
    if (cls == kExtendFormat || cls == kExtendComplex) {
      const Class before = clusters.empty() ? kOther : clusters.back().cls;
      // Lucene's emoji-modifier rule takes no variation selector after the modifier.
      const bool joins = !clusters.empty() && before != kNewline && !(before == kEmojiModifier && c == 0xFE0F);
      if (joins) {
        Cluster& last = clusters.back();
        if (cls == kExtendComplex && last.complex_mark == SIZE_MAX) last.complex_mark = begin;
        last.end = i;
        continue;
      }
      if (cls == kExtendComplex) cls = kComplex;
    }
    clusters.push_back({begin, i, properties, cls, c});
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
          if (c.cls == kEmojiModifier && (clusters[end - 1].properties & kModifierBase)) {
            ++end;
            continue;
          }
          bool zwj_before = clusters[end - 1].end > clusters[end - 1].begin &&
                            s[clusters[end - 1].end - 1] == 0x200D;
          if (zwj_before && ((c.properties & kPictographic) || IsEmojiStart(s, c))) {
            ++end;
            continue;
          }
          break;
        }
      }
    }
    if (end == p) {
      Cluster& skipped = clusters[p];
      if (skipped.complex_mark != SIZE_MAX) {
        // Lucene's scanner restarts at the next character, not the next cluster: a complex-context
        // mark that extended the skipped character starts a token of its own.
        skipped.begin = skipped.complex_mark;
        skipped.complex_mark = SIZE_MAX;
        skipped.cls = kComplex;
        skipped.properties = kComplex;
        for (size_t i = skipped.begin + 1; i < skipped.end; ++i) {
          if ((LuceneWordBreakProperties(s[i]) & kClassMask) == kExtendComplex) {
            skipped.complex_mark = i;
            break;
          }
        }
        continue;
      }
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
