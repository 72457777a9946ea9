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

namespace {

struct TreeEntry {
  std::string path, blob;
  bool is_symlink;
};

std::vector<DocumentFile> Filter(const git::TreeSnapshot& tree, const std::vector<TreeEntry>& entries,
                                 const DocumentSelection& selection, std::unordered_map<std::string, uint64_t>& sizes) {
  auto size_of = [&](const std::string& blob) {
    auto it = sizes.find(blob);
    if (it == sizes.end()) it = sizes.emplace(blob, tree.BlobSize(blob).value_or(0)).first;
    return it->second;
  };
  std::vector<DocumentFile> files;
  for (const auto& e : entries) {
    // Sizes and contents matter only to the rules of other languages: never read for the reference's.
    if (!selection.Accepts(e.path, 0)) continue;
    if (!selection.python_reference()) {
      // Cheapest test first: the path, then the blob's size, then its first lines.
      if (!selection.Accepts(e.path, size_of(e.blob))) continue;
      if (!e.is_symlink && BlobLooksGenerated(tree, e.blob)) continue;
    }
    files.push_back({e.path, e.blob, e.is_symlink});
  }
  std::sort(files.begin(), files.end(), [](const DocumentFile& a, const DocumentFile& b) { return a.path < b.path; });
  return files;
}

// Directories whose every file is a test under the reference's is_test and under every language's
// rules: not walked at all.
bool TestDirectory(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return lower == "test" || lower == "tests" || lower == "testing";
}

std::vector<TreeEntry> Entries(const git::TreeSnapshot& tree) {
  std::vector<TreeEntry> entries;
  tree.ForEachFileWithKind([&](const std::string& path, const std::string& blob, bool is_symlink) {
    entries.push_back({path, blob, is_symlink});
  }, TestDirectory);
  return entries;
}

}  // namespace

std::vector<DocumentFile> ListDocumentFiles(const git::TreeSnapshot& tree, const DocumentSelection& selection) {
  std::unordered_map<std::string, uint64_t> sizes;
  return Filter(tree, Entries(tree), selection, sizes);
}

std::vector<DocumentFile> ListDocumentFiles(const git::TreeSnapshot& tree, const std::vector<std::string>& extensions) {
  std::vector<TreeEntry> entries = Entries(tree);
  std::unordered_map<std::string, uint64_t> sizes;
  DocumentSelection selection = DocumentSelection::PythonReference();
  if (!extensions.empty()) {
    selection = DocumentSelection::ForExtensions(extensions);
  } else {
    std::vector<std::pair<std::string, std::string>> files;
    files.reserve(entries.size());
    for (const auto& e : entries) {
      if (!e.is_symlink) files.emplace_back(e.path, e.blob);
    }
    selection = DocumentSelection::ChooseFrom(files, [&](const std::string& blob) {
      auto it = sizes.find(blob);
      if (it == sizes.end()) it = sizes.emplace(blob, tree.BlobSize(blob).value_or(0)).first;
      return it->second;
    });
  }
  return Filter(tree, entries, selection, sizes);
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
