// Does this Python source still parse? Answered by CPython 3.11's own parser (Debian's
// libpython3.11, embedded), asked only to build the syntax tree (PyCF_ONLY_AST): nothing in the
// source is compiled to bytecode or run, and the interpreter is started isolated (no site module,
// no environment variables, no signal handlers). Safe to call from any thread; calls are serialised.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sweinfer::check {

struct SyntaxError {
  int64_t line = 0;  // 1-based; 0 when unknown
  std::string message;  // e.g. "invalid syntax", "unexpected indent"
};

// nullopt when `source` parses as a Python 3.11 module; else the first error, as Python reports it.
std::optional<SyntaxError> CheckPythonSyntax(std::string_view source, const std::string& filename);

}  // namespace sweinfer::check
