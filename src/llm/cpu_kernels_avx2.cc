// x86-64-v3 kernels (built with -mavx2 -mfma -mf16c; reached only through Avx2KernelTable() after
// the CPU check in cpu_kernels.cc): the same algorithms as the AVX-512 table, 8 floats a register.
// Weights are widened to f32 in registers (BF16 by a shift, F16 by vcvtph2ps, Q8_0 by sign
// extension and the block scale) and multiplied with FMA. AVX2 has no masked 16-bit loads, so a
// row's last partial vector goes through a small zero-padded buffer. With 16 registers, the prefill
// tile is 2 rows x up to 6 tokens (12 accumulators); block-quantized weights are prefilled from
// panels of 16 dequantized rows stored column by column, each column two vectors of rows times one
// broadcast activation per token (no horizontal sums, a third of the tile's memory traffic).
#include <immintrin.h>

#include <cstdlib>
#include <cstring>
#include <new>

#include "llm/cpu_kernels.h"
#include "llm/quants.h"

namespace sweinfer::llm {

const CpuKernels& Avx2KernelTable();

namespace {

inline float HorizontalSum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline float HorizontalMax(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Lane masks for the `left` remaining floats of an 8-wide step (for maskload/maskstore).
inline __m256i TailMask(int64_t left) {
  const int n = left >= 8 ? 8 : left <= 0 ? 0 : static_cast<int>(left);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

inline __m256 LoadFloatsTail(const float* p, int64_t left) { return _mm256_maskload_ps(p, TailMask(left)); }

template <DType D>
inline __m256 LoadWeights(const uint8_t* row, int64_t k) {
  if constexpr (D == DType::kF32) {
    return _mm256_loadu_ps(reinterpret_cast<const float*>(row) + k);
  } else if constexpr (D == DType::kBF16) {
    __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 2 * k));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
  } else if constexpr (D == DType::kF16) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 2 * k)));
  } else {
    const uint8_t* block = row + (k >> 5) * 34;
    uint16_t scale;
    std::memcpy(&scale, block, 2);
    __m128i q = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(block + 2 + (k & 31)));
    return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q)), _mm256_set1_ps(_cvtsh_ss(scale)));
  }
}

// The `left` (< 8) last weights of a row, zero-padded.
template <DType D>
inline __m256 LoadWeightsTail(const uint8_t* row, int64_t k, int64_t left) {
  if constexpr (D == DType::kF32) {
    return LoadFloatsTail(reinterpret_cast<const float*>(row) + k, left);
  } else if constexpr (D == DType::kQ8_0) {
    return LoadWeights<D>(row, k);  // Q8_0 rows are whole blocks: never a partial load
  } else {
    alignas(16) uint16_t buffer[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    std::memcpy(buffer, row + 2 * k, static_cast<size_t>(left) * 2);
    return LoadWeights<D>(reinterpret_cast<const uint8_t*>(buffer), 0);
  }
}

template <DType D, int R, int T>
void Tile(const uint8_t* const* rows, int64_t cols, const float* x, int64_t x_stride, float* y, int64_t y_stride) {
  __m256 acc[R][T];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) acc[r][t] = _mm256_setzero_ps();
  int64_t k = 0;
  for (; k + 8 <= cols; k += 8) {
    __m256 w[R];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) w[r] = LoadWeights<D>(rows[r], k);
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) {
      const __m256 xv = _mm256_loadu_ps(x + t * x_stride + k);
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) acc[r][t] = _mm256_fmadd_ps(w[r], xv, acc[r][t]);
    }
  }
  if (k < cols) {
    const int64_t left = cols - k;
    __m256 w[R];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) w[r] = LoadWeightsTail<D>(rows[r], k, left);
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) {
      const __m256 xv = LoadFloatsTail(x + t * x_stride + k, left);
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) acc[r][t] = _mm256_fmadd_ps(w[r], xv, acc[r][t]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) y[t * y_stride + r] = HorizontalSum(acc[r][t]);
}

