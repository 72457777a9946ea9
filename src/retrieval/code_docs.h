// file_name_and_documentation for languages other than Python, in the spirit of the Python
// encoding (a file's docstring, then each definition's name and docstring): the leading doc
// comments of a source file and the declarations they document.
//   JavaScript/TypeScript, Java, PHP: /** ... */ blocks (JSDoc, TSDoc, Javadoc, PHPDoc);
//   Go, C/C++: runs of // lines (and /* */ or /** */ blocks) right above a declaration;
//   Rust: /// (outer) and //! (inner, the file's own documentation);
//   Ruby: runs of # lines (and =begin/=end) right above def, class or module.
// A comment block followed by a blank line at the top of a file documents the file. Comment
// markers and leading "*" are removed; each declaration is its first line, trimmed.
#pragma once

#include <string>
#include <string_view>

namespace sweinfer::retrieval {

// The file's documentation, then "\n\n" + declaration + "\n" + comment for each one. `path` picks
// the comment style by its extension.
std::string CodeDocumentation(std::string_view path, std::string_view source);

// path + "\n" + CodeDocumentation(path, source): the document as indexed.
std::string CodeDocumentationText(std::string_view path, std::string_view source);

}  // namespace sweinfer::retrieval
