// AVX-512 kernels (built with -mavx512f -mavx512bw -mavx512vl -mfma -mf16c; reached only through
// Avx512KernelTable() after the CPU check in cpu_kernels.cc). Weights are widened to f32 in
// registers, 16 at a time, and multiplied with FMA: BF16 by a shift, F16 by vcvtph2ps, Q8_0 by
// sign extension and the block scale. The matrix kernel computes a tile of 4 rows x up to 6
// tokens so each weight load feeds 6 FMAs during prefill.
#include <immintrin.h>

#include <cstring>

#include "llm/cpu_kernels.h"
#include "llm/quants.h"

namespace sweinfer::llm {

const CpuKernels& Avx512KernelTable();

namespace {

// Lanes for the `left` remaining values of a 16-wide step.
inline __mmask16 TailMask(int64_t left) {
  return left >= 16 ? 0xFFFF : left <= 0 ? 0 : static_cast<__mmask16>((1u << left) - 1);
}

template <DType D>
inline __m512 LoadWeights(const uint8_t* row, int64_t k) {
  if constexpr (D == DType::kF32) {
    return _mm512_loadu_ps(reinterpret_cast<const float*>(row) + k);
  } else if constexpr (D == DType::kBF16) {
    __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + 2 * k));
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  } else if constexpr (D == DType::kF16) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + 2 * k)));
  } else {
    const uint8_t* block = row + (k >> 5) * 34;
    uint16_t scale;
    std::memcpy(&scale, block, 2);
    __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 2 + (k & 31)));
    return _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q)), _mm512_set1_ps(_cvtsh_ss(scale)));
  }
}

template <DType D>
inline __m512 LoadWeightsMasked(const uint8_t* row, int64_t k, __mmask16 mask) {
  if constexpr (D == DType::kF32) {
    return _mm512_maskz_loadu_ps(mask, reinterpret_cast<const float*>(row) + k);
  } else if constexpr (D == DType::kBF16) {
    __m256i h = _mm256_maskz_loadu_epi16(mask, row + 2 * k);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  } else if constexpr (D == DType::kF16) {
    return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(mask, row + 2 * k));
  } else {
    return LoadWeights<D>(row, k);  // Q8_0 rows are whole blocks: never a partial load
  }
}

template <DType D, int R, int T>
void Tile(const uint8_t* const* rows, int64_t cols, const float* x, int64_t x_stride, float* y, int64_t y_stride) {
  __m512 acc[R][T];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) acc[r][t] = _mm512_setzero_ps();
  int64_t k = 0;
  for (; k + 16 <= cols; k += 16) {
    __m512 w[R];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) w[r] = LoadWeights<D>(rows[r], k);
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) {
      const __m512 xv = _mm512_loadu_ps(x + t * x_stride + k);
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) acc[r][t] = _mm512_fmadd_ps(w[r], xv, acc[r][t]);
    }
  }
  if (k < cols) {
    const __mmask16 mask = TailMask(cols - k);
    __m512 w[R];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) w[r] = LoadWeightsMasked<D>(rows[r], k, mask);
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) {
      const __m512 xv = _mm512_maskz_loadu_ps(mask, x + t * x_stride + k);
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) acc[r][t] = _mm512_fmadd_ps(w[r], xv, acc[r][t]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) y[t * y_stride + r] = _mm512_reduce_add_ps(acc[r][t]);
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

// One row against one vector, four independent accumulators. Decoding reads each weight once, so
// this is a streaming read: one row at a time keeps it a single sequential stream, which the
// hardware prefetcher follows far better than several interleaved rows.


