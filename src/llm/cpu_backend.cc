#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "llm/backend.h"
#include "llm/cpu_kernels.h"
#include "util/thread_pool.h"

namespace sweinfer::llm {

namespace {

class CpuBackend : public Backend {
 public:
  explicit CpuBackend(int threads) : pool_(threads), kernels_(BestKernels()) {}

  std::string Describe() const override {
    return "cpu (" + std::to_string(pool_.size()) + " threads, " + kernels_.name + " kernels)";
  }

  std::shared_ptr<uint8_t> Allocate(size_t bytes) override {
    void* p = std::aligned_alloc(64, (std::max<size_t>(bytes, 1) + 63) / 64 * 64);
    if (!p) throw std::bad_alloc();
    std::memset(p, 0, bytes);
    return std::shared_ptr<uint8_t>(static_cast<uint8_t*>(p), [](uint8_t* q) { std::free(q); });
  }

  void Embed(const Matrix& table, const int* tokens, int n, float* x) override {
    for (int t = 0; t < n; ++t) RowToFloat(table, tokens[t], x + static_cast<int64_t>(t) * table.cols);
  }

  void RmsNorm(const float* x, const float* weight, int n, int dim, float eps, float* out) override {
    for (int t = 0; t < n; ++t) {
      const float* xt = x + static_cast<int64_t>(t) * dim;
      float* ot = out + static_cast<int64_t>(t) * dim;
      double ss = 0;
      for (int i = 0; i < dim; ++i) ss += static_cast<double>(xt[i]) * xt[i];
      const float scale = 1.0f / std::sqrt(static_cast<float>(ss / dim) + eps);
      for (int i = 0; i < dim; ++i) ot[i] = weight[i] * (xt[i] * scale);
    }
  }

  void MatMul(const Matrix& w, const float* x, int n, float* y) override {
    const MatrixRef ref{w.dtype, w.cols, w.row_bytes(), w.data};
    // Blocks of rows small enough to balance the threads, large enough to amortise the hand-out.
    const int64_t work = w.rows * w.cols * std::max(n, 1);
    if (pool_.size() == 1 || work < (int64_t{1} << 15)) {
      kernels_.matmul_rows(ref, 0, w.rows, x, w.cols, n, y, w.rows);
      return;
    }
    int64_t block = std::max<int64_t>(16, w.rows / (pool_.size() * 8)) / 4 * 4;
    const int64_t blocks = (w.rows + block - 1) / block;
    pool_.ParallelFor(blocks, [&](int64_t b, int) {
      const int64_t begin = b * block, end = std::min(w.rows, begin + block);
      kernels_.matmul_rows(ref, begin, end, x, w.cols, n, y, w.rows);
    });
  }

  void Rope(float* x, int n, int n_heads, int head_dim, int pos0, const RopeSpec& rope) override {
    const int half = head_dim / 2;
    inv_freq_.resize(half);
    for (int i = 0; i < half; ++i) {
      inv_freq_[i] = 1.0f / std::pow(rope.theta, static_cast<float>(2 * i) / static_cast<float>(head_dim));
    }
    for (int t = 0; t < n; ++t) {
      const float position = static_cast<float>(pos0 + t) / rope.scale;
      for (int h = 0; h < n_heads; ++h) {
        float* v = x + (static_cast<int64_t>(t) * n_heads + h) * head_dim;
        for (int i = 0; i < half; ++i) {
          const float angle = position * inv_freq_[i], cs = std::cos(angle), sn = std::sin(angle);
          const int a = rope.interleaved ? 2 * i : i, b = rope.interleaved ? 2 * i + 1 : i + half;
          const float x0 = v[a], x1 = v[b];
          v[a] = x0 * cs - x1 * sn;
          v[b] = x0 * sn + x1 * cs;
        }
      }
    }
  }

  void StoreKv(const float* k, const float* v, int n, int pos0, const KvLayer& cache) override {
    const size_t row = cache.row_bytes();
    for (int t = 0; t < n; ++t) {
      FloatToRow(k + static_cast<int64_t>(t) * cache.kv_dim, cache.kv_dim, cache.dtype, cache.keys + row * (pos0 + t));
      FloatToRow(v + static_cast<int64_t>(t) * cache.kv_dim, cache.kv_dim, cache.dtype, cache.values + row * (pos0 + t));
    }
  }

  void Attention(const float* q, int n, int pos0, const KvLayer& cache, const AttentionShape& s, float* out) override {
    const int group = s.n_heads / s.n_kv_heads;
    const size_t needed = static_cast<size_t>(pos0 + n);
    if (scores_.size() < static_cast<size_t>(pool_.size()) || scores_[0].size() < needed) {
      scores_.assign(pool_.size(), std::vector<float>(needed + 16));
    }
    const auto attend = s.head_dim <= 256 ? kernels_.attend : PortableKernels().attend;
    const int64_t q_dim = static_cast<int64_t>(s.n_heads) * s.head_dim;
    pool_.ParallelFor(static_cast<int64_t>(n) * s.n_heads, [&](int64_t i, int worker) {
      const int t = static_cast<int>(i / s.n_heads), h = static_cast<int>(i % s.n_heads), kvh = h / group;
      AttendArgs a;
      a.q = q + t * q_dim + static_cast<int64_t>(h) * s.head_dim;
      a.keys = cache.keys + RowBytes(cache.dtype, static_cast<int64_t>(kvh) * s.head_dim);
      a.values = cache.values + RowBytes(cache.dtype, static_cast<int64_t>(kvh) * s.head_dim);
      a.kv_dtype = cache.dtype;
      a.kv_row_bytes = cache.row_bytes();
      a.n_ctx = pos0 + t + 1;
      a.head_dim = s.head_dim;
      a.scale = 1.0f / std::sqrt(static_cast<float>(s.head_dim));
      a.scores = scores_[worker].data();
      a.out = out + t * q_dim + static_cast<int64_t>(h) * s.head_dim;
      attend(a);
    });
  }

  void SwiGlu(float* gate, const float* up, size_t n) override { kernels_.swiglu(gate, up, static_cast<int64_t>(n)); }

  void Add(float* x, const float* y, size_t n) override {
    for (size_t i = 0; i < n; ++i) x[i] += y[i];
  }

  void CopyToHost(const float* src, size_t n, float* dst) override { std::memcpy(dst, src, n * sizeof(float)); }

 private:
  ThreadPool pool_;
  const CpuKernels& kernels_;
  std::vector<float> inv_freq_;
  std::vector<std::vector<float>> scores_;  // per worker
};

}  // namespace

std::unique_ptr<Backend> MakeCpuBackend(int threads) { return std::make_unique<CpuBackend>(threads); }

}  // namespace sweinfer::llm
