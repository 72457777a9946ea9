// Hand-made corner cases for the in-memory git apply / GNU patch / harness order: each case states
// what the tools do, and, when git and patch are installed, is also run through the real programs
// in a scratch directory, which must agree.
#include "patch/harness_apply.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "patch/git_apply.h"
#include "patch/gnu_patch.h"
#include "test_support.h"

namespace sweinfer::patch {
namespace {

namespace fs = std::filesystem;

using Tree = std::map<std::string, std::string>;

FileSource SourceOf(const Tree& tree) {
  return [&tree](const std::string& path) -> std::optional<std::string> {
    auto it = tree.find(path);
    if (it == tree.end()) return std::nullopt;
    return it->second;
  };
}

std::string Numbered(int from, int to, const std::string& eol = "\n") {
  std::string out;
  for (int i = from; i <= to; ++i) out += "line " + std::to_string(i) + eol;
  return out;
}

bool HaveRealTools() {
  return std::system("command -v git >/dev/null 2>&1 && command -v patch >/dev/null 2>&1") == 0;
}

// Runs the harness sequence for real; returns the step that exited 0 ("none" otherwise) and the
// tree afterwards.
std::pair<std::string, Tree> RealHarness(const Tree& tree, const std::string& patch) {
  testing::ScratchDir dir;
  for (const auto& [path, content] : tree) {
    fs::create_directories((fs::path(dir.path()) / path).parent_path());
    testing::WriteFile(dir / path, content);
  }
  testing::ScratchDir patch_dir;
  std::string patch_file = patch_dir / "p.diff";
  testing::WriteFile(patch_file, patch);
  std::string cmd = "cd '" + dir.path() + "' && { git apply --verbose '" + patch_file + "' >/dev/null 2>&1 && echo 'git apply' || " +
                    "{ git apply --verbose --reject '" + patch_file + "' >/dev/null 2>&1 && echo 'git apply --reject' || " +
                    "{ patch --batch --fuzz=5 -p1 -i '" + patch_file + "' >/dev/null 2>&1 && echo patch || echo none; }; }; } > '" +
                    (patch_dir / "step") + "'";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  std::string step = testing::ReadFile(patch_dir / "step");
  while (!step.empty() && step.back() == '\n') step.pop_back();
  Tree after;
  for (const auto& e : fs::recursive_directory_iterator(dir.path())) {
    if (!e.is_regular_file()) continue;
    std::string rel = fs::relative(e.path(), dir.path()).string();
    if (rel.size() > 4 && (rel.substr(rel.size() - 4) == ".rej" || rel.substr(rel.size() - 5) == ".orig")) continue;
    after[rel] = testing::ReadFile(e.path().string());
  }
  return {step, after};
}

Tree OursAfter(const Tree& tree, const HarnessApplication& ours) {
  Tree after = tree;
  for (const auto& [path, content] : ours.contents) {
    if (content) after[path] = *content;
    else after.erase(path);
  }
  return after;
}

struct Case {
  std::string name;
  Tree tree;
  std::string patch;
  std::optional<std::string> expected_step;  // nullopt: none applies
};

std::vector<Case> Cases() {
  const std::string body = Numbered(1, 30);
  std::vector<Case> cases;
  cases.push_back({"exact", {{"f.py", body}},
                   "--- a/f.py\n+++ b/f.py\n@@ -9,3 +9,3 @@\n line 9\n-line 10\n+LINE 10\n line 11\n", "git apply"});
  cases.push_back({"offset", {{"f.py", body}},
                   "--- a/f.py\n+++ b/f.py\n@@ -3,3 +3,3 @@\n line 9\n-line 10\n+LINE 10\n line 11\n", "git apply"});
  cases.push_back({"fuzz 1 (first context line differs)", {{"f.py", body}},
                   "--- a/f.py\n+++ b/f.py\n@@ -8,5 +8,5 @@\n line 8 changed\n line 9\n-line 10\n+LINE 10\n line 11\n line 12\n",
                   "patch"});
  cases.push_back({"fuzz 3", {{"f.py", body}},
                   "--- a/f.py\n+++ b/f.py\n@@ -7,7 +7,7 @@\n x7\n x8\n x9\n-line 10\n+LINE 10\n y11\n y12\n y13\n", "patch"});
  cases.push_back({"fuzz 5 drops all five wrong context lines", {{"f.py", body}},
                   "--- a/f.py\n+++ b/f.py\n@@ -5,11 +5,11 @@\n a\n b\n c\n d\n e\n-line 10\n+LINE 10\n v\n w\n x\n y\n z\n",
                   "patch"});
  cases.push_back({"six wrong context lines are beyond --fuzz=5", {{"f.py", body}},
                   "--- a/f.py\n+++ b/f.py\n@@ -4,13 +4,13 @@\n a\n b\n c\n d\n e\n f\n-line 10\n+LINE 10\n u\n v\n w\n x\n y\n z\n",
                   std::nullopt});
  cases.push_back({"already applied (GNU patch assumes -R)", {{"f.py", Numbered(1, 9) + "LINE 10\n" + Numbered(11, 30)}},
                   "--- a/f.py\n+++ b/f.py\n@@ -9,3 +9,3 @@\n line 9\n-line 10\n+LINE 10\n line 11\n", "patch"});
  cases.push_back({"CRLF file, LF patch", {{"f.py", Numbered(1, 30, "\r\n")}},
                   "--- a/f.py\n+++ b/f.py\n@@ -9,3 +9,3 @@\n line 9\n-line 10\n+LINE 10\n line 11\n", std::nullopt});
  {
    std::string crlf = "--- a/f.py\r\n+++ b/f.py\r\n@@ -9,3 +9,3 @@\r\n line 9\r\n-line 10\r\n+LINE 10\r\n line 11\r\n";
    cases.push_back({"CRLF patch, LF file", {{"f.py", body}}, crlf, "patch"});
    cases.push_back({"CRLF patch, CRLF file", {{"f.py", Numbered(1, 30, "\r\n")}}, crlf, "git apply"});
  }
  cases.push_back({"missing newline at end of file", {{"f.py", "a\nb\nc"}},
                   "--- a/f.py\n+++ b/f.py\n@@ -2,2 +2,2 @@\n b\n-c\n\\ No newline at end of file\n+C\n\\ No newline at end of file\n",
                   "git apply"});
  cases.push_back({"adds the final newline", {{"f.py", "a\nb\nc"}},
                   "--- a/f.py\n+++ b/f.py\n@@ -2,2 +2,2 @@\n b\n-c\n\\ No newline at end of file\n+c\n", "git apply"});
  cases.push_back({"new file", {{"f.py", body}},
                   "diff --git a/new.py b/new.py\nnew file mode 100644\n--- /dev/null\n+++ b/new.py\n@@ -0,0 +1,2 @@\n+x = 1\n+y = 2\n",
                   "git apply"});
  cases.push_back({"new file that exists", {{"new.py", "z = 0\n"}},
                   "diff --git a/new.py b/new.py\nnew file mode 100644\n--- /dev/null\n+++ b/new.py\n@@ -0,0 +1,2 @@\n+x = 1\n+y = 2\n",
                   std::nullopt});
  cases.push_back({"deleted file", {{"f.py", "a\nb\n"}, {"g.py", "keep\n"}},
                   "diff --git a/f.py b/f.py\ndeleted file mode 100644\n--- a/f.py\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-a\n-b\n", "git apply"});
  cases.push_back({"deletion that leaves content", {{"f.py", "a\nb\nc\n"}},
                   "--- a/f.py\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-a\n-b\n", std::nullopt});
  cases.push_back({"rename with an edit", {{"old.py", body}},
                   "diff --git a/old.py b/new.py\nsimilarity index 90%\nrename from old.py\nrename to new.py\n--- a/old.py\n+++ b/new.py\n"
                   "@@ -9,3 +9,3 @@\n line 9\n-line 10\n+LINE 10\n line 11\n",
                   "git apply"});
  cases.push_back({"pure rename", {{"old.py", body}},
                   "diff --git a/old.py b/new.py\nsimilarity index 100%\nrename from old.py\nrename to new.py\n", "git apply"});
  cases.push_back({"missing file", {{"f.py", body}},
                   "--- a/nope.py\n+++ b/nope.py\n@@ -9,3 +9,3 @@\n line 9\n-line 10\n+LINE 10\n line 11\n", std::nullopt});
  cases.push_back({"hunks out of order", {{"f.py", body}},
                   "--- a/f.py\n+++ b/f.py\n@@ -20,3 +20,3 @@\n line 20\n-line 21\n+LINE 21\n line 22\n"
                   "@@ -4,3 +4,3 @@\n line 4\n-line 5\n+LINE 5\n line 6\n",
                   "git apply"});
  cases.push_back({"overlapping hunks", {{"f.py", body}},
                   "--- a/f.py\n+++ b/f.py\n@@ -4,4 +4,4 @@\n line 4\n-line 5\n+LINE 5\n line 6\n line 7\n"
                   "@@ -6,3 +6,3 @@\n line 6\n-line 7\n+LINE 7\n line 8\n",
                   std::nullopt});
  cases.push_back({"hunk counts too large (corrupt for git, EOF for patch)", {{"f.py", body}},
                   "--- a/f.py\n+++ b/f.py\n@@ -9,4 +9,4 @@\n line 9\n-line 10\n+LINE 10\n line 11\n", "patch"});
  cases.push_back({"malformed line inside a hunk", {{"f.py", body}},
                   "--- a/f.py\n+++ b/f.py\n@@ -9,3 +9,3 @@\n line 9\nline 10\n+LINE 10\n line 11\n", std::nullopt});
  cases.push_back({"no trailing context: git pins it to the end of file", {{"f.py", body}},
                   "--- a/f.py\n+++ b/f.py\n@@ -9,2 +9,2 @@\n line 9\n-line 10\n+LINE 10\n", "patch"});
  cases.push_back({"/dev/null both sides", {{"f.py", body}}, "--- /dev/null\n+++ /dev/null\n@@ -0,0 +1 @@\n+x\n", "git apply"});
  cases.push_back({"prose around the diff", {{"f.py", body}},
                   "Here is the fix:\n\ndiff --git a/f.py b/f.py\n--- a/f.py\n+++ b/f.py\n@@ -9,3 +9,3 @@\n line 9\n-line 10\n+LINE 10\n"
                   " line 11\nThat should do it.\n",
                   "git apply"});
  cases.push_back({"second file fails: --reject leaves the first for patch to reverse",
                   {{"f.py", body}, {"g.py", body}},
                   "--- a/f.py\n+++ b/f.py\n@@ -9,3 +9,3 @@\n line 9\n-line 10\n+LINE 10\n line 11\n"
                   "--- a/g.py\n+++ b/g.py\n@@ -9,3 +9,3 @@\n nine\n-ten\n+TEN\n eleven\n",
                   std::nullopt});
  return cases;
}

TEST(HarnessApply, CornerCasesAsTheRealToolsDecide) {
  const bool real = HaveRealTools();
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.name);
    HarnessApplication ours = ApplyLikeHarness(c.patch, SourceOf(c.tree));
    EXPECT_EQ(ours.applies_with, c.expected_step);
    if (real) {
      auto [step, after] = RealHarness(c.tree, c.patch);
      EXPECT_EQ(ours.applies_with.value_or("none"), step);
      if (ours.applies_with) {
        EXPECT_EQ(OursAfter(c.tree, ours), after);
      }
    }
  }
  if (!real) GTEST_SKIP() << "git or GNU patch is not installed: checked against the stated outcomes only";
}

