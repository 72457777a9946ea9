// make-dataset: the reference's create_text_dataset, reading repositories straight from git
// objects. BuildInstancePrompt is the per-instance step (create_instance.add_text_inputs);
// RunMakeDataset drives a whole dataset with workers, a resumable progress file per split and
// the reference's output naming and columns.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dataset/jsonl.h"
#include "git/repository.h"
#include "prompt/styles.h"
#include "tokenizer/tokenizer.h"

namespace sweinfer::pipelines {

enum class FileSource { kOracle, kBm25, kAll, kNone };
std::optional<FileSource> ParseFileSource(std::string_view name);
std::string_view FileSourceName(FileSource source);

struct InstancePrompt {
  std::optional<std::string> text_inputs;  // nullopt when the instance failed
  std::string error;                        // why it failed (Python's exception text where it has one)
  std::vector<std::string> readmes;         // README names used, sorted
  std::vector<std::string> context_files;   // code files used, sorted
};

// A token budget for the context files (--max_context_len): retrieved files are taken in rank
// order while the prompt stays under `max_tokens`, counted with `tokenizer`.
struct ContextBudget {
  const tokenizer::Tokenizer* tokenizer = nullptr;
  int64_t max_tokens = 0;
};

// Builds one instance's prompt from the tree at its base commit. `hits` are the retrieved paths
// (bm25 only). Never throws for problems of the instance itself; they end up in `error`.
InstancePrompt BuildInstancePrompt(const git::TreeSnapshot& tree, const dataset::Record& instance,
                                   prompt::PromptStyle style, FileSource source,
                                   const std::vector<std::string>& hits = {}, const ContextBudget* budget = nullptr,
                                   const std::vector<std::string>& extensions = {});

// Where repositories come from: a directory of clones, else clones cached under cache_dir.
struct RepositorySource {
  std::optional<std::string> repos_dir;
  std::string clone_base_url = "https://github.com";
  std::string cache_dir;  // default: $XDG_CACHE_HOME/sweinfer/repos or ~/.cache/sweinfer/repos
  // Path of a local repository for "owner/name", cloning it first when needed. Thread-safe.
  std::string PathFor(const std::string& repo_slug) const;
};

struct MakeDatasetOptions {
  std::string dataset_name_or_path;
  std::vector<std::string> splits = {"train", "test"};
  double validation_ratio = 0.01;
  std::string output_dir;
  std::optional<std::string> retrieval_file;
  prompt::PromptStyle prompt_style = prompt::PromptStyle::kStyle3;
  FileSource file_source = FileSource::kOracle;
  std::optional<int> k;
  std::optional<int> max_context_len;
  std::optional<std::string> tokenizer_name;
  tokenizer::TokenizerOptions tokenizer_files;
  RepositorySource repositories;
  int num_workers = 0;  // 0: one per core
  std::optional<std::string> push_to_hub_user;  // upload as {user}/{output name} instead of writing
  std::string output_format = "arrow";  // the reference's save_to_disk layout; or jsonl, parquet
  bool quiet = false;
  bool verbose = false;  // a line per instance: README and context files used
  // --file_source all: document files by extension; empty: chosen from each repository's languages.
  std::vector<std::string> extensions;
};

// Returns the process exit code; throws Error for bad arguments or unreadable inputs.
int RunMakeDataset(const MakeDatasetOptions& options);

// construct_output_filename.
std::string MakeDatasetOutputName(const MakeDatasetOptions& options);

}  // namespace sweinfer::pipelines
