// Hugging Face `tokenizer.json` tokenizers, for Llama-family models shipped without a
// tokenizer.model: models BPE (merges by rank, byte_fallback, unk, ignore_merges) and Unigram
// (Viterbi over piece scores, byte_fallback); normalizers Sequence, Prepend, Replace, NFC, NFKC,
// Lowercase; pre-tokenizers Metaspace, ByteLevel, Split (regex), Digits, Sequence; added tokens.
// A file that uses anything else is rejected with an Error naming the file and the component.
#pragma once

#include <memory>
#include <string>

#include "tokenizer/tokenizer.h"

namespace sweinfer::tokenizer {

// `name` is what name() reports ("llama" turns on the Llama conventions of the pipelines).
std::unique_ptr<Tokenizer> LoadHfTokenizer(const std::string& tokenizer_json_path, const std::string& name = "hf");

}  // namespace sweinfer::tokenizer
