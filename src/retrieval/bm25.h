// BM25 ranking equal to Pyserini's on Lucene: per-document term frequencies and one-byte length
// norms (SmallFloat.intToByte4), BM25Similarity(k1=0.9, b=0.4) in float arithmetic exactly as
// Lucene computes it, one clause per unique query term boosted by its count, clause scores summed
// in double then cast to float, top k by score then docid, and Anserini's score rounding and tie
// adjustment. Terms are interned in a TermDictionary shared by all documents of a run.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "retrieval/term_dictionary.h"

namespace sweinfer::retrieval {

// Adds `b` into `a` (the two parts of one document: its path and its contents).
TermCounts MergeCounts(const TermCounts& a, const TermCounts& b);

struct Bm25Document {
  std::string docid;
  const TermCounts* path;      // not owned
  const TermCounts* contents;  // not owned
};

struct Bm25Hit {
  std::string docid;
  float score = 0;           // Lucene's score
  float reported_score = 0;  // after Anserini's rounding and tie adjustment (what Pyserini returns)
};

// Ranks `docs` for the query terms (term id, count in the query); k hits at most.
std::vector<Bm25Hit> SearchBm25(const std::vector<Bm25Document>& docs,
                                const std::vector<std::pair<uint32_t, uint32_t>>& query, size_t k,
                                float k1 = 0.9f, float b = 0.4f);

// Lucene's SmallFloat.intToByte4 / byte4ToInt.
uint8_t IntToByte4(uint32_t value);
uint32_t Byte4ToInt(uint8_t b);

}  // namespace sweinfer::retrieval