template <DType D, int R>
void TileTokens(const uint8_t* const* rows, int64_t cols, const float* x, int64_t x_stride, int n, float* y,
                int64_t y_stride) {
  int t = 0;
  for (; t + 6 <= n; t += 6) Tile<D, R, 6>(rows, cols, x + t * x_stride, x_stride, y + t * y_stride, y_stride);
  switch (n - t) {
    case 5: Tile<D, R, 5>(rows, cols, x + t * x_stride, x_stride, y + t * y_stride, y_stride); break;
    case 4: Tile<D, R, 4>(rows, cols, x + t * x_stride, x_stride, y + t * y_stride, y_stride); break;
    case 3: Tile<D, R, 3>(rows, cols, x + t * x_stride, x_stride, y + t * y_stride, y_stride); break;
    case 2: Tile<D, R, 2>(rows, cols, x + t * x_stride, x_stride, y + t * y_stride, y_stride); break;
    case 1: Tile<D, R, 1>(rows, cols, x + t * x_stride, x_stride, y + t * y_stride, y_stride); break;
    default: break;
  }
}

// One row against one vector for decoding: a single sequential stream, four accumulators. (No
// alignment head as in the AVX-512 table: 32-byte loads split fewer lines, and the sum's order then
// does not depend on where a file placed the row.)
template <DType D>
float RowDot(const uint8_t* row, const float* x, int64_t cols) {
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  int64_t k = 0;
  for (; k + 32 <= cols; k += 32) {
    a0 = _mm256_fmadd_ps(LoadWeights<D>(row, k), _mm256_loadu_ps(x + k), a0);
    a1 = _mm256_fmadd_ps(LoadWeights<D>(row, k + 8), _mm256_loadu_ps(x + k + 8), a1);
    a2 = _mm256_fmadd_ps(LoadWeights<D>(row, k + 16), _mm256_loadu_ps(x + k + 16), a2);
    a3 = _mm256_fmadd_ps(LoadWeights<D>(row, k + 24), _mm256_loadu_ps(x + k + 24), a3);
  }
  for (; k + 8 <= cols; k += 8) a0 = _mm256_fmadd_ps(LoadWeights<D>(row, k), _mm256_loadu_ps(x + k), a0);
  if (k < cols) a1 = _mm256_fmadd_ps(LoadWeightsTail<D>(row, k, cols - k), LoadFloatsTail(x + k, cols - k), a1);
  return HorizontalSum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
}

#include "llm/cpu_kernels_x86_q8.inc"
#include "llm/cpu_kernels_x86_kquants.inc"

template <DType D>
void MatMulRowsTyped(const MatrixRef& w, int64_t row_begin, int64_t row_end, const float* x, int64_t x_stride, int n,
                     float* y, int64_t y_stride) {
  if (n <= kExactBatchTokens) {
    if constexpr (D == DType::kQ8_0) {
      MatMulRowsQ8Decode(w, row_begin, row_end, x, x_stride, n, y, y_stride);
      return;
    }
    for (int64_t r = row_begin; r < row_end; ++r) {
      const uint8_t* row = w.data + w.row_bytes * static_cast<size_t>(r);
      for (int t = 0; t < n; ++t) y[t * y_stride + r] = RowDot<D>(row, x + t * x_stride, w.cols);
    }
    return;
  }
  int64_t r = row_begin;
  const uint8_t* rows[2];
  for (; r + 2 <= row_end; r += 2) {
    for (int i = 0; i < 2; ++i) rows[i] = w.data + w.row_bytes * static_cast<size_t>(r + i);
    TileTokens<D, 2>(rows, w.cols, x, x_stride, n, y + r, y_stride);
  }
  for (; r < row_end; ++r) {
    rows[0] = w.data + w.row_bytes * static_cast<size_t>(r);
    TileTokens<D, 1>(rows, w.cols, x, x_stride, n, y + r, y_stride);
  }
}

#include "llm/cpu_kernels_x86_scratch.inc"

constexpr int kPanelRows = 16;  // two vectors of 8 rows
constexpr int kPanelTokens = 6;  // 12 accumulators, 2 weight vectors and a broadcast: 15 registers

inline __m256i RowMask(int rows) {
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(rows), lanes);
}

