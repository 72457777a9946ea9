// The Hugging Face hub, for datasets and models alike: repository info, file downloads into the
// huggingface_hub cache layout under $HF_HUB_CACHE ({datasets,models}--owner--name/{blobs,
// snapshots,refs}, so files cached by Python tools are reused and the other way round), with
// $HF_ENDPOINT, $HF_TOKEN (never printed), HF_HUB_OFFLINE=1 and a revision.
//
// Downloads are resumable: bytes go to blobs/<etag>.incomplete, a dropped connection or a killed
// process resumes with an HTTP Range request, an LFS file is checked against the SHA-256 the hub
// reports (its X-Linked-Etag) before it is moved into place, and a file that fails the check is
// deleted, never used. Progress shows bytes, rate and ETA.
#pragma once

#include <string>
#include <vector>

namespace sweinfer::hub {

struct Options {
  std::string endpoint;   // default: $HF_ENDPOINT or https://huggingface.co
  std::string hub_cache;  // default: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub
  std::string token;      // default: $HF_TOKEN (or $HUGGING_FACE_HUB_TOKEN)
  bool offline = false;   // default: HF_HUB_OFFLINE=1
  std::string revision = "main";
  bool quiet = false;     // no progress bars
  int attempts = 5;       // per file, resuming after each dropped connection
};

Options OptionsFromEnvironment();
// The endpoint without a trailing slash.
std::string Endpoint(const Options& options);
// The error text for an HTTP failure on `what`: 401/403 say which token to set, 404 to check the
// name and revision.
std::string Problem(long status, const std::string& what, const Options& options);
// Whether an argument names a hub repository ("owner/name") rather than a local path.
bool LooksLikeRepoId(const std::string& name_or_path);

enum class RepoType { kModel, kDataset };

struct RepoInfo {
  std::string commit;
  std::vector<std::string> files;
};

class Hub {
 public:
  explicit Hub(Options options) : o_(std::move(options)) {}

  // The commit and file list of a revision. A gated or private repository (401/403) is an Error
  // that says which token to set.
  RepoInfo Info(const std::string& repo_id, RepoType type) const;
  // Downloads `files` of `info` that are not in the cache yet; returns the snapshot directory.
  std::string Fetch(const std::string& repo_id, RepoType type, const RepoInfo& info,
                    const std::vector<std::string>& files) const;
  // HF_HUB_OFFLINE: the cached snapshot of the revision, or an Error naming the cache.
  std::string CachedSnapshot(const std::string& repo_id, RepoType type) const;
  // The cache folder of a repository.
  std::string RepoFolder(const std::string& repo_id, RepoType type) const;
  const Options& options() const { return o_; }

 private:
  void Download(const std::string& repo_id, RepoType type, const std::string& commit, const std::string& file,
                const std::string& snapshot) const;
  Options o_;
};

// A model repository's snapshot with only what running it needs: config, tokenizer and adapter
// files, and the weights (the files a safetensors index names, else *.safetensors, else the torch
// .bin files likewise, else Meta's params.json + consolidated.NN.pth).
std::string FetchModel(const std::string& repo_id, const Options& options);
// Only the tokenizer files of a model repository (tokenizer.json / tokenizer.model and their configs).
std::string FetchTokenizer(const std::string& repo_id, const Options& options);

}  // namespace sweinfer::hub
