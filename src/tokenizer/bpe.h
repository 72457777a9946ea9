// Byte-pair encoding with exactly tiktoken's behaviour for cl100k_base, o200k_base, p50k_base and
// r50k_base: the encoding's pre-tokenisation (pretokenize.h), merges by rank, special tokens either
// encoded as ordinary text (what the reference does with disallowed_special=()) or as their ids.
// Rank files are the standard .tiktoken format (base64 token, space, rank per line).
// A BpeTokenizer is immutable after loading and safe to share across threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/pretokenize.h"

namespace sweinfer::tokenizer {

struct BpeEncodingSpec {
  std::string name;            // "cl100k_base"
  std::string file_name;       // "cl100k_base.tiktoken"
  std::string url;             // official download location
  std::string sha256;          // of the rank file
  PreTokenizer pre_tokenizer;
  std::vector<std::pair<std::string, uint32_t>> special_tokens;
};

// Known encodings: cl100k_base (alias cl100k), o200k_base (o200k), p50k_base, r50k_base.
std::optional<BpeEncodingSpec> FindBpeEncoding(std::string_view name);

class BpeTokenizer {
 public:
  // Parses a rank file's bytes; throws Error naming `source` and the line on a corrupt file.
  BpeTokenizer(const BpeEncodingSpec& spec, std::string_view rank_file, const std::string& source);
  ~BpeTokenizer();
  BpeTokenizer(const BpeTokenizer&) = delete;
  BpeTokenizer& operator=(const BpeTokenizer&) = delete;

  // Special tokens in the text are ordinary text unless allow_special. Invalid UTF-8 is replaced.
  std::vector<uint32_t> Encode(std::string_view text, bool allow_special = false) const;
  size_t CountTokens(std::string_view text) const;
  // Bytes of the ids (special ids become their text). Throws Error on an unknown id.
  std::string Decode(const std::vector<uint32_t>& ids) const;
  const BpeEncodingSpec& spec() const { return spec_; }
  size_t vocabulary_size() const;

 private:
  void EncodeOrdinary(std::string_view text, std::vector<uint32_t>& out) const;
  void EncodePiece(std::string_view piece, std::vector<uint32_t>& out) const;
  struct Ranks;
  BpeEncodingSpec spec_;
  std::unique_ptr<Ranks> ranks_;
};

}  // namespace sweinfer::tokenizer
