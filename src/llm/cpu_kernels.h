// The CPU backend's inner loops, behind a table chosen once at start-up: an AVX-512 version
// (compiled in its own translation unit with AVX-512 flags, used only when the CPU reports
// AVX-512 F/BW/VL), the same with bf16 dot products for prefill on block-quantized weights when
// the CPU has AVX-512 BF16, an x86-64-v3 one (AVX2 + FMA + F16C, likewise), an AArch64 NEON one,
// and a portable one. Arguments are plain pointers so that those translation units share no
// inline code with the rest of the program.
#pragma once

#include <cstddef>
#include <cstdint>

#include "llm/tensor.h"

namespace sweinfer::llm {

struct MatrixRef {
  DType dtype;
  int64_t cols;
  size_t row_bytes;
  const uint8_t* data;
};

// Attention of up to kMaxAttendQueries queries that share one KV head (the heads of a GQA group,
// and the tokens of a prefill chunk). Keys are stored in tiles of kKeyTile positions, transposed
// inside the tile (head_dim rows of kKeyTile positions, contiguous), so scores for 32 positions
// are one contiguous read with no horizontal sums; values are stored one row per position.
constexpr int kMaxAttendQueries = 8;

// Up to this many tokens, matmul_rows computes every token exactly as it computes a single one
// (the decoding kernel, once per token over a row still in cache), so that a few tokens fed
// together get bitwise the results of feeding them one at a time: a speculative draft verified in
// one pass then decodes exactly as plain greedy decoding. More tokens (prefill) use the tiled kernel.
constexpr int kExactBatchTokens = 8;

// How many positions ahead the attention kernels prefetch value rows.
constexpr int kValuePrefetchRows = 8;
constexpr int kKeyTile = 32;

// Key tiles per KV head for max_len positions.
inline int64_t KeyTiles(int64_t max_len) { return (max_len + kKeyTile - 1) / kKeyTile; }

struct AttendArgs {
  const float* q;           // query i at q + i * q_stride (head_dim values)
  int64_t q_stride;
  int m;                    // queries, 1..kMaxAttendQueries
  const int* n_ctx;         // query i attends positions 0 .. n_ctx[i]-1
  const uint8_t* keys_t;    // tile j (positions 32j..32j+31) at keys_t + j * key_tile_bytes
  size_t key_tile_bytes;    // RowBytes(kv_dtype, head_dim * kKeyTile); whole tiles are readable
  const uint8_t* values;    // position p's head_dim values at values + p * value_row_bytes
  size_t value_row_bytes;
  DType kv_dtype;           // kF32 or kF16
  int head_dim;
  float scale;
  float* scores;            // scratch: m rows of score_stride floats
  int64_t score_stride;     // >= max n_ctx rounded up to a multiple of 32
  float* out;               // query i's result at out + i * out_stride
  int64_t out_stride;
};

struct CpuKernels {
  const char* name;
  // y[t * y_stride + r] = dot(row r of w, x + t * x_stride) for r in [row_begin, row_end), t < n.
  void (*matmul_rows)(const MatrixRef& w, int64_t row_begin, int64_t row_end, const float* x, int64_t x_stride, int n,
                      float* y, int64_t y_stride);
  // softmax(q . keys * scale) . values for each query of the block.
  void (*attend)(const AttendArgs& args);
  // gate[i] = silu(gate[i]) * up[i]
  void (*swiglu)(float* gate, const float* up, int64_t n);
};

// The activations of n tokens quantized to Q8_0 rows of `cols` values (llama.cpp's runtime
// quantize_row_q8_0, llm::QuantizeActivations), one row of RowBytes(kQ8_0, cols) bytes per token, in a buffer of the calling
// thread valid until its next call: the first step of Q8_0 decoding in every table.
const uint8_t* QuantizeActivationsQ8(const float* x, int64_t x_stride, int n, int64_t cols);

// Matrix rows of a block-quantized type other than Q8_0 (llm/quants.h), for every table. Up to
// kExactBatchTokens tokens (decoding): the activations quantized as llama.cpp's CPU backend
// quantizes them for that type, then `row_dot` for each row (the table's own; default the portable
// dot of llm/quants.h), giving y[t * y_stride] for n tokens whose activations lie activation_bytes
// apart. More tokens (prefill): rows dequantized a few at a time for the table's f32 kernel.
using MatMulRowsFn = void (*)(const MatrixRef& w, int64_t row_begin, int64_t row_end, const float* x, int64_t x_stride,
                              int n, float* y, int64_t y_stride);
using QuantizedRowFn = void (*)(DType type, const uint8_t* row, const uint8_t* activations, size_t activation_bytes, int n,
                                int64_t cols, float* y, int64_t y_stride);
void QuantizedMatMulRows(const MatrixRef& w, int64_t row_begin, int64_t row_end, const float* x, int64_t x_stride, int n,
                         float* y, int64_t y_stride, MatMulRowsFn f32_rows, QuantizedRowFn row_dot = nullptr);

const CpuKernels& PortableKernels();
// nullptr when this build or CPU has no AVX-512 kernels (F, BW, VL).
const CpuKernels* Avx512Kernels();
// The AVX-512 table with prefill on block-quantized and BF16 weights in bf16 dot products
// (vdpbf16ps; bf16 products summed in f32); nullptr when this build or CPU has no AVX-512 BF16.
const CpuKernels* Avx512Bf16Kernels();
// nullptr when this build or CPU has no x86-64-v3 kernels (AVX2, FMA, F16C).
const CpuKernels* Avx2Kernels();
// The AArch64 NEON table; nullptr on other architectures.
const CpuKernels* NeonKernels();
// The fastest table this CPU runs; SWEINFER_KERNELS=portable|avx2|avx512|avx512-bf16|neon forces one.
const CpuKernels& BestKernels();

}  // namespace sweinfer::llm
