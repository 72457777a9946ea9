#include "git/repository.h"

#include <git2.h>

#include <algorithm>
#include <filesystem>
#include <mutex>

#include "text/python_str.h"
#include <unordered_map>

#include "util/error.h"

namespace sweinfer::git {

namespace {

void EnsureLibgit2() {
  static std::once_flag once;
  std::call_once(once, [] {
    git_libgit2_init();
    // libgit2 re-hashes every object it reads (SHA-1 over the whole blob). git itself does not on a
    // read (only fsck does), and on a large tree the hashing costs as much as inflating.
    git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
  });
}

std::string LastGitError() {
  const git_error* e = git_error_last();
  return e && e->message ? e->message : "unknown libgit2 error";
}

struct TreeEntryDeleter {
  void operator()(git_tree_entry* e) const { git_tree_entry_free(e); }
};
using TreeEntryPtr = std::unique_ptr<git_tree_entry, TreeEntryDeleter>;

EntryKind KindOf(git_filemode_t mode) {
  switch (mode) {
    case GIT_FILEMODE_TREE: return EntryKind::kDirectory;
    case GIT_FILEMODE_LINK: return EntryKind::kSymlink;
    case GIT_FILEMODE_COMMIT: return EntryKind::kSubmodule;
    default: return EntryKind::kFile;
  }
}

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view part = path.substr(start, slash - start);
    if (!part.empty() && part != ".") parts.emplace_back(part);
    start = slash + 1;
  }
  return parts;
}

std::string JoinPath(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += '/';
    out += p;
  }
  return out;
}

}  // namespace

struct TreeSnapshot::Handle {
  std::shared_ptr<git_repository> repo;
  git_tree* tree = nullptr;
  ~Handle() {
    if (tree) git_tree_free(tree);
  }
};

std::string MaskSecret(std::string_view secret) {
  if (secret.size() <= 4) return std::string(secret.size(), '*');
  return std::string(secret.size() - 4, '*') + std::string(secret.substr(secret.size() - 4));
}

Repository Repository::Open(const std::string& path) {
  EnsureLibgit2();
  git_repository* raw = nullptr;
  if (git_repository_open_ext(&raw, path.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr) != 0) {
    std::string why = LastGitError();
    // A bare repository copied without its empty refs/ directory (packed-refs only) is no
    // repository to git, but its objects are all there: commits are read by id from the object
    // database alone.
    std::error_code ec;
    git_odb* odb = nullptr;
    if (std::filesystem::is_directory(std::filesystem::path(path) / "objects", ec) &&
        std::filesystem::is_regular_file(std::filesystem::path(path) / "HEAD", ec) &&
        git_odb_open(&odb, (std::filesystem::path(path) / "objects").c_str()) == 0) {
      int rc = git_repository_wrap_odb(&raw, odb);
      git_odb_free(odb);
      if (rc != 0) raw = nullptr;
    }
    if (!raw) throw Error("cannot open git repository '" + path + "': " + why);
  }
  Repository repo;
  repo.repo_ = std::shared_ptr<git_repository>(raw, git_repository_free);
  repo.path_ = path;
  return repo;
}

std::optional<std::string> Repository::FindInDirectory(const std::string& repos_dir, std::string_view repo_slug) {
  namespace fs = std::filesystem;
  for (const char* suffix : {"", ".git"}) {
    fs::path candidate = fs::path(repos_dir) / (std::string(repo_slug) + suffix);
    std::error_code ec;
    if (fs::is_directory(candidate, ec)) return candidate.string();
  }
  return std::nullopt;
}

namespace {

struct CredentialPayload {
  const std::optional<std::string>* token;
  int attempts = 0;
};

int ProvideToken(git_credential** out, const char*, const char*, unsigned int allowed, void* payload) {
  auto* p = static_cast<CredentialPayload*>(payload);
  if (!p->token->has_value() || !(allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) || p->attempts++ > 0) {
    return GIT_PASSTHROUGH;
  }
  return git_credential_userpass_plaintext_new(out, "x-access-token", p->token->value().c_str());
}

}  // namespace

