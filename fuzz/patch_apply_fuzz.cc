// libFuzzer target: the in-memory git apply, GNU patch and the harness order on arbitrary patch
// bytes against a small fixed tree (a file with and without a final newline, a CRLF file). Checks
// that nothing crashes or hangs and that an accepted patch always reports contents.
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>

#include "patch/git_apply.h"
#include "patch/gnu_patch.h"
#include "patch/harness_apply.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::map<std::string, std::string> tree = {
      {"f.py", "line 1\nline 2\nline 3\nline 4\nline 5\nline 6\nline 7\nline 8\n"},
      {"g.py", "a\nb\nc"},
      {"w.txt", "x\r\ny\r\nz\r\n"},
      {"pkg/m.py", "def f():\n    return 1\n"},
  };
  sweinfer::patch::FileSource source = [](const std::string& path) -> std::optional<std::string> {
    auto it = tree.find(path);
    if (it == tree.end()) return std::nullopt;
    return it->second;
  };
  std::string patch(reinterpret_cast<const char*>(data), size);
  auto git = sweinfer::patch::GitApply(patch, source);
  auto gnu = sweinfer::patch::GnuPatch(patch, source, {.max_fuzz = 3});
  auto harness = sweinfer::patch::ApplyLikeHarness(patch, source);
  if (git.exit_code != 0 && git.exit_code != 1 && git.exit_code != 128) std::abort();
  if (gnu.exit_code < 0 || gnu.exit_code > 2) std::abort();
  if (harness.applies_with && harness.category != "applied") std::abort();
  return 0;
}
