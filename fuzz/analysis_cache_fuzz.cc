// libFuzzer target: opening an analysis cache file (retrieval/analysis_cache.h) of arbitrary bytes,
// with the magic line prepended so that the record parser is reached, then adding one blob. A
// damaged file must load its whole records or nothing, never crash.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "retrieval/analysis_cache.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/tmp/sweinfer-analysis-cache-fuzz-" + std::to_string(getpid()) + ".bin";
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  std::fputs("sweinfer-analysis-2\n", f);
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  try {
    sweinfer::retrieval::TermDictionary dictionary;
    sweinfer::retrieval::AnalysisCache cache(path, dictionary);
    const std::string blob(40, 'f');
    if (!cache.FindOrClaim(blob)) {
      sweinfer::retrieval::TermCounts counts;
      counts.terms.push_back({dictionary.Intern("term"), 2});
      counts.length = 2;
      cache.Add(blob, counts);
    }
  } catch (const sweinfer::Error&) {
  }
  return 0;
}
