#include "git/repository.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "test_support.h"
#include "util/error.h"

namespace sweinfer::git {
namespace {

// A small repository made with the git CLI: files, a symlink, a subdirectory.
std::string MakeRepository(const testing::ScratchDir& dir) {
  std::string work = dir / "work";
  std::string script = "set -e; git init -q " + work + "; cd " + work +
                       "; mkdir -p pkg; printf 'hello\\r\\nworld' > pkg/a.py; ln -s pkg/a.py link.py;"
                       " ln -s missing broken; printf '# readme' > README.md;"
                       " git add -A; git -c user.name=t -c user.email=t@t commit -qm one;"
                       " git clone -q --bare " + work + " " + dir.path() + "/bare.git";
  EXPECT_EQ(std::system(("bash -c \"" + script + "\"").c_str()), 0);
  return dir / "bare.git";
}

TEST(Repository, ReadsTreesWithoutCheckout) {
  testing::ScratchDir dir;
  auto repo = Repository::Open(MakeRepository(dir));
  auto tree = repo.Snapshot("HEAD");
  EXPECT_EQ(*tree.ReadFile("pkg/a.py").bytes, "hello\r\nworld");
  EXPECT_EQ(*tree.ReadFile("link.py").bytes, "hello\r\nworld");  // symlink followed
  EXPECT_TRUE(tree.IsFile("link.py"));
  EXPECT_FALSE(tree.IsFile("broken"));
  EXPECT_FALSE(tree.IsFile("pkg"));
  EXPECT_EQ(tree.ReadFile("missing.py").error, "[Errno 2] No such file or directory: 'missing.py'");
  EXPECT_EQ(tree.ReadFile("pkg").error, "[Errno 21] Is a directory: 'pkg'");
  EXPECT_EQ(*tree.ReadFile("/dev/null").bytes, "");
  std::vector<std::string> files;
  tree.ForEachFile([&](const std::string& path, const std::string&) { files.push_back(path); });
  EXPECT_EQ(files, (std::vector<std::string>{"README.md", "broken", "link.py", "pkg/a.py"}));
  EXPECT_THROW(repo.Snapshot("0123456789012345678901234567890123456789"), Error);
}

TEST(Repository, PatchAppliesChecksInMemory) {
  testing::ScratchDir dir;
  auto repo = Repository::Open(MakeRepository(dir));
  auto tree = repo.Snapshot("HEAD");
  std::string reason;
  EXPECT_TRUE(PatchApplies(repo, tree, "\n--- a/README.md\n+++ b/README.md\n@@ -1 +1 @@\n-# readme\n\\ No newline at end of file\n+# README\n", &reason)) << reason;
  EXPECT_FALSE(PatchApplies(repo, tree, "--- a/README.md\n+++ b/README.md\n@@ -1 +1 @@\n-# other\n+# README\n", &reason));
  EXPECT_TRUE(PatchApplies(repo, tree, "--- /dev/null\n+++ b/new.py\n@@ -0,0 +1 @@\n+x = 1\n", &reason)) << reason;
}

TEST(Repository, ClonesFromUrlWithoutStoringTheToken) {
  testing::ScratchDir dir;
  std::string bare = MakeRepository(dir);
  std::string token = "ghp_do_not_store_me_1234";
  auto repo = Repository::CloneOrOpen("file://" + bare, dir / "cache/x.git", token);
  EXPECT_EQ(*repo.Snapshot("HEAD").ReadFile("README.md").bytes, "# readme");
  std::string config = testing::ReadFile(dir / "cache/x.git/config");
  EXPECT_EQ(config.find(token), std::string::npos);
  // A second call reuses the clone.
  auto again = Repository::CloneOrOpen("file:///nonexistent", dir / "cache/x.git", token);
  EXPECT_TRUE(again.HasCommit("HEAD"));
  try {
    Repository::CloneOrOpen("file:///nonexistent/repo.git", dir / "cache/y.git", token);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).find(token), std::string::npos);
  }
  EXPECT_EQ(MaskSecret(token), std::string(token.size() - 4, '*') + "1234");
}

}  // namespace
}  // namespace sweinfer::git
