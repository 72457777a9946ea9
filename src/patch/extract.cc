#include "patch/extract.h"

#include <vector>

#include "text/py_regex.h"
#include "text/python_str.h"

namespace sweinfer::patch {

namespace {

using text::PyRegex;

const PyRegex& TagPattern() {
  static const PyRegex p(R"(\<([\w-]+)\>(.*?)\<\/\1\>)", PyRegex::kDotAll);
  return p;
}
const PyRegex& FencePattern() {
  static const PyRegex p(R"(```(\w+)?\n(.*?)```)", PyRegex::kDotAll);
  return p;
}
const PyRegex& DiffPattern() {
  static const PyRegex p(R"(^diff(?:.*))");
  return p;
}
const PyRegex& FilePatchPattern() {
  static const PyRegex p(
      R"((?:diff[\w\_\.\ \/\-]+\n)?\-\-\-\s+a\/(?:.*?)\n\+\+\+\s+b\/(?:.*?)(?=diff\ |\-\-\-\ a\/|\Z))",
      PyRegex::kDotAll);
  return p;
}
const PyRegex& FileHeaderPattern() {
  static const PyRegex p(R"(\-\-\-\s+a\/(?:.+)\n\+\+\+\s+b\/(?:.+))");
  return p;
}
const PyRegex& HunkPattern() {
  static const PyRegex p(
      R"(\@\@\s+\-(\d+),(\d+)\s+\+(\d+),(\d+)\s+\@\@(.+?)(?=diff\ |\-\-\-\ a\/|\@\@\ \-|\Z))",
      PyRegex::kDotAll);
  return p;
}

std::string_view LStripNewlines(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && s[i] == '\n') ++i;
  return s.substr(i);
}

std::string_view StripNewlines(std::string_view s) {
  s = LStripNewlines(s);
  while (!s.empty() && s.back() == '\n') s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    if (at == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, at - start));
    start = at + 1;
  }
}

struct HunkNumbers {
  int64_t pre_start, pre_len, post_start, post_len;
};

// get_hunk_stats: recounts the hunk body; returns new numbers and updates total_delta.
HunkNumbers HunkStats(int64_t pre_start, std::string_view hunk, int64_t& total_delta) {
  size_t nl = hunk.find('\n');
  if (nl != std::string_view::npos) hunk = hunk.substr(nl + 1);
  hunk = StripNewlines(hunk);
  int64_t context = 0, added = 0, subtracted = 0;
  for (std::string_view line : Split(hunk, '\n')) {
    if (!line.empty() && line[0] == '-') {
      ++subtracted;
    } else if (!line.empty() && line[0] == '+') {
      ++added;
    } else {
      ++context;
    }
  }
  HunkNumbers n{pre_start, context + subtracted, pre_start + total_delta, context + added};
  total_delta += n.post_len - n.pre_len;
  return n;
}

std::string FormatHunk(const HunkNumbers& n, std::string_view content) {
  return "@@ -" + std::to_string(n.pre_start) + "," + std::to_string(n.pre_len) + " +" +
         std::to_string(n.post_start) + "," + std::to_string(n.post_len) + " @@" + std::string(content);
}

// strip_content: keeps the lines from the first to the last edited one, right-stripped.
std::pair<std::string, int64_t> StripContent(std::string_view hunk) {
  auto lines = Split(hunk, '\n');
  const int64_t n = static_cast<int64_t>(lines.size());
  auto is_edit = [&](int64_t i) { return !lines[i].empty() && (lines[i][0] == '-' || lines[i][0] == '+'); };
  int64_t first_idx = n;
  for (int64_t i = 0; i < n; ++i) {
    if (is_edit(i)) {
      first_idx = i;
      break;
    }
  }
  int64_t from_end = n;
  for (int64_t i = 0; i < n; ++i) {
    if (is_edit(n - 1 - i)) {
      from_end = i;
      break;
    }
  }
  int64_t last_idx = n - from_end + 1;
  int64_t begin = std::min(first_idx, n), end = std::min(last_idx, n);
  std::string out = "\n";
  bool first = true;
  for (int64_t i = begin; i < end; ++i) {
    if (!first) out += "\n";
    first = false;
    out += text::PythonRStrip(lines[i]);
  }
  out += "\n";
  return {out, first_idx - 1};
}