Repository Repository::CloneOrOpen(const std::string& url, const std::string& destination,
                                   const std::optional<std::string>& token) {
  EnsureLibgit2();
  std::error_code ec;
  if (std::filesystem::exists(destination, ec)) return Open(destination);
  std::filesystem::create_directories(std::filesystem::path(destination).parent_path(), ec);
  // Clone beside the destination, then rename: an interrupted clone never looks complete.
  std::string partial = destination + ".partial";
  std::filesystem::remove_all(partial, ec);
  CredentialPayload payload{&token};
  git_clone_options options = GIT_CLONE_OPTIONS_INIT;
  options.bare = 1;
  options.fetch_opts.callbacks.credentials = ProvideToken;
  options.fetch_opts.callbacks.payload = &payload;
  git_repository* raw = nullptr;
  if (git_clone(&raw, url.c_str(), partial.c_str(), &options) != 0) {
    std::string message = LastGitError();
    if (token) {
      // libgit2 messages never hold the token, but make sure of it.
      for (size_t at; (at = message.find(*token)) != std::string::npos;) message.replace(at, token->size(), MaskSecret(*token));
    }
    std::filesystem::remove_all(partial, ec);
    throw Error("cannot clone '" + url + "': " + message);
  }
  git_repository_free(raw);
  std::filesystem::rename(partial, destination);
  return Open(destination);
}

void Repository::FetchOrigin(const std::optional<std::string>& token) {
  git_remote* remote = nullptr;
  if (git_remote_lookup(&remote, repo_.get(), "origin") != 0) throw Error("'" + path_ + "' has no origin to fetch from");
  CredentialPayload payload{&token};
  git_fetch_options options = GIT_FETCH_OPTIONS_INIT;
  options.callbacks.credentials = ProvideToken;
  options.callbacks.payload = &payload;
  const char* specs[] = {"+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"};
  git_strarray refspecs = {const_cast<char**>(specs), 2};
  int rc = git_remote_fetch(remote, &refspecs, &options, nullptr);
  git_remote_free(remote);
  if (rc != 0) throw Error("fetching into '" + path_ + "' failed: " + LastGitError());
}

std::string Repository::HeadCommit() const {
  git_oid oid;
  if (git_reference_name_to_id(&oid, repo_.get(), "HEAD") != 0) throw Error("'" + path_ + "' has no HEAD commit");
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(hex, sizeof hex, &oid);
  return hex;
}

namespace {

// libgit2 parses only git-style patches; `git apply` also takes plain unified diffs. Give each
// file section without one the "diff --git" header it lacks.
std::string WithGitHeaders(std::string_view patch) {
  std::string out;
  size_t start = 0;
  bool previous_was_git_header = false;
  while (start < patch.size()) {
    size_t nl = patch.find('\n', start);
    std::string_view line = patch.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl + 1 - start);
    start = nl == std::string_view::npos ? patch.size() : nl + 1;
    if (line.rfind("--- ", 0) == 0 && start < patch.size() && patch.substr(start, 4) == "+++ " && !previous_was_git_header) {
      auto path_of = [](std::string_view l) {
        std::string p(l.substr(4));
        while (!p.empty() && (p.back() == '\n' || p.back() == '\r')) p.pop_back();
        size_t tab = p.find('\t');
        if (tab != std::string::npos) p.resize(tab);
        if (p.rfind("a/", 0) == 0 || p.rfind("b/", 0) == 0) p = p.substr(2);
        return p;
      };
      size_t next_nl = patch.find('\n', start);
      std::string_view plus = patch.substr(start, next_nl == std::string_view::npos ? std::string_view::npos : next_nl - start);
      std::string old_path = path_of(line), new_path = path_of(plus);
      if (old_path == "/dev/null") old_path = new_path;
      if (new_path == "/dev/null") new_path = old_path;
      out += "diff --git a/" + old_path + " b/" + new_path + "\n";
      if (line.find("/dev/null") != std::string_view::npos) out += "new file mode 100644\n";
      if (plus.find("/dev/null") != std::string_view::npos) out += "deleted file mode 100644\n";
    }
    if (!(out.empty() && line == "\n")) out += line;
    previous_was_git_header = line.rfind("diff --git ", 0) == 0 || line.rfind("index ", 0) == 0 ||
                              line.rfind("new file mode", 0) == 0 || line.rfind("deleted file mode", 0) == 0 ||
                              (previous_was_git_header && (line.rfind("similarity", 0) == 0 || line.rfind("rename", 0) == 0));
  }
  return out;
}

}  // namespace

bool PatchApplies(const Repository& repo, const TreeSnapshot& tree, std::string_view raw_patch, std::string* reason) {
  const std::string patch = WithGitHeaders(raw_patch);
  git_diff* diff = nullptr;
  if (git_diff_from_buffer(&diff, patch.data(), patch.size()) != 0) {
    if (reason) *reason = "not a diff: " + LastGitError();
    return false;
  }
  git_index* index = nullptr;
  git_apply_options options = GIT_APPLY_OPTIONS_INIT;
  int rc = git_apply_to_tree(&index, repo.repo_.get(), tree.handle_->tree, diff, &options);
  if (rc != 0 && reason) *reason = LastGitError();
  if (index) git_index_free(index);
  git_diff_free(diff);
  return rc == 0;
}

