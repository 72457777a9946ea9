#include "retrieval/bm25.h"

#include <algorithm>
#include <cmath>

namespace sweinfer::retrieval {

TermCounts MergeCounts(const TermCounts& a, const TermCounts& b) {
  TermCounts out;
  out.length = a.length + b.length;
  out.terms.reserve(a.terms.size() + b.terms.size());
  size_t i = 0, j = 0;
  while (i < a.terms.size() || j < b.terms.size()) {
    if (j == b.terms.size() || (i < a.terms.size() && a.terms[i].first < b.terms[j].first)) {
      out.terms.push_back(a.terms[i++]);
    } else if (i == a.terms.size() || b.terms[j].first < a.terms[i].first) {
      out.terms.push_back(b.terms[j++]);
    } else {
      out.terms.push_back({a.terms[i].first, a.terms[i].second + b.terms[j].second});
      ++i;
      ++j;
    }
  }
  return out;
}

namespace {

int LongToInt4(uint64_t i) {
  if (i < 8) return static_cast<int>(i);  // subnormal values (also keeps clz away from 0)
  int bits = 64 - __builtin_clzll(i);
  if (bits < 4) return static_cast<int>(i);
  int shift = bits - 4;
  int encoded = static_cast<int>(i >> shift) & 0x07;
  return encoded | ((shift + 1) << 3);
}

uint64_t Int4ToLong(int i) {
  uint64_t bits = static_cast<uint64_t>(i & 0x07);
  int shift = (i >> 3) - 1;
  return shift == -1 ? bits : (bits | 0x08) << shift;
}

const int kMaxInt4 = LongToInt4(0x7FFFFFFF);
const int kNumFreeValues = 255 - kMaxInt4;

}  // namespace

uint8_t IntToByte4(uint32_t i) {
  if (static_cast<int>(i) < kNumFreeValues) return static_cast<uint8_t>(i);
  return static_cast<uint8_t>(kNumFreeValues + LongToInt4(i - kNumFreeValues));
}

uint32_t Byte4ToInt(uint8_t b) {
  if (b < kNumFreeValues) return b;
  return static_cast<uint32_t>(kNumFreeValues + Int4ToLong(b - kNumFreeValues));
}

std::vector<Bm25Hit> SearchBm25(const std::vector<Bm25Document>& docs,
                                const std::vector<std::pair<uint32_t, uint32_t>>& query, size_t k, float k1,
                                float b) {
  // Collection statistics over documents that have at least one term.
  uint64_t doc_count = 0, sum_total_term_freq = 0;
  // Query term id -> its index in `query` (dense: a lookup per document term is the hot loop).
  uint32_t max_query_term = 0;
  for (const auto& [term, count] : query) max_query_term = std::max(max_query_term, term);
  std::vector<int32_t> slot(query.empty() ? 0 : max_query_term + 1, -1);
  for (size_t q = 0; q < query.size(); ++q) slot[query[q].first] = static_cast<int32_t>(q);
  std::vector<uint64_t> doc_freq(query.size(), 0);
  auto for_each_query_term = [&](const Bm25Document& d, auto&& fn) {
    // Walk both parts; a term may appear in the path, the contents or both.
    size_t i = 0, j = 0;
    const auto& a = d.path->terms;
    const auto& c = d.contents->terms;
    while (i < a.size() || j < c.size()) {
      uint32_t term;
      uint32_t tf;
      if (j == c.size() || (i < a.size() && a[i].first < c[j].first)) {
        term = a[i].first;
        tf = a[i++].second;
      } else if (i == a.size() || c[j].first < a[i].first) {
        term = c[j].first;
        tf = c[j++].second;
      } else {
        term = a[i].first;
        tf = a[i++].second + c[j++].second;
      }
      if (term < slot.size() && slot[term] >= 0) fn(static_cast<size_t>(slot[term]), tf);
    }
  };
  for (const auto& d : docs) {
    uint32_t length = d.path->length + d.contents->length;
    if (length == 0) continue;
    ++doc_count;
    sum_total_term_freq += length;
    for_each_query_term(d, [&](size_t q, uint32_t) { ++doc_freq[q]; });
  }
  if (doc_count == 0) return {};
  // BM25Similarity.scorer(), in float as Lucene computes it.
  const float avgdl = static_cast<float>(static_cast<double>(sum_total_term_freq) / static_cast<double>(doc_count));
  float cache[256];
  for (int i = 0; i < 256; ++i) {
    float length = static_cast<float>(Byte4ToInt(static_cast<uint8_t>(i)));
    cache[i] = 1.0f / (k1 * ((1 - b) + b * length / avgdl));
  }
  std::vector<float> weight(query.size(), 0);
  for (size_t q = 0; q < query.size(); ++q) {
    if (doc_freq[q] == 0) continue;
    double n = static_cast<double>(doc_freq[q]);
    float idf = static_cast<float>(std::log(1 + (static_cast<double>(doc_count) - n + 0.5) / (n + 0.5)));
    weight[q] = static_cast<float>(query[q].second) * idf;
  }
  struct Scored {
    float score;
    const Bm25Document* doc;
  };
  std::vector<Scored> scored;
  for (const auto& d : docs) {
    uint32_t length = d.path->length + d.contents->length;
    if (length == 0) continue;
    const float norm_inverse = cache[IntToByte4(length)];
    double sum = 0;
    bool matched = false;
    for_each_query_term(d, [&](size_t q, uint32_t tf) {
      const float w = weight[q];
      const float freq = static_cast<float>(tf);
      sum += static_cast<double>(w - w / (1.0f + freq * norm_inverse));
      matched = true;
    });
    if (matched) scored.push_back({static_cast<float>(sum), &d});
  }
  auto better = [](const Scored& x, const Scored& y) {
    if (x.score != y.score) return x.score > y.score;
    return x.doc->docid < y.doc->docid;  // byte order, as Lucene's BytesRef
  };
  size_t n = std::min(k, scored.size());
  std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(n), scored.end(), better);
  std::vector<Bm25Hit> hits;
  // Anserini's ScoreTiesAdjusterReranker, in float.
  int dup = 0;
  for (size_t i = 0; i < n; ++i) {
    Bm25Hit hit{scored[i].doc->docid, scored[i].score, 0};
    float rounded = static_cast<float>(static_cast<double>(std::llround(static_cast<double>(hit.score) * 1e4)) / 1e4);
    // Java's Math.round is floor(x + 0.5); llround rounds halves away from zero: same for x >= 0.
    if (i == 0 || hits.back().reported_score - rounded > 1e-4f) {
      dup = 0;
    } else {
      ++dup;
      rounded -= 1e-6f * static_cast<float>(dup);
    }
    hit.reported_score = rounded;
    hits.push_back(std::move(hit));
  }
  return hits;
}

}  // namespace sweinfer::retrieval
