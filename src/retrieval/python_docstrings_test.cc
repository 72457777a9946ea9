#include "retrieval/python_docstrings.h"

#include <gtest/gtest.h>

#include <map>

#include "dataset/jsonl.h"
#include "git/repository.h"
#include "retrieval/documents.h"
#include "test_support.h"

namespace sweinfer::retrieval {
namespace {

TEST(PythonDocstrings, WalkOrderCleandocAndFallbacks) {
  std::string source =
      "\"\"\"Module.\n\n    Indented.\"\"\"\n"
      "if x:\n    def inner():\n        'Inner doc.'\n"
      "def f():\n    \"\"\"F doc.\"\"\"\n    def nested():\n        \"Nested.\"\n"
      "class C:\n    b'bytes are not docs'\n    async def m(self): \"M.\"\n";
  auto docs = ExtractPythonDocstrings(source);
  ASSERT_TRUE(docs.parsed);
  EXPECT_EQ(*docs.module_docstring, "Module.\n\nIndented.");
  std::vector<std::string> order;
  for (const auto& d : docs.definitions) order.push_back(d.name);
  EXPECT_EQ(order, (std::vector<std::string>{"f", "C", "inner", "nested", "m"}));  // breadth-first
  EXPECT_FALSE(docs.definitions[1].docstring.has_value());
  EXPECT_EQ(CleanDoc("  first\n\t  second\n\n"), "first\nsecond");
  EXPECT_FALSE(ExtractPythonDocstrings("print 'hello'\n").parsed);
  EXPECT_FALSE(ExtractPythonDocstrings("try:\n    x\nexcept E, e:\n    pass\n").parsed);
  EXPECT_FALSE(ExtractPythonDocstrings("\xEF\xBB\xBF\"\"\"doc\"\"\"\n").parsed);
  EXPECT_FALSE(ExtractPythonDocstrings("def f(:\n").parsed);
}

// Every document of the reference's file_name_and_documentation encoder in ../shared.
TEST(PythonDocstrings, MatchesReferenceDocuments) {
  SWEINFER_REQUIRE_SHARED(shared);
  size_t rows = 0, matched = 0, fallbacks_expected = 0, fallbacks_matched = 0;
  for (const char* repo : {"psf__requests", "pallets__flask", "mwaskom__seaborn", "pytest-dev__pytest", "golden__synthetic"}) {
    dataset::ForEachJsonl(shared + "/conformance/documents/" + repo + ".jsonl", [&](dataset::Record&& r, size_t) {
      if (!r["file_name_and_contents"].is_string() || !r["file_name_and_documentation"].is_string()) return true;
      ++rows;
      std::string path = r["path"];
      std::string contents = r["file_name_and_contents"].get<std::string>().substr(path.size() + 1);
      bool fell_back = false;
      std::string text = DocumentationText(path, contents, &fell_back);
      bool expected_fallback = r["file_name_and_documentation_fallback"].is_boolean() &&
                               r["file_name_and_documentation_fallback"].get<bool>();
      fallbacks_expected += expected_fallback;
      fallbacks_matched += expected_fallback && fell_back;
      if (text == r["file_name_and_documentation"].get<std::string>()) {
        ++matched;
      } else if (rows - matched <= 12) {
        std::string want = r["file_name_and_documentation"];
        size_t i = 0;
        while (i < want.size() && i < text.size() && want[i] == text[i]) ++i;
        ADD_FAILURE() << repo << " " << path << " (fallback expected " << expected_fallback << ", ours " << fell_back
                      << ") differs at " << i << "\nwant: " << want.substr(i > 60 ? i - 60 : 0, 200)
                      << "\ngot:  " << text.substr(i > 60 ? i - 60 : 0, 200);
      }
      return true;
    });
  }
  std::printf("file_name_and_documentation: %zu/%zu documents equal to the reference (%zu/%zu fallbacks found)\n",
              matched, rows, fallbacks_matched, fallbacks_expected);
  EXPECT_GT(rows, 600u);
  EXPECT_EQ(matched, rows);
}

}  // namespace
}  // namespace sweinfer::retrieval

namespace sweinfer::retrieval {
namespace {

// The jedi encoder is approximated (jedi resolves imports against installed packages); this
// reports how many of the reference's documents it reproduces exactly and checks a floor.
TEST(PythonDocstrings, JediStyleAgreement) {
  SWEINFER_REQUIRE_SHARED(shared);
  size_t rows = 0, matched = 0;
  for (const char* repo : {"psf__requests", "pallets__flask", "mwaskom__seaborn", "pytest-dev__pytest"}) {
    // Project roots: folders of the commit holding a project marker, from the documents' own paths
    // is not possible, so read them from the repository.
    std::map<std::string, git::TreeSnapshot> trees;
    auto repo_handle = git::Repository::Open(shared + "/repos/" + repo + ".git");
    dataset::ForEachJsonl(shared + "/conformance/documents/" + repo + ".jsonl", [&](dataset::Record&& r, size_t) {
      if (!r["file_name_and_docs_jedi"].is_string()) return true;
      ++rows;
      std::string commit = r["base_commit"];
      auto it = trees.find(commit);
      if (it == trees.end()) it = trees.emplace(commit, repo_handle.Snapshot(commit)).first;
      const git::TreeSnapshot& tree = it->second;
      auto is_root = [&](const std::string& dir) { return IsProjectRoot(tree, dir); };
      std::string path = r["path"];
      std::string contents = r["file_name_and_contents"].get<std::string>().substr(path.size() + 1);
      std::string text = JediDocsText(path, contents, JediModuleName(path, is_root));
      if (text == r["file_name_and_docs_jedi"].get<std::string>()) {
        ++matched;
      } else if (std::getenv("SWEINFER_SHOW_JEDI_DIFFS")) {
        std::string want = r["file_name_and_docs_jedi"];
        size_t i = 0;
        while (i < want.size() && i < text.size() && want[i] == text[i]) ++i;
        std::printf("== %s\nwant: %s\ngot:  %s\n", path.c_str(), want.substr(i > 80 ? i - 80 : 0, 220).c_str(),
                    text.substr(i > 80 ? i - 80 : 0, 220).c_str());
      }
      return true;
    });
  }
  std::printf("file_name_and_docs_jedi (approximation): %zu/%zu documents equal to the reference\n", matched, rows);
  EXPECT_GT(rows, 300u);
  EXPECT_GE(matched * 100, rows * 50);
}

}  // namespace
}  // namespace sweinfer::retrieval
