#include "patch/git_apply.h"

#include <cctype>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace sweinfer::patch {
namespace {

// ---- The patch as git's parser sees it ------------------------------------------------------

struct GitHunk {
  int64_t oldpos = 0, oldlines = 0, newpos = 0, newlines = 0;
  int64_t leading = 0, trailing = 0;
  std::vector<std::string> pre, post;  // lines with their "\n" (dropped before "\ No newline")
};

struct GitFilePatch {
  std::string old_name, new_name;  // "" when absent (/dev/null)
  int is_new = -1, is_delete = -1;  // -1: not known from the header
  bool is_rename = false, is_copy = false, is_binary = false, mode_change = false;
  std::vector<GitHunk> hunks;
};

struct ParseFailure {
  std::string message;
};

class GitPatchParser {
 public:
  explicit GitPatchParser(std::string_view text) : text_(text) {}

  // Every file section, or the message git dies with.
  std::vector<GitFilePatch> Parse() {
    std::vector<GitFilePatch> patches;
    size_t offset = 0;
    while (offset < text_.size()) {
      GitFilePatch patch;
      size_t header_size = 0;
      std::optional<size_t> start = FindHeader(offset, &header_size, &patch);
      if (!start) break;
      size_t body = *start + header_size;
      size_t used = ParseSinglePatch(body, &patch);
      if (used == 0) {
        size_t len = LineLength(body);
        std::string_view line = text_.substr(body, len);
        if (line == "GIT binary patch\n" || (len >= 8 && line.substr(len - 8) == " differ\n" &&
                                              (line.rfind("Binary files ", 0) == 0 || line.rfind("Files ", 0) == 0))) {
          patch.is_binary = true;
          used = len;
        } else if (!MetadataChanges(patch)) {
          throw ParseFailure{"patch with only garbage at line " + std::to_string(linenr_)};
        }
      }
      patches.push_back(std::move(patch));
      offset = body + used;
    }
    if (patches.empty()) throw ParseFailure{"No valid patches in input (allow with \"--allow-empty\")"};
    return patches;
  }

 private:
  size_t LineLength(size_t at) const {
    size_t nl = text_.find('\n', at);
    return (nl == std::string_view::npos ? text_.size() : nl + 1) - at;
  }
  bool StartsWith(size_t at, std::string_view prefix) const {
    return text_.size() - at >= prefix.size() && text_.compare(at, prefix.size(), prefix) == 0;
  }

  static bool MetadataChanges(const GitFilePatch& p) {
    return p.is_rename || p.is_copy || p.is_new > 0 || p.is_delete > 0 || p.mode_change;
  }

  // "@@ -a[,b] +c[,d] @@"; the bytes after the second "@@" are ignored.
  static bool ParseFragmentHeader(std::string_view line, GitHunk* hunk) {
    size_t i = 4;  // after "@@ -"
    auto number = [&](int64_t* out) {
      if (i >= line.size() || !std::isdigit(static_cast<unsigned char>(line[i]))) return false;
      int64_t v = 0;
      while (i < line.size() && std::isdigit(static_cast<unsigned char>(line[i]))) {
        v = v * 10 + (line[i] - '0');
        if (v > (int64_t{1} << 40)) return false;
        ++i;
      }
      *out = v;
      return true;
    };
    auto range = [&](int64_t* start, int64_t* count) {
      if (!number(start)) return false;
      *count = 1;
      if (i < line.size() && line[i] == ',') {
        ++i;
        if (!number(count)) return false;
      }
      return true;
    };
    if (!range(&hunk->oldpos, &hunk->oldlines)) return false;
    if (line.substr(i, 2) != " +") return false;
    i += 2;
    if (!range(&hunk->newpos, &hunk->newlines)) return false;
    return line.substr(i, 3) == " @@";
  }

