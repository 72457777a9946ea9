// Docstrings of a Python source as the reference's file_name_and_documentation encoder collects
// them: the module docstring, then every function and class docstring in `ast.walk` order
// (breadth-first), each passed through inspect.cleandoc. Written here with a Python tokenizer and
// a statement-block parser (no Python interpreter); sources that CPython's parser would reject
// (Python 2 syntax, a leading BOM, unterminated strings, bad indentation, ...) are reported as
// such so the caller can fall back to the whole file, as the reference does.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sweinfer::retrieval {

struct PythonDefinition {
  std::string name;
  std::optional<std::string> docstring;  // cleaned; nullopt when there is none
};

struct PythonDocstrings {
  bool parsed = false;                        // false: CPython would raise SyntaxError
  std::optional<std::string> module_docstring;
  std::vector<PythonDefinition> definitions;  // functions and classes in ast.walk order
};

// `source` is the decoded file text (universal newlines applied).
PythonDocstrings ExtractPythonDocstrings(std::string_view source);

// A name defined in a module, as jedi's Script.get_names(all_scopes=True, definitions=True) lists
// them (source order), keeping what the reference's jedi encoder keeps: module-level names and
// functions and classes at any depth; imports are left out (they resolve to other modules).
struct PythonName {
  std::string full_name;  // dotted, under the module's name
  std::string docstring;  // jedi's: "name(signature)" and the cleaned docstring for functions and classes
};
struct PythonNames {
  bool parsed = false;
  std::optional<std::string> module_docstring;
  std::vector<PythonName> names;
};
PythonNames ExtractPythonNames(std::string_view source, const std::string& module_name);

// inspect.cleandoc.
std::string CleanDoc(std::string_view doc);

// jedi's module name for a file: its path relative to the nearest enclosing folder that looks like
// a project (setup.py, pyproject.toml, ...; `is_project_root` says which), without ".py" and
// "__init__", dots for slashes.
std::string JediModuleName(std::string_view path, const std::function<bool(const std::string& dir)>& is_project_root);

// The file_name_and_docs_jedi document text, or path + "\n" + source when the source does not parse.
std::string JediDocsText(std::string_view path, std::string_view source, const std::string& module_name,
                         bool* fell_back = nullptr);

// The file_name_and_documentation document text: path, module docstring, "\n\n{name}\n{doc}" per
// definition; or path + "\n" + source when the source does not parse.
std::string DocumentationText(std::string_view path, std::string_view source, bool* fell_back = nullptr);

}  // namespace sweinfer::retrieval
