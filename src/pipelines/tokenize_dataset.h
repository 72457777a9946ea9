// tokenize: the reference's tokenize_dataset. Adds `input_ids` and `labels` to every row of a
// text dataset (the output of make-dataset): training splits get the prompt followed by the patch
// with the prompt masked (-100) in the labels; the `test` split gets them separately. Rows run on
// `num_proc` threads; the output has the input's format and is named `{dataset}__tok-{tokenizer}`.
#pragma once

#include <string>
#include <vector>

#include "dataset/jsonl.h"
#include "tokenizer/tokenizer.h"

namespace sweinfer::pipelines {

struct TokenizeOptions {
  std::string dataset_name_or_path;
  std::string output_dir;
  std::string tokenizer_name = "cl100k";
  tokenizer::TokenizerOptions tokenizer_files;
  std::vector<std::string> splits;  // default: every split (a single file is split "test")
  int num_proc = 0;                 // 0: one thread per core
  bool quiet = false;
};

// One row's ids; nullopt when the row is dropped (no text or patch, or text over 5,000,000 chars).
std::optional<dataset::Record> TokenizeRow(const dataset::Record& row, bool is_test, const tokenizer::Tokenizer& tok);

// Returns the path written.
std::string RunTokenize(const TokenizeOptions& options);

}  // namespace sweinfer::pipelines
