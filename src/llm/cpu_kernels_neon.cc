// AArch64 NEON kernels (Advanced SIMD is part of every AArch64 CPU; built only for AArch64): the
// same algorithms as the x86 tables, 4 floats a register and 32 registers. Weights are widened to
// f32 in registers (BF16 by a shift, F16 by fcvtl, Q8_0 by sign extension and the block scale) and
// multiplied with fused multiply-add. NEON has no masked loads, so a row's last partial vector goes
// through a small zero-padded buffer. The prefill tile is 4 rows x up to 6 tokens.
#include <arm_neon.h>

#include <cstring>

#include "llm/cpu_kernels.h"

namespace sweinfer::llm {

const CpuKernels& NeonKernelTable();

namespace {

inline float32x4_t LoadFloatsTail(const float* p, int64_t left) {
  float buffer[4] = {0, 0, 0, 0};
  std::memcpy(buffer, p, static_cast<size_t>(left) * 4);
  return vld1q_f32(buffer);
}

inline void StoreFloatsTail(float* p, float32x4_t v, int64_t left) {
  float buffer[4];
  vst1q_f32(buffer, v);
  std::memcpy(p, buffer, static_cast<size_t>(left) * 4);
}

inline float HalfToFloat(uint16_t h) {
  float16x4_t v = vreinterpret_f16_u16(vdup_n_u16(h));
  return vgetq_lane_f32(vcvt_f32_f16(v), 0);
}

template <DType D>
inline float32x4_t LoadWeights(const uint8_t* row, int64_t k) {
  if constexpr (D == DType::kF32) {
    return vld1q_f32(reinterpret_cast<const float*>(row) + k);
  } else if constexpr (D == DType::kBF16) {
    uint16x4_t h = vld1_u16(reinterpret_cast<const uint16_t*>(row + 2 * k));
    return vreinterpretq_f32_u32(vshll_n_u16(h, 16));
  } else if constexpr (D == DType::kF16) {
    return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(reinterpret_cast<const uint16_t*>(row + 2 * k))));
  } else {
    const uint8_t* block = row + (k >> 5) * 34;
    uint16_t scale;
    std::memcpy(&scale, block, 2);
    int32_t four;
    std::memcpy(&four, block + 2 + (k & 31), 4);
    const int16x8_t wide = vmovl_s8(vreinterpret_s8_s32(vdup_n_s32(four)));
    return vmulq_n_f32(vcvtq_f32_s32(vmovl_s16(vget_low_s16(wide))), HalfToFloat(scale));
  }
}

template <DType D>
inline float32x4_t LoadWeightsTail(const uint8_t* row, int64_t k, int64_t left) {
  if constexpr (D == DType::kF32) {
    return LoadFloatsTail(reinterpret_cast<const float*>(row) + k, left);
  } else if constexpr (D == DType::kQ8_0) {
    return LoadWeights<D>(row, k);  // Q8_0 rows are whole blocks: never a partial load
  } else {
    uint16_t buffer[4] = {0, 0, 0, 0};
    std::memcpy(buffer, row + 2 * k, static_cast<size_t>(left) * 2);
    return LoadWeights<D>(reinterpret_cast<const uint8_t*>(buffer), 0);
  }
}

