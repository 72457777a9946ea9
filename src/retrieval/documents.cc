#include "retrieval/documents.h"

#include <algorithm>
#include <mutex>
#include <unordered_map>

#include "retrieval/languages.h"

namespace sweinfer::retrieval {

bool IsTestPath(std::string_view path) {
  std::string lower(path);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  size_t start = 0;
  while (start <= lower.size()) {
    size_t end = lower.find_first_of(" _/.", start);
    if (end == std::string::npos) end = lower.size();
    std::string_view word(lower.data() + start, end - start);
    if (word == "test" || word == "tests" || word == "testing") return true;
    start = end + 1;
  }
  return false;
}

namespace {

// Whether a blob announces itself as generated, remembered per blob for the whole run.
bool BlobLooksGenerated(const git::TreeSnapshot& tree, const std::string& blob) {
  static std::mutex mutex;
  static std::unordered_map<std::string, bool> known;
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = known.find(blob);
    if (it != known.end()) return it->second;
  }
  auto bytes = tree.ReadBlob(blob);
  bool generated = bytes && LooksGenerated(*bytes);
  std::lock_guard<std::mutex> lock(mutex);
  known.emplace(blob, generated);
  return generated;
}

}  // namespace

std::vector<DocumentFile> ListDocumentFiles(const git::TreeSnapshot& tree, const DocumentSelection& selection) {
  std::vector<DocumentFile> files;
  tree.ForEachFileWithKind([&](const std::string& path, const std::string& blob, bool is_symlink) {
    // Sizes and contents matter only to the rules of other languages: never read for the reference's.
    if (selection.python_reference()) {
      if (selection.Accepts(path, 0)) files.push_back({path, blob, is_symlink});
      return;
    }
    // Cheapest test first: the path, then the blob's size, then its first lines.
    if (!selection.Accepts(path, 0)) return;
    if (!selection.Accepts(path, tree.BlobSize(blob).value_or(0))) return;
    if (!is_symlink && BlobLooksGenerated(tree, blob)) return;
    files.push_back({path, blob, is_symlink});
  });
  std::sort(files.begin(), files.end(), [](const DocumentFile& a, const DocumentFile& b) { return a.path < b.path; });
  return files;
}

std::optional<std::string> ReadDocumentBytes(const git::TreeSnapshot& tree, const DocumentFile& file) {
  if (!file.is_symlink) return tree.ReadBlob(file.blob_id);
  return tree.ReadFile(file.path).bytes;
}

bool IsProjectRoot(const git::TreeSnapshot& tree, const std::string& dir) {
  for (const char* marker : {"setup.py", ".git", ".hg", "requirements.txt", "MANIFEST.in", "pyproject.toml"}) {
    if (tree.IsFile(dir + "/" + marker)) return true;
  }
  return false;
}

bool ParseDocumentEncoding(std::string_view name, DocumentEncoding& out) {
  if (name == "file_name_and_contents") out = DocumentEncoding::kFileNameAndContents;
  else if (name == "file_name_and_documentation") out = DocumentEncoding::kFileNameAndDocumentation;
  else if (name == "file_name_and_docs_jedi") out = DocumentEncoding::kFileNameAndDocsJedi;
  else return false;
  return true;
}

}  // namespace sweinfer::retrieval