bool Repository::HasCommit(std::string_view commit) const {
  git_object* object = nullptr;
  std::string spec(commit);
  if (git_revparse_single(&object, repo_.get(), spec.c_str()) != 0) return false;
  git_object_free(object);
  return true;
}

TreeSnapshot Repository::Snapshot(std::string_view commit) const {
  std::string spec(commit);
  git_object* object = nullptr;
  if (git_revparse_single(&object, repo_.get(), spec.c_str()) != 0) {
    throw Error("commit " + spec + " not found in repository '" + path_ + "'");
  }
  git_object* tree_object = nullptr;
  int rc = git_object_peel(&tree_object, object, GIT_OBJECT_TREE);
  git_object_free(object);
  if (rc != 0) throw Error("cannot read the tree of commit " + spec + " in '" + path_ + "': " + LastGitError());
  TreeSnapshot snapshot;
  snapshot.handle_ = std::make_shared<TreeSnapshot::Handle>();
  snapshot.handle_->repo = repo_;
  snapshot.handle_->tree = reinterpret_cast<git_tree*>(tree_object);
  snapshot.commit_ = spec;
  return snapshot;
}

std::optional<std::pair<std::string, EntryKind>> TreeSnapshot::Resolve(std::string_view path) const {
  std::vector<std::string> pending = SplitPath(path);
  std::reverse(pending.begin(), pending.end());  // back() is the next component
  std::vector<std::string> resolved;
  EntryKind kind = EntryKind::kDirectory;
  int links_followed = 0;
  while (!pending.empty()) {
    std::string part = std::move(pending.back());
    pending.pop_back();
    if (part == "..") {
      if (!resolved.empty()) resolved.pop_back();
      kind = EntryKind::kDirectory;
      continue;
    }
    resolved.push_back(part);
    std::string joined = JoinPath(resolved);
    git_tree_entry* raw = nullptr;
    if (git_tree_entry_bypath(&raw, handle_->tree, joined.c_str()) != 0) return std::nullopt;
    TreeEntryPtr entry(raw);
    kind = KindOf(git_tree_entry_filemode(entry.get()));
    if (kind == EntryKind::kSymlink) {
      if (++links_followed > 40) return std::nullopt;  // ELOOP
      git_blob* blob = nullptr;
      if (git_blob_lookup(&blob, handle_->repo.get(), git_tree_entry_id(entry.get())) != 0) return std::nullopt;
      std::string target(static_cast<const char*>(git_blob_rawcontent(blob)), git_blob_rawsize(blob));
      git_blob_free(blob);
      if (!target.empty() && target[0] == '/') return std::nullopt;  // points outside the tree
      resolved.pop_back();
      auto target_parts = SplitPath(target);
      for (auto it = target_parts.rbegin(); it != target_parts.rend(); ++it) pending.push_back(*it);
      kind = EntryKind::kDirectory;
      continue;
    }
    if (kind != EntryKind::kDirectory && !pending.empty()) return std::nullopt;  // ENOTDIR
  }
  return std::make_pair(JoinPath(resolved), kind);
}

std::vector<DirectoryEntry> TreeSnapshot::ListDirectory(std::string_view dir) const {
  std::vector<DirectoryEntry> entries;
  git_tree* tree = handle_->tree;
  git_tree* subtree = nullptr;
  if (!dir.empty()) {
    auto resolved = Resolve(dir);
    if (!resolved || resolved->second != EntryKind::kDirectory) return entries;
    if (!resolved->first.empty()) {
      git_tree_entry* raw = nullptr;
      if (git_tree_entry_bypath(&raw, tree, resolved->first.c_str()) != 0) return entries;
      TreeEntryPtr entry(raw);
      if (git_tree_lookup(&subtree, handle_->repo.get(), git_tree_entry_id(entry.get())) != 0) return entries;
      tree = subtree;
    }
  }
  size_t count = git_tree_entrycount(tree);
  for (size_t i = 0; i < count; ++i) {
    const git_tree_entry* e = git_tree_entry_byindex(tree, i);
    entries.push_back({git_tree_entry_name(e), KindOf(git_tree_entry_filemode(e))});
  }
  if (subtree) git_tree_free(subtree);
  return entries;
}

bool TreeSnapshot::IsFile(std::string_view path) const {
  auto resolved = Resolve(path);
  return resolved && resolved->second == EntryKind::kFile;
}

