#include "llm/cpu_kernels.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif
#include <cstdio>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "llm/quants.h"

namespace sweinfer::llm {

namespace {

void LoadRow(const MatrixRef& w, int64_t r, float* out) {
  Matrix m;
  m.dtype = w.dtype;
  m.rows = r + 1;
  m.cols = w.cols;
  m.data = w.data;
  RowToFloat(m, r, out);
}

}  // namespace

const uint8_t* QuantizeActivationsQ8(const float* x, int64_t x_stride, int n, int64_t cols) {
  thread_local std::vector<uint8_t> buffer;
  const size_t row_bytes = RowBytes(DType::kQ8_0, cols);
  buffer.resize(row_bytes * static_cast<size_t>(n));
  for (int t = 0; t < n; ++t) QuantizeActivations(DType::kQ8_0, x + t * x_stride, cols, buffer.data() + t * row_bytes);
  return buffer.data();
}

namespace {

// Decoding on Q8_0 weights (up to kExactBatchTokens tokens), as llama.cpp does it: the activations
// quantized to Q8_0, each block's int8 products summed exactly, scaled by both f16 scales.
void PortableQ8Decode(const MatrixRef& w, int64_t row_begin, int64_t row_end, const float* x, int64_t x_stride, int n,
                      float* y, int64_t y_stride) {
  const uint8_t* xq = QuantizeActivationsQ8(x, x_stride, n, w.cols);
  const size_t xq_bytes = RowBytes(DType::kQ8_0, w.cols);
  for (int64_t r = row_begin; r < row_end; ++r) {
    const uint8_t* row = w.data + w.row_bytes * static_cast<size_t>(r);
    for (int t = 0; t < n; ++t) {
      const uint8_t* xt = xq + t * xq_bytes;
      float sum = 0;
      for (int64_t b = 0; b < w.cols / 32; ++b) {
        const uint8_t* wb = row + b * 34;
        const uint8_t* xb = xt + b * 34;
        int32_t dot = 0;
        for (int i = 0; i < 32; ++i) dot += static_cast<int8_t>(wb[2 + i]) * static_cast<int8_t>(xb[2 + i]);
        uint16_t ws, xs;
        std::memcpy(&ws, wb, 2);
        std::memcpy(&xs, xb, 2);
        sum += HalfToFloat(ws) * HalfToFloat(xs) * static_cast<float>(dot);
      }
      y[t * y_stride + r] = sum;
    }
  }
}

void PortableMatMulRows(const MatrixRef& w, int64_t row_begin, int64_t row_end, const float* x, int64_t x_stride, int n,
                        float* y, int64_t y_stride) {
  if (w.dtype == DType::kQ8_0 && n <= kExactBatchTokens) {
    PortableQ8Decode(w, row_begin, row_end, x, x_stride, n, y, y_stride);
    return;
  }
  if (w.dtype != DType::kQ8_0 && IsBlockQuantized(w.dtype)) {
    QuantizedMatMulRows(w, row_begin, row_end, x, x_stride, n, y, y_stride, PortableMatMulRows);
    return;
  }
  thread_local std::vector<float> row;
  row.resize(static_cast<size_t>(w.cols));
  for (int64_t r = row_begin; r < row_end; ++r) {
    LoadRow(w, r, row.data());
    for (int t = 0; t < n; ++t) {
      const float* xt = x + t * x_stride;
      float sum = 0;
      for (int64_t c = 0; c < w.cols; ++c) sum += row[c] * xt[c];
      y[t * y_stride + r] = sum;
    }
  }
}

float KvValue(const uint8_t* p, DType type, int i) {
  if (type == DType::kF32) {
    float f;
    std::memcpy(&f, p + 4 * i, 4);
    return f;
  }
  uint16_t h;
  std::memcpy(&h, p + 2 * i, 2);
  return HalfToFloat(h);
}

void PortableAttend(const AttendArgs& a) {
  for (int i = 0; i < a.m; ++i) {
    const float* q = a.q + i * a.q_stride;
    float* scores = a.scores + i * a.score_stride;
    float* out = a.out + i * a.out_stride;
    const int n_ctx = a.n_ctx[i];
    float max_score = -INFINITY;
    for (int t = 0; t < n_ctx; ++t) {
      float s = 0;
      const uint8_t* tile = a.keys_t + a.key_tile_bytes * static_cast<size_t>(t / kKeyTile);
      for (int d = 0; d < a.head_dim; ++d) s += q[d] * KvValue(tile, a.kv_dtype, d * kKeyTile + t % kKeyTile);
      scores[t] = s * a.scale;
      max_score = std::max(max_score, scores[t]);
    }
    float sum = 0;
    for (int t = 0; t < n_ctx; ++t) {
      scores[t] = std::exp(scores[t] - max_score);
      sum += scores[t];
    }
    std::fill_n(out, a.head_dim, 0.0f);
    for (int t = 0; t < n_ctx; ++t) {
      const uint8_t* v = a.values + a.value_row_bytes * static_cast<size_t>(t);
      const float p = scores[t] / sum;
      for (int d = 0; d < a.head_dim; ++d) out[d] += p * KvValue(v, a.kv_dtype, d);
    }
  }
}

void PortableSwiglu(float* gate, const float* up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) gate[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

}  // namespace

namespace {
void PortableQuantizedRow(DType type, const uint8_t* row, const uint8_t* activations, size_t activation_bytes, int n,
                          int64_t cols, float* y, int64_t y_stride) {
  for (int t = 0; t < n; ++t) y[t * y_stride] = DotQuantized(type, row, activations + t * activation_bytes, cols);
}
}  // namespace

void QuantizedMatMulRows(const MatrixRef& w, int64_t row_begin, int64_t row_end, const float* x, int64_t x_stride, int n,
                         float* y, int64_t y_stride, MatMulRowsFn f32_rows, QuantizedRowFn row_dot) {
  if (!row_dot) row_dot = PortableQuantizedRow;
  if (n > kExactBatchTokens) {
    // Prefill: a few rows at a time dequantized (exactly) for the table's f32 kernel, which reuses
    // each row across all the tokens; faster than integer products per token and closer to exact.
    constexpr int64_t kRowsAtOnce = 16;
    thread_local std::vector<float> rows;
    rows.resize(static_cast<size_t>(kRowsAtOnce * w.cols));
    for (int64_t r0 = row_begin; r0 < row_end; r0 += kRowsAtOnce) {
      const int64_t count = std::min(kRowsAtOnce, row_end - r0);
      for (int64_t i = 0; i < count; ++i) {
        DequantizeRow(w.dtype, w.data + w.row_bytes * static_cast<size_t>(r0 + i), w.cols, rows.data() + i * w.cols);
      }
      const MatrixRef f32{DType::kF32, w.cols, static_cast<size_t>(w.cols) * 4, reinterpret_cast<const uint8_t*>(rows.data())};
      f32_rows(f32, 0, count, x, x_stride, n, y + r0, y_stride);
    }
    return;
  }
  thread_local std::vector<uint8_t> activations;
  const size_t act_bytes = ActivationRowBytes(w.dtype, w.cols);
  activations.resize(act_bytes * static_cast<size_t>(n));
  for (int t = 0; t < n; ++t) QuantizeActivations(w.dtype, x + t * x_stride, w.cols, activations.data() + t * act_bytes);
  for (int64_t r = row_begin; r < row_end; ++r) {
    row_dot(w.dtype, w.data + w.row_bytes * static_cast<size_t>(r), activations.data(), act_bytes, n, w.cols, y + r, y_stride);
  }
}

const CpuKernels& PortableKernels() {
  static const CpuKernels kernels{"portable", PortableMatMulRows, PortableAttend, PortableSwiglu};
  return kernels;
}

#if defined(SWEINFER_AVX512_KERNELS)
const CpuKernels& Avx512KernelTable();
const CpuKernels* Avx512Kernels() {
  __builtin_cpu_init();
  // Every AVX-512 CPU also has FMA and F16C (and clang cannot test for F16C).
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")) {
    return &Avx512KernelTable();
  }
  return nullptr;
}

const CpuKernels& Avx512Bf16KernelTable();
const CpuKernels* Avx512Bf16Kernels() {
  if (!Avx512Kernels()) return nullptr;
  return __builtin_cpu_supports("avx512bf16") ? &Avx512Bf16KernelTable() : nullptr;
}
#else
const CpuKernels* Avx512Kernels() { return nullptr; }
const CpuKernels* Avx512Bf16Kernels() { return nullptr; }
#endif

#if defined(SWEINFER_AVX2_KERNELS)
const CpuKernels& Avx2KernelTable();
const CpuKernels* Avx2Kernels() {
  __builtin_cpu_init();
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  const bool f16c = __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_F16C);
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && f16c) return &Avx2KernelTable();
  return nullptr;
}
#else
const CpuKernels* Avx2Kernels() { return nullptr; }
#endif

