#include "retrieval/analysis_cache.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "test_support.h"

namespace sweinfer::retrieval {
namespace {

using ::sweinfer::testing::ReadFile;
using ::sweinfer::testing::ScratchDir;
using ::sweinfer::testing::WriteFile;

const std::string kBlobA(40, 'a'), kBlobB(40, 'b');

TermCounts CountsOf(TermDictionary& dictionary, std::vector<std::pair<std::string, uint32_t>> terms) {
  TermCounts counts;
  for (const auto& [term, tf] : terms) {
    counts.terms.push_back({dictionary.Intern(term), tf});
    counts.length += tf;
  }
  std::sort(counts.terms.begin(), counts.terms.end());
  return counts;
}

std::map<std::string, uint32_t> ByTerm(const TermDictionary& dictionary, const TermCounts& counts) {
  std::map<std::string, uint32_t> out;
  for (const auto& [id, tf] : counts.terms) out[std::string(dictionary.TermOf(id))] = tf;
  return out;
}

TEST(AnalysisCache, ReloadsWhatItWroteInANewRunWithOtherTermIds) {
  ScratchDir dir;
  const std::string path = dir / "repo.analysis.bin";
  {
    TermDictionary dictionary;
    AnalysisCache cache(path, dictionary);
    EXPECT_EQ(cache.FindOrClaim(kBlobA), nullptr);
    cache.Add(kBlobA, CountsOf(dictionary, {{"def", 3}, {"run", 1}}));
    EXPECT_EQ(cache.FindOrClaim(kBlobB), nullptr);
    cache.Add(kBlobB, CountsOf(dictionary, {{"run", 2}, {"self", 5}}));
    EXPECT_EQ(cache.FindOrClaim(kBlobA + "|module"), nullptr);  // not a blob id: memory only
    cache.Add(kBlobA + "|module", CountsOf(dictionary, {{"x", 1}}));
  }
  TermDictionary dictionary;
  dictionary.Intern("unrelated");  // ids differ from the first run's
  AnalysisCache cache(path, dictionary);
  EXPECT_EQ(cache.loaded(), 2u);
  auto a = cache.FindOrClaim(kBlobA);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(ByTerm(dictionary, *a), (std::map<std::string, uint32_t>{{"def", 3}, {"run", 1}}));
  EXPECT_EQ(a->length, 4u);
  auto b = cache.FindOrClaim(kBlobB);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(ByTerm(dictionary, *b), (std::map<std::string, uint32_t>{{"run", 2}, {"self", 5}}));
  EXPECT_EQ(cache.FindOrClaim(kBlobA + "|module"), nullptr);
  cache.Abandon(kBlobA + "|module");
}

TEST(AnalysisCache, ATornTailIsCutAndTheFileStaysAppendable) {
  ScratchDir dir;
  const std::string path = dir / "repo.analysis.bin";
  size_t whole = 0;
  {
    TermDictionary dictionary;
    AnalysisCache cache(path, dictionary);
    cache.Add(kBlobA, CountsOf(dictionary, {{"alpha", 1}}));
    whole = std::filesystem::file_size(path);
    cache.Add(kBlobB, CountsOf(dictionary, {{"beta", 2}, {"gamma", 1}}));
  }
  // A crash in the middle of the second write: every cut point keeps the first blob only.
  const std::string full = ReadFile(path);
  for (size_t cut = whole; cut < full.size(); ++cut) {
    WriteFile(path, full.substr(0, cut));
    TermDictionary dictionary;
    AnalysisCache cache(path, dictionary);
    EXPECT_EQ(cache.loaded(), 1u) << "cut at " << cut;
    EXPECT_EQ(std::filesystem::file_size(path) <= cut, true);
  }
  // After a cut, new records follow the whole ones and load again.
  {
    TermDictionary dictionary;
    AnalysisCache cache(path, dictionary);
    EXPECT_EQ(cache.FindOrClaim(kBlobB), nullptr);
    cache.Add(kBlobB, CountsOf(dictionary, {{"beta", 2}, {"alpha", 7}}));
  }
  TermDictionary dictionary;
  AnalysisCache cache(path, dictionary);
  EXPECT_EQ(cache.loaded(), 2u);
  EXPECT_EQ(ByTerm(dictionary, *cache.FindOrClaim(kBlobB)), (std::map<std::string, uint32_t>{{"alpha", 7}, {"beta", 2}}));
}

TEST(AnalysisCache, AFileOfAnotherFormatIsStartedAfresh) {
  ScratchDir dir;
  const std::string path = dir / "repo.analysis.bin";
  WriteFile(path, std::string("\x30\x00\x00\x00", 4) + std::string(48, 'z'));  // the old format's framing
  TermDictionary dictionary;
  {
    AnalysisCache cache(path, dictionary);
    EXPECT_EQ(cache.loaded(), 0u);
    cache.Add(kBlobA, CountsOf(dictionary, {{"alpha", 1}}));
  }
  EXPECT_EQ(ReadFile(path).rfind("sweinfer-analysis-2\n", 0), 0u);
  AnalysisCache again(path, dictionary);
  EXPECT_EQ(again.loaded(), 1u);
}

TEST(AnalysisCache, AWorkerWaitsForABlobAnotherIsAnalysing) {
  ScratchDir dir;
  TermDictionary dictionary;
  AnalysisCache cache(dir / "repo.analysis.bin", dictionary);
  ASSERT_EQ(cache.FindOrClaim(kBlobA), nullptr);  // this thread claims it
  std::shared_ptr<const TermCounts> seen;
  std::thread other([&] { seen = cache.FindOrClaim(kBlobA); });  // waits, never claims
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  cache.Add(kBlobA, CountsOf(dictionary, {{"alpha", 3}}));
  other.join();
  ASSERT_NE(seen, nullptr);
  EXPECT_EQ(seen->length, 3u);
  // An abandoned claim lets the next asker claim it.
  ASSERT_EQ(cache.FindOrClaim(kBlobB), nullptr);
  cache.Abandon(kBlobB);
  EXPECT_EQ(cache.FindOrClaim(kBlobB), nullptr);
  cache.Abandon(kBlobB);
}

}  // namespace
}  // namespace sweinfer::retrieval
