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

  // For callers that count terms and memoise the filters: the tokens of ASCII chunks (most of any
  // source file) come raw, as the tokenizer cut them, and FilterAscii gives their terms; the terms
  // of other chunks come filtered. In text order.
  class TokenSink {
   public:
    virtual ~TokenSink() = default;
    virtual void RawAsciiToken(std::string_view token) = 0;
    virtual void Term(std::string_view term) = 0;
  };
  void AnalyzeTokens(std::string_view text, TokenSink& sink);
  // Possessive, lowercase, stop words, Porter for a raw ASCII token: its term, "" when the filters
  // drop it. The view is valid until the next call on this Analyzer.
  std::string_view FilterAscii(std::string_view token);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sweinfer::retrieval
