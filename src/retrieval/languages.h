// Which files of a repository are documents (for BM25 retrieval, `--file_source all` prompts and
// run-live), for every SWE-bench language. One table maps extensions to languages; one table says
// which paths are tests and which are vendored, minified or generated, per language. A repository's
// languages come from its own file mix at the commit (never from the gold patch): the languages that
// make up at least a fifth as many source bytes (tests, vendored and generated files aside) as its
// main one. A repository whose
// main language is Python keeps the reference's rule exactly (every `*.py` that is_test does not
// reject), so Python prompts and retrieval results do not change by a byte.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "git/repository.h"

namespace sweinfer::retrieval {

struct Language {
  std::string_view name;                     // "Python", "JavaScript/TypeScript", "Go", ...
  std::vector<std::string_view> extensions;  // with the dot, lower case
};

// The table, in a fixed order: Python, JavaScript/TypeScript, Java, Go, Rust, PHP, Ruby, C/C++.
const std::vector<Language>& Languages();

// The language of a path by its extension; nullptr when none.
const Language* LanguageOfPath(std::string_view path);

// node_modules/, vendor/, dist/, third_party/, ..., *.min.js, *.bundle.js, source maps, lock files,
// and anything over 1 MB.
bool IsVendoredOrGenerated(std::string_view path, uint64_t size);

// A file that says it is generated in its first lines ("DO NOT EDIT", "@generated", "Code generated
// by", "auto-generated", ...), as build outputs committed beside their sources do.
bool LooksGenerated(std::string_view contents);

// Test files by the conventions of the path's language (and test directories of every language):
// __tests__/, test/, tests/, spec/, testdata/, *.test.js, *.spec.ts, *_test.go, *_test.rs, *Test.java,
// *Test.php, *_spec.rb, test_*.rb, *_test.cc, ...
bool IsTestPathForLanguage(std::string_view path);

class DocumentSelection {
 public:
  // The reference's rule: *.py files that is_test does not reject.
  static DocumentSelection PythonReference();
  // Files with these extensions (".js" or "js"), minus tests and vendored files.
  static DocumentSelection ForExtensions(const std::vector<std::string>& extensions);
  // From the repository's file mix at this tree (see the header comment). `explicit_extensions`,
  // when not empty, decides instead.
  static DocumentSelection Choose(const git::TreeSnapshot& tree, const std::vector<std::string>& explicit_extensions);
  // The same from a listing already made: (path, blob id) of every file, and a way to get a size.
  static DocumentSelection ChooseFrom(const std::vector<std::pair<std::string, std::string>>& files,
                                      const std::function<uint64_t(const std::string& blob)>& size_of);

  // Whether a file of the tree is a document. `size` is the blob's size (for the 1 MB rule).
  bool Accepts(std::string_view path, uint64_t size) const;
  bool python_reference() const { return python_reference_; }
  const std::vector<std::string>& languages() const { return languages_; }
  const std::set<std::string>& extensions() const { return extensions_; }

 private:
  bool python_reference_ = true;
  std::set<std::string> extensions_;
  std::vector<std::string> languages_;
};

}  // namespace sweinfer::retrieval
