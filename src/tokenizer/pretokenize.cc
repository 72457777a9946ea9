#include "tokenizer/pretokenize.h"

#include <unicode/uchar.h>

#include <memory>
#include <mutex>

namespace sweinfer::tokenizer {

namespace {

// Character classes, one byte per code point.
enum : uint8_t {
  kLetter = 1,     // \p{L}
  kNumber = 2,     // \p{N}
  kSpace = 4,      // \s (White_Space)
  kUpperish = 8,   // [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]
  kLowerish = 16,  // [\p{Ll}\p{Lm}\p{Lo}\p{M}]
  kNewline = 32,   // \r or \n
};

const uint8_t* ClassTable() {
  static std::unique_ptr<uint8_t[]> table;
  static std::once_flag once;
  std::call_once(once, [] {
    table.reset(new uint8_t[0x110000]);
    for (UChar32 c = 0; c < 0x110000; ++c) {
      uint8_t f = 0;
      int8_t t = u_charType(c);
      switch (t) {
        case U_UPPERCASE_LETTER: case U_TITLECASE_LETTER: f |= kLetter | kUpperish; break;
        case U_LOWERCASE_LETTER: f |= kLetter | kLowerish; break;
        case U_MODIFIER_LETTER: case U_OTHER_LETTER: f |= kLetter | kUpperish | kLowerish; break;
        case U_NON_SPACING_MARK: case U_ENCLOSING_MARK: case U_COMBINING_SPACING_MARK: f |= kUpperish | kLowerish; break;
        case U_DECIMAL_DIGIT_NUMBER: case U_LETTER_NUMBER: case U_OTHER_NUMBER: f |= kNumber; break;
        default: break;
      }
      if (u_hasBinaryProperty(c, UCHAR_WHITE_SPACE)) f |= kSpace;
      if (c == '\r' || c == '\n') f |= kNewline;
      table[c] = f;
    }
  });
  return table.get();
}

struct Cursor {
  std::string_view s;
  const uint8_t* classes;

