#include "tokenizer/tokenizer.h"
#include "util/digest.h"

#include <gtest/gtest.h>

#include "dataset/jsonl.h"
#include "test_support.h"
#include "util/error.h"

namespace sweinfer::tokenizer {
namespace {

TEST(LlamaTokenizer, MatchesSentencepieceConformance) {
  SWEINFER_REQUIRE_SHARED(shared);
  TokenizerOptions o;
  o.tokenizer_path = shared + "/tokenizers/llama2.model";
  auto llama = LoadTokenizer("llama", o);
  size_t cases = 0, matched = 0;
  dataset::ForEachJsonl(shared + "/conformance/tokens/llama.jsonl", [&](dataset::Record&& r, size_t) {
    ++cases;
    auto ids = llama->Encode(r["text"].get<std::string>());
    if (ids == r["ids"].get<std::vector<int64_t>>()) ++matched;
    return true;
  });
  std::printf("llama conformance: %zu/%zu texts\n", matched, cases);
  EXPECT_GT(cases, 500u);
  EXPECT_EQ(matched, cases);
  // "</s>" is the EOS id when specials are recognised; the newline trick drops the leading space piece.
  auto with_eos = llama->EncodeWithSpecials("fix\n</s>");
  EXPECT_EQ(with_eos.back(), 2);
  auto plain = llama->Encode("x = 1");
  auto trick = LlamaIdsWithoutLeadingSpace(*llama, "x = 1");
  EXPECT_NE(plain.front(), trick.front());
  EXPECT_EQ(llama->Decode(trick), "x = 1");
}

TEST(TokenizerFiles, LookupOrderAndClearErrors) {
  SWEINFER_REQUIRE_SHARED(shared);
  TokenizerOptions o;
  o.tiktoken_dir = shared + "/tokenizers";
  o.allow_download = false;
  EXPECT_EQ(LoadTokenizer("cl100k", o)->Encode("hello world"), (std::vector<int64_t>{15339, 1917}));
  // $TIKTOKEN_CACHE_DIR with tiktoken's own naming (SHA-1 of the URL).
  testing::ScratchDir cache;
  std::string url = "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken";
  std::filesystem::copy_file(shared + "/tokenizers/o200k_base.tiktoken", cache / Sha1Hex(url));
  setenv("TIKTOKEN_CACHE_DIR", cache.path().c_str(), 1);
  TokenizerOptions from_cache;
  from_cache.allow_download = false;
  EXPECT_EQ(LoadTokenizer("o200k", from_cache)->name(), "o200k_base");
  unsetenv("TIKTOKEN_CACHE_DIR");
  EXPECT_EQ(Sha256Hex(testing::ReadFile(shared + "/tokenizers/cl100k_base.tiktoken")),
            "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7");
  TokenizerOptions bad;
  bad.tokenizer_path = cache / "nope.model";
  EXPECT_THROW(LoadTokenizer("llama", bad), Error);
  testing::WriteFile(cache / "broken.model", "not a model");
  bad.tokenizer_path = cache / "broken.model";
  try {
    LoadTokenizer("llama", bad);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("broken.model"), std::string::npos);
  }
  EXPECT_THROW(LoadTokenizer("gpt5", o), Error);
}

}  // namespace
}  // namespace sweinfer::tokenizer
