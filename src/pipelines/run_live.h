// run-live: the reference's run_live with its bugs fixed: for each open GitHub issue, read it,
// get the repository at a commit (cloned once into --root_dir, fetched when the commit is
// missing), rank its files with BM25, pack the best ones under a cl100k budget, build the prompt,
// ask the model (any run-api provider, or a local model path on the in-process engine) and write the answer, its patches, and whether the patch
// applies to that commit (checked in memory with libgit2).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace sweinfer::pipelines {

struct RunLiveOptions {
  std::string model_name;
  std::vector<std::string> issue_urls;
  std::vector<std::string> base_commits;  // empty, or one per URL
  std::string prompt_style = "style-3";
  int64_t max_context_length = 16000;
  std::string document_encoding_func = "file_name_and_contents";
  std::vector<std::string> extensions;  // document files; empty: from the repository's languages
  std::string output_dir = "./live_outputs";
  std::string root_dir = "./run_live_data";
  bool include_readmes = false;
  bool include_comments = false;
  std::string github_api_url = "https://api.github.com";
  std::string git_base_url = "https://github.com";
  double max_wait_seconds = 60;
  std::optional<std::string> provider;
  std::vector<std::string> base_urls;
  std::string dotenv_path = ".env";
  std::string tiktoken_dir;
  int max_new_tokens = 1024;  // local models only
  bool quiet = false;
};

// Returns the output file written.
std::string RunLive(const RunLiveOptions& options);

}  // namespace sweinfer::pipelines
