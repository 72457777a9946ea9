// The operations a Llama forward pass needs, behind an interface so the model code (llama.cc)
// never touches memory or kernels itself: a CPU backend lives in cpu_backend.cc, and an
// accelerator backend (CUDA) can be added beside it. Buffers come from Allocate and live in the
// backend's memory; float* arguments point into them. Weights are host Matrix views, which an
// accelerator backend uploads on first use. Matrices of activations are row-major, one row per
// token.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>

#include "llm/tensor.h"

namespace sweinfer::llm {

struct RopeSpec {
  float theta = 10000.0f;
  float scale = 1.0f;        // linear position scaling (positions are divided by it)
  bool interleaved = false;  // pairs (2i, 2i+1) as GGUF stores Q/K; else (i, i + head_dim/2) as Hugging Face
};

// One layer's keys and values for `max_len` positions, of type kF32 or kF16, in the layout the
// backend chooses (the CPU backend: values one row of kv_dim per position, keys in tiles of
// positions transposed per KV head; see cpu_kernels.h).
struct KvLayer {
  uint8_t* keys = nullptr;
  uint8_t* values = nullptr;
  DType dtype = DType::kF16;
  int kv_dim = 0, head_dim = 0, max_len = 0;
};

struct AttentionShape {
  int n_heads = 0, n_kv_heads = 0, head_dim = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string Describe() const = 0;

  virtual std::shared_ptr<uint8_t> Allocate(size_t bytes) = 0;
  // Bytes of one layer's keys (or values) for max_len positions of kv_dim values of `type`.
  virtual size_t KvBytes(DType type, int kv_dim, int head_dim, int max_len) const = 0;
  // x[t] = table row tokens[t] as floats.
  virtual void Embed(const Matrix& table, const int* tokens, int n, float* x) = 0;
  // out[t] = x[t] / rms(x[t]) * weight, for n rows of dim values (out may be x).
  virtual void RmsNorm(const float* x, const float* weight, int n, int dim, float eps, float* out) = 0;
  // y (n x w.rows) = x (n x w.cols) * w^T
  virtual void MatMul(const Matrix& w, const float* x, int n, float* y) = 0;
  // Several products of the same input (Q, K and V; gate and up) in one pass over the weights.
  struct Product {
    const Matrix* w;
    float* y;
  };
  virtual void MatMuls(std::initializer_list<Product> products, const float* x, int n) = 0;
  // Rotates n rows of n_heads heads at positions pos0, pos0 + 1, ...
  virtual void Rope(float* x, int n, int n_heads, int head_dim, int pos0, const RopeSpec& rope) = 0;
  // Writes n rows of keys and values at positions pos0.. of the layer's cache.
  virtual void StoreKv(const float* k, const float* v, int n, int pos0, const KvLayer& cache) = 0;
  // Causal attention of n query rows (positions pos0..) over cache positions 0..pos0+row.
  virtual void Attention(const float* q, int n, int pos0, const KvLayer& cache, const AttentionShape& shape,
                         float* out) = 0;
  // gate = silu(gate) * up
  virtual void SwiGlu(float* gate, const float* up, size_t n) = 0;
  // x += y
  virtual void Add(float* x, const float* y, size_t n) = 0;
  virtual void CopyToHost(const float* src, size_t n, float* dst) = 0;
};

// threads <= 0: one per hardware thread.
std::unique_ptr<Backend> MakeCpuBackend(int threads);

}  // namespace sweinfer::llm
