// sweinfer::Error: the one exception type of the project. Its message is meant for a person:
// it names the file, line, row or instance at fault and, where possible, what to do.
// Lower layers throw it; the CLI catches it at the top, prints it and exits non-zero.
#pragma once

#include <stdexcept>
#include <string>

namespace sweinfer {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace sweinfer
