#include "patch/unified_diff.h"

#include <optional>

#include "text/py_regex.h"
#include "text/python_str.h"

namespace sweinfer::patch {

namespace {

constexpr std::string_view kDevNull = "/dev/null";

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// The part of `s` before the first '\t' or '\n' ([^\t\n]* in the regexes).
std::string_view UntilTabOrNewline(std::string_view s) {
  size_t end = s.find_first_of("\t\n");
  return s.substr(0, end);
}

// One run of Unicode decimal digits at `pos` (\d+), as an int; advances pos.
std::optional<int64_t> ReadDigits(std::string_view s, size_t& pos) {
  size_t start = pos;
  while (pos < s.size()) {
    size_t p = pos;
    char32_t cp = text::NextCodePoint(s, p);
    std::string digit;
    text::AppendUtf8(digit, cp);
    if (!text::PythonDecimalInt(digit)) break;
    pos = p;
  }
  if (pos == start) return std::nullopt;
  return text::PythonDecimalInt(s.substr(start, pos - start));
}

struct GitHeader {
  std::string source, target;
};

// RE_DIFF_GIT_HEADER, then RE_DIFF_GIT_HEADER_NO_PREFIX: the greedy source group makes the split
// fall on the last qualifying space.
std::optional<GitHeader> MatchGitHeader(std::string_view line) {
  if (!StartsWith(line, "diff --git ")) return std::nullopt;
  std::string_view rest = UntilTabOrNewline(line.substr(11));
  if (StartsWith(rest, "a/")) {
    for (size_t i = rest.size(); i-- > 3;) {
      if (rest.substr(i, 3) == " b/" && i + 3 < rest.size()) {
        return GitHeader{std::string(rest.substr(0, i)), std::string(rest.substr(i + 1))};
      }
    }
  }
  for (size_t i = rest.size(); i-- > 1;) {
    if (rest[i] == ' ' && i + 1 < rest.size()) {
      return GitHeader{std::string(rest.substr(0, i)), std::string(rest.substr(i + 1))};
    }
  }
  return std::nullopt;
}

// ^<prefix>\d+$ where $ also matches before a final "\n".
bool MatchModeLine(std::string_view line, std::string_view prefix) {
  if (!StartsWith(line, prefix)) return false;
  size_t pos = prefix.size();
  if (!ReadDigits(line, pos)) return false;
  return pos == line.size() || (pos + 1 == line.size() && line[pos] == '\n');
}

struct FileNameLine {
  std::string filename;
  std::optional<std::string> timestamp;
};

// RE_SOURCE_FILENAME / RE_TARGET_FILENAME.
std::optional<FileNameLine> MatchFileName(std::string_view line, std::string_view prefix) {
  if (!StartsWith(line, prefix)) return std::nullopt;
  std::string_view rest = line.substr(prefix.size());
  std::string_view name = UntilTabOrNewline(rest);
  if (name.empty()) return std::nullopt;
  FileNameLine result{std::string(name), std::nullopt};
  if (name.size() < rest.size() && rest[name.size()] == '\t') {
    std::string_view after = rest.substr(name.size() + 1);
    std::string_view stamp = after.substr(0, after.find('\n'));
    if (!stamp.empty()) result.timestamp = std::string(stamp);
  }
  return result;
}

// RE_HUNK_HEADER: ^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))?\ @@
std::optional<Hunk> MatchHunkHeader(std::string_view line) {
  if (!StartsWith(line, "@@ -")) return std::nullopt;
  size_t pos = 4;
  Hunk hunk;
  auto src_start = ReadDigits(line, pos);
  if (!src_start) return std::nullopt;
  hunk.source_start = *src_start;
  hunk.source_length = 1;
  if (pos < line.size() && line[pos] == ',') {
    size_t p = pos + 1;
    if (auto len = ReadDigits(line, p)) {
      hunk.source_length = *len;
      pos = p;
    }
  }
  if (line.substr(pos, 2) != " +") return std::nullopt;
  pos += 2;
  auto tgt_start = ReadDigits(line, pos);
  if (!tgt_start) return std::nullopt;
  hunk.target_start = *tgt_start;
  hunk.target_length = 1;
  if (pos < line.size() && line[pos] == ',') {
    size_t p = pos + 1;
    if (auto len = ReadDigits(line, p)) {
      hunk.target_length = *len;
      pos = p;
    }
  }
  if (line.substr(pos, 3) != " @@") return std::nullopt;
  return hunk;
}

const text::PyRegex& BinaryDiffPattern() {
  static const text::PyRegex pattern(
      R"(^Binary files? (?P<source_filename>[^\t]+?)(?:\t(?P<source_timestamp>[\s0-9:\+-]+))?)"
      R"((?: and (?P<target_filename>[^\t]+?)(?:\t(?P<target_timestamp>[\s0-9:\+-]+))?)? (differ|has changed))");
  return pattern;
}

std::vector<std::string_view> SplitLinesKeepEnds(std::string_view s) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < s.size()) {
    size_t nl = s.find('\n', start);
    size_t end = nl == std::string_view::npos ? s.size() : nl + 1;
    lines.push_back(s.substr(start, end - start));
    start = end;
  }
  return lines;
}