template <DType D, int R, int T>
void Tile(const uint8_t* const* rows, int64_t cols, const float* x, int64_t x_stride, float* y, int64_t y_stride) {
  float32x4_t acc[R][T];
  for (int r = 0; r < R; ++r)
    for (int t = 0; t < T; ++t) acc[r][t] = vdupq_n_f32(0);
  int64_t k = 0;
  for (; k + 4 <= cols; k += 4) {
    float32x4_t w[R];
    for (int r = 0; r < R; ++r) w[r] = LoadWeights<D>(rows[r], k);
    for (int t = 0; t < T; ++t) {
      const float32x4_t xv = vld1q_f32(x + t * x_stride + k);
      for (int r = 0; r < R; ++r) acc[r][t] = vfmaq_f32(acc[r][t], w[r], xv);
    }
  }
  if (k < cols) {
    const int64_t left = cols - k;
    float32x4_t w[R];
    for (int r = 0; r < R; ++r) w[r] = LoadWeightsTail<D>(rows[r], k, left);
    for (int t = 0; t < T; ++t) {
      const float32x4_t xv = LoadFloatsTail(x + t * x_stride + k, left);
      for (int r = 0; r < R; ++r) acc[r][t] = vfmaq_f32(acc[r][t], w[r], xv);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int t = 0; t < T; ++t) y[t * y_stride + r] = vaddvq_f32(acc[r][t]);
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

// One row against one vector for decoding: a single sequential stream, four accumulators.
template <DType D>
float RowDot(const uint8_t* row, const float* x, int64_t cols) {
  float32x4_t a0 = vdupq_n_f32(0), a1 = a0, a2 = a0, a3 = a0;
  int64_t k = 0;
  for (; k + 16 <= cols; k += 16) {
    a0 = vfmaq_f32(a0, LoadWeights<D>(row, k), vld1q_f32(x + k));
    a1 = vfmaq_f32(a1, LoadWeights<D>(row, k + 4), vld1q_f32(x + k + 4));
    a2 = vfmaq_f32(a2, LoadWeights<D>(row, k + 8), vld1q_f32(x + k + 8));
    a3 = vfmaq_f32(a3, LoadWeights<D>(row, k + 12), vld1q_f32(x + k + 12));
  }
  for (; k + 4 <= cols; k += 4) a0 = vfmaq_f32(a0, LoadWeights<D>(row, k), vld1q_f32(x + k));
  if (k < cols) a1 = vfmaq_f32(a1, LoadWeightsTail<D>(row, k, cols - k), LoadFloatsTail(x + k, cols - k));
  return vaddvq_f32(vaddq_f32(vaddq_f32(a0, a1), vaddq_f32(a2, a3)));
}

// Decoding on Q8_0 weights as llama.cpp does it: the activations quantized to Q8_0, each block's
// int8 products summed exactly (widening multiplies into int16, pairwise into int32), scaled by
// both f16 scales.
inline float DotQ8Q8(const uint8_t* row, const uint8_t* xq, int64_t blocks) {
  float32x4_t acc = vdupq_n_f32(0);
  for (int64_t b = 0; b < blocks; ++b) {
    const uint8_t* wb = row + b * 34;
    const uint8_t* xb = xq + b * 34;
    const int8x16_t w0 = vld1q_s8(reinterpret_cast<const int8_t*>(wb + 2)), w1 = vld1q_s8(reinterpret_cast<const int8_t*>(wb + 18));
    const int8x16_t x0 = vld1q_s8(reinterpret_cast<const int8_t*>(xb + 2)), x1 = vld1q_s8(reinterpret_cast<const int8_t*>(xb + 18));
    int16x8_t p0 = vmull_s8(vget_low_s8(w0), vget_low_s8(x0));
    p0 = vmlal_s8(p0, vget_high_s8(w0), vget_high_s8(x0));
    int16x8_t p1 = vmull_s8(vget_low_s8(w1), vget_low_s8(x1));
    p1 = vmlal_s8(p1, vget_high_s8(w1), vget_high_s8(x1));
    const int32x4_t sums = vpadalq_s16(vpaddlq_s16(p0), p1);
    uint16_t ws, xs;
    std::memcpy(&ws, wb, 2);
    std::memcpy(&xs, xb, 2);
    acc = vfmaq_n_f32(acc, vcvtq_f32_s32(sums), HalfToFloat(ws) * HalfToFloat(xs));
  }
  return vaddvq_f32(acc);
}

inline void MatMulRowsQ8Decode(const MatrixRef& w, int64_t row_begin, int64_t row_end, const float* x,
                               int64_t x_stride, int n, float* y, int64_t y_stride) {
  const uint8_t* xq = QuantizeActivationsQ8(x, x_stride, n, w.cols);
  const size_t xq_bytes = RowBytes(DType::kQ8_0, w.cols);
  for (int64_t r = row_begin; r < row_end; ++r) {
    const uint8_t* row = w.data + w.row_bytes * static_cast<size_t>(r);
    for (int t = 0; t < n; ++t) y[t * y_stride + r] = DotQ8Q8(row, xq + t * xq_bytes, w.cols / 32);
  }
}

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
    default: QuantizedMatMulRows(w, row_begin, row_end, x, x_stride, n, y, y_stride, MatMulRowsTyped<DType::kF32>); break;
  }
}