  // Decodes the code point at `pos`; returns its byte length (valid UTF-8 assumed).
  size_t Decode(size_t pos, char32_t& cp) const {
    unsigned char c = s[pos];
    if (c < 0x80) {
      cp = c;
      return 1;
    }
    if (c < 0xE0) {
      cp = ((c & 0x1F) << 6) | (s[pos + 1] & 0x3F);
      return 2;
    }
    if (c < 0xF0) {
      cp = ((c & 0x0F) << 12) | ((s[pos + 1] & 0x3F) << 6) | (s[pos + 2] & 0x3F);
      return 3;
    }
    cp = ((c & 0x07) << 18) | ((s[pos + 1] & 0x3F) << 12) | ((s[pos + 2] & 0x3F) << 6) | (s[pos + 3] & 0x3F);
    return 4;
  }
  // Class flags and length of the code point at pos; flags 0 and length 0 at the end.
  uint8_t At(size_t pos, size_t& length) const {
    if (pos >= s.size()) {
      length = 0;
      return 0;
    }
    char32_t cp;
    length = Decode(pos, cp);
    return classes[cp];
  }
  uint8_t At(size_t pos) const {
    size_t n;
    return At(pos, n);
  }
  // Advances over code points whose flags intersect `mask`; returns the end.
  size_t Run(size_t pos, uint8_t mask) const {
    size_t n;
    while (pos < s.size() && (At(pos, n) & mask)) pos += n;
    return pos;
  }
  size_t RunCount(size_t pos, uint8_t mask, int max_count) const {
    size_t n;
    for (int i = 0; i < max_count && pos < s.size() && (At(pos, n) & mask); ++i) pos += n;
    return pos;
  }
  // [^\s\p{L}\p{N}] at pos (not at end).
  bool IsOther(size_t pos) const { return pos < s.size() && !(At(pos) & (kSpace | kLetter | kNumber)); }
  size_t OtherRun(size_t pos) const {
    size_t n;
    while (pos < s.size() && !(At(pos, n) & (kSpace | kLetter | kNumber))) pos += n;
    return pos;
  }
  // (?i:'s|'t|'re|'ve|'m|'ll|'d) at pos: returns its length or 0.
  size_t Contraction(size_t pos) const {
    if (pos >= s.size() || s[pos] != '\'') return 0;
    auto lower = [&](size_t p) -> char32_t {
      if (p >= s.size()) return 0;
      char32_t cp;
      Decode(p, cp);
      if (cp >= 'A' && cp <= 'Z') return cp + 32;
      if (cp == 0x17F) return 's';     // LATIN SMALL LETTER LONG S folds to s
      if (cp == 0x212A) return 'k';    // KELVIN SIGN folds to k
      return cp;
    };
    auto width = [&](size_t p) {
      char32_t cp;
      return p < s.size() ? Decode(p, cp) : 0;
    };
    char32_t a = lower(pos + 1);
    size_t wa = width(pos + 1);
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 1 + wa;
    char32_t b = lower(pos + 1 + wa);
    size_t wb = width(pos + 1 + wa);
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 1 + wa + wb;
    return 0;
  }
  // The shared whitespace rules: \s*[\r\n]+ | \s+(?!\S) | \s+ ; pos is at a space.
  size_t Whitespace(size_t pos) const {
    size_t end = pos, n, last_newline_end = 0;
    while (end < s.size()) {
      uint8_t f = At(end, n);
      if (!(f & kSpace)) break;
      end += n;
      if (f & kNewline) last_newline_end = end;
    }
    if (last_newline_end) return last_newline_end - pos;
    if (end == s.size()) return end - pos;
    // \s+(?!\S): give back the last whitespace char if one remains.
    size_t last_start = end - 1;
    while ((static_cast<unsigned char>(s[last_start]) & 0xC0) == 0x80) --last_start;
    if (last_start > pos) return last_start - pos;
    return end - pos;  // \s+
  }
};

size_t Cl100k(const Cursor& c, size_t pos) {
  if (size_t n = c.Contraction(pos)) return n;
  size_t w;
  uint8_t f = c.At(pos, w);
  // [^\r\n\p{L}\p{N}]?\p{L}+
  if (f & kLetter) return c.Run(pos, kLetter) - pos;
  if (!(f & (kNewline | kLetter | kNumber)) && (c.At(pos + w) & kLetter)) return c.Run(pos + w, kLetter) - pos;
  // \p{N}{1,3}
  if (f & kNumber) return c.RunCount(pos, kNumber, 3) - pos;
  // ' '?[^\s\p{L}\p{N}]+[\r\n]*
  size_t start = pos;
  if (c.s[pos] == ' ' && c.IsOther(pos + 1)) start = pos + 1;
  if (c.IsOther(start)) return c.Run(c.OtherRun(start), kNewline) - pos;
  return c.Whitespace(pos);
}

// [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+ from pos; 0 when it does not match.
size_t O200kLowerWord(const Cursor& c, size_t pos) {
  // U* is greedy; W+ needs one W after it, so back off to the last U char that is also W.
  size_t end = pos, n;
  size_t last_also_lower = std::string_view::npos;
  uint8_t f;
  while (end < c.s.size() && ((f = c.At(end, n)) & kUpperish)) {
    if (f & kLowerish) last_also_lower = end;
    end += n;
  }
  size_t w_start = (end < c.s.size() && (c.At(end) & kLowerish)) ? end : last_also_lower;
  if (w_start == std::string_view::npos) return 0;
  return c.Run(w_start, kLowerish) - pos;
}

size_t O200k(const Cursor& c, size_t pos) {
  size_t w;
  uint8_t f = c.At(pos, w);
  bool prefix_ok = !(f & (kNewline | kLetter | kNumber));
  // Rule 1: prefix? U* W+ contraction?
  for (size_t start : {prefix_ok ? pos + w : std::string_view::npos, pos}) {
    if (start == std::string_view::npos || start >= c.s.size()) continue;
    if (size_t n = O200kLowerWord(c, start)) {
      size_t end = start + n;
      return end + c.Contraction(end) - pos;
    }
  }
  // Rule 2: prefix? U+ W* contraction?
  for (size_t start : {prefix_ok ? pos + w : std::string_view::npos, pos}) {
    if (start == std::string_view::npos || start >= c.s.size()) continue;
    if (c.At(start) & kUpperish) {
      size_t end = c.Run(c.Run(start, kUpperish), kLowerish);
      return end + c.Contraction(end) - pos;
    }
  }
  if (f & kNumber) return c.RunCount(pos, kNumber, 3) - pos;
  size_t start = pos;
  if (c.s[pos] == ' ' && c.IsOther(pos + 1)) start = pos + 1;
  if (c.IsOther(start)) {
    size_t end = c.OtherRun(start);
    while (end < c.s.size() && (c.s[end] == '\r' || c.s[end] == '\n' || c.s[end] == '/')) ++end;
    return end - pos;
  }
  return c.Whitespace(pos);
}

size_t R50k(const Cursor& c, size_t pos) {
  // Case-sensitive contractions in r50k/p50k.
  if (c.s[pos] == '\'' && pos + 1 < c.s.size()) {
    char a = c.s[pos + 1];
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
    if (pos + 2 < c.s.size()) {
      char b = c.s[pos + 2];
      if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
    }
  }
  size_t start = pos;
  if (c.s[pos] == ' ' && pos + 1 < c.s.size() && !(c.At(pos + 1) & kSpace)) start = pos + 1;
  uint8_t f = c.At(start);
  if (start < c.s.size()) {
    if (f & kLetter) return c.Run(start, kLetter) - pos;
    if (f & kNumber) return c.Run(start, kNumber) - pos;
    if (!(f & kSpace)) return c.OtherRun(start) - pos;
  }
  // \s+(?!\S) | \s+ (no newline rule in r50k)
  size_t end = c.Run(pos, kSpace);
  if (end == c.s.size()) return end - pos;
  size_t last_start = end - 1;
  while ((static_cast<unsigned char>(c.s[last_start]) & 0xC0) == 0x80) --last_start;
  return (last_start > pos ? last_start : end) - pos;
}

}  // namespace

size_t NextPieceLength(PreTokenizer kind, std::string_view text, size_t pos) {
  Cursor c{text, ClassTable()};
  switch (kind) {
    case PreTokenizer::kCl100k: return Cl100k(c, pos);
    case PreTokenizer::kO200k: return O200k(c, pos);
    case PreTokenizer::kR50k: return R50k(c, pos);
  }
  return 1;
}

}  // namespace sweinfer::tokenizer
