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

  size_t KvBytes(DType type, int kv_dim, int, int max_len) const override {
    return RowBytes(type, KeyTiles(max_len) * kKeyTile * kv_dim);
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

  void MatMul(const Matrix& w, const float* x, int n, float* y) override { MatMuls({{&w, y}}, x, n); }

  // The rows of all products are cut into blocks handed out from one parallel loop: one
  // synchronisation for the lot, and each thread streams long runs of consecutive rows.
  void MatMuls(std::initializer_list<Product> products, const float* x, int n) override {
    int64_t rows = 0, work = 0;
    for (const auto& p : products) {
      rows += p.w->rows;
      work += p.w->rows * p.w->cols * std::max(n, 1);
    }
    if (pool_.size() == 1 || work < (int64_t{1} << 15)) {
      for (const auto& p : products) {
        kernels_.matmul_rows({p.w->dtype, p.w->cols, p.w->row_bytes(), p.w->data}, 0, p.w->rows, x, p.w->cols, n, p.y, p.w->rows);
      }
      return;
    }
    const int64_t block = std::max<int64_t>(16, rows / (pool_.size() * 8)) / 4 * 4;
    spans_.clear();
    for (const auto& p : products) {
      for (int64_t r = 0; r < p.w->rows; r += block) spans_.push_back({&p, r, std::min(p.w->rows, r + block)});
    }
    pool_.ParallelFor(static_cast<int64_t>(spans_.size()), [&](int64_t i, int) {
      const Span& s = spans_[i];
      const Matrix& w = *s.product->w;
      kernels_.matmul_rows({w.dtype, w.cols, w.row_bytes(), w.data}, s.begin, s.end, x, w.cols, n, s.product->y, w.rows);
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
    const size_t value_row = RowBytes(cache.dtype, cache.kv_dim);
    for (int t = 0; t < n; ++t) {
      const int pos = pos0 + t;
      const float* kt = k + static_cast<int64_t>(t) * cache.kv_dim;
      FloatToRow(v + static_cast<int64_t>(t) * cache.kv_dim, cache.kv_dim, cache.dtype, cache.values + value_row * pos);
      // Key d of head h at position pos: tile pos / 32 of head h, row d, column pos % 32.
      const int64_t tiles = KeyTiles(cache.max_len);
      for (int d = 0; d < cache.kv_dim; ++d) {
        const int64_t head = d / cache.head_dim, dim = d % cache.head_dim;
        const int64_t index = ((head * tiles + pos / kKeyTile) * cache.head_dim + dim) * kKeyTile + pos % kKeyTile;
        if (cache.dtype == DType::kF32) {
          std::memcpy(cache.keys + 4 * index, kt + d, 4);
        } else {
          const uint16_t h = FloatToHalf(kt[d]);
          std::memcpy(cache.keys + 2 * index, &h, 2);
        }
      }
    }
  }

  // Queries that share a KV head (its GQA group's heads, for every token of the chunk) go through
  // the kernel in blocks, so each key and value loaded serves several queries.
  void Attention(const float* q, int n, int pos0, const KvLayer& cache, const AttentionShape& s, float* out) override {
    const int group = s.n_heads / s.n_kv_heads;
    const int64_t queries = static_cast<int64_t>(n) * group;
    const int64_t blocks = (queries + kMaxAttendQueries - 1) / kMaxAttendQueries;
    const int64_t score_stride = (pos0 + n + 31) / 32 * 32 + 32;
    const size_t scratch = static_cast<size_t>(kMaxAttendQueries) * (score_stride + 2 * s.head_dim);
    if (scratch_.size() < static_cast<size_t>(pool_.size()) || scratch_[0].size() < scratch) {
      scratch_.assign(pool_.size(), std::vector<float>(scratch));
    }
    const int64_t q_dim = static_cast<int64_t>(s.n_heads) * s.head_dim;
    pool_.ParallelFor(s.n_kv_heads * blocks, [&](int64_t job, int worker) {
      const int kvh = static_cast<int>(job / blocks);
      const int64_t first = (job % blocks) * kMaxAttendQueries;
      const int m = static_cast<int>(std::min<int64_t>(kMaxAttendQueries, queries - first));
      float* scores = scratch_[worker].data();
      float* q_block = scores + kMaxAttendQueries * score_stride;
      float* out_block = q_block + kMaxAttendQueries * s.head_dim;
      int n_ctx[kMaxAttendQueries];
      for (int i = 0; i < m; ++i) {
        const int64_t query = first + i;
        const int t = static_cast<int>(query / group), h = kvh * group + static_cast<int>(query % group);
        std::memcpy(q_block + i * s.head_dim, q + t * q_dim + static_cast<int64_t>(h) * s.head_dim, sizeof(float) * s.head_dim);
        n_ctx[i] = pos0 + t + 1;
      }
      AttendArgs a;
      a.q = q_block;
      a.q_stride = s.head_dim;
      a.m = m;
      a.n_ctx = n_ctx;
      const int64_t tiles = KeyTiles(cache.max_len);
      a.key_tile_bytes = RowBytes(cache.dtype, static_cast<int64_t>(s.head_dim) * kKeyTile);
      a.keys_t = cache.keys + a.key_tile_bytes * static_cast<size_t>(kvh * tiles);
      a.values = cache.values + RowBytes(cache.dtype, static_cast<int64_t>(kvh) * s.head_dim);
      a.value_row_bytes = RowBytes(cache.dtype, cache.kv_dim);
      a.kv_dtype = cache.dtype;
      a.head_dim = s.head_dim;
      a.scale = 1.0f / std::sqrt(static_cast<float>(s.head_dim));
      a.scores = scores;
      a.score_stride = score_stride;
      a.out = out_block;
      a.out_stride = s.head_dim;
      kernels_.attend(a);
      for (int i = 0; i < m; ++i) {
        const int64_t query = first + i;
        const int t = static_cast<int>(query / group), h = kvh * group + static_cast<int>(query % group);
        std::memcpy(out + t * q_dim + static_cast<int64_t>(h) * s.head_dim, out_block + i * s.head_dim, sizeof(float) * s.head_dim);
      }
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
  struct Span {
    const Product* product;
    int64_t begin, end;
  };
  std::vector<Span> spans_;
  std::vector<std::vector<float>> scratch_;  // per worker: scores, queries, outputs
};

}  // namespace

std::unique_ptr<Backend> MakeCpuBackend(int threads) { return std::make_unique<CpuBackend>(threads); }

}  // namespace sweinfer::llm