FileRead TreeSnapshot::ReadFile(std::string_view path) const {
  FileRead result;
  if (path == "/dev/null") {
    result.bytes = std::string();
    return result;
  }
  auto resolved = path.empty() || path[0] == '/' ? std::nullopt : Resolve(path);
  if (!resolved || resolved->second == EntryKind::kSubmodule) {
    result.error = "[Errno 2] No such file or directory: " + text::PythonRepr(path);
    return result;
  }
  if (resolved->second == EntryKind::kDirectory) {
    result.error = "[Errno 21] Is a directory: " + text::PythonRepr(path);
    return result;
  }
  git_tree_entry* raw = nullptr;
  git_blob* blob = nullptr;
  if (git_tree_entry_bypath(&raw, handle_->tree, resolved->first.c_str()) != 0) {
    result.error = "[Errno 2] No such file or directory: " + text::PythonRepr(path);
    return result;
  }
  TreeEntryPtr entry(raw);
  if (git_blob_lookup(&blob, handle_->repo.get(), git_tree_entry_id(entry.get())) != 0) {
    result.error = "object missing from the repository for " + text::PythonRepr(path) + ": " + LastGitError();
    return result;
  }
  result.bytes.emplace(static_cast<const char*>(git_blob_rawcontent(blob)), git_blob_rawsize(blob));
  git_blob_free(blob);
  return result;
}

std::optional<std::string> TreeSnapshot::ReadBlob(const std::string& blob_id) const {
  git_oid oid;
  if (git_oid_fromstr(&oid, blob_id.c_str()) != 0) return std::nullopt;
  git_blob* blob = nullptr;
  if (git_blob_lookup(&blob, handle_->repo.get(), &oid) != 0) return std::nullopt;
  std::string bytes(static_cast<const char*>(git_blob_rawcontent(blob)), git_blob_rawsize(blob));
  git_blob_free(blob);
  return bytes;
}

std::optional<uint64_t> TreeSnapshot::BlobSize(const std::string& blob_id) const {
  // A blob id names its contents, so its size is the same in every repository and commit: one
  // memo for the process saves re-reading object headers when many trees of a repository are
  // looked at (every instance of a repository chooses its documents by size).
  static std::mutex memo_mutex;
  static std::unordered_map<std::string, uint64_t> memo;
  {
    std::lock_guard<std::mutex> lock(memo_mutex);
    auto it = memo.find(blob_id);
    if (it != memo.end()) return it->second;
  }
  git_oid oid;
  if (git_oid_fromstr(&oid, blob_id.c_str()) != 0) return std::nullopt;
  git_odb* odb = nullptr;
  if (git_repository_odb(&odb, handle_->repo.get()) != 0) return std::nullopt;
  size_t size = 0;
  git_object_t type;
  int rc = git_odb_read_header(&size, &type, odb, &oid);
  git_odb_free(odb);
  if (rc != 0) return std::nullopt;
  std::lock_guard<std::mutex> lock(memo_mutex);
  memo.emplace(blob_id, static_cast<uint64_t>(size));
  return static_cast<uint64_t>(size);
}

namespace {

struct WalkPayload {
  const std::function<void(const std::string&, const std::string&, bool)>* visit;
  const std::function<bool(std::string_view)>* skip_directory;
};

int WalkCallback(const char* root, const git_tree_entry* entry, void* payload) {
  auto kind = KindOf(git_tree_entry_filemode(entry));
  auto* p = static_cast<WalkPayload*>(payload);
  if (kind == EntryKind::kDirectory && p->skip_directory && *p->skip_directory) {
    return (*p->skip_directory)(git_tree_entry_name(entry)) ? 1 : 0;  // 1: do not descend
  }
  if (kind != EntryKind::kFile && kind != EntryKind::kSymlink) return 0;
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(hex, sizeof hex, git_tree_entry_id(entry));
  std::string path = std::string(root) + git_tree_entry_name(entry);
  (*p->visit)(path, hex, kind == EntryKind::kSymlink);
  return 0;
}

}  // namespace

void TreeSnapshot::ForEachFileWithKind(const std::function<void(const std::string&, const std::string&, bool)>& visit,
                                       const std::function<bool(std::string_view)>& skip_directory) const {
  WalkPayload payload{&visit, &skip_directory};
  git_tree_walk(handle_->tree, GIT_TREEWALK_PRE, WalkCallback, &payload);
}

void TreeSnapshot::ForEachFile(const std::function<void(const std::string&, const std::string&)>& visit) const {
  ForEachFileWithKind([&](const std::string& path, const std::string& blob, bool) { visit(path, blob); });
}

}  // namespace sweinfer::git
