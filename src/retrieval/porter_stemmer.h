// The Porter stemmer exactly as Lucene's PorterStemmer (and so Pyserini) applies it: Martin Porter's
// reference implementation with its two departures (-bli -> -ble, -logi -> -log), on UTF-16 code
// units like Java's char[]. libstemmer's "porter" follows the published algorithm and differs on
// words such as "possibly", which is why this one exists. Pure function, thread-safe.
#pragma once

#include <string>

namespace sweinfer::retrieval {

// Stems a lower-cased term in place.
void PorterStem(std::u16string& word);
// The same for a term of ASCII characters (the analyzer's fast path): the same result as the
// UTF-16 form on the same characters.
void PorterStem(std::string& word);

}  // namespace sweinfer::retrieval
