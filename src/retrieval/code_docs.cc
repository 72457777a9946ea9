#include "retrieval/code_docs.h"

#include <vector>

#include "retrieval/languages.h"

namespace sweinfer::retrieval {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool Starts(std::string_view s, std::string_view p) { return s.compare(0, p.size(), p) == 0; }

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) {
      if (start < text.size()) lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

enum class Style { kBlock, kSlashes, kRust, kHash };

Style StyleOf(std::string_view path) {
  const Language* language = LanguageOfPath(path);
  std::string_view name = language ? language->name : "";
  if (name == "Rust") return Style::kRust;
  if (name == "Ruby") return Style::kHash;
  if (name == "Go" || name == "C/C++") return Style::kSlashes;
  return Style::kBlock;
}

// The text of a /* ... */ comment without its markers and leading asterisks.
std::string CleanBlock(const std::vector<std::string_view>& lines) {
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view l = Trim(lines[i]);
    if (i == 0) {
      while (Starts(l, "/*") || Starts(l, "*") || Starts(l, "!")) l.remove_prefix(Starts(l, "/*") ? 2 : 1);
    }
    size_t end = l.find("*/");
    if (end != std::string_view::npos) l = l.substr(0, end);
    l = Trim(l);
    if (i > 0 && Starts(l, "*")) l = Trim(l.substr(1));
    if (l.empty() && (out.empty() || i + 1 == lines.size())) continue;
    if (!out.empty()) out += "\n";
    out += l;
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string CleanLineComments(const std::vector<std::string_view>& lines, std::string_view marker) {
  std::string out;
  for (auto line : lines) {
    std::string_view l = Trim(line);
    l.remove_prefix(std::min(marker.size(), l.size()));
    if (!l.empty() && l.front() == ' ') l.remove_prefix(1);
    if (!out.empty()) out += "\n";
    out += l;
  }
  return out;
}

bool IsDeclaration(std::string_view line) {
  line = Trim(line);
  return !line.empty() && !Starts(line, "//") && !Starts(line, "/*") && !Starts(line, "#") && !Starts(line, "*") &&
         line != "}" && line != "{" && line != ");";
}

}  // namespace

std::string CodeDocumentationText(std::string_view path, std::string_view source) {
  return std::string(path) + "\n" + CodeDocumentation(path, source);
}

std::string CodeDocumentation(std::string_view path, std::string_view source) {
  const Style style = StyleOf(path);
  const std::vector<std::string_view> lines = SplitLines(source);
  std::string file_doc;
  std::string entries;
  bool seen_code = false;
  auto attach = [&](size_t next, const std::string& doc) {
    if (doc.empty()) return;
    // The declaration is the next non-blank line, unless a blank line separates them: at the top
    // of a file that is the file's own documentation.
    bool blank_between = false;
    size_t j = next;
    while (j < lines.size() && Trim(lines[j]).empty()) {
      blank_between = true;
      ++j;
    }
    if ((blank_between || j >= lines.size()) && !seen_code) {
      if (file_doc.empty()) file_doc = doc;
      return;
    }
    if (j < lines.size() && IsDeclaration(lines[j]) && !blank_between) {
      entries += "\n\n" + std::string(Trim(lines[j])) + "\n" + doc;
    }
  };
  for (size_t i = 0; i < lines.size();) {
    std::string_view t = Trim(lines[i]);
    if (t.empty()) {
      ++i;
      continue;
    }
    // Block comments: /** */ in every brace language; /* */ too where ordinary comments document.
    bool block = Starts(t, "/**") || (Starts(t, "/*") && (style == Style::kSlashes || style == Style::kRust));
    if (block && !Starts(t, "/**/")) {
      std::vector<std::string_view> body;
      size_t j = i;
      for (; j < lines.size(); ++j) {
        body.push_back(lines[j]);
        std::string_view rest = j == i ? t.substr(2) : Trim(lines[j]);
        if (rest.find("*/") != std::string_view::npos) break;
      }
      attach(j + 1, CleanBlock(body));
      i = j + 1;
      continue;
    }
    if (Starts(t, "/*")) {  // an ordinary block comment in JS/Java/PHP: skip it
      size_t j = i;
      while (j < lines.size() && lines[j].find("*/") == std::string_view::npos) ++j;
      i = j + 1;
      continue;
    }
    if (style == Style::kRust && Starts(t, "//!")) {
      std::vector<std::string_view> body;
      while (i < lines.size() && Starts(Trim(lines[i]), "//!")) body.push_back(lines[i++]);
      std::string doc = CleanLineComments(body, "//!");
      file_doc += (file_doc.empty() ? "" : "\n") + doc;
      continue;
    }
    std::string_view marker = style == Style::kRust ? "///" : style == Style::kHash ? "#" : "//";
    if (Starts(t, marker) && !(style == Style::kHash && Starts(t, "#!"))) {
      std::vector<std::string_view> body;
      while (i < lines.size() && Starts(Trim(lines[i]), marker)) body.push_back(lines[i++]);
      if (style == Style::kBlock) continue;  // JS/Java/PHP document with /** */ only
      attach(i, CleanLineComments(body, marker));
      continue;
    }
    if (style == Style::kHash && Starts(t, "=begin")) {
      std::vector<std::string_view> body;
      size_t j = i + 1;
      for (; j < lines.size() && !Starts(Trim(lines[j]), "=end"); ++j) body.push_back(lines[j]);
      attach(j + 1, CleanLineComments(body, ""));
      i = j + 1;
      continue;
    }
    if (style == Style::kRust && Starts(t, "//")) {
      ++i;
      continue;
    }
    seen_code = true;
    ++i;
  }
  return file_doc + entries;
}

}  // namespace sweinfer::retrieval
