// The analysis chain of Pyserini's default English analyzer, which the reference's BM25 uses for
// documents and queries alike: StandardTokenizer (UAX#29 word breaks, tokens split at 255 UTF-16
// units) -> EnglishPossessiveFilter -> LowerCaseFilter -> the 33 English stop words -> Porter
// (Lucene's). Word breaks come from ICU. An Analyzer is cheap; use one per thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace sweinfer::retrieval {

class Analyzer {
 public:
  Analyzer();
  ~Analyzer();
  Analyzer(const Analyzer&) = delete;
  Analyzer& operator=(const Analyzer&) = delete;

  // Calls `term(utf8_term)` for every indexed term of `text` (valid UTF-8), in order. The view is
  // valid during the call only.
  void Analyze(std::string_view text, const std::function<void(std::string_view)>& term);

  // The same with a key per term, for callers that count terms: a key other than kNoKey always
  // means the same term for this Analyzer, so the caller can map keys to its own ids without
  // hashing the term again. (Keys name the raw ASCII tokens the analyzer has memoised: a repeated
  // token costs one lookup instead of lowercasing, stop words and stemming.)
  static constexpr uint32_t kNoKey = 0xFFFFFFFF;
  void AnalyzeKeyed(std::string_view text, const std::function<void(std::string_view, uint32_t)>& term);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sweinfer::retrieval