// PatchedFile._parse_hunk: consumes body lines starting at `next`.
void ParseHunk(Hunk hunk, const std::vector<std::string_view>& lines, size_t& next, PatchedFile& file) {
  int64_t source_line = hunk.source_start, target_line = hunk.target_start;
  const int64_t source_end = source_line + hunk.source_length;
  const int64_t target_end = target_line + hunk.target_length;
  while (next < lines.size()) {
    std::string_view line = lines[next++];
    char type = line.empty() ? '\0' : line[0];
    if (type == '+') {
      ++target_line;
    } else if (type == '-') {
      ++source_line;
    } else if (type == ' ' || type == '\r' || type == '\n') {
      ++source_line;
      ++target_line;
    } else if (type != '\\') {
      throw PatchParseError("Hunk diff line expected: " + std::string(line));
    }
    if (source_line > source_end || target_line > target_end) throw PatchParseError("Hunk is longer than expected");
    if (source_line == source_end && target_line == target_end) break;
  }
  if (source_line < source_end || target_line < target_end) throw PatchParseError("Hunk is shorter than expected");
  file.hunks.push_back(hunk);
}

}  // namespace

std::vector<PatchedFile> ParsePatchSet(std::string_view raw_diff) {
  // Python parses decoded text; bytes that are not UTF-8 become U+FFFD as with errors="replace".
  std::string storage;
  std::string_view diff = raw_diff;
  if (text::Utf8Error(raw_diff)) {
    storage = text::Utf8Replace(raw_diff);
    diff = storage;
  }
  std::vector<PatchedFile> files;
  // current_file and patch_info as in PatchSet._parse; an index into `files`, or kNoFile.
  constexpr size_t kNoFile = SIZE_MAX;
  size_t current = kNoFile;
  bool have_patch_info = false;
  std::string source_file, target_file;
  std::optional<std::string> source_timestamp;
  const auto lines = SplitLinesKeepEnds(diff);
  size_t next = 0;
  while (next < lines.size()) {
    std::string_view line = lines[next++];
    if (auto header = MatchGitHeader(line)) {
      have_patch_info = true;
      files.push_back(PatchedFile{header->source, header->target, false, {}});
      current = files.size() - 1;
      continue;
    }
    if (MatchModeLine(line, "new file mode ")) {
      if (current == kNoFile || !have_patch_info) throw PatchParseError("Unexpected new file found: " + std::string(line));
      files[current].source_file = kDevNull;
      continue;
    }
    if (MatchModeLine(line, "deleted file mode ")) {
      if (current == kNoFile || !have_patch_info) throw PatchParseError("Unexpected deleted file found: " + std::string(line));
      files[current].target_file = kDevNull;
      continue;
    }
    if (auto source = MatchFileName(line, "--- ")) {
      source_file = source->filename;
      source_timestamp = source->timestamp;
      if (current != kNoFile && files[current].source_file != source_file) current = kNoFile;
      continue;
    }
    if (auto target = MatchFileName(line, "+++ ")) {
      target_file = target->filename;
      if (current != kNoFile && files[current].target_file != target_file) {
        throw PatchParseError("Target without source: " + std::string(line));
      }
      if (current == kNoFile) {
        files.push_back(PatchedFile{source_file, target_file, false, {}});
        current = files.size() - 1;
        have_patch_info = false;
      }
      continue;
    }
    if (auto hunk = MatchHunkHeader(line)) {
      have_patch_info = false;
      if (current == kNoFile) throw PatchParseError("Unexpected hunk found: " + std::string(line));
      ParseHunk(*hunk, lines, next, files[current]);
      continue;
    }
    if (StartsWith(line, "\\ No newline at end of file")) {
      if (current == kNoFile) throw PatchParseError("Unexpected marker: " + std::string(line));
      if (files[current].hunks.empty()) throw PatchParseError("Unexpected marker: No newline at end of file");
      continue;
    }
    if (line == "\n" && current != kNoFile) {
      if (files[current].hunks.empty()) throw PatchParseError("Unexpected trailing newline character");
      continue;
    }
    if (!have_patch_info) {
      current = kNoFile;
      have_patch_info = true;
    }
    if (auto binary = BinaryDiffPattern().Match(line)) {
      if (current != kNoFile) {
        files[current].is_binary = true;
      } else {
        // PatchedFile(patch_info, source, target): a missing target group is None in Python;
        // only source paths are used downstream, so None becomes an empty string here.
        files.push_back(PatchedFile{std::string(binary->Group(0)), std::string(binary->Group(2)), true, {}});
      }
      have_patch_info = false;
      current = kNoFile;
      continue;
    }
  }
  return files;
}

std::string_view SourcePathOf(const PatchedFile& file) {
  std::string_view source = file.source_file;
  size_t at = source.find("a/");
  return at == std::string_view::npos ? source : source.substr(at + 2);
}

}  // namespace sweinfer::patch