#if defined(__aarch64__)
const CpuKernels& NeonKernelTable();
// Advanced SIMD (with fused multiply-add and half-precision conversion) is part of every AArch64 CPU.
const CpuKernels* NeonKernels() { return &NeonKernelTable(); }
#else
const CpuKernels* NeonKernels() { return nullptr; }
#endif

const CpuKernels& BestKernels() {
  static const CpuKernels* best = [] {
    const char* forced = std::getenv("SWEINFER_KERNELS");
    const std::string_view want = forced ? forced : "";
    const CpuKernels* avx512_bf16 = Avx512Bf16Kernels();
    const CpuKernels* avx512 = Avx512Kernels();
    const CpuKernels* avx2 = Avx2Kernels();
    const CpuKernels* neon = NeonKernels();
    if (want == "portable") return &PortableKernels();
    if (want == "avx2" || want == "avx512" || want == "avx512-bf16" || want == "neon") {
      const CpuKernels* table = want == "avx2" ? avx2 : want == "avx512" ? avx512 : want == "neon" ? neon : avx512_bf16;
      if (table) return table;
      std::fprintf(stderr, "SWEINFER_KERNELS=%s: this CPU or build cannot run that table; using the fastest it can\n", forced);
    } else if (!want.empty()) {
      std::fprintf(stderr,
                   "SWEINFER_KERNELS=%s is not one of portable, avx2, avx512, avx512-bf16, neon; using the fastest table\n",
                   forced);
    }
    return avx512_bf16 ? avx512_bf16 : avx512 ? avx512 : avx2 ? avx2 : neon ? neon : &PortableKernels();
  }();
  return *best;
}

}  // namespace sweinfer::llm