// y[t][0..rows) for T tokens: panel column k holds the 16 rows' values at panel + 16 * k.
template <int T>
void PanelTokens(const float* panel, int64_t cols, const float* x, int64_t x_stride, int rows, float* y, int64_t y_stride) {
  __m256 acc[2][T];
#pragma GCC unroll 6
  for (int t = 0; t < T; ++t) acc[0][t] = acc[1][t] = _mm256_setzero_ps();
  for (int64_t k = 0; k < cols; ++k) {
    const __m256 w0 = _mm256_load_ps(panel + k * kPanelRows), w1 = _mm256_load_ps(panel + k * kPanelRows + 8);
#pragma GCC unroll 6
    for (int t = 0; t < T; ++t) {
      const __m256 xv = _mm256_broadcast_ss(x + t * x_stride + k);
      acc[0][t] = _mm256_fmadd_ps(w0, xv, acc[0][t]);
      acc[1][t] = _mm256_fmadd_ps(w1, xv, acc[1][t]);
    }
  }
  const __m256i low = RowMask(rows), high = RowMask(rows - 8);
#pragma GCC unroll 6
  for (int t = 0; t < T; ++t) {
    _mm256_maskstore_ps(y + t * y_stride, low, acc[0][t]);
    _mm256_maskstore_ps(y + t * y_stride + 8, high, acc[1][t]);
  }
}

// Prefill on a block-quantized type: rows dequantized (exactly) 16 at a time into a panel.
void MatMulRowsPanels(const MatrixRef& w, int64_t row_begin, int64_t row_end, const float* x, int64_t x_stride, int n,
                      float* y, int64_t y_stride) {
  thread_local Scratch<float> panel_scratch, row_scratch;
  float* panel = panel_scratch.Reserve(static_cast<size_t>(w.cols * kPanelRows));
  float* row = row_scratch.Reserve(static_cast<size_t>(w.cols));
  for (int64_t r0 = row_begin; r0 < row_end; r0 += kPanelRows) {
    const int rows = static_cast<int>(row_end - r0 < kPanelRows ? row_end - r0 : kPanelRows);
    for (int r = 0; r < kPanelRows; ++r) {
      if (r < rows) DequantizeRow(w.dtype, w.data + w.row_bytes * static_cast<size_t>(r0 + r), w.cols, row);
      for (int64_t k = 0; k < w.cols; ++k) panel[k * kPanelRows + r] = r < rows ? row[k] : 0.0f;
    }
    int t = 0;
    for (; t + kPanelTokens <= n; t += kPanelTokens) {
      PanelTokens<kPanelTokens>(panel, w.cols, x + t * x_stride, x_stride, rows, y + t * y_stride + r0, y_stride);
    }
    const float* xt = x + t * x_stride;
    float* yt = y + t * y_stride + r0;
    switch (n - t) {
      case 5: PanelTokens<5>(panel, w.cols, xt, x_stride, rows, yt, y_stride); break;
      case 4: PanelTokens<4>(panel, w.cols, xt, x_stride, rows, yt, y_stride); break;
      case 3: PanelTokens<3>(panel, w.cols, xt, x_stride, rows, yt, y_stride); break;
      case 2: PanelTokens<2>(panel, w.cols, xt, x_stride, rows, yt, y_stride); break;
      case 1: PanelTokens<1>(panel, w.cols, xt, x_stride, rows, yt, y_stride); break;
      default: break;
    }
  }
}

void MatMulRows(const MatrixRef& w, int64_t row_begin, int64_t row_end, const float* x, int64_t x_stride, int n,
                float* y, int64_t y_stride) {
  if (IsBlockQuantized(w.dtype) && n > kExactBatchTokens) {
    MatMulRowsPanels(w, row_begin, row_end, x, x_stride, n, y, y_stride);
    return;
  }
  switch (w.dtype) {
    case DType::kF32: MatMulRowsTyped<DType::kF32>(w, row_begin, row_end, x, x_stride, n, y, y_stride); break;
    case DType::kF16: MatMulRowsTyped<DType::kF16>(w, row_begin, row_end, x, x_stride, n, y, y_stride); break;
    case DType::kBF16: MatMulRowsTyped<DType::kBF16>(w, row_begin, row_end, x, x_stride, n, y, y_stride); break;
    case DType::kQ8_0: MatMulRowsTyped<DType::kQ8_0>(w, row_begin, row_end, x, x_stride, n, y, y_stride); break;
    default:
      QuantizedMatMulRows(w, row_begin, row_end, x, x_stride, n, y, y_stride, MatMulRowsTyped<DType::kF32>, QuantizedRowX86);
      break;
  }
}

