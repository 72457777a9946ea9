// The four SWE-bench prompt styles, byte for byte as the reference's create_instance.py builds
// them: style-2, style-3, full_file_gen and style-2-edits-only, with its code-text helpers
// (line numbering, edits-only windows with Python's slice semantics). Pure functions.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sweinfer::prompt {

enum class PromptStyle { kStyle2, kStyle3, kFullFileGen, kStyle2EditsOnly };

std::optional<PromptStyle> ParsePromptStyle(std::string_view name);
std::string_view PromptStyleName(PromptStyle style);
std::vector<std::string> PromptStyleNames();

// Files by name; std::map gives the code-point order that Python's sorted() gives.
using FileContents = std::map<std::string, std::string>;

struct PromptInputs {
  std::string problem_statement;
  FileContents readmes;
  FileContents file_contents;
  std::string patch;  // the gold patch; only style-2-edits-only reads it
};

// "N line" numbering of content.split("\n").
std::string AddLines(std::string_view content);
// make_code_text: "[start of f]\n...\n[end of f]" blocks in name order.
std::string MakeCodeText(const FileContents& files, bool add_line_numbers = true);
// make_code_text_edits_only: windows of +-15 lines around each hunk of `patch`.
// Throws patch::PatchParseError when the patch does not parse.
std::string MakeCodeTextEditsOnly(const FileContents& files, std::string_view patch);

// The prompt text (the reference's text_inputs, before extract_fields' strip).
std::string BuildPrompt(PromptStyle style, const PromptInputs& inputs);

}  // namespace sweinfer::prompt
