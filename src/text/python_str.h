// Python `str` semantics on UTF-8 bytes, so that ported reference code behaves identically:
// strict UTF-8 decoding with CPython's error messages, text-mode universal newlines,
// str.isspace / strip / rstrip, and int() of Unicode decimal digits.
// All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sweinfer::text {

// Decodes one code point at `pos` (must be valid UTF-8); advances pos.
char32_t NextCodePoint(std::string_view s, size_t& pos);
void AppendUtf8(std::string& out, char32_t cp);

// std::nullopt when `bytes` is valid UTF-8 as CPython's strict codec sees it, else the message
// CPython gives, e.g. "'utf-8' codec can't decode byte 0xe9 in position 34: invalid continuation byte".
std::optional<std::string> Utf8Error(std::string_view bytes);

// Replaces each invalid sequence with U+FFFD (CPython's errors="replace").
std::string Utf8Replace(std::string_view bytes);

// What open(path).read() returns for valid UTF-8: "\r\n" and "\r" become "\n".
std::string UniversalNewlines(std::string_view text);

// str.isspace() for one code point.
bool IsPythonSpace(char32_t cp);

std::string_view PythonStrip(std::string_view s);   // str.strip()
std::string_view PythonRStrip(std::string_view s);  // str.rstrip()
std::string_view PythonLStrip(std::string_view s);  // str.lstrip()

// int(s) for a string of Unicode decimal digits (str.isnumeric() and all Nd); nullopt otherwise.
std::optional<int64_t> PythonDecimalInt(std::string_view s);

// Python's repr() of a str, as used inside exception messages ('...' with escapes).
std::string PythonRepr(std::string_view s);

}  // namespace sweinfer::text