template <DType D>
float RowDot(const uint8_t* row, const float* x, int64_t cols) {
  __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  int64_t k = 0;
  if constexpr (D != DType::kQ8_0) {
    // Safetensors data starts only 8-byte aligned, and every row of a matrix shares its start's
    // misalignment. Reading up to the next 64-byte boundary first makes every later load whole
    // cache lines: on the machines measured, that doubled the streaming rate.
    constexpr uintptr_t kElementBytes = D == DType::kF32 ? 4 : 2;
    const uintptr_t misaligned = reinterpret_cast<uintptr_t>(row) & 63;
    if (misaligned && misaligned % kElementBytes == 0) {
      const int64_t head = static_cast<int64_t>((64 - misaligned) / kElementBytes);
      const int64_t end = head < cols ? head : cols;
      while (k < end) {
        const int64_t left = end - k;
        const __mmask16 mask = TailMask(left);
        a1 = _mm512_fmadd_ps(LoadWeightsMasked<D>(row, k, mask), _mm512_maskz_loadu_ps(mask, x + k), a1);
        k += left >= 16 ? 16 : left;
      }
    }
  }
  for (; k + 64 <= cols; k += 64) {
    a0 = _mm512_fmadd_ps(LoadWeights<D>(row, k), _mm512_loadu_ps(x + k), a0);
    a1 = _mm512_fmadd_ps(LoadWeights<D>(row, k + 16), _mm512_loadu_ps(x + k + 16), a1);
    a2 = _mm512_fmadd_ps(LoadWeights<D>(row, k + 32), _mm512_loadu_ps(x + k + 32), a2);
    a3 = _mm512_fmadd_ps(LoadWeights<D>(row, k + 48), _mm512_loadu_ps(x + k + 48), a3);
  }
  for (; k + 16 <= cols; k += 16) a0 = _mm512_fmadd_ps(LoadWeights<D>(row, k), _mm512_loadu_ps(x + k), a0);
  if (k < cols) {
    const __mmask16 mask = TailMask(cols - k);
    a1 = _mm512_fmadd_ps(LoadWeightsMasked<D>(row, k, mask), _mm512_maskz_loadu_ps(mask, x + k), a1);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
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
  const uint8_t* rows[4];
  for (; r + 4 <= row_end; r += 4) {
    for (int i = 0; i < 4; ++i) rows[i] = w.data + w.row_bytes * static_cast<size_t>(r + i);
    TileTokens<D, 4>(rows, w.cols, x, x_stride, n, y + r, y_stride);
  }
  for (; r < row_end; ++r) {
    rows[0] = w.data + w.row_bytes * static_cast<size_t>(r);
    TileTokens<D, 1>(rows, w.cols, x, x_stride, n, y + r, y_stride);
  }
}

void MatMulRows(const MatrixRef& w, int64_t row_begin, int64_t row_end, const float* x, int64_t x_stride, int n,
                float* y, int64_t y_stride) {
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

// exp(x) for 16 floats: Cephes' polynomial on x - n*ln2, then scaled by 2^n (about 1 ulp).
inline __m512 Exp(__m512 x) {
  x = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(88.3762626647949f)), _mm512_set1_ps(-88.3762626647949f));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500E-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507E-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073E-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894E-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459E-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201E-1f));
  p = _mm512_fmadd_ps(_mm512_mul_ps(p, r), r, _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  return _mm512_scalef_ps(p, n);
}

inline __m512 LoadKv(const uint8_t* p, DType type, int64_t i) {
  if (type == DType::kF32) return _mm512_loadu_ps(reinterpret_cast<const float*>(p) + i);
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 2 * i)));
}

inline __m512 LoadKvMasked(const uint8_t* p, DType type, int64_t i, __mmask16 mask) {
  if (type == DType::kF32) return _mm512_maskz_loadu_ps(mask, reinterpret_cast<const float*>(p) + i);
  return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(mask, p + 2 * i));
}

// (No <algorithm> here: its inline templates, compiled with AVX-512 flags, could be the copy the
// linker keeps for the rest of the program.)
inline int64_t Max(int64_t a, int64_t b) { return a > b ? a : b; }
inline int Min(int a, int b) { return a < b ? a : b; }

