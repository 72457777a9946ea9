#include "tokenizer/hf_tokenizer.h"

#include <gtest/gtest.h>
#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <algorithm>
#include <map>

#include "dataset/jsonl.h"
#include "test_support.h"
#include "util/error.h"

namespace sweinfer::tokenizer {
namespace {

using dataset::Record;

// What transformers' LlamaConverter writes for a sentencepiece BPE model (merges from the vocab
// ordered by the merged piece's score, as its SentencePieceExtractor does).
Record ConvertSentencePieceBpe(const sentencepiece::SentencePieceProcessor& sp) {
  Record vocab = Record::object();
  std::map<std::string, int> ids;
  for (int i = 0; i < sp.GetPieceSize(); ++i) {
    vocab[sp.IdToPiece(i)] = i;
    ids[sp.IdToPiece(i)] = i;
  }
  struct Merge {
    std::string left, right;
    float score;
    int order;
  };
  std::vector<Merge> merges;
  for (int i = 0; i < sp.GetPieceSize(); ++i) {
    std::string piece = sp.IdToPiece(i);
    std::vector<Merge> local;
    for (size_t k = 1; k < piece.size(); ++k) {
      std::string l = piece.substr(0, k), r = piece.substr(k);
      if (ids.count(l) && ids.count(r)) local.push_back({l, r, sp.GetScore(i), 0});
    }
    std::sort(local.begin(), local.end(), [&](const Merge& a, const Merge& b) {
      return std::make_pair(ids[a.left], ids[a.right]) < std::make_pair(ids[b.left], ids[b.right]);
    });
    merges.insert(merges.end(), local.begin(), local.end());
  }
  std::stable_sort(merges.begin(), merges.end(), [](const Merge& a, const Merge& b) { return a.score > b.score; });
  Record merge_list = Record::array();
  for (const auto& m : merges) merge_list.push_back(m.left + " " + m.right);
  return Record{
      {"added_tokens", Record::array({Record{{"id", 0}, {"content", "<unk>"}, {"special", true}},
                                      Record{{"id", 1}, {"content", "<s>"}, {"special", true}},
                                      Record{{"id", 2}, {"content", "</s>"}, {"special", true}}})},
      {"normalizer", Record{{"type", "Sequence"},
                            {"normalizers", Record::array({Record{{"type", "Prepend"}, {"prepend", "\xe2\x96\x81"}},
                                                           Record{{"type", "Replace"},
                                                                  {"pattern", Record{{"String", " "}}},
                                                                  {"content", "\xe2\x96\x81"}}})}}},
      {"pre_tokenizer", nullptr},
      {"model", Record{{"type", "BPE"}, {"vocab", vocab}, {"merges", merge_list}, {"byte_fallback", true},
                       {"fuse_unk", true}, {"unk_token", "<unk>"}}}};
}

std::vector<std::string> ConformanceTexts(const std::string& shared, size_t limit) {
  std::vector<std::string> texts;
  dataset::ForEachJsonl(shared + "/conformance/tokens/llama.jsonl", [&](Record&& r, size_t) {
    texts.push_back(r["text"]);
    return texts.size() < limit;
  });
  return texts;
}

TEST(HfTokenizer, BpeTokenizerJsonOfLlamaMatchesSentencepiece) {
  SWEINFER_REQUIRE_SHARED(shared);
  sentencepiece::SentencePieceProcessor sp;
  ASSERT_TRUE(sp.Load(shared + "/tokenizers/llama2.model").ok());
  testing::ScratchDir dir;
  testing::WriteFile(dir / "tokenizer.json", ConvertSentencePieceBpe(sp).dump());
  auto hf = LoadHfTokenizer(dir / "tokenizer.json", "llama");
  size_t matched = 0;
  auto texts = ConformanceTexts(shared, 300);
  for (const auto& text : texts) {
    std::vector<int> expected;
    ASSERT_TRUE(sp.Encode(text, &expected).ok());
    auto ids = hf->Encode(text);
    if (std::vector<int64_t>(expected.begin(), expected.end()) == ids) ++matched;
    EXPECT_EQ(hf->Decode(ids), text.empty() ? "" : text);
  }
  std::printf("tokenizer.json (BPE, converted llama2.model): %zu/%zu texts equal to sentencepiece\n", matched,
              texts.size());
  EXPECT_EQ(matched, texts.size());
  EXPECT_EQ(hf->EncodeWithSpecials("a</s>").back(), 2);
}

TEST(HfTokenizer, UnigramTokenizerJsonMatchesSentencepiece) {
  SWEINFER_REQUIRE_SHARED(shared);
  testing::ScratchDir dir;
  // Train a small unigram model on the conformance texts themselves.
  std::string corpus;
  for (const auto& t : ConformanceTexts(shared, 823)) corpus += t + "\n";
  testing::WriteFile(dir / "corpus.txt", corpus);
  auto status = sentencepiece::SentencePieceTrainer::Train(
      "--input=" + (dir / "corpus.txt") + " --model_prefix=" + (dir / "uni") +
      " --vocab_size=800 --model_type=unigram --normalization_rule_name=identity --byte_fallback=true"
      " --remove_extra_whitespaces=false"
      " --minloglevel=2 --num_threads=2");
  ASSERT_TRUE(status.ok()) << status.ToString();
  sentencepiece::SentencePieceProcessor sp;
  ASSERT_TRUE(sp.Load(dir / "uni.model").ok());
  Record vocab = Record::array();
  for (int i = 0; i < sp.GetPieceSize(); ++i) vocab.push_back(Record::array({sp.IdToPiece(i), sp.GetScore(i)}));
  Record config{{"added_tokens", Record::array()},
                {"normalizer", nullptr},
                {"pre_tokenizer", Record{{"type", "Metaspace"}, {"replacement", "\xe2\x96\x81"},
                                         {"prepend_scheme", "always"}, {"split", false}}},
                {"model", Record{{"type", "Unigram"}, {"unk_id", sp.unk_id()}, {"vocab", vocab}, {"byte_fallback", true}}}};
  testing::WriteFile(dir / "tokenizer.json", config.dump());
  auto hf = LoadHfTokenizer(dir / "tokenizer.json");
  size_t matched = 0, total = 0, ties = 0;
  // Lines of the conformance texts (sentencepiece models see one line at a time).
  std::vector<std::string> lines;
  for (const auto& t : ConformanceTexts(shared, 823)) {
    size_t start = 0;
    while (start < t.size() && lines.size() < 1500) {
      size_t nl = t.find('\n', start);
      std::string line = t.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
      start = nl == std::string::npos ? t.size() : nl + 1;
      // Hugging Face's Metaspace prepends no "▁" to text that starts with a space; sentencepiece does.
      if (!line.empty() && line[0] != ' ' && line.find('\r') == std::string::npos) lines.push_back(line);
    }
  }
  for (const auto& text : lines) {
    ++total;
    std::vector<int> expected;
    ASSERT_TRUE(sp.Encode(text, &expected).ok());
    auto got = hf->Encode(text);
    if (std::vector<int64_t>(expected.begin(), expected.end()) == got) {
      ++matched;
      continue;
    }
    // Otherwise both must be best segmentations: equal total score (a tie broken differently,
    // since sentencepiece sums in float and the tokenizers library in double).
    double a = 0, b = 0;
    for (int id : expected) a += sp.GetScore(id);
    for (auto id : got) b += sp.GetScore(static_cast<int>(id));
    EXPECT_NEAR(a, b, 1e-3) << "not a tie: " << text;
    ++ties;
  }
  std::printf("tokenizer.json (Unigram): %zu/%zu texts equal to sentencepiece, %zu equal-score ties\n", matched,
              total, ties);
  EXPECT_GT(total, 1000u);
  EXPECT_GE(matched * 100, total * 98);  // ties are rare; each was checked to be one above
}

TEST(HfTokenizer, UnsupportedComponentsAreNamed) {
  testing::ScratchDir dir;
  testing::WriteFile(dir / "t.json", R"({"model": {"type": "WordPiece", "vocab": {}}})");
  try {
    LoadHfTokenizer(dir / "t.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("WordPiece"), std::string::npos);
  }
}

}  // namespace
}  // namespace sweinfer::tokenizer