int64_t HunkInt(const text::RegexMatch& m, size_t group) {
  // The groups are \d+, so int() always succeeds, also for non-ASCII decimal digits.
  return text::PythonDecimalInt(m.Group(group)).value_or(0);
}

std::string FirstFileHeader(std::string_view patch) {
  auto header = FileHeaderPattern().Search(patch);
  if (!header) throw PatchExtractError("IndexError: list index out of range");
  return std::string(patch.substr(header->begin, header->end - header->begin));
}

// The regexes need valid UTF-8; model output that is not gets CPython's replacement characters.
std::string_view ValidUtf8(std::string_view input, std::string& storage) {
  if (!text::Utf8Error(input)) return input;
  storage = text::Utf8Replace(input);
  return storage;
}

}  // namespace

std::string ExtractDiff(std::string_view raw_response) {
  std::string storage;
  std::string_view response = ValidUtf8(raw_response, storage);
  std::optional<std::string_view> diff_match, other_match;
  auto consider = [&](std::string_view code, std::string_view body) {
    if (code == "diff" || code == "patch") {
      if (!diff_match) diff_match = body;
    } else if (!other_match) {
      other_match = body;
    }
  };
  for (const auto& m : TagPattern().FindAll(response)) consider(m.Group(0), m.Group(1));
  if (!diff_match) {
    for (const auto& m : FencePattern().FindAll(response)) {
      consider(m.Group(0), m.Group(1));
      if (diff_match) break;
    }
  }
  if (diff_match) return std::string(*diff_match);
  if (other_match) return std::string(*other_match);
  size_t eos = response.find("</s>");
  return std::string(response.substr(0, eos));
}

std::optional<std::string> ExtractDiff(const std::optional<std::string>& response) {
  if (!response) return std::nullopt;
  return ExtractDiff(std::string_view(*response));
}

std::optional<std::string> RepairPatch(const std::optional<std::string>& model_patch) {
  if (!model_patch) return std::nullopt;
  std::string storage;
  std::string_view input = LStripNewlines(ValidUtf8(*model_patch, storage));
  std::string out;
  for (const auto& file_match : FilePatchPattern().FindAll(input)) {
    std::string_view patch = input.substr(file_match.begin, file_match.end - file_match.begin);
    int64_t total_delta = 0;
    if (auto header = DiffPattern().Match(patch)) {
      out += patch.substr(header->begin, header->end - header->begin);
      out += "\n";
    }
    out += FirstFileHeader(patch) + "\n";
    for (const auto& hunk : HunkPattern().FindAll(patch)) {
      std::string_view content = hunk.Group(4);
      HunkNumbers n = HunkStats(HunkInt(hunk, 0), content, total_delta);
      out += FormatHunk(n, content);
    }
  }
  return out;
}

std::string ExtractMinimalPatch(const std::optional<std::string>& model_patch) {
  if (!model_patch) throw PatchExtractError("AttributeError: 'NoneType' object has no attribute 'lstrip'");
  std::string storage;
  std::string_view input = LStripNewlines(ValidUtf8(*model_patch, storage));
  std::string out;
  for (const auto& file_match : FilePatchPattern().FindAll(input)) {
    std::string_view patch = input.substr(file_match.begin, file_match.end - file_match.begin);
    int64_t total_delta = 0;
    out += FirstFileHeader(patch) + "\n";
    for (const auto& hunk : HunkPattern().FindAll(patch)) {
      auto [content, adjust] = StripContent(hunk.Group(4));
      HunkNumbers n = HunkStats(HunkInt(hunk, 0) + adjust, content, total_delta);
      out += FormatHunk(n, content);
    }
  }
  return out;
}

}  // namespace sweinfer::patch
