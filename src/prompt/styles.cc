#include "prompt/styles.h"

#include <algorithm>

#include "patch/unified_diff.h"

namespace sweinfer::prompt {

namespace {

constexpr std::string_view kPremise =
    "You will be provided with a partial code base and an issue statement explaining a problem to resolve.";

constexpr std::string_view kPatchExample = R"(--- a/file.py
+++ b/file.py
@@ -1,27 +1,35 @@
 def euclidean(a, b):
-    while b:
-        a, b = b, a % b
-    return a
+    if b == 0:
+        return a
+    return euclidean(b, a % b)
 
 
 def bresenham(x0, y0, x1, y1):
     points = []
     dx = abs(x1 - x0)
     dy = abs(y1 - y0)
-    sx = 1 if x0 < x1 else -1
-    sy = 1 if y0 < y1 else -1
-    err = dx - dy
+    x, y = x0, y0
+    sx = -1 if x0 > x1 else 1
+    sy = -1 if y0 > y1 else 1
 
-    while True:
-        points.append((x0, y0))
-        if x0 == x1 and y0 == y1:
-            break
-        e2 = 2 * err
-        if e2 > -dy:
+    if dx > dy:
+        err = dx / 2.0
+        while x != x1:
+            points.append((x, y))
             err -= dy
-            x0 += sx
-        if e2 < dx:
-            err += dx
-            y0 += sy
+            if err < 0:
+                y += sy
+                err += dx
+            x += sx
+    else:
+        err = dy / 2.0
+        while y != y1:
+            points.append((x, y))
+            err -= dx
+            if err < 0:
+                x += sx
+                err += dy
+            y += sy
 
+    points.append((x, y))
     return points)";

constexpr std::string_view kFullGenerationExample = R"([start of /src/this_file.py]
import os

def euclidean(a, b):
    if b == 0:
        return a
    return euclidean(b, a % b)
[end of /src/this_file.py]
[start of /src/another_file.py]
def bresenham(x0, y0, x1, y1):
    points = []
    dx = abs(x1 - x0)
    dy = abs(y1 - y0)
    x, y = x0, y0
    sx = -1 if x0 > x1 else 1
    sy = -1 if y0 > y1 else 1
    if dx > dy:
        err = dx / 2.0
        while x != x1:
            points.append((x, y))
            err -= dy
            if err < 0:
                y += sy
                err += dx
            x += sx
    else:
        err = dy / 2.0
        while y != y1:
            points.append((x
            err -= dx
            if err < 0:
                x += sx
                err += dy
            y += sy
    points.append((x, y))
    return points
[end of /src/another_file.py])";

constexpr std::string_view kPatchInstructions =
    "I need you to solve this issue by generating a single patch file that I can apply directly to this "
    "repository using git apply. Please respond with a single patch file in the following format.";

std::vector<std::string> NumberedLines(std::string_view content) {
  std::vector<std::string> lines;
  size_t start = 0, number = 1;
  while (true) {
    size_t nl = content.find('\n', start);
    std::string_view line = content.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    lines.push_back(std::to_string(number++) + " " + std::string(line));
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return lines;
}

std::string StripNewlines(std::string s) {
  size_t begin = s.find_first_not_of('\n');
  if (begin == std::string::npos) return "";
  size_t end = s.find_last_not_of('\n');
  return s.substr(begin, end - begin + 1);
}

// Python's clamping of a slice bound for a sequence of length n.
int64_t SliceBound(int64_t index, int64_t n) {
  if (index < 0) index += n;
  return std::clamp<int64_t>(index, 0, n);
}

std::string Join(const std::vector<std::string_view>& parts) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += '\n';
    out += parts[i];
  }
  return out;
}

}  // namespace

std::optional<PromptStyle> ParsePromptStyle(std::string_view name) {
  if (name == "style-2") return PromptStyle::kStyle2;
  if (name == "style-3") return PromptStyle::kStyle3;
  if (name == "full_file_gen") return PromptStyle::kFullFileGen;
  if (name == "style-2-edits-only") return PromptStyle::kStyle2EditsOnly;
  return std::nullopt;
}