  // A path after stripping one leading component (-p1), up to a tab; "" for /dev/null.
  static std::optional<std::string> StripName(std::string_view name, bool dev_null_is_empty = true) {
    size_t tab = name.find('\t');
    if (tab != std::string_view::npos) name = name.substr(0, tab);
    while (!name.empty() && (name.back() == '\n' || name.back() == '\r')) name.remove_suffix(1);
    if (dev_null_is_empty && name == "/dev/null") return std::string();
    size_t slash = name.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    std::string_view rest = name.substr(slash + 1);
    while (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
    if (rest.empty()) return std::nullopt;
    return std::string(rest);
  }

  // "diff --git a/x b/x": the common name when both sides agree, else nullopt.
  static std::optional<std::string> GitHeaderName(std::string_view rest) {
    while (!rest.empty() && (rest.back() == '\n' || rest.back() == '\r')) rest.remove_suffix(1);
    for (size_t sp = rest.find(' '); sp != std::string_view::npos; sp = rest.find(' ', sp + 1)) {
      auto a = StripName(rest.substr(0, sp));
      auto b = StripName(rest.substr(sp + 1));
      if (a && b && !a->empty() && *a == *b) return a;
    }
    return std::nullopt;
  }

  std::optional<size_t> FindHeader(size_t offset, size_t* header_size, GitFilePatch* patch) {
    for (size_t len = 0; offset < text_.size(); offset += len, ++linenr_) {
      len = LineLength(offset);
      if (len == 0) break;
      if (len < 6) continue;
      std::string_view line = text_.substr(offset, len);
      if (StartsWith(offset, "@@ -")) {
        GitHunk dummy;
        if (!ParseFragmentHeader(line, &dummy)) continue;
        std::string shown(line.substr(0, len - (line.back() == '\n' ? 1 : 0)));
        throw ParseFailure{"patch fragment without header at line " + std::to_string(linenr_) + ": " + shown};
      }
      if (text_.size() - offset < len + 6) break;
      if (StartsWith(offset, "diff --git ")) {
        size_t header_len = ParseGitHeader(offset, len, patch);
        if (header_len <= len) {
          *patch = GitFilePatch();
          continue;
        }
        *header_size = header_len;
        return offset;
      }
      if (!StartsWith(offset, "--- ") || !StartsWith(offset + len, "+++ ")) continue;
      size_t next_len = LineLength(offset + len);
      if (text_.size() - offset - len < next_len + 14 || !StartsWith(offset + len + next_len, "@@ -")) continue;
      auto first = StripName(line.substr(4));
      auto second = StripName(text_.substr(offset + len + 4, next_len - 4));
      if (first && first->empty()) {
        patch->is_new = 1;
        patch->is_delete = 0;
        // The other side is read as a name even when it is /dev/null too (git creates "dev/null").
        second = StripName(text_.substr(offset + len + 4, next_len - 4), false);
        if (!second || second->empty()) throw ParseFailure{"unable to find filename in patch at line " + std::to_string(linenr_)};
        patch->new_name = *second;
      } else if (second && second->empty()) {
        patch->is_new = 0;
        patch->is_delete = 1;
        if (!first) throw ParseFailure{"unable to find filename in patch at line " + std::to_string(linenr_)};
        patch->old_name = *first;
      } else {
        std::optional<std::string> name = second ? second : first;
        if (!name) throw ParseFailure{"unable to find filename in patch at line " + std::to_string(linenr_)};
        patch->old_name = patch->new_name = *name;
      }
      *header_size = len + next_len;
      linenr_ += 2;
      return offset;
    }
    return std::nullopt;
  }

  // The extended header after "diff --git"; returns its length (the first line included).
  size_t ParseGitHeader(size_t start, size_t first_len, GitFilePatch* patch) {
    std::optional<std::string> def_name = GitHeaderName(text_.substr(start + 11, first_len - 11));
    bool have_old = false, have_new = false;
    size_t offset = start + first_len;
    ++linenr_;
    std::string old_mode, new_mode;
    for (size_t len = 0; offset < text_.size(); offset += len, ++linenr_) {
      len = LineLength(offset);
      std::string_view line = text_.substr(offset, len);
      if (len == 0 || line.back() != '\n') break;
      std::string_view value;
      auto is = [&](std::string_view prefix) {
        if (line.rfind(prefix, 0) != 0) return false;
        value = line.substr(prefix.size(), len - prefix.size() - 1);
        return true;
      };
      if (is("@@ -")) break;
      if (is("--- ")) {
        auto n = StripName(value);
        if (n) {
          patch->old_name = *n;
          have_old = true;
          if (n->empty()) patch->is_new = 1;
        }
      } else if (is("+++ ")) {
        auto n = StripName(value);
        if (n) {
          patch->new_name = *n;
          have_new = true;
          if (n->empty()) patch->is_delete = 1;
        }
      } else if (is("old mode ")) {
        old_mode = value;
      } else if (is("new mode ")) {
        new_mode = value;
      } else if (is("deleted file mode ")) {
        patch->is_delete = 1;
        old_mode = value;
      } else if (is("new file mode ")) {
        patch->is_new = 1;
        new_mode = value;
      } else if (is("copy from ") || is("rename from ") || is("rename old ")) {
        patch->is_copy = line[0] == 'c';
        patch->is_rename = line[0] == 'r';
        patch->old_name = value;
        have_old = true;
      } else if (is("copy to ") || is("rename to ") || is("rename new ")) {
        patch->new_name = value;
        have_new = true;
      } else if (is("similarity index ") || is("dissimilarity index ") || is("index ")) {
      } else {
        break;  // unrecognized: the header ends here
      }
    }
    if (!old_mode.empty() && !new_mode.empty() && old_mode != new_mode) patch->mode_change = true;
    if (!have_old && !have_new) {
      if (!def_name) {
        throw ParseFailure{"git diff header lacks filename information when removing 1 leading pathname component (line " +
                           std::to_string(linenr_) + ")"};
      }
      patch->old_name = patch->new_name = *def_name;
    } else {
      if (!have_old && patch->is_new <= 0 && def_name) patch->old_name = *def_name;
      if (!have_new && patch->is_delete <= 0 && def_name) patch->new_name = *def_name;
    }
    if (patch->is_new > 0) patch->old_name.clear();
    if (patch->is_delete > 0) patch->new_name.clear();
    if ((patch->new_name.empty() && patch->is_delete <= 0) || (patch->old_name.empty() && patch->is_new <= 0)) {
      throw ParseFailure{"git diff header lacks filename information (line " + std::to_string(linenr_) + ")"};
    }
    return offset - start;
  }

  // One hunk at `at`; returns its length or 0 when git calls it corrupt.
  size_t ParseFragment(size_t at, GitHunk* hunk) {
    size_t len = LineLength(at);
    if (!ParseFragmentHeader(text_.substr(at, len), hunk)) return 0;
    int64_t oldlines = hunk->oldlines, newlines = hunk->newlines;
    size_t offset = at + len;
    ++linenr_;
    int64_t added = 0, deleted = 0;
    for (; offset < text_.size(); offset += len, ++linenr_) {
      if (oldlines == 0 && newlines == 0) break;
      len = LineLength(offset);
      if (len == 0 || text_[offset + len - 1] != '\n') return 0;
      switch (text_[offset]) {
        case '\n':
        case ' ':
          --oldlines;
          --newlines;
          if (!deleted && !added) ++hunk->leading;
          ++hunk->trailing;
          break;
        case '-':
          ++deleted;
          --oldlines;
          hunk->trailing = 0;
          break;
        case '+':
          ++added;
          --newlines;
          hunk->trailing = 0;
          break;
        case '\\':
          if (len < 12 || text_[offset + 1] != ' ') return 0;
          break;
        default:
          return 0;
      }
    }
    if (oldlines != 0 || newlines != 0) return 0;
    if (!deleted && !added) return 0;
    // An incomplete last line: its "\ No newline" marker comes after the counts ran out.
    if (text_.size() - offset > 12 && StartsWith(offset, "\\ ")) offset += LineLength(offset);
    BuildImages(at + LineLength(at), offset, hunk);
    return offset - at;
  }

  // apply_one_fragment's preimage and postimage of the hunk body [begin, end).
  void BuildImages(size_t begin, size_t end, GitHunk* hunk) const {
    for (size_t at = begin; at < end;) {
      size_t len = std::min(LineLength(at), end - at);
      int64_t plen = static_cast<int64_t>(len) - 1;
      if (at + len < end && text_[at + len] == '\\') --plen;
      std::string body = plen > 0 ? std::string(text_.substr(at + 1, plen)) : std::string();
      switch (text_[at]) {
        case '\n':
          if (plen >= 0) {
            hunk->pre.emplace_back("\n");
            hunk->post.emplace_back("\n");
          }
          break;
        case ' ':
          hunk->pre.push_back(body);
          hunk->post.push_back(body);
          break;
        case '-': hunk->pre.push_back(body); break;
        case '+': hunk->post.push_back(body); break;
        default: break;
      }
      at += len;
    }
  }

  size_t ParseSinglePatch(size_t body, GitFilePatch* patch) {
    size_t offset = body;
    int64_t oldlines = 0, newlines = 0;
    while (text_.size() - offset > 4 && StartsWith(offset, "@@ -")) {
      GitHunk hunk;
      size_t len = ParseFragment(offset, &hunk);
      if (len == 0) throw ParseFailure{"corrupt patch at line " + std::to_string(linenr_)};
      oldlines += hunk.oldlines;
      newlines += hunk.newlines;
      patch->hunks.push_back(std::move(hunk));
      offset += len;
    }
    if (patch->is_new < 0 && (oldlines || patch->hunks.size() > 1)) patch->is_new = 0;
    if (patch->is_delete < 0 && (newlines || patch->hunks.size() > 1)) patch->is_delete = 0;
    if (patch->is_new > 0 && oldlines) throw ParseFailure{"new file " + patch->new_name + " depends on old contents"};
    if (patch->is_delete > 0 && newlines) throw ParseFailure{"deleted file " + patch->old_name + " still has contents"};
    return offset - body;
  }

  std::string_view text_;
  int linenr_ = 1;
};

// ---- Applying -----------------------------------------------------------------------------

struct ImageLine {
  std::string text;
  bool patched = false;
};

// find_pos: the line where `hunk` matches, searched from its new position outward.
int64_t FindPosition(const std::vector<ImageLine>& image, const GitHunk& hunk) {
  const int64_t nr = static_cast<int64_t>(image.size());
  const int64_t pre = static_cast<int64_t>(hunk.pre.size());
  const bool match_beginning = hunk.oldpos == 0 || hunk.oldpos == 1;
  const bool match_end = hunk.trailing == 0;
  int64_t line = hunk.newpos ? hunk.newpos - 1 : 0;
  if (match_beginning) {
    line = 0;
  } else if (match_end) {
    line = nr - pre;
  }
  if (line > nr || line < 0) line = nr;
  auto matches = [&](int64_t at) {
    if (pre + at > nr) return false;
    if (match_end && pre + at != nr) return false;
    if (match_beginning && at != 0) return false;
    for (int64_t i = 0; i < pre; ++i) {
      const ImageLine& l = image[at + i];
      if (l.patched || l.text != hunk.pre[i]) return false;
    }
    return true;
  };
  int64_t backwards = line, forwards = line, current = line;
  for (int64_t i = 0;; ++i) {
    if (matches(current)) return current;
  again:
    if (backwards == 0 && forwards == nr) break;
    if (i & 1) {
      if (backwards == 0) {
        ++i;
        goto again;
      }
      current = --backwards;
    } else {
      if (forwards == nr) {
        ++i;
        goto again;
      }
      current = ++forwards;
    }
  }
  return -1;
}

std::string Join(const std::vector<ImageLine>& image) {
  std::string out;
  for (const auto& l : image) out += l.text;
  return out;
}

}  // namespace

ToolResult GitApply(std::string_view patch_text, const FileSource& tree, const GitApplyOptions& options) {
  ToolResult result;
  std::vector<GitFilePatch> patches;
  try {
    patches = GitPatchParser(patch_text).Parse();
  } catch (const ParseFailure& failure) {
    result.exit_code = 128;
    result.error = failure.message;
    return result;
  }
  // The tree as earlier sections of this patch left it (git's fn_table).
  TreeOverlay state(tree);
  auto read = [&](const std::string& path) { return state.Read(path); };
  bool failed = false;
  for (const GitFilePatch& patch : patches) {
    FileResult file;
    file.old_path = patch.old_name;
    file.new_path = patch.new_name;
    bool is_new = patch.is_new > 0;
    std::optional<std::string> old_content;
    if (!is_new) {
      old_content = read(patch.old_name);
      if (!old_content) {
        if (patch.is_new < 0) {
          is_new = true;
        } else {
          file.error = patch.old_name + ": No such file or directory";
        }
      }
    }
    file.status = is_new ? "created" : patch.is_delete > 0 ? "deleted" : patch.is_rename ? "renamed" : "modified";
    if (file.error.empty() && (is_new || patch.is_rename || patch.is_copy) && !patch.new_name.empty() &&
        read(patch.new_name).has_value()) {
      file.error = patch.new_name + ": already exists in working directory";
    }
    if (file.error.empty() && patch.is_binary) {
      file.error = "cannot apply binary patch to '" + (patch.new_name.empty() ? patch.old_name : patch.new_name) +
                   "' without full index line";
    }
    std::vector<ImageLine> image;
    if (old_content) {
      for (auto& l : SplitLinesKeepEnds(*old_content)) image.push_back({std::move(l), false});
    }
    bool file_rejected = false;
    int number = 0;
    for (const GitHunk& hunk : patch.hunks) {
      HunkResult h;
      h.number = ++number;
      h.expected_line = hunk.newpos ? hunk.newpos : 1;
      if (!file.error.empty()) {
        h.reason = file.error.find("already exists") != std::string::npos ? "file already exists"
                   : patch.is_binary                                     ? "binary"
                                                                         : "file missing";
        file.hunks.push_back(h);
        continue;
      }
      int64_t pos = FindPosition(image, hunk);
      if (pos < 0) {
        h.reason = "context not found";
        file_rejected = true;
        file.hunks.push_back(h);
        continue;
      }
      int64_t expected = hunk.newpos ? hunk.newpos - 1 : 0;
      h.applied_line = pos + 1;
      h.offset = pos - expected;
      h.outcome = h.offset == 0 ? HunkOutcome::kApplied : HunkOutcome::kOffset;
      std::vector<ImageLine> replacement;
      for (const auto& l : hunk.post) replacement.push_back({l, true});
      image.erase(image.begin() + pos, image.begin() + pos + static_cast<int64_t>(hunk.pre.size()));
      image.insert(image.begin() + pos, replacement.begin(), replacement.end());
      file.hunks.push_back(h);
    }
    if (file.error.empty() && !file_rejected && patch.is_delete > 0 && !image.empty()) {
      file.error = "removal patch leaves file contents";
    }
    if (!file.error.empty() || file_rejected) failed = true;
    // What this section leaves in the tree (with --reject, also after rejected hunks).
    if (file.error.empty()) {
      if (patch.is_delete > 0) {
        state.Write(patch.old_name, std::nullopt);
      } else {
        if (patch.is_rename && patch.old_name != patch.new_name) state.Write(patch.old_name, std::nullopt);
        state.Write(patch.new_name, Join(image));
      }
    }
    result.files.push_back(std::move(file));
  }
  result.exit_code = failed ? 1 : 0;
  // git apply is atomic; with --reject every section that got past its checks is written, with
  // the hunks that applied (a missing file skips only its own section).
  if (!failed || options.reject) result.contents = state.changes();
  return result;
}

}  // namespace sweinfer::patch
