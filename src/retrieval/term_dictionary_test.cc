#include "retrieval/term_dictionary.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <thread>

namespace sweinfer::retrieval {
namespace {

// What the counts must be: the analyzer's terms, counted naively by string.
std::map<std::string, uint32_t> NaiveCounts(const std::string& text) {
  Analyzer analyzer;
  std::map<std::string, uint32_t> counts;
  analyzer.Analyze(text, [&](std::string_view t) { ++counts[std::string(t)]; });
  return counts;
}

std::map<std::string, uint32_t> ByTerm(const TermDictionary& dictionary, const TermCounts& counts) {
  std::map<std::string, uint32_t> out;
  for (const auto& [id, tf] : counts.terms) out[std::string(dictionary.TermOf(id))] = tf;
  return out;
}

TEST(TermCounter, EqualsCountingTheAnalyzersTermsWhateverTheMemo) {
  const std::string long_token(40, 'q');  // longer than a memo slot holds inline
  const std::string text = "def running(self, x):\n    return self.running_total + x  # the THE The\n" + long_token +
                           " " + long_token + " caf\xc3\xa9 caf\xc3\xa9's na\xc3\xafve John's john " +
                           std::string(300, 'z') + "\n\xe6\x97\xa5\xe6\x9c\xac x_1.y 3,5 __init__";
  TermDictionary dictionary;
  TermCounter counter(dictionary);
  for (int round = 0; round < 3; ++round) {  // the second and third rounds hit the memo
    TermCounts counts = counter.Count(text);
    auto expected = NaiveCounts(text);
    EXPECT_EQ(ByTerm(dictionary, counts), expected) << "round " << round;
    uint32_t total = 0;
    for (const auto& [term, tf] : expected) total += tf;
    EXPECT_EQ(counts.length, total);
    for (size_t i = 1; i < counts.terms.size(); ++i) EXPECT_LT(counts.terms[i - 1].first, counts.terms[i].first);
  }
  EXPECT_EQ(counter.Count("").length, 0u);
  EXPECT_EQ(counter.Count("the a of").terms.size(), 0u);  // stop words only
}

TEST(TermCounter, ManyDistinctTokensPastTheMemoBound) {
  // More distinct tokens than the memo keeps: the ones past the bound are filtered every time.
  std::string text;
  for (int i = 0; i < 300000; ++i) text += "t" + std::to_string(i) + (i % 7 == 0 ? "s " : " ");
  TermDictionary dictionary;
  TermCounter counter(dictionary);
  TermCounts first = counter.Count(text), second = counter.Count(text);
  EXPECT_EQ(first.terms, second.terms);
  EXPECT_EQ(first.length, 300000u);
  EXPECT_EQ(dictionary.size(), 300000u);
}

TEST(TermDictionary, OneIdPerTermAcrossThreads) {
  TermDictionary dictionary;
  std::vector<std::vector<uint32_t>> ids(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20000; ++i) ids[t].push_back(dictionary.Intern("term" + std::to_string(i)));
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 1; t < 4; ++t) EXPECT_EQ(ids[t], ids[0]);
  EXPECT_EQ(dictionary.size(), 20000u);
  EXPECT_EQ(dictionary.TermOf(ids[0][123]), "term123");
  EXPECT_EQ(dictionary.Find("term7"), ids[0][7]);
  EXPECT_EQ(dictionary.Find("absent"), std::nullopt);
  std::vector<uint32_t> batch;
  dictionary.InternAll({"term5", "new", "new"}, batch);
  EXPECT_EQ(batch[0], ids[0][5]);
  EXPECT_EQ(batch[1], batch[2]);
  EXPECT_EQ(dictionary.TermOf(batch[1]), "new");
}

}  // namespace
}  // namespace sweinfer::retrieval
