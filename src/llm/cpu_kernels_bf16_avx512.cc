// Prefill on block-quantized weights for CPUs with AVX-512 BF16 (Zen 4 and later, Cooper Lake,
// Sapphire Rapids): built with the AVX-512 flags plus -mavx512bf16, reached only through
// Avx512Bf16KernelTable() after the CPU check in cpu_kernels.cc. The table is the AVX-512 one
// except for prefill (more than kExactBatchTokens tokens) on Q8_0, Q4_0 ... Q6_K weights: 32 rows
// at a time are dequantized, rounded to bf16 and packed column pair by column pair, the tokens'
// activations are rounded to bf16 once per call, and vdpbf16ps multiplies 32 pairs per
// instruction into f32 sums, twice the multiply rate of f32 FMA. Such weights carry 4 to 8 bits,
// so bf16's 8 significant bits lose little (llama.cpp rounds the activations to 8-bit integers
// there); 16-bit and f32 models keep f32 products (bf16 activations measured 10x the logit error
// of a bf16 model's tests). Decoding is untouched: it is the AVX-512 table's, so speculation
// stays exact.
#include <immintrin.h>

#include <cstdlib>
#include <cstring>
#include <new>

#include "llm/cpu_kernels.h"
#include "llm/quants.h"

namespace sweinfer::llm {

const CpuKernels& Avx512KernelTable();
const CpuKernels& Avx512Bf16KernelTable();

namespace {

constexpr int kPanelRows = 32;   // two vectors of 16 rows
constexpr int kTokensAtOnce = 12;  // 24 accumulators + 2 weight vectors fit the 32 registers

#include "llm/cpu_kernels_x86_scratch.inc"

inline __mmask16 RowMask(int rows) { return rows >= 16 ? 0xFFFF : rows <= 0 ? 0 : static_cast<__mmask16>((1u << rows) - 1); }

// `count` floats rounded to bf16 (nearest even), in order; count is even.
inline void ToBf16(const float* in, int64_t count, uint16_t* out) {
  int64_t i = 0;
  for (; i + 32 <= count; i += 32) {
    const __m512bh v = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(in + i + 16), _mm512_loadu_ps(in + i));
    _mm512_storeu_si512(out + i, reinterpret_cast<const __m512i&>(v));
  }
  for (; i < count; ++i) out[i] = FloatToBFloat16(in[i]);
}

// Rows [r0, r0 + count) of w as a panel: for column pair p, the 32 rows' bf16 pairs (4 bytes
// each) at panel + 32 * p; rows past count are zero.
void PackPanel(const MatrixRef& w, int64_t r0, int count, float* row_f32, uint16_t* row_bf16, uint32_t* panel) {
  const int64_t pairs = w.cols / 2;
  for (int r = 0; r < kPanelRows; ++r) {
    if (r >= count) {
      for (int64_t p = 0; p < pairs; ++p) panel[p * kPanelRows + r] = 0;
      continue;
    }
    DequantizeRow(w.dtype, w.data + w.row_bytes * static_cast<size_t>(r0 + r), w.cols, row_f32);
    ToBf16(row_f32, w.cols, row_bf16);
    for (int64_t p = 0; p < pairs; ++p) {
      uint32_t pair;
      std::memcpy(&pair, row_bf16 + 2 * p, 4);
      panel[p * kPanelRows + r] = pair;
    }
  }
}

// y[t][r0 + 0..rows) for T tokens whose bf16 pairs are at x + t * pairs.
template <int T>
void PanelTokens(const uint32_t* panel, int64_t pairs, const uint32_t* x, int rows, float* y, int64_t y_stride) {
  __m512 acc[2][T];
#pragma GCC unroll 12
  for (int t = 0; t < T; ++t) acc[0][t] = acc[1][t] = _mm512_setzero_ps();
  for (int64_t p = 0; p < pairs; ++p) {
    const __m512bh w0 = reinterpret_cast<__m512bh>(_mm512_loadu_si512(panel + p * kPanelRows));
    const __m512bh w1 = reinterpret_cast<__m512bh>(_mm512_loadu_si512(panel + p * kPanelRows + 16));
#pragma GCC unroll 12
    for (int t = 0; t < T; ++t) {
      const __m512bh xv = reinterpret_cast<__m512bh>(_mm512_set1_epi32(static_cast<int>(x[t * pairs + p])));
      acc[0][t] = _mm512_dpbf16_ps(acc[0][t], w0, xv);
      acc[1][t] = _mm512_dpbf16_ps(acc[1][t], w1, xv);
    }
  }
  const __mmask16 low = RowMask(rows), high = RowMask(rows - 16);
#pragma GCC unroll 12
  for (int t = 0; t < T; ++t) {
    _mm512_mask_storeu_ps(y + t * y_stride, low, acc[0][t]);
    _mm512_mask_storeu_ps(y + t * y_stride + 16, high, acc[1][t]);
  }
}

void PanelAllTokens(const uint32_t* panel, int64_t pairs, const uint32_t* x, int n, int rows, float* y, int64_t y_stride) {
  int t = 0;
  for (; t + kTokensAtOnce <= n; t += kTokensAtOnce) {
    PanelTokens<kTokensAtOnce>(panel, pairs, x + t * pairs, rows, y + t * y_stride, y_stride);
  }
  const uint32_t* xt = x + t * pairs;
  float* yt = y + t * y_stride;
  switch (n - t) {
    case 11: PanelTokens<11>(panel, pairs, xt, rows, yt, y_stride); break;
    case 10: PanelTokens<10>(panel, pairs, xt, rows, yt, y_stride); break;
    case 9: PanelTokens<9>(panel, pairs, xt, rows, yt, y_stride); break;
    case 8: PanelTokens<8>(panel, pairs, xt, rows, yt, y_stride); break;
    case 7: PanelTokens<7>(panel, pairs, xt, rows, yt, y_stride); break;
    case 6: PanelTokens<6>(panel, pairs, xt, rows, yt, y_stride); break;
    case 5: PanelTokens<5>(panel, pairs, xt, rows, yt, y_stride); break;
    case 4: PanelTokens<4>(panel, pairs, xt, rows, yt, y_stride); break;
    case 3: PanelTokens<3>(panel, pairs, xt, rows, yt, y_stride); break;
    case 2: PanelTokens<2>(panel, pairs, xt, rows, yt, y_stride); break;
    case 1: PanelTokens<1>(panel, pairs, xt, rows, yt, y_stride); break;
    default: break;
  }
}

bool UsesBf16Prefill(const MatrixRef& w, int n) {
  return n > kExactBatchTokens && IsBlockQuantized(w.dtype);
}

void MatMulRows(const MatrixRef& w, int64_t row_begin, int64_t row_end, const float* x, int64_t x_stride, int n,
                float* y, int64_t y_stride) {
  if (!UsesBf16Prefill(w, n)) {
    Avx512KernelTable().matmul_rows(w, row_begin, row_end, x, x_stride, n, y, y_stride);
    return;
  }
  const int64_t pairs = w.cols / 2;
  thread_local Scratch<uint16_t> x_scratch, row_bf16_scratch;
  thread_local Scratch<uint32_t> panel_scratch;
  thread_local Scratch<float> row_f32_scratch;
  uint16_t* x_bf16 = x_scratch.Reserve(static_cast<size_t>(n * w.cols));
  for (int t = 0; t < n; ++t) ToBf16(x + t * x_stride, w.cols, x_bf16 + t * w.cols);
  uint32_t* panel = panel_scratch.Reserve(static_cast<size_t>(pairs * kPanelRows));
  float* row_f32 = row_f32_scratch.Reserve(static_cast<size_t>(w.cols));
  uint16_t* row_bf16 = row_bf16_scratch.Reserve(static_cast<size_t>(w.cols));
  const uint32_t* x_pairs = reinterpret_cast<const uint32_t*>(x_bf16);
  for (int64_t r0 = row_begin; r0 < row_end; r0 += kPanelRows) {
    const int rows = static_cast<int>(row_end - r0 < kPanelRows ? row_end - r0 : kPanelRows);
    PackPanel(w, r0, rows, row_f32, row_bf16, panel);
    PanelAllTokens(panel, pairs, x_pairs, n, rows, y + r0, y_stride);
  }
}

}  // namespace

const CpuKernels& Avx512Bf16KernelTable() {
  static const CpuKernels table{"avx512-bf16", MatMulRows, Avx512KernelTable().attend, Avx512KernelTable().swiglu};
  return table;
}

}  // namespace sweinfer::llm