// exp(x) for 8 floats: Cephes' polynomial on x - n*ln2, scaled by 2^n built in the exponent bits.
inline __m256 Exp(__m256 x) {
  x = _mm256_max_ps(_mm256_min_ps(x, _mm256_set1_ps(88.0f)), _mm256_set1_ps(-87.3f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500E-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507E-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073E-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894E-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459E-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201E-1f));
  p = _mm256_fmadd_ps(_mm256_mul_ps(p, r), r, _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

inline __m256 LoadKv(const uint8_t* p, DType type, int64_t i) {
  if (type == DType::kF32) return _mm256_loadu_ps(reinterpret_cast<const float*>(p) + i);
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 2 * i)));
}

inline __m256 LoadKvTail(const uint8_t* p, DType type, int64_t i, int64_t left) {
  if (type == DType::kF32) return LoadFloatsTail(reinterpret_cast<const float*>(p) + i, left);
  alignas(16) uint16_t buffer[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::memcpy(buffer, p + 2 * i, static_cast<size_t>(left) * 2);
  return _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(buffer)));
}

inline int64_t Max(int64_t a, int64_t b) { return a > b ? a : b; }
inline int Min(int a, int b) { return a < b ? a : b; }

// Scores of M (<= 2) queries for the 32 positions of key tile p / 32: four vectors of 8 positions
// per query, one key dimension at a time (broadcast q[d] times the tile's row d).
template <int M>
void ScoreBlock(const AttendArgs& a, int64_t p, int i0) {
  __m256 acc[M][4];
#pragma GCC unroll 2
  for (int i = 0; i < M; ++i)
    for (int c = 0; c < 4; ++c) acc[i][c] = _mm256_setzero_ps();
  const uint8_t* tile = a.keys_t + a.key_tile_bytes * static_cast<size_t>(p / kKeyTile);
  for (int d = 0; d < a.head_dim; ++d) {
    __m256 k[4];
    for (int c = 0; c < 4; ++c) k[c] = LoadKv(tile, a.kv_dtype, d * kKeyTile + 8 * c);
#pragma GCC unroll 2
    for (int i = 0; i < M; ++i) {
      const __m256 q = _mm256_set1_ps(a.q[(i0 + i) * a.q_stride + d]);
      for (int c = 0; c < 4; ++c) acc[i][c] = _mm256_fmadd_ps(q, k[c], acc[i][c]);
    }
  }
  const __m256 scale = _mm256_set1_ps(a.scale);
#pragma GCC unroll 2
  for (int i = 0; i < M; ++i) {
    for (int c = 0; c < 4; ++c) _mm256_storeu_ps(a.scores + (i0 + i) * a.score_stride + p + 8 * c, _mm256_mul_ps(acc[i][c], scale));
  }
}

