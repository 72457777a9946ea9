// What is indexed for an instance: the document files of the tree at its base commit, chosen by a
// DocumentSelection (languages.h). For Python repositories that is the reference's rule: every
// `*.py` file that is not a test path (is_test: the lower-cased path split on ' ', '_', '/', '.'
// contains test, tests or testing), encoded as `path + "\n" + text` (file_name_and_contents).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "git/repository.h"

namespace sweinfer::retrieval {
class DocumentSelection;
}

namespace sweinfer::retrieval {

bool IsTestPath(std::string_view path);

struct DocumentFile {
  std::string path;
  std::string blob_id;
  bool is_symlink = false;
};

// The decoded-as-bytes contents of a document file: by blob id, or through the path for a symlink.
std::optional<std::string> ReadDocumentBytes(const git::TreeSnapshot& tree, const DocumentFile& file);

// The document files of a tree that `selection` accepts, sorted by path.
std::vector<DocumentFile> ListDocumentFiles(const git::TreeSnapshot& tree, const DocumentSelection& selection);
// The same, the selection chosen from the tree's own files (DocumentSelection::Choose) in the same
// walk; `extensions`, when not empty, decide instead.
std::vector<DocumentFile> ListDocumentFiles(const git::TreeSnapshot& tree, const std::vector<std::string>& extensions);

// Whether `dir` of the tree looks like a project root to jedi (setup.py, pyproject.toml, ...),
// which decides a module's dotted name (see JediModuleName).
bool IsProjectRoot(const git::TreeSnapshot& tree, const std::string& dir);

enum class DocumentEncoding { kFileNameAndContents, kFileNameAndDocumentation, kFileNameAndDocsJedi };
bool ParseDocumentEncoding(std::string_view name, DocumentEncoding& out);

}  // namespace sweinfer::retrieval