// exp(x) for 4 floats: Cephes' polynomial on x - n*ln2, scaled by 2^n built in the exponent bits.
inline float32x4_t Exp(float32x4_t x) {
  x = vmaxq_f32(vminq_f32(x, vdupq_n_f32(88.0f)), vdupq_n_f32(-87.3f));
  const float32x4_t n = vrndnq_f32(vmulq_n_f32(x, 1.44269504088896341f));
  float32x4_t r = vfmsq_f32(x, n, vdupq_n_f32(0.693359375f));
  r = vfmsq_f32(r, n, vdupq_n_f32(-2.12194440e-4f));
  float32x4_t p = vdupq_n_f32(1.9875691500E-4f);
  p = vfmaq_f32(vdupq_n_f32(1.3981999507E-3f), p, r);
  p = vfmaq_f32(vdupq_n_f32(8.3334519073E-3f), p, r);
  p = vfmaq_f32(vdupq_n_f32(4.1665795894E-2f), p, r);
  p = vfmaq_f32(vdupq_n_f32(1.6666665459E-1f), p, r);
  p = vfmaq_f32(vdupq_n_f32(5.0000001201E-1f), p, r);
  p = vfmaq_f32(vaddq_f32(r, vdupq_n_f32(1.0f)), vmulq_f32(p, r), r);
  const int32x4_t bits = vshlq_n_s32(vaddq_s32(vcvtq_s32_f32(n), vdupq_n_s32(127)), 23);
  return vmulq_f32(p, vreinterpretq_f32_s32(bits));
}

inline float32x4_t LoadKv(const uint8_t* p, DType type, int64_t i) {
  if (type == DType::kF32) return vld1q_f32(reinterpret_cast<const float*>(p) + i);
  return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(reinterpret_cast<const uint16_t*>(p + 2 * i))));
}

inline float32x4_t LoadKvTail(const uint8_t* p, DType type, int64_t i, int64_t left) {
  if (type == DType::kF32) return LoadFloatsTail(reinterpret_cast<const float*>(p) + i, left);
  uint16_t buffer[4] = {0, 0, 0, 0};
  std::memcpy(buffer, p + 2 * i, static_cast<size_t>(left) * 2);
  return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(buffer)));
}

inline int64_t Max(int64_t a, int64_t b) { return a > b ? a : b; }
inline int Min(int a, int b) { return a < b ? a : b; }

// Scores of M (<= 2) queries for the 32 positions of key tile p / 32: eight vectors of 4 positions
// per query, one key dimension at a time (broadcast q[d] times the tile's row d).
template <int M>
void ScoreBlock(const AttendArgs& a, int64_t p, int i0) {
  float32x4_t acc[M][8];
  for (int i = 0; i < M; ++i)
    for (int c = 0; c < 8; ++c) acc[i][c] = vdupq_n_f32(0);
  const uint8_t* tile = a.keys_t + a.key_tile_bytes * static_cast<size_t>(p / kKeyTile);
  for (int d = 0; d < a.head_dim; ++d) {
    float32x4_t k[8];
    for (int c = 0; c < 8; ++c) k[c] = LoadKv(tile, a.kv_dtype, d * kKeyTile + 4 * c);
    for (int i = 0; i < M; ++i) {
      const float q = a.q[(i0 + i) * a.q_stride + d];
      for (int c = 0; c < 8; ++c) acc[i][c] = vfmaq_n_f32(acc[i][c], k[c], q);
    }
  }
  for (int i = 0; i < M; ++i) {
    for (int c = 0; c < 8; ++c) vst1q_f32(a.scores + (i0 + i) * a.score_stride + p + 4 * c, vmulq_n_f32(acc[i][c], a.scale));
  }
}

