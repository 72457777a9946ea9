// AVX-512 kernels (built with -mavx512f -mavx512bw -mavx512vl -mfma -mf16c; reached only through
// Avx512KernelTable() after the CPU check in cpu_kernels.cc). Weights are widened to f32 in
// registers, 16 at a time, and multiplied with FMA: BF16 by a shift, F16 by vcvtph2ps, Q8_0 by
// sign extension and the block scale. The matrix kernel computes a tile of 4 rows x up to 6
// tokens so each weight load feeds 6 FMAs during prefill.
#include <immintrin.h>

#include <cstring>

#include "llm/cpu_kernels.h"

namespace sweinfer::llm {

const CpuKernels& Avx512KernelTable();

namespace {

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
    const __mmask16 mask = static_cast<__mmask16>((1u << (cols - k)) - 1);
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

template <DType D>
void MatMulRowsTyped(const MatrixRef& w, int64_t row_begin, int64_t row_end, const float* x, int64_t x_stride, int n,
                     float* y, int64_t y_stride) {
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

inline __m512 LoadKv(const uint8_t* p, DType type, int i, __mmask16 mask) {
  if (type == DType::kF32) return _mm512_maskz_loadu_ps(mask, reinterpret_cast<const float*>(p) + i);
  return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(mask, p + 2 * i));
}

void Attend(const AttendArgs& a) {
  const int chunks = (a.head_dim + 15) / 16;
  __m512 q[16];  // head_dim <= 256
  for (int c = 0; c < chunks; ++c) {
    const int left = a.head_dim - 16 * c;
    const __mmask16 mask = left >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << left) - 1);
    q[c] = _mm512_mul_ps(_mm512_maskz_loadu_ps(mask, a.q + 16 * c), _mm512_set1_ps(a.scale));
  }
  float max_score = -3.0e38f;
  for (int t = 0; t < a.n_ctx; ++t) {
    const uint8_t* k = a.keys + a.kv_row_bytes * static_cast<size_t>(t);
    __m512 acc = _mm512_setzero_ps();
    for (int c = 0; c < chunks; ++c) {
      const int left = a.head_dim - 16 * c;
      const __mmask16 mask = left >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << left) - 1);
      acc = _mm512_fmadd_ps(q[c], LoadKv(k, a.kv_dtype, 16 * c, mask), acc);
    }
    const float s = _mm512_reduce_add_ps(acc);
    a.scores[t] = s;
    max_score = s > max_score ? s : max_score;
  }
  const __m512 max_v = _mm512_set1_ps(max_score);
  __m512 sum_v = _mm512_setzero_ps();
  for (int t = 0; t < a.n_ctx; t += 16) {
    const int left = a.n_ctx - t;
    const __mmask16 mask = left >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << left) - 1);
    __m512 e = Exp(_mm512_sub_ps(_mm512_maskz_loadu_ps(mask, a.scores + t), max_v));
    e = _mm512_maskz_mov_ps(mask, e);
    _mm512_mask_storeu_ps(a.scores + t, mask, e);
    sum_v = _mm512_add_ps(sum_v, e);
  }
  const float inv_sum = 1.0f / _mm512_reduce_add_ps(sum_v);
  __m512 out[16];
  for (int c = 0; c < chunks; ++c) out[c] = _mm512_setzero_ps();
  for (int t = 0; t < a.n_ctx; ++t) {
    const uint8_t* v = a.values + a.kv_row_bytes * static_cast<size_t>(t);
    const __m512 p = _mm512_set1_ps(a.scores[t]);
    for (int c = 0; c < chunks; ++c) {
      const int left = a.head_dim - 16 * c;
      const __mmask16 mask = left >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << left) - 1);
      out[c] = _mm512_fmadd_ps(p, LoadKv(v, a.kv_dtype, 16 * c, mask), out[c]);
    }
  }
  for (int c = 0; c < chunks; ++c) {
    const int left = a.head_dim - 16 * c;
    const __mmask16 mask = left >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << left) - 1);
    _mm512_mask_storeu_ps(a.out + 16 * c, mask, _mm512_mul_ps(out[c], _mm512_set1_ps(inv_sum)));
  }
}

void Swiglu(float* gate, const float* up, int64_t n) {
  for (int64_t i = 0; i < n; i += 16) {
    const int64_t left = n - i;
    const __mmask16 mask = left >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << left) - 1);
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
