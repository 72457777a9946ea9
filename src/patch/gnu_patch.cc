#include "patch/gnu_patch.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <vector>

namespace sweinfer::patch {
namespace {

// ---- Reading the patch as pch.c does ------------------------------------------------------

struct PatchLine {
  std::string text;  // with its "\n"
  int number = 0;    // 1-based line of the patch file
};

struct Fatal {
  std::string message;
};

struct HunkLine {
  char kind;         // ' ', '-' (old part) or ' ', '+' (new part)
  std::string text;  // "\n" kept unless the line is incomplete
};

struct GnuHunk {
  int64_t first = 0, ptrn_lines = 0, newfirst = 0, repl_lines = 0;
  int64_t prefix_context = 0, suffix_context = 0;
  std::vector<HunkLine> old_part, new_part;
};

void Swap(GnuHunk* h) {
  std::swap(h->first, h->newfirst);
  std::swap(h->ptrn_lines, h->repl_lines);
  std::swap(h->old_part, h->new_part);
  for (auto& l : h->old_part) l.kind = l.kind == '+' ? '-' : l.kind;
  for (auto& l : h->new_part) l.kind = l.kind == '-' ? '+' : l.kind;
}

struct FileSection {
  std::optional<std::string> old_name, new_name, index_name;  // after -p1; "" for /dev/null
  bool git_diff = false, rename = false, copy = false, binary = false;
  bool old_missing = false, new_missing = false;  // the header says /dev/null
  int header_line = 0;
  std::vector<GnuHunk> hunks;
};

// "a/x/y.py\t2020-..." -> "x/y.py" (one component stripped); nullopt when it cannot be stripped.
std::optional<std::string> FetchName(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  size_t end = 0;
  while (end < text.size() && text[end] != '\t' && text[end] != '\n' && text[end] != '\r') ++end;
  std::string_view name = text.substr(0, end);
  // A timestamp after spaces ("x.py 2020-01-01 ...") is cut as well.
  size_t sp = name.find(' ');
  if (sp != std::string_view::npos && sp + 1 < name.size() && std::isdigit(static_cast<unsigned char>(name[sp + 1]))) {
    name = name.substr(0, sp);
  }
  while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
  if (name == "/dev/null") return std::string();
  size_t slash = name.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::string_view rest = name.substr(slash + 1);
  while (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
  if (rest.empty()) return std::nullopt;
  return std::string(rest);
}

class PatchReader {
 public:
  explicit PatchReader(std::string_view text) {
    size_t start = 0;
    int number = 0;
    while (start < text.size()) {
      size_t nl = text.find('\n', start);
      ++number;
      if (nl == std::string_view::npos) {
        // "patch unexpectedly ends in middle of line": dropped as a line, but a "\ No newline"
        // marker is still seen by incomplete_line(), which reads raw bytes.
        partial_tail_ = std::string(text.substr(start));
        break;
      }
      lines_.push_back({std::string(text.substr(start, nl + 1 - start)), number});
      start = nl + 1;
    }
  }

  std::vector<FileSection> ReadAll() {
    std::vector<FileSection> sections;
    while (true) {
      FileSection section;
      if (!Intuit(&section)) break;
      while (true) {
        GnuHunk hunk;
        if (!AnotherHunk(&hunk)) break;
        section.hunks.push_back(std::move(hunk));
      }
      sections.push_back(std::move(section));
    }
    // An empty patch file is no error (exit 0); any other text without a hunk is.
    if (sections.empty() && (!lines_.empty() || !partial_tail_.empty())) throw Fatal{"Only garbage was found in the patch input."};
    return sections;
  }

 private:
  bool AtEnd() const { return pos_ >= lines_.size(); }
  const std::string& Text(size_t i) const { return lines_[i].text; }
  static bool Starts(const std::string& s, std::string_view p) { return s.compare(0, p.size(), p) == 0; }

  // Scans to the next "@@ -" that starts a file's hunks, collecting header names on the way.
  bool Intuit(FileSection* section) {
    strip_cr_ = false;
    for (; !AtEnd(); ++pos_) {
      const std::string& s = Text(pos_);
      bool crlf = s.size() >= 2 && s[s.size() - 2] == '\r';
      if (Starts(s, "diff --git ")) {
        *section = FileSection();
        section->git_diff = true;
        section->header_line = lines_[pos_].number;
        std::string_view rest(s);
        rest.remove_prefix(11);
        size_t b = rest.find(" b/");
        if (b != std::string_view::npos) {
          section->old_name = FetchName(rest.substr(0, b));
          section->new_name = FetchName(rest.substr(b + 1));
        }
      } else if (Starts(s, "--- ")) {
        auto n = FetchName(std::string_view(s).substr(4));
        section->old_name = n;
        section->old_missing = n && n->empty();
        strip_cr_ = crlf;
        if (!section->header_line) section->header_line = lines_[pos_].number;
      } else if (Starts(s, "+++ ")) {
        auto n = FetchName(std::string_view(s).substr(4));
        section->new_name = n;
        section->new_missing = n && n->empty();
        strip_cr_ = crlf;
      } else if (Starts(s, "Index: ")) {
        std::string_view v(s);
        v.remove_prefix(7);
        while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.remove_suffix(1);
        section->index_name = std::string(v);
      } else if (section->git_diff && Starts(s, "new file mode ")) {
        section->old_missing = true;
      } else if (section->git_diff && Starts(s, "deleted file mode ")) {
        section->new_missing = true;
      } else if (section->git_diff && (Starts(s, "rename from ") || Starts(s, "copy from "))) {
        section->rename = Starts(s, "rename");
        section->copy = !section->rename;
        std::string v = s.substr(s.find(" from ") + 6);
        while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
        section->old_name = v;
      } else if (section->git_diff && (Starts(s, "rename to ") || Starts(s, "copy to "))) {
        std::string v = s.substr(s.find(" to ") + 4);
        while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
        section->new_name = v;
      } else if (section->git_diff && (Starts(s, "GIT binary patch") || (Starts(s, "Binary files ")))) {
        section->binary = true;
        ++pos_;
        return true;
      } else if (Starts(s, "@@ -")) {
        if (!section->header_line) section->header_line = lines_[pos_].number;
        return true;
      }
    }
    // A git diff with only metadata (a rename or a mode change) is still a section.
    if (section->git_diff && (section->rename || section->copy || section->old_missing || section->new_missing)) return true;
    return false;
  }

  [[noreturn]] void Malformed(size_t line_index) const {
    std::string shown = line_index < lines_.size() ? lines_[line_index].text : std::string();
    int number = line_index < lines_.size() ? lines_[line_index].number
                                            : (lines_.empty() ? 1 : lines_.back().number + 1);
    throw Fatal{"malformed patch at line " + std::to_string(number) + ": " + shown};
  }

  // The next line of hunk text (CR stripped when the header had CRLF); nullopt at the end.
  std::optional<std::string> GetLine() {
    if (AtEnd()) return std::nullopt;
    std::string s = Text(pos_++);
    if (strip_cr_ && s.size() >= 2 && s[s.size() - 2] == '\r') s.erase(s.size() - 2, 1);
    return s;
  }

  // A "\ No newline" line right after the current one: consumed, and the caller drops its "\n".
  bool IncompleteLine() {
    if (!AtEnd() && !Text(pos_).empty() && Text(pos_)[0] == '\\') {
      ++pos_;
      return true;
    }
    if (AtEnd() && !partial_tail_.empty() && partial_tail_[0] == '\\') {
      partial_tail_.clear();
      return true;
    }
    return false;
  }

  static const char* ScanNumber(const char* s, int64_t* out) {
    int64_t v = 0;
    bool any = false;
    while (std::isdigit(static_cast<unsigned char>(*s))) {
      v = v * 10 + (*s - '0');
      if (v > (int64_t{1} << 40)) v = int64_t{1} << 40;
      ++s;
      any = true;
    }
    *out = any ? v : 0;
    return s;
  }

  bool AnotherHunk(GnuHunk* hunk) {
    if (AtEnd()) return false;
    const std::string& header = Text(pos_);
    if (header.size() <= 4 || !Starts(header, "@@ -")) return false;
    size_t header_index = pos_++;
    const char* s = ScanNumber(header.c_str() + 4, &hunk->first);
    if (*s == ',') {
      s = ScanNumber(s + 1, &hunk->ptrn_lines);
    } else {
      hunk->ptrn_lines = 1;
    }
    if (*s == ' ') ++s;
    if (*s != '+') Malformed(header_index);
    s = ScanNumber(s + 1, &hunk->newfirst);
    if (*s == ',') {
      s = ScanNumber(s + 1, &hunk->repl_lines);
    } else {
      hunk->repl_lines = 1;
    }
    if (*s == ' ') ++s;
    if (*s != '@') Malformed(header_index);
    if (hunk->ptrn_lines == 0) ++hunk->first;
    if (hunk->repl_lines == 0) ++hunk->newfirst;
    const int64_t p_max = hunk->ptrn_lines + hunk->repl_lines + 1;
    int64_t fillsrc = 1, filldst = hunk->ptrn_lines + 2, p_end = p_max;
    int64_t context = 0, prefix_context = -1;
    while (fillsrc <= hunk->ptrn_lines || filldst <= p_end) {
      size_t line_index = pos_;
      std::optional<std::string> line = GetLine();
      if (!line) {
        if (p_max - filldst < 3) {
          line = " \n";  // assume blank lines got chopped
        } else {
          throw Fatal{"unexpected end of file in patch"};
        }
      }
      char ch;
      std::string text;
      if ((*line)[0] == '\t' || (*line)[0] == '\n') {
        ch = ' ';  // assume the space got eaten
        text = *line;
      } else {
        ch = (*line)[0];
        text = line->substr(1);
      }
      switch (ch) {
        case '-':
          if (fillsrc > hunk->ptrn_lines) Malformed(line_index);
          if (fillsrc == hunk->ptrn_lines && IncompleteLine() && !text.empty()) text.pop_back();
          hunk->old_part.push_back({'-', text});
          ++fillsrc;
          break;
        case '=':
        case ' ': {
          ch = ' ';
          if (fillsrc > hunk->ptrn_lines) Malformed(line_index);
          ++context;
          if (fillsrc == hunk->ptrn_lines && IncompleteLine() && !text.empty()) text.pop_back();
          hunk->old_part.push_back({' ', text});
          ++fillsrc;
          if (filldst > p_end) Malformed(line_index);
          if (filldst == p_end && IncompleteLine() && !text.empty()) text.pop_back();
          hunk->new_part.push_back({' ', text});
          ++filldst;
          break;
        }
        case '+':
          if (filldst > p_end) Malformed(line_index);
          if (filldst == p_end && IncompleteLine() && !text.empty()) text.pop_back();
          hunk->new_part.push_back({'+', text});
          ++filldst;
          break;
        default:
          Malformed(line_index);
      }
      if (ch != ' ') {
        if (prefix_context < 0) prefix_context = context;
        context = 0;
      }
    }
    if (prefix_context < 0) Malformed(header_index);
    hunk->prefix_context = prefix_context;
    hunk->suffix_context = context;
    return true;
  }

  std::vector<PatchLine> lines_;
  std::string partial_tail_;
  size_t pos_ = 0;
  bool strip_cr_ = false;
};

// ---- Applying one file section (patch.c) --------------------------------------------------

class SectionApplier {
 public:
  SectionApplier(const std::vector<std::string>& input, int max_fuzz) : input_(input), max_fuzz_(max_fuzz) {}

  // Returns where the hunk goes (1-based), 0 when nowhere; sets fuzz and offset.
  int64_t Locate(const GnuHunk& h, int64_t fuzz) {
    const int64_t input_lines = static_cast<int64_t>(input_.size());
    int64_t first_guess = h.first + in_offset_;
    int64_t pat_lines = h.ptrn_lines;
    int64_t context = std::max(h.prefix_context, h.suffix_context);
    int64_t prefix_fuzz = fuzz + h.prefix_context - context;
    int64_t suffix_fuzz = fuzz + h.suffix_context - context;
    int64_t max_where = input_lines - (pat_lines - suffix_fuzz) + 1;
    int64_t min_where = last_frozen_line_ + 1;
    int64_t max_pos_offset = max_where - first_guess;
    int64_t max_neg_offset = first_guess - min_where;
    int64_t max_offset = std::max(max_pos_offset, max_neg_offset);
    if (!pat_lines) return first_guess;
    if (first_guess <= max_neg_offset) max_neg_offset = first_guess - 1;
    if (prefix_fuzz < 0 && h.first <= 1) {
      if (suffix_fuzz < 0) {
        if (pat_lines != input_lines || h.prefix_context < last_frozen_line_) return 0;
      }
      int64_t offset = 1 - first_guess;
      if (last_frozen_line_ <= h.prefix_context && offset <= max_pos_offset && Match(h, first_guess, offset, 0, suffix_fuzz)) {
        in_offset_ += offset;
        return first_guess + offset;
      }
      return 0;
    } else if (prefix_fuzz < 0) {
      prefix_fuzz = 0;
    }
    if (suffix_fuzz < 0) {
      int64_t offset = first_guess - (input_lines - pat_lines + 1);
      if (offset <= max_neg_offset && Match(h, first_guess, -offset, prefix_fuzz, 0)) {
        in_offset_ -= offset;
        return first_guess - offset;
      }
      return 0;
    }
    int64_t min_offset = max_pos_offset < 0 ? first_guess - max_where : max_neg_offset < 0 ? first_guess - min_where : 0;
    for (int64_t offset = min_offset; offset <= max_offset; ++offset) {
      if (offset <= max_pos_offset && Match(h, first_guess, offset, prefix_fuzz, suffix_fuzz)) {
        in_offset_ += offset;
        return first_guess + offset;
      }
      if (offset <= max_neg_offset && Match(h, first_guess, -offset, prefix_fuzz, suffix_fuzz)) {
        in_offset_ -= offset;
        return first_guess - offset;
      }
    }
    return 0;
  }

  bool Match(const GnuHunk& h, int64_t base, int64_t offset, int64_t prefix_fuzz, int64_t suffix_fuzz) const {
    int64_t pat_lines = h.ptrn_lines - suffix_fuzz;
    int64_t iline = base + offset + prefix_fuzz;
    for (int64_t pline = 1 + prefix_fuzz; pline <= pat_lines; ++pline, ++iline) {
      if (iline < 1 || iline > static_cast<int64_t>(input_.size())) return false;
      if (input_[iline - 1] != h.old_part[pline - 1].text) return false;
    }
    return true;
  }

  void CopyTill(int64_t last_line) {
    while (last_frozen_line_ < last_line) {
      const std::string& s = input_[last_frozen_line_++];
      if (!s.empty()) {
        if (!after_newline_) output_ += '\n';
        output_ += s;
        after_newline_ = s.back() == '\n';
        zero_output_ = false;
      }
    }
  }

  void Write(const std::string& s) {
    output_ += s;
    after_newline_ = !s.empty() && s.back() == '\n';
    if (s.empty()) after_newline_ = false;
    zero_output_ = false;
  }

  // apply_hunk for unified hunks: context comes from the input, '+' lines from the patch.
  bool ApplyHunk(const GnuHunk& h, int64_t where) {
    --where;
    size_t old = 0, nw = 0;
    const size_t lastline = h.old_part.size();
    if (last_frozen_line_ > where) return false;  // misordered hunks
    while (old < lastline) {
      if (h.old_part[old].kind == '-') {
        CopyTill(where + static_cast<int64_t>(old));
        ++last_frozen_line_;
        ++old;
      } else if (nw >= h.new_part.size()) {
        break;
      } else if (h.new_part[nw].kind == '+') {
        CopyTill(where + static_cast<int64_t>(old));
        Write(h.new_part[nw].text);
        ++nw;
      } else {
        ++old;
        ++nw;
      }
    }
    if (nw < h.new_part.size() && h.new_part[nw].kind == '+') {
      CopyTill(where + static_cast<int64_t>(old));
      while (nw < h.new_part.size() && h.new_part[nw].kind == '+') {
        if (!after_newline_) output_ += '\n';
        Write(h.new_part[nw].text);
        ++nw;
      }
    }
    out_offset_ += h.repl_lines - h.ptrn_lines;
    return true;
  }

  std::string Finish() {
    CopyTill(static_cast<int64_t>(input_.size()));
    return output_;
  }

  int64_t in_offset() const { return in_offset_; }
  int64_t out_offset() const { return out_offset_; }
  bool zero_output() const { return zero_output_; }
  int max_fuzz() const { return max_fuzz_; }

 private:
  const std::vector<std::string>& input_;
  int max_fuzz_;
  int64_t in_offset_ = 0, out_offset_ = 0, last_frozen_line_ = 0;
  std::string output_;
  bool after_newline_ = true, zero_output_ = true;
};

// best_name: of the names that exist, the one with the fewest components, then the shortest.
std::optional<std::string> BestExisting(const std::vector<std::string>& names,
                                        const std::function<bool(const std::string&)>& exists) {
  std::optional<std::string> best;
  auto components = [](const std::string& n) { return std::count(n.begin(), n.end(), '/'); };
  for (const auto& n : names) {
    if (n.empty() || !exists(n)) continue;
    if (!best || components(n) < components(*best) ||
        (components(n) == components(*best) && n.size() < best->size())) {
      best = n;
    }
  }
  return best;
}

}  // namespace

ToolResult GnuPatch(std::string_view patch_text, const FileSource& tree, const GnuPatchOptions& options) {
  ToolResult result;
  std::vector<FileSection> sections;
  try {
    sections = PatchReader(patch_text).ReadAll();
  } catch (const Fatal& fatal) {
    result.exit_code = 2;
    result.error = fatal.message;
    return result;
  }
  TreeOverlay state(tree);
  auto read = [&](const std::string& path) { return state.Read(path); };
  auto exists = [&](const std::string& path) { return state.Exists(path); };
  bool somefailed = false;
  for (FileSection& section : sections) {
    FileResult file;
    file.old_path = section.old_name.value_or("");
    file.new_path = section.new_name.value_or("");
    // Which file this section patches (inname) and writes (outname).
    std::optional<std::string> inname, outname;
    bool creating = false;
    if (section.git_diff) {
      if (section.old_missing) {
        creating = true;
        outname = section.new_name;
      } else {
        inname = section.old_name;
        outname = (section.rename || section.copy) ? section.new_name : section.old_name;
        if (inname && !exists(*inname)) inname.reset();
      }
    } else {
      std::vector<std::string> names;
      if (section.old_name) names.push_back(*section.old_name);
      if (section.new_name) names.push_back(*section.new_name);
      if (section.index_name) names.push_back(*section.index_name);
      inname = BestExisting(names, exists);
      if (!inname && section.old_missing && section.new_name && !section.new_name->empty()) {
        creating = true;
        inname = section.new_name;
      }
      outname = inname;
    }
    if (creating && outname && exists(*outname)) inname = outname;
    file.status = creating ? "created" : section.new_missing ? "deleted" : section.rename ? "renamed" : "modified";
    if ((!inname && !creating) || !outname || outname->empty() || section.binary) {
      file.error = section.binary ? "git binary diffs are not supported" : "can't find file to patch";
      somefailed = true;
      int number = 0;
      for (const auto& hunk : section.hunks) {
        HunkResult h;
        h.number = ++number;
        h.expected_line = hunk.first;
        h.reason = section.binary ? "binary" : "file missing";
        file.hunks.push_back(h);
      }
      result.files.push_back(std::move(file));
      continue;
    }
    std::string input_text = inname ? read(*inname).value_or("") : "";
    std::vector<std::string> input = SplitLinesKeepEnds(input_text);
    bool reverse = false;
    bool creation_side = section.old_missing;  // pch_says_nonexistent(reverse) == 2
    bool deletion_side = section.new_missing;
    // "The next patch would create the file X, which already exists!  Assume -R? [n]" -> yes.
    if (creating && !input_text.empty()) {
      reverse = true;
      file.reversed = true;
      for (auto& hunk : section.hunks) Swap(&hunk);
      std::swap(creation_side, deletion_side);
    }
    SectionApplier applier(input, options.max_fuzz);
    int failed = 0, number = 0;
    for (GnuHunk& hunk : section.hunks) {
      HunkResult h;
      h.number = ++number;
      h.expected_line = hunk.first;
      int64_t context = std::max(hunk.prefix_context, hunk.suffix_context);
      int64_t mymaxfuzz = std::min<int64_t>(applier.max_fuzz(), context);
      int64_t fuzz = 0, where = 0;
      do {
        where = applier.Locate(hunk, fuzz);
        if (number == 1 && !where && !reverse) {
          Swap(&hunk);
          where = applier.Locate(hunk, fuzz);
          if (where) {
            reverse = true;  // "Reversed (or previously applied) patch detected!  Assuming -R."
            file.reversed = true;
            std::swap(creation_side, deletion_side);
            for (size_t k = 1; k < section.hunks.size(); ++k) Swap(&section.hunks[k]);
          } else {
            Swap(&hunk);
          }
        }
      } while (!where && ++fuzz <= mymaxfuzz);
      bool creation_conflict = where == 1 && creation_side && !input_text.empty();
      if (!where || creation_conflict || !applier.ApplyHunk(hunk, where)) {
        ++failed;
        h.reason = creation_conflict ? "file already exists"
                   : reverse          ? "context not found (patch looked reversed)"
                                      : "context not found";
        file.hunks.push_back(h);
        continue;
      }
      h.applied_line = where;
      h.offset = applier.in_offset();
      h.fuzz = static_cast<int>(fuzz);
      h.outcome = fuzz ? HunkOutcome::kFuzz : h.offset ? HunkOutcome::kOffset : HunkOutcome::kApplied;
      if (reverse) h.reason = "applied reversed (previously applied?)";
      file.hunks.push_back(h);
    }
    std::string output = applier.Finish();
    if (failed) somefailed = true;
    // Rejected hunks do not stop the file being written when something applied.
    bool wrote_anything = failed < static_cast<int>(section.hunks.size()) || section.rename || section.copy;
    if (applier.zero_output() && deletion_side) {
      state.Write(*outname, std::nullopt);
      if (inname && *inname != *outname) state.Write(*inname, std::nullopt);
    } else {
      if (!applier.zero_output() && deletion_side) {
        somefailed = true;
        file.error = "Not deleting file " + *outname + " as content differs from patch";
      }
      if (wrote_anything || creating) {
        state.Write(*outname, output);
        if (section.rename && inname && *inname != *outname) state.Write(*inname, std::nullopt);
      }
    }
    result.files.push_back(std::move(file));
  }
  result.exit_code = somefailed ? 1 : 0;
  result.contents = state.changes();
  return result;
}

}  // namespace sweinfer::patch
