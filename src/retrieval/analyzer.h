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

  // Calls `term(utf8_term)` for every indexed term of `text` (valid UTF-8), in order.
  void Analyze(std::string_view text, const std::function<void(const std::string&)>& term);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sweinfer::retrieval
