#include "api/settings.h"

#include <cstdlib>
#include <fstream>

#include "util/error.h"

namespace sweinfer::api {

namespace {

std::string Strip(std::string s) {
  size_t b = s.find_first_not_of(" \t\r");
  size_t e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

}  // namespace

std::map<std::string, std::string> ReadDotEnv(const std::string& path) {
  std::map<std::string, std::string> values;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    line = Strip(line);
    if (line.empty() || line[0] == '#') continue;
    if (line.rfind("export ", 0) == 0) line = Strip(line.substr(7));
    size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key = Strip(line.substr(0, eq));
    std::string value = Strip(line.substr(eq + 1));
    if (value.size() >= 2 && (value[0] == '"' || value[0] == '\'') && value.back() == value[0]) {
      value = value.substr(1, value.size() - 2);
    } else {
      size_t hash = value.find(" #");
      if (hash != std::string::npos) value = Strip(value.substr(0, hash));
    }
    values[key] = value;
  }
  return values;
}

std::optional<std::string> Setting(const std::map<std::string, std::string>& dotenv, const std::string& name) {
  if (const char* v = std::getenv(name.c_str()); v && *v) return std::string(v);
  auto it = dotenv.find(name);
  if (it != dotenv.end() && !it->second.empty()) return it->second;
  return std::nullopt;
}

dataset::Record ParseModelArgs(const std::string& text) {
  dataset::Record args = dataset::Record::object();
  if (Strip(text).empty()) return args;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    start = comma == std::string::npos ? text.size() + 1 : comma + 1;
    if (Strip(item).empty()) continue;
    size_t eq = item.find('=');
    if (eq == std::string::npos) throw Error("--model_args: '" + item + "' is not key=value");
    std::string key = Strip(item.substr(0, eq)), value = Strip(item.substr(eq + 1));
    if (value == "True") {
      args[key] = true;
    } else if (value == "False") {
      args[key] = false;
    } else if (value == "None") {
      args[key] = nullptr;
    } else if (value == "[]") {
      args[key] = dataset::Record::array();
    } else if (value == "{}") {
      args[key] = dataset::Record::object();
    } else if (value.size() >= 2 && (value[0] == '"' || value[0] == '\'') && value.back() == value[0]) {
      args[key] = value.substr(1, value.size() - 2);
    } else {
      char* end = nullptr;
      long long i = std::strtoll(value.c_str(), &end, 10);
      if (!value.empty() && end && *end == '\0') {
        args[key] = i;
        continue;
      }
      double d = std::strtod(value.c_str(), &end);
      if (!value.empty() && end && *end == '\0') {
        args[key] = d;
      } else {
        args[key] = value;
      }
    }
  }
  return args;
}

}  // namespace sweinfer::api
