// The tokenizers sweinfer counts and encodes with, behind one interface: tiktoken BPE encodings
// (cl100k, o200k, p50k, r50k) and Llama sentencepiece models. LoadTokenizer finds the files:
// rank files in --tiktoken_dir, then $TIKTOKEN_CACHE_DIR (tiktoken's own cache, named by the SHA-1
// of the URL, or by file name), then ~/.cache/sweinfer/tiktoken; when missing and online, they are
// downloaded from the official URL and their SHA-256 checked before use, as tiktoken does.
// Tokenizers are immutable once loaded and safe to share across threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sweinfer::tokenizer {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  // The reference's token ids for `text`: no BOS/EOS; tiktoken with special tokens as text.
  virtual std::vector<int64_t> Encode(std::string_view text) const = 0;
  virtual std::string Decode(const std::vector<int64_t>& ids) const = 0;
  // Ids with the model's special tokens recognised (e.g. "</s>" -> EOS for Llama, "<|endoftext|>").
  virtual std::vector<int64_t> EncodeWithSpecials(std::string_view text) const = 0;
  // The reference's eos_token text ("</s>" for Llama, "" for tiktoken encodings).
  virtual std::string EosToken() const = 0;
  virtual const std::string& name() const = 0;
};

struct TokenizerOptions {
  std::string tiktoken_dir;     // first place to look for .tiktoken files
  std::string tokenizer_path;   // Llama: tokenizer.model or tokenizer.json, or a directory holding one
  bool allow_download = true;
};

// name: cl100k, o200k, p50k, r50k (or their *_base names), or llama. Throws Error naming the
// file or path that is missing or does not load.
std::unique_ptr<Tokenizer> LoadTokenizer(const std::string& name, const TokenizerOptions& options);

// The reference's "tokenize '\n' + text and drop through the first newline id (13)" for Llama.
std::vector<int64_t> LlamaIdsWithoutLeadingSpace(const Tokenizer& llama, std::string_view text);

}  // namespace sweinfer::tokenizer