// out[i][d0, d0 + 32) = sum over p of weights[i][p] * values[p][d0, d0 + 32), for M (<= 2) queries.
template <int M>
void WeightedValues(const AttendArgs& a, int64_t limit, int d0, int i0) {
  const int width = Min(32, a.head_dim - d0);
  const int vecs = (width + 3) / 4;
  float32x4_t acc[M][8];
  for (int i = 0; i < M; ++i)
    for (int c = 0; c < 8; ++c) acc[i][c] = vdupq_n_f32(0);
  // Each position's slice is a short read 1 row (kv_dim values) after the last: at a long context
  // the loop waits on memory unless the slices a few positions ahead are already on their way.
  const size_t slice = static_cast<size_t>(d0) * (a.kv_dtype == DType::kF32 ? 4 : 2);
  const size_t ahead = a.value_row_bytes * kValuePrefetchRows;
  for (int64_t p = 0; p < limit; ++p) {
    const uint8_t* row = a.values + a.value_row_bytes * static_cast<size_t>(p);
    __builtin_prefetch(row + ahead + slice);
    __builtin_prefetch(row + ahead + slice + 64);
    float32x4_t v[8];
    for (int c = 0; c < 8; ++c) {
      const int left = width - 4 * c;
      v[c] = left >= 4 ? LoadKv(row, a.kv_dtype, d0 + 4 * c) : left > 0 ? LoadKvTail(row, a.kv_dtype, d0 + 4 * c, left) : vdupq_n_f32(0);
    }
    for (int i = 0; i < M; ++i) {
      const float w = a.scores[(i0 + i) * a.score_stride + p];
      for (int c = 0; c < 8; ++c) acc[i][c] = vfmaq_n_f32(acc[i][c], v[c], w);
    }
  }
  for (int i = 0; i < M; ++i) {
    for (int c = 0; c < vecs; ++c) {
      float* out = a.out + (i0 + i) * a.out_stride + d0 + 4 * c;
      const int left = width - 4 * c;
      if (left >= 4) {
        vst1q_f32(out, acc[i][c]);
      } else {
        StoreFloatsTail(out, acc[i][c], left);
      }
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
    float mx = -3.0e38f;
    for (int64_t t = 0; t < n; ++t) mx = s[t] > mx ? s[t] : mx;
    float32x4_t sum_v = vdupq_n_f32(0);
    for (int64_t t = 0; t < limit; t += 4) {
      float32x4_t e = Exp(vsubq_f32(vld1q_f32(s + t), vdupq_n_f32(mx)));
      if (t + 4 > n) {
        float keep[4];
        for (int j = 0; j < 4; ++j) keep[j] = t + j < n ? 1.0f : 0.0f;
        e = vmulq_f32(e, vld1q_f32(keep));
      }
      vst1q_f32(s + t, e);
      sum_v = vaddq_f32(sum_v, e);
    }
    const float inv = 1.0f / vaddvq_f32(sum_v);
    for (int64_t t = 0; t < limit; t += 4) vst1q_f32(s + t, vmulq_n_f32(vld1q_f32(s + t), inv));
  }
  for (int d0 = 0; d0 < a.head_dim; d0 += 32) {
    int i0 = 0;
    for (; i0 + 2 <= a.m; i0 += 2) WeightedValues<2>(a, limit, d0, i0);
    if (i0 < a.m) WeightedValues<1>(a, limit, d0, i0);
  }
}

void Swiglu(float* gate, const float* up, int64_t n) {
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const float32x4_t g = vld1q_f32(gate + i);
    const float32x4_t silu = vdivq_f32(g, vaddq_f32(vdupq_n_f32(1.0f), Exp(vnegq_f32(g))));
    vst1q_f32(gate + i, vmulq_f32(silu, vld1q_f32(up + i)));
  }
  if (i < n) {
    const int64_t left = n - i;
    const float32x4_t g = LoadFloatsTail(gate + i, left);
    const float32x4_t silu = vdivq_f32(g, vaddq_f32(vdupq_n_f32(1.0f), Exp(vnegq_f32(g))));
    StoreFloatsTail(gate + i, vmulq_f32(silu, LoadFloatsTail(up + i, left)), left);
  }
}

}  // namespace

const CpuKernels& NeonKernelTable() {
  static constexpr CpuKernels kernels{"neon", MatMulRows, Attend, Swiglu};
  return kernels;
}

}  // namespace sweinfer::llm
