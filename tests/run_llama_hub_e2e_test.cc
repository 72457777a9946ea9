// The reference's own run_llama examples, unchanged, against a local hub: hub model names, a hub
// dataset, a base model with a hub PEFT adapter, and a gated model's clear error.
#include <gtest/gtest.h>

#include "dataset/jsonl.h"
#include "dataset/parquet_writer.h"
#include "fake_hub.h"
#include "random_llama.h"
#include "test_support.h"

namespace sweinfer {
namespace {

namespace fs = std::filesystem;

class RunLlamaFromHub : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::RandomLlamaSpec spec;
    spec.dtype = llm::DType::kBF16;
    model_ = testing::MakeRandomLlama(spec);
    testing::WriteHuggingFace(model_, dir_ / "swe-llama-13b");
    testing::WriteHuggingFace(model_, dir_ / "codellama-7b-python");
    testing::WriteLora(model_, dir_ / "swe-llama-7b-peft", {"q_proj", "v_proj"}, 4, 8.0f, 5);
    fs::create_directories(dir_ / "oracle/data");
    std::vector<dataset::Record> rows = {{{"instance_id", "django__django-1"}, {"text", "fix the bug\n"}},
                                         {{"instance_id", "sympy__sympy-2"}, {"text", "abc"}}};
    const std::string parquet = dataset::WriteParquetBytes(rows);
    testing::WriteFile(dir_ / "oracle/data/test-00000-of-00001.parquet", parquet);
    hub_.AddModel("princeton-nlp/SWE-Llama-13b", dir_ / "swe-llama-13b");
    hub_.AddModel("codellama/CodeLlama-7b-Python-hf", dir_ / "codellama-7b-python");
    hub_.AddModel("princeton-nlp/SWE-Llama-7b-peft", dir_ / "swe-llama-7b-peft");
    hub_.AddDataset("princeton-nlp/SWE-bench_oracle", dir_ / "oracle");
    hub_.AddGatedModel("meta-llama/Llama-2-7b-hf");
    env_ = "HF_ENDPOINT=" + hub_.endpoint() + " HF_HUB_CACHE=" + (dir_ / "cache") + " HF_TOKEN= ";
  }
  int Run(const std::string& args, const std::string& err = "/dev/null") {
    const std::string cmd = env_ + SWEINFER_BINARY + " " + args + " >/dev/null 2>" + err;
    const int status = std::system(cmd.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  testing::ScratchDir dir_;
  testing::FakeHub hub_;
  testing::RandomLlama model_;
  std::string env_;
};

TEST_F(RunLlamaFromHub, TheReferencesTwoExampleCommandsRunUnchanged) {
  ASSERT_EQ(Run("run_llama --model_name_or_path princeton-nlp/SWE-Llama-13b --dataset_path princeton-nlp/SWE-bench_oracle "
                "--output_dir " + (dir_ / "out1") + " --max_new_tokens 6 --quiet"),
            0);
  ASSERT_EQ(Run("run_llama --model_name_or_path codellama/CodeLlama-7b-Python-hf --peft_path princeton-nlp/SWE-Llama-7b-peft "
                "--dataset_path princeton-nlp/SWE-bench_oracle --output_dir " + (dir_ / "out2") + " --max_new_tokens 6 --quiet"),
            0);
  // Output names and fields as the reference writes them for hub names.
  const std::string first = dir_ / "out1/SWE-bench_oracle__test__SWE-Llama-13b__temp-0.0__top-p-1.0.jsonl";
  const std::string second =
      dir_ / "out2/SWE-bench_oracle__test__CodeLlama-7b-Python-hf__SWE-Llama-7b-peft__temp-0.0__top-p-1.0.jsonl";
  ASSERT_TRUE(fs::exists(first));
  ASSERT_TRUE(fs::exists(second));
  const auto rows = dataset::ReadJsonl(first);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["model_name_or_path"], "princeton-nlp/SWE-Llama-13b");
  EXPECT_EQ(dataset::ReadJsonl(second)[0]["model_name_or_path"],
            "codellama/CodeLlama-7b-Python-hf__princeton-nlp/SWE-Llama-7b-peft");
  // The models landed in the huggingface_hub cache layout and are reused offline.
  EXPECT_TRUE(fs::is_directory(dir_ / "cache/models--princeton-nlp--SWE-Llama-13b/snapshots"));
  EXPECT_TRUE(fs::is_directory(dir_ / "cache/models--princeton-nlp--SWE-Llama-7b-peft/snapshots"));
  env_ += "HF_HUB_OFFLINE=1 ";
  EXPECT_EQ(Run("run_llama --model_name_or_path princeton-nlp/SWE-Llama-13b --dataset_path princeton-nlp/SWE-bench_oracle "
                "--output_dir " + (dir_ / "out3") + " --max_new_tokens 6 --quiet"),
            0);
  EXPECT_EQ(testing::ReadFile(dir_ / "out3/SWE-bench_oracle__test__SWE-Llama-13b__temp-0.0__top-p-1.0.jsonl"),
            testing::ReadFile(first));
}

TEST_F(RunLlamaFromHub, AGatedModelSaysWhichTokenToSet) {
  EXPECT_NE(Run("run_llama --model_name_or_path meta-llama/Llama-2-7b-hf --dataset_path princeton-nlp/SWE-bench_oracle "
                "--output_dir " + (dir_ / "out") + " --quiet", dir_ / "err.txt"),
            0);
  const std::string err = testing::ReadFile(dir_ / "err.txt");
  EXPECT_NE(err.find("HTTP 401"), std::string::npos) << err;
  EXPECT_NE(err.find("HF_TOKEN"), std::string::npos) << err;
}

}  // namespace
}  // namespace sweinfer