std::string_view PromptStyleName(PromptStyle style) {
  switch (style) {
    case PromptStyle::kStyle2: return "style-2";
    case PromptStyle::kStyle3: return "style-3";
    case PromptStyle::kFullFileGen: return "full_file_gen";
    case PromptStyle::kStyle2EditsOnly: return "style-2-edits-only";
  }
  return "";
}

std::vector<std::string> PromptStyleNames() { return {"style-2", "style-3", "full_file_gen", "style-2-edits-only"}; }

std::string AddLines(std::string_view content) {
  auto lines = NumberedLines(content);
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i) out += '\n';
    out += lines[i];
  }
  return out;
}

std::string MakeCodeText(const FileContents& files, bool add_line_numbers) {
  std::string all;
  for (const auto& [name, contents] : files) {
    all += "[start of " + name + "]\n";
    all += add_line_numbers ? AddLines(contents) : contents;
    all += "\n[end of " + name + "]\n";
  }
  return StripNewlines(std::move(all));
}

std::string MakeCodeTextEditsOnly(const FileContents& files, std::string_view patch_text) {
  // files[source] is reset for every patched file naming it, as the reference's dict is.
  std::map<std::string, std::vector<std::pair<int64_t, int64_t>>> windows;
  for (const auto& patched : patch::ParsePatchSet(patch_text)) {
    auto& spans = windows[std::string(patch::SourcePathOf(patched))];
    spans.clear();
    for (const auto& hunk : patched.hunks) {
      int64_t start = hunk.source_start - 15;
      spans.emplace_back(start, start + hunk.source_length + 15);
    }
  }
  std::string all;
  for (const auto& [name, contents] : files) {
    all += "[start of " + name + "]\n";
    auto lines = NumberedLines(contents);
    const int64_t n = static_cast<int64_t>(lines.size());
    for (const auto& [start, end] : windows[name]) {
      if (start > 0) all += "...\n";
      int64_t from = SliceBound(start, n), to = SliceBound(end, n);
      for (int64_t i = from; i < to; ++i) {
        if (i > from) all += '\n';
        all += lines[i];
      }
      all += "\n";
      if (end < n) all += "...\n";
    }
    all = StripNewlines(std::move(all));
    all += "\n[end of " + name + "]\n";
  }
  return StripNewlines(std::move(all));
}

std::string BuildPrompt(PromptStyle style, const PromptInputs& in) {
  switch (style) {
    case PromptStyle::kStyle2:
    case PromptStyle::kStyle2EditsOnly: {
      std::string readmes = MakeCodeText(in.readmes);
      std::string code = style == PromptStyle::kStyle2 ? MakeCodeText(in.file_contents)
                                                       : MakeCodeTextEditsOnly(in.file_contents, in.patch);
      return Join({kPremise, "<issue>", in.problem_statement, "</issue>", "<code>", readmes, code, "</code>",
                   kPatchInstructions, "<patch>", kPatchExample, "</patch>"});
    }
    case PromptStyle::kStyle3: {
      std::string readmes = MakeCodeText(in.readmes);
      std::string code = MakeCodeText(in.file_contents);
      constexpr std::string_view kExplanation =
          "Here is an example of a patch file. It consists of changes to the code base. It specifies the file "
          "names, the line numbers of each change, and the removed and added lines. A single patch file can "
          "contain changes to multiple files.";
      constexpr std::string_view kFinal =
          "I need you to solve the provided issue by generating a single patch file that I can apply directly "
          "to this repository using git apply. Please respond with a single patch file in the format shown above.";
      return Join({kPremise, "<issue>", in.problem_statement, "</issue>", "", "<code>", readmes, code, "</code>", "",
                   kExplanation, "<patch>", kPatchExample, "</patch>", "", kFinal, "Respond below:"});
    }
    case PromptStyle::kFullFileGen: {
      std::string readmes = MakeCodeText(in.readmes, false);
      std::string code = MakeCodeText(in.file_contents, false);
      constexpr std::string_view kInstructions =
          "I need you to solve this issue by regenerating the full files in the code base that you would like to "
          "change. You can change as many files as you like. Please respond with a list of files and their "
          "revised contents in the following format.";
      return Join({kPremise, "<issue>", in.problem_statement, "</issue>", "<code>", readmes, code, "</code>",
                   kInstructions, "<example>", kFullGenerationExample, "</example>"});
    }
  }
  return "";
}

}  // namespace sweinfer::prompt
