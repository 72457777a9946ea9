#include "text/python_str.h"

#include <unicode/uchar.h>

#include <cstdint>
#include <cstdio>
#include <cstring>

namespace sweinfer::text {

char32_t NextCodePoint(std::string_view s, size_t& pos) {
  unsigned char c = s[pos];
  if (c < 0x80) {
    ++pos;
    return c;
  }
  int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
  char32_t cp = c & (0x3F >> extra);
  ++pos;
  for (int i = 0; i < extra && pos < s.size(); ++i, ++pos) cp = (cp << 6) | (s[pos] & 0x3F);
  return cp;
}

void AppendUtf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

namespace {

enum class Utf8Fault { kNone, kInvalidStart, kInvalidContinuation, kUnexpectedEnd };

// Length of the valid sequence at `pos`, or the fault CPython reports for it.
// Mirrors CPython's decoder: the second byte's allowed range depends on the lead byte
// (no overlongs, no surrogates, nothing above U+10FFFF).
Utf8Fault CheckSequence(std::string_view s, size_t pos, size_t& length) {
  auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char c = b(pos);
  if (c < 0x80) {
    length = 1;
    return Utf8Fault::kNone;
  }
  unsigned char lo = 0x80, hi = 0xBF;
  size_t need;
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 2;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    length = 1;
    return Utf8Fault::kInvalidStart;
  }
  for (size_t i = 1; i <= need; ++i) {
    if (pos + i >= s.size()) {
      length = i;
      return Utf8Fault::kUnexpectedEnd;
    }
    unsigned char x = b(pos + i);
    unsigned char min = i == 1 ? lo : 0x80, max = i == 1 ? hi : 0xBF;
    if (x < min || x > max) {
      length = i;
      return Utf8Fault::kInvalidContinuation;
    }
  }
  length = need + 1;
  return Utf8Fault::kNone;
}

}  // namespace

std::optional<std::string> Utf8Error(std::string_view bytes) {
  size_t pos = 0;
  while (pos < bytes.size()) {
    // Fast path over ASCII runs, a word at a time.
    for (uint64_t word; pos + 8 <= bytes.size(); pos += 8) {
      std::memcpy(&word, bytes.data() + pos, 8);
      if (word & 0x8080808080808080ull) break;
    }
    while (pos < bytes.size() && static_cast<unsigned char>(bytes[pos]) < 0x80) ++pos;
    if (pos >= bytes.size()) break;
    size_t length = 0;
    Utf8Fault fault = CheckSequence(bytes, pos, length);
    if (fault == Utf8Fault::kNone) {
      pos += length;
      continue;
    }
    char buf[160];
    const char* reason = fault == Utf8Fault::kInvalidStart          ? "invalid start byte"
                         : fault == Utf8Fault::kInvalidContinuation ? "invalid continuation byte"
                                                                    : "unexpected end of data";
    if (fault == Utf8Fault::kUnexpectedEnd && pos + 1 < bytes.size()) {
      std::snprintf(buf, sizeof buf, "'utf-8' codec can't decode bytes in position %zu-%zu: %s", pos,
                    bytes.size() - 1, reason);
    } else {
      std::snprintf(buf, sizeof buf, "'utf-8' codec can't decode byte 0x%02x in position %zu: %s",
                    static_cast<unsigned char>(bytes[pos]), pos, reason);
    }
    return std::string(buf);
  }
  return std::nullopt;
}

std::string Utf8Replace(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  size_t pos = 0;
  while (pos < bytes.size()) {
    size_t length = 0;
    if (CheckSequence(bytes, pos, length) == Utf8Fault::kNone) {
      out.append(bytes.substr(pos, length));
      pos += length;
    } else {
      out.append("\xEF\xBF\xBD");
      // CPython replaces the maximal invalid prefix (lead byte plus valid continuations) once.
      pos += length;
    }
  }
  return out;
}

std::string UniversalNewlines(std::string_view text) {
  if (std::memchr(text.data(), '\r', text.size()) == nullptr) return std::string(text);  // most files
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\r') {
      out.push_back('\n');
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

bool IsPythonSpace(char32_t cp) {
  switch (cp) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D:
    case 0x1C: case 0x1D: case 0x1E: case 0x1F: case 0x20:
    case 0x85: case 0xA0: case 0x1680:
    case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

namespace {

// Byte offset just past the last non-space code point.
size_t RStripEnd(std::string_view s) {
  size_t end = s.size();
  while (end > 0) {
    size_t start = end - 1;
    while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
    size_t p = start;
    if (!IsPythonSpace(NextCodePoint(s, p))) break;
    end = start;
  }
  return end;
}

size_t LStripBegin(std::string_view s) {
  size_t pos = 0;
  while (pos < s.size()) {
    size_t p = pos;
    if (!IsPythonSpace(NextCodePoint(s, p))) break;
    pos = p;
  }
  return pos;
}

}  // namespace

std::string_view PythonRStrip(std::string_view s) { return s.substr(0, RStripEnd(s)); }
std::string_view PythonLStrip(std::string_view s) { return s.substr(LStripBegin(s)); }
std::string_view PythonStrip(std::string_view s) { return PythonLStrip(PythonRStrip(s)); }

std::optional<int64_t> PythonDecimalInt(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int64_t value = 0;
  size_t pos = 0;
  while (pos < s.size()) {
    char32_t cp = NextCodePoint(s, pos);
    int32_t digit = u_charDigitValue(static_cast<UChar32>(cp));
    if (digit < 0 || u_charType(static_cast<UChar32>(cp)) != U_DECIMAL_DIGIT_NUMBER) return std::nullopt;
    if (value > (INT64_MAX - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

std::string PythonRepr(std::string_view s) {
  bool has_single = s.find('\'') != std::string_view::npos;
  bool has_double = s.find('"') != std::string_view::npos;
  char quote = has_single && !has_double ? '"' : '\'';
  std::string out(1, quote);
  size_t pos = 0;
  while (pos < s.size()) {
    char32_t cp = NextCodePoint(s, pos);
    if (cp == static_cast<char32_t>(quote) || cp == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(cp));
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (cp < 0x20 || cp == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(cp));
      out += buf;
    } else {
      AppendUtf8(out, cp);
    }
  }
  out.push_back(quote);
  return out;
}

}  // namespace sweinfer::text
