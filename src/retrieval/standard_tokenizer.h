// Lucene's StandardTokenizer (the JFlex grammar of Lucene 8: UAX#29 word rules as a longest-match
// tokenizer, plus emoji sequences, one token per Han or Hiragana character, and tokens cut at
// 255 UTF-16 units), over Unicode Word_Break properties from ICU. ICU's own word BreakIterator is
// tailored differently (it splits "no:x" and keeps "@name"), so it is not used.
#pragma once

#include <string>
#include <vector>

namespace sweinfer::retrieval {

// Appends [begin, end) UTF-16 offsets of the tokens of `text` to `spans`.
void StandardTokenize(const std::u16string& text, std::vector<std::pair<size_t, size_t>>& spans);

}  // namespace sweinfer::retrieval
