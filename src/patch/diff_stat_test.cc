#include "patch/diff_stat.h"

#include <gtest/gtest.h>

namespace sweinfer::patch {
namespace {

TEST(DiffStat, PathsAndLineCounts) {
  auto s = StatPatch(
      "diff --git a/src/x.py b/src/x.py\n--- a/src/x.py\n+++ b/src/x.py\n@@ -1,3 +1,4 @@\n a\n-b\n+B\n+C\n c\n"
      "--- a/old.py\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-1\n-2\n"
      "--- /dev/null\n+++ b/new.py\n@@ -0,0 +1 @@\n+n\n");
  EXPECT_EQ(s.paths, (std::vector<std::string>{"src/x.py", "old.py", "new.py"}));
  EXPECT_EQ(s.lines_added, 3);
  EXPECT_EQ(s.lines_removed, 3);
}

TEST(DiffStat, LenientOnModelText) {
  auto s = StatPatch("Sure! Here it is\n--- a/f.py\n+++ b/f.py\n@@ -1 +1 @@\n-x\n+y\nThat's all.\n- not a line\n");
  EXPECT_EQ(s.paths, (std::vector<std::string>{"f.py"}));
  EXPECT_EQ(s.lines_added, 1);
  EXPECT_EQ(s.lines_removed, 1);
  auto rename = StatPatch("diff --git a/a.py b/b.py\nsimilarity index 100%\nrename from a.py\nrename to b.py\n");
  EXPECT_EQ(rename.paths, (std::vector<std::string>{"a.py", "b.py"}));
  EXPECT_TRUE(StatPatch("").paths.empty());
}

}  // namespace
}  // namespace sweinfer::patch
