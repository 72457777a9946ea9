// What applying a patch to a tree did, as the tools the SWE-bench harness runs report it: one
// result per file section and per hunk (applied exactly, at an offset, with fuzz, or rejected with
// a reason), the tool's exit status, and the contents every touched path ends with.
// The trees are in memory: a FileSource answers "what are the bytes of this path?".
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sweinfer::patch {

// The bytes of `path` (relative to the repository root) before any patch; nullopt when absent.
using FileSource = std::function<std::optional<std::string>(const std::string& path)>;

enum class HunkOutcome { kApplied, kOffset, kFuzz, kRejected };
const char* HunkOutcomeName(HunkOutcome outcome);  // "applied", "offset", "fuzz", "rejected"

struct HunkResult {
  int number = 0;               // 1-based within its file section
  int64_t expected_line = 0;    // where the hunk header says it goes
  int64_t applied_line = 0;     // where it went (0 when rejected)
  int64_t offset = 0;
  int fuzz = 0;
  HunkOutcome outcome = HunkOutcome::kRejected;
  std::string reason;           // for rejected hunks: "context not found", "file missing", ...
};

struct FileResult {
  std::string old_path, new_path;  // "" for /dev/null
  std::string status;              // "modified", "created", "deleted", "renamed"
  std::vector<HunkResult> hunks;
  std::string error;               // a failure of the whole section ("file missing", ...)
  bool reversed = false;           // GNU patch assumed -R for this section
};

struct ToolResult {
  int exit_code = 0;            // what the command would exit with
  std::string error;            // a fatal message (corrupt or malformed patch), if any
  std::vector<FileResult> files;
  // Contents after the command for every path it touched; nullopt for a deleted path.
  std::map<std::string, std::optional<std::string>> contents;
  bool ok() const { return exit_code == 0; }
};

// A tree as the earlier sections of a patch (or an earlier command) left it: reads see the writes
// made so far, then the base tree. `base` must outlive the overlay.
class TreeOverlay {
 public:
  explicit TreeOverlay(const FileSource& base) : base_(base) {}
  std::optional<std::string> Read(const std::string& path) const {
    auto it = changes_.find(path);
    return it != changes_.end() ? it->second : base_(path);
  }
  bool Exists(const std::string& path) const { return Read(path).has_value(); }
  void Write(const std::string& path, std::optional<std::string> content) { changes_[path] = std::move(content); }
  // Every path written (nullopt: deleted), as ToolResult::contents holds them.
  const std::map<std::string, std::optional<std::string>>& changes() const { return changes_; }
  FileSource AsSource() const {
    return [this](const std::string& path) { return Read(path); };
  }

 private:
  const FileSource& base_;
  std::map<std::string, std::optional<std::string>> changes_;
};

// Lines of a text, each keeping its "\n" (the last may lack one).
std::vector<std::string> SplitLinesKeepEnds(const std::string& text);

}  // namespace sweinfer::patch
