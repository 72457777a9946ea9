// convert-model: any model run-llama loads (hub name, Hugging Face directory with safetensors or
// torch .bin, Meta checkpoint, GGUF), optionally with a PEFT adapter merged first, written as a
// Hugging Face safetensors directory or as a GGUF file llama.cpp loads (llm/model_writer.h).
#pragma once

#include <optional>
#include <string>

namespace sweinfer::pipelines {

struct ConvertModelOptions {
  std::string input;   // path or hub name (owner/name)
  std::string output;  // a directory (safetensors) or a .gguf file
  std::string to;      // "safetensors" or "gguf"
  // safetensors: f32, f16, bf16 (default: the source's type when it is one of these, else bf16);
  // gguf: any llm::ParseQuantRecipe name (default f16).
  std::optional<std::string> type;
  std::optional<std::string> peft_path;  // path or hub name
  std::string revision = "main";
  bool quiet = false;
};

// Returns what was written (the directory or the file).
std::string ConvertModel(const ConvertModelOptions& options);

}  // namespace sweinfer::pipelines