// Scores of M queries for positions [p, p + 32): two vectors of 16 positions per query, built one
// key dimension at a time from the transposed cache (broadcast q[d] times the key row).
// Scores of M queries for the 32 positions of key tile p / 32: two vectors of 16 positions per
// query, built one key dimension at a time (broadcast q[d] times the tile's row d). Positions past
// the queries' n_ctx are computed from whatever the tile holds and ignored by the softmax.
template <int M>
void ScoreBlock(const AttendArgs& a, int64_t p) {
  __m512 acc[M][2];
#pragma GCC unroll 8
  for (int i = 0; i < M; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  const uint8_t* tile = a.keys_t + a.key_tile_bytes * static_cast<size_t>(p / kKeyTile);
  for (int d = 0; d < a.head_dim; ++d) {
    const __m512 k0 = LoadKv(tile, a.kv_dtype, d * kKeyTile), k1 = LoadKv(tile, a.kv_dtype, d * kKeyTile + 16);
#pragma GCC unroll 8
    for (int i = 0; i < M; ++i) {
      const __m512 q = _mm512_set1_ps(a.q[i * a.q_stride + d]);
      acc[i][0] = _mm512_fmadd_ps(q, k0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(q, k1, acc[i][1]);
    }
  }
  const __m512 scale = _mm512_set1_ps(a.scale);
#pragma GCC unroll 8
  for (int i = 0; i < M; ++i) {
    _mm512_storeu_ps(a.scores + i * a.score_stride + p, _mm512_mul_ps(acc[i][0], scale));
    _mm512_storeu_ps(a.scores + i * a.score_stride + p + 16, _mm512_mul_ps(acc[i][1], scale));
  }
}

// out[i][d0, d0 + 64) = sum over p of weights[i][p] * values[p][d0, d0 + 64), for M queries.
template <int M>
void WeightedValues(const AttendArgs& a, int64_t limit, int d0) {
  const int width = Min(64, a.head_dim - d0);
  const int vecs = (width + 15) / 16;
  __mmask16 masks[4];
  for (int c = 0; c < 4; ++c) masks[c] = TailMask(width - 16 * c);
  __m512 acc[M][4];
#pragma GCC unroll 8
  for (int i = 0; i < M; ++i)
    for (int c = 0; c < 4; ++c) acc[i][c] = _mm512_setzero_ps();
  // Each position's slice is a short read 1 row (kv_dim values) after the last: at a long context
  // the loop waits on memory unless the slices a few positions ahead are already on their way.
  const size_t slice = static_cast<size_t>(d0) * (a.kv_dtype == DType::kF32 ? 4 : 2);
  const size_t ahead = a.value_row_bytes * kValuePrefetchRows;
  for (int64_t p = 0; p < limit; ++p) {
    const uint8_t* row = a.values + a.value_row_bytes * static_cast<size_t>(p);
    __builtin_prefetch(row + ahead + slice);
    __builtin_prefetch(row + ahead + slice + 64);
    __m512 v[4];
    for (int c = 0; c < 4; ++c) v[c] = c < vecs ? LoadKvMasked(row, a.kv_dtype, d0 + 16 * c, masks[c]) : _mm512_setzero_ps();
#pragma GCC unroll 8
    for (int i = 0; i < M; ++i) {
      const __m512 w = _mm512_set1_ps(a.scores[i * a.score_stride + p]);
#pragma GCC unroll 4
      for (int c = 0; c < 4; ++c) acc[i][c] = _mm512_fmadd_ps(w, v[c], acc[i][c]);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < M; ++i)
    for (int c = 0; c < vecs; ++c) _mm512_mask_storeu_ps(a.out + i * a.out_stride + d0 + 16 * c, masks[c], acc[i][c]);
}

template <int M>
void AttendM(const AttendArgs& a) {
  int64_t limit = 0;
  for (int i = 0; i < M; ++i) limit = Max(limit, a.n_ctx[i]);
  for (int64_t p = 0; p < limit; p += kKeyTile) ScoreBlock<M>(a, p);
  // Softmax per query over its own positions; positions past its n_ctx weigh 0.
  for (int i = 0; i < M; ++i) {
    float* s = a.scores + i * a.score_stride;
    const int64_t n = a.n_ctx[i];
    __m512 max_v = _mm512_set1_ps(-3.0e38f);
    for (int64_t t = 0; t < n; t += 16) max_v = _mm512_mask_max_ps(max_v, TailMask(n - t), max_v, _mm512_loadu_ps(s + t));
    const __m512 mx = _mm512_set1_ps(_mm512_reduce_max_ps(max_v));
    __m512 sum_v = _mm512_setzero_ps();
    for (int64_t t = 0; t < limit; t += 16) {
      const __mmask16 mask = TailMask(n - t);
      const __m512 e = _mm512_maskz_mov_ps(mask, Exp(_mm512_sub_ps(_mm512_loadu_ps(s + t), mx)));
      _mm512_storeu_ps(s + t, e);
      sum_v = _mm512_add_ps(sum_v, e);
    }
    const __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(sum_v));
    for (int64_t t = 0; t < limit; t += 16) _mm512_storeu_ps(s + t, _mm512_mul_ps(_mm512_loadu_ps(s + t), inv));
  }
  for (int d0 = 0; d0 < a.head_dim; d0 += 64) {
    // Up to 4 queries per pass keeps the accumulators in registers.
    for (int i0 = 0; i0 < M; i0 += 4) {
      AttendArgs part = a;
      part.scores = a.scores + i0 * a.score_stride;
      part.out = a.out + i0 * a.out_stride;
      switch (Min(4, M - i0)) {
        case 4: WeightedValues<4>(part, limit, d0); break;
        case 3: WeightedValues<3>(part, limit, d0); break;
        case 2: WeightedValues<2>(part, limit, d0); break;
        default: WeightedValues<1>(part, limit, d0); break;
      }
    }
  }
}

void Attend(const AttendArgs& a) {
  switch (a.m) {
    case 8: AttendM<8>(a); break;
    case 7: AttendM<7>(a); break;
    case 6: AttendM<6>(a); break;
    case 5: AttendM<5>(a); break;
    case 4: AttendM<4>(a); break;
    case 3: AttendM<3>(a); break;
    case 2: AttendM<2>(a); break;
    default: AttendM<1>(a); break;
  }
}

void Swiglu(float* gate, const float* up, int64_t n) {
  for (int64_t i = 0; i < n; i += 16) {
    const int64_t left = n - i;
    const __mmask16 mask = TailMask(left);
    const __m512 g = _mm512_maskz_loadu_ps(mask, gate + i);
    const __m512 u = _mm512_maskz_loadu_ps(mask, up + i);
    const __m512 silu = _mm512_div_ps(g, _mm512_add_ps(_mm512_set1_ps(1.0f), Exp(_mm512_sub_ps(_mm512_setzero_ps(), g))));
    _mm512_mask_storeu_ps(gate + i, mask, _mm512_mul_ps(silu, u));
  }
}

}  // namespace

const CpuKernels& Avx512KernelTable() {
  static constexpr CpuKernels kernels{"avx512", MatMulRows, Attend, Swiglu};
  return kernels;
}

}  // namespace sweinfer::llm
