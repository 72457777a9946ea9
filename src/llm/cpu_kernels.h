// The CPU backend's inner loops, behind a table chosen once at start-up: an AVX-512 version
// (compiled in its own translation unit with AVX-512 flags, used only when the CPU reports
// AVX-512 F/BW/VL) and a portable one. Arguments are plain pointers so that translation unit
// shares no inline code with the rest of the program.
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

struct AttendArgs {
  const float* q;         // head_dim values
  const uint8_t* keys;    // position 0 of this head's keys; one position every kv_row_bytes
  const uint8_t* values;  // likewise
  DType kv_dtype;         // kF32 or kF16
  size_t kv_row_bytes;
  int n_ctx;              // positions attended: 0 .. n_ctx-1
  int head_dim;
  float scale;
  float* scores;          // scratch, n_ctx floats
  float* out;             // head_dim floats
};

struct CpuKernels {
  const char* name;
  // y[t * y_stride + r] = dot(row r of w, x + t * x_stride) for r in [row_begin, row_end), t < n.
  void (*matmul_rows)(const MatrixRef& w, int64_t row_begin, int64_t row_end, const float* x, int64_t x_stride, int n,
                      float* y, int64_t y_stride);
  // Softmax(q . keys * scale) . values for one query head.
  void (*attend)(const AttendArgs& args);
  // gate[i] = silu(gate[i]) * up[i]
  void (*swiglu)(float* gate, const float* up, int64_t n);
};

const CpuKernels& PortableKernels();
// nullptr when this build has no AVX-512 kernels.
const CpuKernels* Avx512Kernels();
// The fastest table this CPU runs (SWEINFER_KERNELS=portable forces the portable one).
const CpuKernels& BestKernels();

}  // namespace sweinfer::llm
