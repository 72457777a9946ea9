// libFuzzer target: decode(encode(x)) == x for every valid UTF-8 input (invalid input is first
// replaced, as the encoders do), for cl100k and o200k. Rank files come from
// $SWEINFER_SHARED_DIR/tokenizers (default ../shared/tokenizers beside the source tree).
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "text/python_str.h"
#include "tokenizer/tokenizer.h"

namespace {

std::unique_ptr<sweinfer::tokenizer::Tokenizer> Load(const char* name) {
  sweinfer::tokenizer::TokenizerOptions o;
  const char* shared = std::getenv("SWEINFER_SHARED_DIR");
  o.tiktoken_dir = std::string(shared ? shared : SWEINFER_SOURCE_DIR "/../shared") + "/tokenizers";
  o.allow_download = false;
  return sweinfer::tokenizer::LoadTokenizer(name, o);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto cl100k = Load("cl100k");
  static auto o200k = Load("o200k");
  std::string text = sweinfer::text::Utf8Replace(std::string_view(reinterpret_cast<const char*>(data), size));
  for (auto* tok : {cl100k.get(), o200k.get()}) {
    if (tok->Decode(tok->Encode(text)) != text) __builtin_trap();
  }
  return 0;
}
