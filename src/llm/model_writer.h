// Writing a loaded model in the two formats other tools read: a Hugging Face safetensors directory
// (config.json, the source's tokenizer files, model.safetensors or shards with
// model.safetensors.index.json) and a GGUF v3 file that llama.cpp loads (its tensor names, Q/K rows
// in its interleaved RoPE order, llama.cpp's metadata keys and general.file_type, the vocabulary
// embedded). Matrices are converted row by row as they are written (never the whole model in
// memory at once) with the same rounding as everything else here (llm/quants.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "llm/llama.h"

namespace sweinfer::llm {

// A sentencepiece-style vocabulary as GGUF embeds it (tokenizer.ggml.*).
struct GgufVocabulary {
  std::string model = "llama";
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<int32_t> types;  // 1 normal, 2 unknown, 3 control, 4 user defined, 5 unused, 6 byte
  int bos_id = 1, eos_id = 2;
  std::optional<int> unknown_id, padding_id;
};

// The vocabulary of a model source: a GGUF file's own, a directory's tokenizer.model
// (sentencepiece) or tokenizer.json (its vocab and added tokens; <0xNN> pieces are bytes).
GgufVocabulary ReadVocabulary(const std::string& source);

// Writes `model` as GGUF with every matrix in the type `recipe` gives it (norms in F32).
void WriteGguf(const LlamaModel& model, const QuantRecipe& recipe, const GgufVocabulary& vocabulary,
               const std::string& path);

// Writes `model` as a Hugging Face directory with matrices in `type` (F32, F16 or BF16; block types
// have no safetensors form), shards of at most `shard_bytes`, and the tokenizer files of
// `tokenizer_dir` (when it has any) copied beside them.
void WriteSafetensorsDirectory(const LlamaModel& model, DType type, const std::string& dir,
                               const std::string& tokenizer_dir, uint64_t shard_bytes = uint64_t{5} << 30);

}  // namespace sweinfer::llm
