#include "pipelines/make_dataset.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "dataset/jsonl.h"
#include "test_support.h"
#include "text/python_str.h"

namespace sweinfer::pipelines {
namespace {

struct Instances {
  std::map<std::string, dataset::Record> by_id;
};

Instances LoadInstances(const std::string& shared) {
  Instances all;
  for (const char* f : {"verified_test.jsonl", "lite_test.jsonl", "lite_dev.jsonl", "full_dev.jsonl"}) {
    dataset::ForEachJsonl(shared + "/swebench/" + f, [&](dataset::Record&& r, size_t) {
      std::string id = r["instance_id"].get<std::string>();
      all.by_id[id] = std::move(r);  // lite wins: it is read after verified
      return true;
    });
  }
  dataset::ForEachJsonl(shared + "/conformance/synthetic/instances.jsonl", [&](dataset::Record&& r, size_t) {
    std::string id = r["instance_id"].get<std::string>();
    all.by_id[id] = std::move(r);
    return true;
  });
  return all;
}

class PromptConformance : public ::testing::TestWithParam<std::string> {};

TEST_P(PromptConformance, ByteIdenticalToReference) {
  SWEINFER_REQUIRE_SHARED(shared);
  const std::string slug = GetParam();
  std::string repo_path;
  testing::ScratchDir scratch;
  if (slug == "golden__synthetic") {
    repo_path = scratch / "synthetic.git";
    std::string cmd = "git clone -q --bare " + shared + "/conformance/synthetic/synthetic.bundle " + repo_path;
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  } else {
    repo_path = shared + "/repos/" + slug + ".git";
  }
  static const Instances instances = LoadInstances(shared);
  auto repo = git::Repository::Open(repo_path);
  size_t rows = 0, matched = 0;
  dataset::ForEachJsonl(shared + "/conformance/prompts/" + slug + ".jsonl", [&](dataset::Record&& golden, size_t line) {
    ++rows;
    const std::string id = golden["instance_id"].get<std::string>();
    auto it = instances.by_id.find(id);
    if (it == instances.by_id.end()) {
      ADD_FAILURE() << "no instance " << id;
      return true;
    }
    auto style = *prompt::ParsePromptStyle(golden["prompt_style"].get<std::string>());
    auto source = *ParseFileSource(golden["file_source"].get<std::string>());
    InstancePrompt built = BuildInstancePrompt(repo.Snapshot(golden["base_commit"].get<std::string>()), it->second,
                                               style, source);
    dataset::Record text = built.text_inputs
                               ? dataset::Record(std::string(text::PythonStrip(*built.text_inputs)) + "\n\n")
                               : dataset::Record(nullptr);
    bool ok = text == golden["text"];
    if (golden["error"].is_string()) ok = ok && built.error == golden["error"].get<std::string>();
    if (ok) {
      ++matched;
    } else if (rows - matched <= 3) {
      std::string want = golden["text"].is_string() ? golden["text"].get<std::string>() : "null";
      std::string got = text.is_string() ? text.get<std::string>() : "null (" + built.error + ")";
      size_t diff = 0;
      while (diff < want.size() && diff < got.size() && want[diff] == got[diff]) ++diff;
      ADD_FAILURE() << slug << ":" << line << " " << id << " " << golden["prompt_style"] << "/"
                    << golden["file_source"] << " differs at byte " << diff << "\nwant: "
                    << want.substr(diff > 80 ? diff - 80 : 0, 240) << "\ngot:  " << got.substr(diff > 80 ? diff - 80 : 0, 240)
                    << "\nerror want: " << golden["error"];
    }
    return true;
  });
  std::printf("prompt conformance %s: %zu/%zu rows byte-identical\n", slug.c_str(), matched, rows);
  EXPECT_GT(rows, 0u);
  EXPECT_EQ(matched, rows);
}

INSTANTIATE_TEST_SUITE_P(SharedRepos, PromptConformance,
                         ::testing::Values("psf__requests", "pallets__flask", "mwaskom__seaborn",
                                           "pytest-dev__pytest", "golden__synthetic"));

}  // namespace
}  // namespace sweinfer::pipelines
