#include "pipelines/tokenize_dataset.h"

#include <gtest/gtest.h>

#include "dataset/dataset.h"
#include "test_support.h"

namespace sweinfer::pipelines {
namespace {

std::unique_ptr<tokenizer::Tokenizer> Cl100k(const std::string& shared) {
  tokenizer::TokenizerOptions o;
  o.tiktoken_dir = shared + "/tokenizers";
  o.allow_download = false;
  return tokenizer::LoadTokenizer("cl100k", o);
}

TEST(TokenizeRow, TrainMasksThePromptAndTestKeepsThemApart) {
  SWEINFER_REQUIRE_SHARED(shared);
  auto tok = Cl100k(shared);
  dataset::Record row{{"instance_id", "x"}, {"text", "  Fix the bug.\n\n"}, {"patch", "<patch>\n-a\n+b\n</patch>\n"}};
  auto train = *TokenizeRow(row, false, *tok);
  auto text_ids = tok->Encode("Fix the bug.\n");
  auto patch_ids = tok->Encode("<patch>\n-a\n+b\n</patch>");
  EXPECT_EQ(train["text"], "Fix the bug.\n");
  auto input_ids = train["input_ids"].get<std::vector<int64_t>>();
  auto labels = train["labels"].get<std::vector<int64_t>>();
  ASSERT_EQ(input_ids.size(), labels.size());
  EXPECT_EQ(input_ids.size(), text_ids.size() + patch_ids.size() - 1);
  EXPECT_EQ(labels[text_ids.size() - 2], -100);
  EXPECT_EQ(std::vector<int64_t>(labels.end() - patch_ids.size(), labels.end()), patch_ids);
  auto test = *TokenizeRow(row, true, *tok);
  EXPECT_EQ(test["input_ids"].get<std::vector<int64_t>>(), text_ids);
  EXPECT_EQ(test["labels"].get<std::vector<int64_t>>(), patch_ids);
  EXPECT_FALSE(TokenizeRow(dataset::Record{{"text", nullptr}, {"patch", "p"}}, true, *tok).has_value());
  EXPECT_FALSE(TokenizeRow(dataset::Record{{"text", std::string(5'000'001, 'a')}, {"patch", "p"}}, true, *tok));
}

TEST(TokenizeRow, LlamaAddsEosAndUsesTheNewlineTrick) {
  SWEINFER_REQUIRE_SHARED(shared);
  tokenizer::TokenizerOptions o;
  o.tokenizer_path = shared + "/tokenizers/llama2.model";
  auto llama = tokenizer::LoadTokenizer("llama", o);
  dataset::Record row{{"text", "Issue\n"}, {"patch", "--- a/x\n+++ b/x\n"}};
  auto train = *TokenizeRow(row, false, *llama);
  EXPECT_EQ(train["patch"], "--- a/x\n+++ b/x\n</s>");
  auto labels = train["labels"].get<std::vector<int64_t>>();
  EXPECT_EQ(labels.back(), 2);  // EOS
  auto patch_ids = tokenizer::LlamaIdsWithoutLeadingSpace(*llama, "--- a/x\n+++ b/x\n</s>");
  EXPECT_EQ(std::vector<int64_t>(labels.end() - patch_ids.size(), labels.end()), patch_ids);
}

TEST(Tokenize, WholeDatasetInItsOwnFormat) {
  SWEINFER_REQUIRE_SHARED(shared);
  testing::ScratchDir dir;
  std::vector<dataset::Record> rows;
  dataset::ForEachJsonl(shared + "/conformance/prompts/pallets__flask.jsonl", [&](dataset::Record&& r, size_t) {
    if (r["prompt_style"] == "style-3") rows.push_back(dataset::Record{{"instance_id", r["instance_id"]}, {"text", r["text"]}, {"patch", r["patch"]}});
    return true;
  });
  dataset::WriteDataset(dir / "flask_text", dataset::OutputFormat::kArrow, {{"train", rows}, {"test", rows}});
  TokenizeOptions o;
  o.dataset_name_or_path = dir / "flask_text";
  o.output_dir = dir / "out";
  o.tokenizer_files.tiktoken_dir = shared + "/tokenizers";
  o.num_proc = 2;
  o.quiet = true;
  std::string out = RunTokenize(o);
  EXPECT_EQ(out, dir / "out/flask_text__tok-cl100k");
  auto ds = dataset::Dataset::Open(out);
  auto train = ds.LoadSplit("train"), test = ds.LoadSplit("test");
  ASSERT_EQ(train.size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(train[i]["input_ids"].size(), train[i]["labels"].size());
    EXPECT_EQ(test[i]["instance_id"], rows[i]["instance_id"]);
  }
}

}  // namespace
}  // namespace sweinfer::pipelines
