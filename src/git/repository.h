// Repositories and the trees of their commits, read straight from the git object database with
// libgit2: no working tree, no checkout, so many commits of one repository can be read at once.
// A Repository is not shared between threads: each worker opens its own (opening is cheap).
// A TreeSnapshot keeps its Repository's handle alive through shared ownership.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct git_repository;
struct git_tree;

namespace sweinfer::git {

class Repository;

// What reading a path of a checked-out tree would give: the bytes, or the OS error Python raises.
struct FileRead {
  std::optional<std::string> bytes;
  std::string error;  // e.g. "[Errno 2] No such file or directory: 'x.py'" when bytes is empty
};

enum class EntryKind { kFile, kDirectory, kSymlink, kSubmodule };

struct DirectoryEntry {
  std::string name;
  EntryKind kind;
};

class TreeSnapshot {
 public:
  // Entries of a directory ("" is the root), in git's order; symlinks are not followed.
  std::vector<DirectoryEntry> ListDirectory(std::string_view dir) const;
  // os.path.isfile: true for regular files and symlinks that resolve to one.
  bool IsFile(std::string_view path) const;
  // open(path).read() as bytes, following symlinks inside the tree. "/dev/null" reads as empty.
  FileRead ReadFile(std::string_view path) const;
  // The bytes of a blob by id (as ForEachFile reports it): no path lookups, so reading every file
  // of a large tree stays linear.
  std::optional<std::string> ReadBlob(const std::string& blob_id) const;
  // A blob's size from its object header, without inflating it (nullopt when it is missing).
  std::optional<uint64_t> BlobSize(const std::string& blob_id) const;
  // Calls `visit(path, blob_id_hex)` for every file (regular or symlink) below the root, depth-first.
  void ForEachFile(const std::function<void(const std::string& path, const std::string& blob_id)>& visit) const;
  // As ForEachFile, telling symlinks apart (their blob holds the link target, not the contents).
  // `skip_directory`, when given, is asked about each directory's name: true leaves it unvisited.
  void ForEachFileWithKind(
      const std::function<void(const std::string& path, const std::string& blob_id, bool is_symlink)>& visit,
      const std::function<bool(std::string_view directory_name)>& skip_directory = nullptr) const;
  const std::string& commit() const { return commit_; }

 private:
  friend class Repository;
  friend bool PatchApplies(const Repository&, const TreeSnapshot&, std::string_view, std::string*);
  struct Handle;
  std::shared_ptr<Handle> handle_;
  std::string commit_;
  // Resolves symlinks on the way; nullopt when the path does not exist.
  std::optional<std::pair<std::string, EntryKind>> Resolve(std::string_view path) const;
};

class Repository {
 public:
  // Opens a bare or non-bare repository; throws Error naming the path when it cannot.
  static Repository Open(const std::string& path);
  // Finds `owner__name` or `owner__name.git` under repos_dir; nullopt when neither exists.
  static std::optional<std::string> FindInDirectory(const std::string& repos_dir, std::string_view repo_slug);
  // Clones `url` bare into `destination` unless it already exists there. A token, when given, is
  // sent as HTTP credentials only; it never enters the clone's config, URLs or messages.
  static Repository CloneOrOpen(const std::string& url, const std::string& destination,
                                const std::optional<std::string>& token);

  // Fetches every branch and tag from the clone's origin (for a commit the clone does not have yet).
  void FetchOrigin(const std::optional<std::string>& token);
  // The commit id HEAD points at (the default branch of a clone).
  std::string HeadCommit() const;

  // The tree at `commit` (hex id or any revision); throws Error naming the commit when missing.
  TreeSnapshot Snapshot(std::string_view commit) const;
  bool HasCommit(std::string_view commit) const;
  const std::string& path() const { return path_; }

 private:
  friend bool PatchApplies(const Repository&, const TreeSnapshot&, std::string_view, std::string*);
  std::shared_ptr<git_repository> repo_;
  std::string path_;
};

// Whether `patch` (a unified diff) applies to `tree`, checked in memory with libgit2; on failure
// `reason` says why.
bool PatchApplies(const Repository& repo, const TreeSnapshot& tree, std::string_view patch, std::string* reason);

// Masks a secret for display: all but the last four characters become '*'.
std::string MaskSecret(std::string_view secret);

}  // namespace sweinfer::git
