// Helpers shared by the tests: where ../shared is (tests that need it skip with a clear message
// when it is absent), scratch directories, and running the sweinfer binary.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

namespace sweinfer::testing {

inline std::optional<std::string> SharedDir() {
  if (const char* env = std::getenv("SWEINFER_SHARED_DIR"); env && *env) return std::string(env);
  std::filesystem::path p = std::filesystem::path(SWEINFER_SOURCE_DIR) / ".." / "shared";
  if (std::filesystem::is_directory(p / "swebench")) return std::filesystem::canonical(p).string();
  return std::nullopt;
}

#define SWEINFER_REQUIRE_SHARED(var)                                                         \
  auto var##_opt = ::sweinfer::testing::SharedDir();                                          \
  if (!var##_opt) GTEST_SKIP() << "../shared is absent (a fresh clone): skipping this test"; \
  const std::string var = *var##_opt

// A fresh empty directory under the system temp dir, removed when the object dies.
class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sweinfer-test-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
}

// Runs the sweinfer binary with `args` (shell syntax); returns the exit status.
inline int RunSweinfer(const std::string& args, const std::string& stdout_file = "/dev/null",
                       const std::string& stderr_file = "/dev/null") {
  std::string cmd = std::string(SWEINFER_BINARY) + " " + args + " >" + stdout_file + " 2>" + stderr_file;
  int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace sweinfer::testing