// out[i][d0, d0 + 32) = sum over p of weights[i][p] * values[p][d0, d0 + 32), for M (<= 2) queries.
template <int M>
void WeightedValues(const AttendArgs& a, int64_t limit, int d0, int i0) {
  const int width = Min(32, a.head_dim - d0);
  const int vecs = (width + 7) / 8;
  __m256 acc[M][4];
#pragma GCC unroll 2
  for (int i = 0; i < M; ++i)
    for (int c = 0; c < 4; ++c) acc[i][c] = _mm256_setzero_ps();
  // Each position's slice is a short read 1 row (kv_dim values) after the last: at a long context
  // the loop waits on memory unless the slices a few positions ahead are already on their way.
  const size_t slice = static_cast<size_t>(d0) * (a.kv_dtype == DType::kF32 ? 4 : 2);
  const size_t ahead = a.value_row_bytes * kValuePrefetchRows;
  for (int64_t p = 0; p < limit; ++p) {
    const uint8_t* row = a.values + a.value_row_bytes * static_cast<size_t>(p);
    __builtin_prefetch(row + ahead + slice);
    __builtin_prefetch(row + ahead + slice + 64);
    __m256 v[4];
    for (int c = 0; c < 4; ++c) {
      const int left = width - 8 * c;
      v[c] = left >= 8 ? LoadKv(row, a.kv_dtype, d0 + 8 * c) : left > 0 ? LoadKvTail(row, a.kv_dtype, d0 + 8 * c, left) : _mm256_setzero_ps();
    }
#pragma GCC unroll 2
    for (int i = 0; i < M; ++i) {
      const __m256 w = _mm256_set1_ps(a.scores[(i0 + i) * a.score_stride + p]);
      for (int c = 0; c < 4; ++c) acc[i][c] = _mm256_fmadd_ps(w, v[c], acc[i][c]);
    }
  }
#pragma GCC unroll 2
  for (int i = 0; i < M; ++i) {
    for (int c = 0; c < vecs; ++c) {
      _mm256_maskstore_ps(a.out + (i0 + i) * a.out_stride + d0 + 8 * c, TailMask(width - 8 * c), acc[i][c]);
    }
  }
}

void Attend(const AttendArgs& a) {
  int64_t limit = 0;
  for (int i = 0; i < a.m; ++i) limit = Max(limit, a.n_ctx[i]);
  for (int64_t p = 0; p < limit; p += kKeyTile) {
    int i0 = 0;
    for (; i0 + 2 <= a.m; i0 += 2) ScoreBlock<2>(a, p, i0);
    if (i0 < a.m) ScoreBlock<1>(a, p, i0);
  }
  // Softmax per query over its own positions; positions past its n_ctx (up to limit) weigh 0.
  for (int i = 0; i < a.m; ++i) {
    float* s = a.scores + i * a.score_stride;
    const int64_t n = a.n_ctx[i];
    __m256 max_v = _mm256_set1_ps(-3.0e38f);
    int64_t t = 0;
    for (; t + 8 <= n; t += 8) max_v = _mm256_max_ps(max_v, _mm256_loadu_ps(s + t));
    float mx = HorizontalMax(max_v);
    for (; t < n; ++t) mx = s[t] > mx ? s[t] : mx;
    const __m256 mxv = _mm256_set1_ps(mx);
    __m256 sum_v = _mm256_setzero_ps();
    for (t = 0; t < limit; t += 8) {
      const __m256 keep = _mm256_castsi256_ps(TailMask(n - t));
      const __m256 e = _mm256_and_ps(keep, Exp(_mm256_sub_ps(_mm256_loadu_ps(s + t), mxv)));
      _mm256_storeu_ps(s + t, e);
      sum_v = _mm256_add_ps(sum_v, e);
    }
    const __m256 inv = _mm256_set1_ps(1.0f / HorizontalSum(sum_v));
    for (t = 0; t < limit; t += 8) _mm256_storeu_ps(s + t, _mm256_mul_ps(_mm256_loadu_ps(s + t), inv));
  }
  for (int d0 = 0; d0 < a.head_dim; d0 += 32) {
    int i0 = 0;
    for (; i0 + 2 <= a.m; i0 += 2) WeightedValues<2>(a, limit, d0, i0);
    if (i0 < a.m) WeightedValues<1>(a, limit, d0, i0);
  }
}

void Swiglu(float* gate, const float* up, int64_t n) {
  int64_t i = 0;
  for (; i < n; i += 8) {
    const int64_t left = n - i;
    const __m256i mask = TailMask(left);
    const __m256 g = _mm256_maskload_ps(gate + i, mask);
    const __m256 u = _mm256_maskload_ps(up + i, mask);
    const __m256 silu = _mm256_div_ps(g, _mm256_add_ps(_mm256_set1_ps(1.0f), Exp(_mm256_sub_ps(_mm256_setzero_ps(), g))));
    _mm256_maskstore_ps(gate + i, mask, _mm256_mul_ps(silu, u));
  }
}

}  // namespace

const CpuKernels& Avx2KernelTable() {
  static constexpr CpuKernels kernels{"avx2", MatMulRows, Attend, Swiglu};
  return kernels;
}

}  // namespace sweinfer::llm
