#include "pipelines/convert_model.h"

#include <cstdio>
#include <filesystem>

#include "hub/hub.h"
#include "llm/llama.h"
#include "llm/model_writer.h"
#include "util/error.h"

namespace sweinfer::pipelines {

namespace fs = std::filesystem;

std::string ConvertModel(const ConvertModelOptions& o) {
  if (o.to != "safetensors" && o.to != "gguf") throw Error("--to takes safetensors or gguf, not '" + o.to + "'");
  if (o.output.empty()) throw Error("convert-model needs an output path");
  hub::Options h = hub::OptionsFromEnvironment();
  h.revision = o.revision;
  h.quiet = o.quiet;
  const std::string source = hub::LooksLikeRepoId(o.input) ? hub::FetchModel(o.input, h) : o.input;
  llm::LlamaModel model = llm::LoadLlama(source);
  if (o.peft_path) {
    hub::Options adapter = h;
    adapter.revision = "main";
    llm::MergeLora(model, hub::LooksLikeRepoId(*o.peft_path) ? hub::FetchModel(*o.peft_path, adapter) : *o.peft_path);
  }
  std::error_code ec;
  const bool source_is_dir = fs::is_directory(source, ec);
  if (o.to == "gguf") {
    const llm::QuantRecipe recipe = llm::ParseQuantRecipe(o.type.value_or("f16"));
    const llm::GgufVocabulary vocabulary = llm::ReadVocabulary(source);
    if (fs::path(o.output).has_parent_path()) fs::create_directories(fs::path(o.output).parent_path());
    llm::WriteGguf(model, recipe, vocabulary, o.output);
  } else {
    llm::DType type = model.weight_dtype();
    if (o.type) {
      type = llm::ParseQuantRecipe(*o.type).base;
    } else if (type != llm::DType::kF32 && type != llm::DType::kF16 && type != llm::DType::kBF16) {
      type = llm::DType::kBF16;
    }
    llm::WriteSafetensorsDirectory(model, type, o.output, source_is_dir ? source : "");
  }
  if (!o.quiet) std::fprintf(stderr, "convert-model: wrote %s\n", o.output.c_str());
  return o.output;
}

}  // namespace sweinfer::pipelines
