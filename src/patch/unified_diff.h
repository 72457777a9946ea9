// Unified-diff parsing with exactly the observable behaviour of python-unidiff 0.7.5's PatchSet,
// which the reference uses to pick oracle files and edits-only windows: git headers, renames,
// new/deleted files (/dev/null), binary notes, "\ No newline at end of file", and the same
// UnidiffParseError messages (thrown as PatchParseError).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace sweinfer::patch {

class PatchParseError : public Error {
 public:
  using Error::Error;
};

struct Hunk {
  int64_t source_start = 0, source_length = 0;
  int64_t target_start = 0, target_length = 0;
};

struct PatchedFile {
  std::string source_file;  // as written, e.g. "a/pkg/mod.py" or "/dev/null"
  std::string target_file;
  bool is_binary = false;
  std::vector<Hunk> hunks;
};

// Parses `diff` as PatchSet(diff) does; throws PatchParseError with unidiff's message.
std::vector<PatchedFile> ParsePatchSet(std::string_view diff);

// source_file.split("a/", 1)[-1]: the path the reference opens for a patched file.
std::string_view SourcePathOf(const PatchedFile& file);

}  // namespace sweinfer::patch
