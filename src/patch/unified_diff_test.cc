#include "patch/unified_diff.h"

#include <gtest/gtest.h>

namespace sweinfer::patch {
namespace {

TEST(UnifiedDiff, ParsesGitHeadersNewFilesAndHunks) {
  auto files = ParsePatchSet(
      "diff --git a/x.py b/x.py\nindex 1..2 100644\n--- a/x.py\n+++ b/x.py\n@@ -3,2 +3,3 @@ def f():\n a\n-b\n+c\n+d\n"
      "\\ No newline at end of file\n"
      "diff --git a/new.py b/new.py\nnew file mode 100644\n--- /dev/null\n+++ b/new.py\n@@ -0,0 +1 @@\n+x\n");
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(SourcePathOf(files[0]), "x.py");
  ASSERT_EQ(files[0].hunks.size(), 1u);
  EXPECT_EQ(files[0].hunks[0].source_start, 3);
  EXPECT_EQ(files[0].hunks[0].source_length, 2);
  EXPECT_EQ(files[1].source_file, "/dev/null");
  EXPECT_EQ(files[1].hunks[0].target_length, 1);
}

TEST(UnifiedDiff, ReportsUnidiffErrors) {
  EXPECT_THROW(
      {
        try {
          ParsePatchSet("--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n");
        } catch (const PatchParseError& e) {
          EXPECT_STREQ(e.what(), "Hunk is shorter than expected");
          throw;
        }
      },
      PatchParseError);
  EXPECT_THROW(ParsePatchSet("--- a/x\n+++ b/x\n@@ -1 +1 @@\n+b\n+c\n"), PatchParseError);
  EXPECT_THROW(ParsePatchSet("@@ -1 +1 @@\n"), PatchParseError);
}

}  // namespace
}  // namespace sweinfer::patch