TEST(HarnessApply, ReportsHunkOutcomes) {
  Tree tree{{"f.py", Numbered(1, 30)}};
  auto fuzz = ApplyLikeHarness("--- a/f.py\n+++ b/f.py\n@@ -3,5 +3,5 @@\n x8\n line 9\n-line 10\n+LINE 10\n line 11\n line 12\n",
                               SourceOf(tree));
  ASSERT_EQ(fuzz.applies_with, "patch");
  const auto& hunk = fuzz.report().files.at(0).hunks.at(0);
  EXPECT_EQ(hunk.outcome, HunkOutcome::kFuzz);
  EXPECT_EQ(hunk.fuzz, 1);
  EXPECT_EQ(hunk.applied_line, 8);
  EXPECT_EQ(hunk.offset, 5);

  auto missing = ApplyLikeHarness("--- a/nope.py\n+++ b/nope.py\n@@ -1 +1 @@\n-a\n+b\n", SourceOf(tree));
  EXPECT_EQ(missing.category, "not applied");
  EXPECT_EQ(missing.report().files.at(0).hunks.at(0).reason, "file missing");

  auto corrupt = GitApply("--- a/f.py\n+++ b/f.py\n@@ -9,4 +9,4 @@\n line 9\n-line 10\n+LINE 10\n line 11\n", SourceOf(tree));
  EXPECT_EQ(corrupt.exit_code, 128);
  EXPECT_EQ(corrupt.error, "corrupt patch at line 8");

  auto malformed = GnuPatch("--- a/f.py\n+++ b/f.py\n@@ -9,3 +9,3 @@\n line 9\nline 10\n", SourceOf(tree));
  EXPECT_EQ(malformed.exit_code, 2);
  EXPECT_EQ(malformed.error, "malformed patch at line 5: line 10\n");

  EXPECT_EQ(ApplyLikeHarness(std::nullopt, SourceOf(tree)).category, "null");
  EXPECT_EQ(ApplyLikeHarness(std::string("\n"), SourceOf(tree)).category, "empty");
}

}  // namespace
}  // namespace sweinfer::patch
