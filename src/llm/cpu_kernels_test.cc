#include "llm/cpu_kernels.h"
#include "llm/quants.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cmath>
#include <random>
#include <vector>

namespace sweinfer::llm {
namespace {

// The portable kernels are the plain definition; every SIMD table must agree on every type, on
// widths that are not multiples of the vector width, and on every tile and query-block remainder.
// bf16_prefill: the table multiplies in bf16 when prefilling block-quantized weights, so
// those results agree within bf16 rounding (both operands to 8 significant bits).
void ExpectAgreesWithPortable(const CpuKernels* fast, bool bf16_prefill = false) {
  const CpuKernels& plain = PortableKernels();
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-1, 1);
  for (DType type : {DType::kF32, DType::kF16, DType::kBF16, DType::kQ8_0, DType::kQ4_0, DType::kQ4_1, DType::kQ5_0,
                     DType::kQ5_1, DType::kQ4_K, DType::kQ5_K, DType::kQ6_K}) {
    for (int64_t cols : {32, 64, 96, 200, 8, 17, 1, 9, 33, 4097, 256, 768}) {
      if (cols % BlockValues(type)) continue;
      const int64_t rows = 11;
      std::vector<float> values(static_cast<size_t>(rows * cols));
      for (auto& v : values) v = u(rng);
      std::vector<uint8_t> bytes(RowBytes(type, cols) * rows);
      for (int64_t r = 0; r < rows; ++r) FloatToRow(values.data() + r * cols, cols, type, bytes.data() + r * RowBytes(type, cols));
      const MatrixRef w{type, cols, RowBytes(type, cols), bytes.data()};
      for (int n : {1, 2, 3, 4, 5, 6, 7, 13}) {
        std::vector<float> x(static_cast<size_t>(n * cols));
        for (auto& v : x) v = u(rng);
        std::vector<float> a(static_cast<size_t>(n * rows), -1), b(static_cast<size_t>(n * rows), -2);
        plain.matmul_rows(w, 0, rows, x.data(), cols, n, a.data(), rows);
        fast->matmul_rows(w, 0, rows, x.data(), cols, n, b.data(), rows);
        float tolerance = 1e-4f * static_cast<float>(cols);
        if (bf16_prefill && n > kExactBatchTokens && type != DType::kF32 && type != DType::kF16 && type != DType::kBF16) {
          tolerance += 8e-3f * std::sqrt(static_cast<float>(cols));
        }
        for (size_t i = 0; i < a.size(); ++i) {
          ASSERT_NEAR(a[i], b[i], tolerance) << DTypeName(type) << " cols " << cols << " n " << n;
        }
      }
    }
  }
  for (DType kv : {DType::kF32, DType::kF16}) {
    for (int head_dim : {8, 20, 36, 64, 80, 128}) {
      for (int m : {1, 2, 3, 5, 8}) {
        const int max_len = 75;
        // Each query sees a different prefix (as the tokens of a prefill chunk do).
        std::vector<int> n_ctx;
        for (int i = 0; i < m; ++i) n_ctx.push_back(std::min(max_len, 37 + 5 * i));
        std::vector<float> q(static_cast<size_t>(m * head_dim));
        for (auto& v : q) v = u(rng);
        // Keys in tiles of 32 positions, transposed inside each tile.
        const int64_t tiles = KeyTiles(max_len);
        const size_t tile_bytes = RowBytes(kv, static_cast<int64_t>(head_dim) * kKeyTile);
        std::vector<uint8_t> keys(tile_bytes * tiles), values(RowBytes(kv, head_dim) * max_len);
        std::vector<float> row(std::max(kKeyTile * head_dim, head_dim));
        for (int j = 0; j < tiles; ++j) {
          for (auto& x : row) x = 3 * u(rng);
          FloatToRow(row.data(), static_cast<int64_t>(head_dim) * kKeyTile, kv, keys.data() + j * tile_bytes);
        }
        for (int t = 0; t < max_len; ++t) {
          for (int d = 0; d < head_dim; ++d) row[d] = u(rng);
          FloatToRow(row.data(), head_dim, kv, values.data() + t * RowBytes(kv, head_dim));
        }
        const int64_t stride = (max_len + 31) / 32 * 32 + 32;
        std::vector<float> scores(static_cast<size_t>(m * stride)), out_a(static_cast<size_t>(m * head_dim)), out_b(out_a.size());
        AttendArgs args{q.data(), head_dim, m, n_ctx.data(), keys.data(), tile_bytes, values.data(),
                        RowBytes(kv, head_dim), kv, head_dim, 0.125f, scores.data(), stride, out_a.data(), head_dim};
        plain.attend(args);
        args.out = out_b.data();
        fast->attend(args);
        for (size_t i = 0; i < out_a.size(); ++i) ASSERT_NEAR(out_a[i], out_b[i], 1e-5f) << "head_dim " << head_dim << " m " << m;
      }
    }
  }
  std::vector<float> gate(77), up(77);
  for (size_t i = 0; i < gate.size(); ++i) {
    gate[i] = 12 * u(rng);
    up[i] = u(rng);
  }
  auto g2 = gate;
  plain.swiglu(gate.data(), up.data(), 77);
  fast->swiglu(g2.data(), up.data(), 77);
  for (size_t i = 0; i < gate.size(); ++i) ASSERT_NEAR(gate[i], g2[i], 1e-5f * std::max(1.0f, std::fabs(gate[i])));
}

// Up to kExactBatchTokens tokens, a batch gets bitwise what one token at a time gets (what makes
// speculative decoding reproduce greedy decoding exactly), for rows at any alignment.
void ExpectSmallBatchesEqualSingleTokens(const CpuKernels& kernels) {
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> u(-1, 1);
  for (DType type : {DType::kF32, DType::kF16, DType::kBF16, DType::kQ8_0, DType::kQ4_0, DType::kQ5_1, DType::kQ4_K,
                     DType::kQ6_K}) {
    for (int64_t cols : {64, 200, 4097, 2048}) {
      if (cols % BlockValues(type)) continue;
      const int64_t rows = 7;
      const size_t row_bytes = RowBytes(type, cols);
      for (size_t misalign : {0, 8, 2}) {
        std::vector<float> values(static_cast<size_t>(rows * cols));
        for (auto& v : values) v = u(rng);
        std::vector<uint8_t> storage(row_bytes * rows + 64);
        uint8_t* data = storage.data() + (64 - reinterpret_cast<uintptr_t>(storage.data()) % 64) % 64 + misalign;
        if (data + row_bytes * rows > storage.data() + storage.size()) continue;
        for (int64_t r = 0; r < rows; ++r) FloatToRow(values.data() + r * cols, cols, type, data + r * row_bytes);
        const MatrixRef w{type, cols, row_bytes, data};
        for (int n = 2; n <= kExactBatchTokens; ++n) {
          std::vector<float> x(static_cast<size_t>(n * cols));
          for (auto& v : x) v = u(rng);
          std::vector<float> batch(static_cast<size_t>(n * rows));
          kernels.matmul_rows(w, 0, rows, x.data(), cols, n, batch.data(), rows);
          for (int t = 0; t < n; ++t) {
            std::vector<float> one(static_cast<size_t>(rows));
            kernels.matmul_rows(w, 0, rows, x.data() + t * cols, cols, 1, one.data(), rows);
            for (int64_t r = 0; r < rows; ++r) {
              ASSERT_EQ(batch[t * rows + r], one[r]) << kernels.name << " " << DTypeName(type) << " cols " << cols << " n " << n;
            }
          }
        }
      }
    }
  }
}

TEST(CpuKernels, SmallBatchesEqualSingleTokensBitwiseInEveryTable) {
  ExpectSmallBatchesEqualSingleTokens(PortableKernels());
  for (const CpuKernels* table : {Avx512Bf16Kernels(), Avx512Kernels(), Avx2Kernels(), NeonKernels()}) {
    if (table) ExpectSmallBatchesEqualSingleTokens(*table);
  }
}

TEST(CpuKernels, Avx512AgreesWithPortable) {
  const CpuKernels* fast = Avx512Kernels();
  if (!fast) GTEST_SKIP() << "this CPU or build has no AVX-512 kernels";
  ExpectAgreesWithPortable(fast);
}

TEST(CpuKernels, Avx512Bf16AgreesWithPortable) {
  const CpuKernels* fast = Avx512Bf16Kernels();
  if (!fast) GTEST_SKIP() << "this CPU or build has no AVX-512 BF16";
  ExpectAgreesWithPortable(fast, /*bf16_prefill=*/true);
}

// The bf16 table's prefill is exactly "both operands rounded to bf16, products summed in f32":
// against that sum in double, on every tile remainder (rows past a 32-row panel, tokens past 12),
// and every token count below it is the AVX-512 table's result bit for bit.
TEST(CpuKernels, Avx512Bf16PrefillIsBf16ProductsSummedInF32) {
  const CpuKernels* bf16 = Avx512Bf16Kernels();
  if (!bf16) GTEST_SKIP() << "this CPU or build has no AVX-512 BF16";
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-1, 1);
  for (DType type : {DType::kQ8_0, DType::kQ4_K, DType::kQ6_K, DType::kQ5_0, DType::kQ4_1}) {
    const int64_t cols = 512, rows = 45;
    std::vector<float> values(static_cast<size_t>(rows * cols));
    for (auto& v : values) v = u(rng);
    const size_t row_bytes = RowBytes(type, cols);
    std::vector<uint8_t> bytes(row_bytes * rows);
    for (int64_t r = 0; r < rows; ++r) FloatToRow(values.data() + r * cols, cols, type, bytes.data() + r * row_bytes);
    std::vector<float> w_rounded(values.size());
    for (int64_t r = 0; r < rows; ++r) {
      DequantizeRow(type, bytes.data() + r * row_bytes, cols, w_rounded.data() + r * cols);
      for (int64_t c = 0; c < cols; ++c) w_rounded[r * cols + c] = BFloat16ToFloat(FloatToBFloat16(w_rounded[r * cols + c]));
    }
    const MatrixRef w{type, cols, row_bytes, bytes.data()};
    for (int n : {9, 12, 13, 25, 31}) {
      std::vector<float> x(static_cast<size_t>(n * cols));
      for (auto& v : x) v = u(rng);
      std::vector<float> y(static_cast<size_t>(n * rows), -7);
      // Rows 3..44: a panel of 32 and a remainder of 10, starting off a panel boundary.
      bf16->matmul_rows(w, 3, rows, x.data(), cols, n, y.data(), rows);
      for (int t = 0; t < n; ++t) {
        for (int64_t r = 0; r < rows; ++r) {
          if (r < 3) {
            ASSERT_EQ(y[t * rows + r], -7) << "row outside the range written";
            continue;
          }
          double expected = 0, magnitude = 0;
          for (int64_t c = 0; c < cols; ++c) {
            const double p = static_cast<double>(w_rounded[r * cols + c]) * BFloat16ToFloat(FloatToBFloat16(x[t * cols + c]));
            expected += p;
            magnitude += std::fabs(p);
          }
          ASSERT_NEAR(y[t * rows + r], expected, 1e-6 * magnitude + 1e-6) << DTypeName(type) << " n " << n << " row " << r;
        }
      }
    }
    std::vector<float> x(static_cast<size_t>(kExactBatchTokens * cols));
    for (auto& v : x) v = u(rng);
    std::vector<float> a(static_cast<size_t>(kExactBatchTokens * rows)), b(a.size());
    bf16->matmul_rows(w, 0, rows, x.data(), cols, kExactBatchTokens, a.data(), rows);
    Avx512Kernels()->matmul_rows(w, 0, rows, x.data(), cols, kExactBatchTokens, b.data(), rows);
    EXPECT_EQ(a, b) << DTypeName(type) << ": decoding batches must stay the AVX-512 table's";
  }
  // 16-bit and f32 weights keep f32 products in prefill: the AVX-512 table's results bit for bit.
  for (DType type : {DType::kBF16, DType::kF16, DType::kF32}) {
    const int64_t cols = 96, rows = 37;
    std::vector<float> values(static_cast<size_t>(rows * cols)), x(static_cast<size_t>(20 * cols));
    for (auto& v : values) v = u(rng);
    for (auto& v : x) v = u(rng);
    std::vector<uint8_t> bytes(RowBytes(type, cols) * rows);
    for (int64_t r = 0; r < rows; ++r) FloatToRow(values.data() + r * cols, cols, type, bytes.data() + r * RowBytes(type, cols));
    const MatrixRef w{type, cols, RowBytes(type, cols), bytes.data()};
    std::vector<float> a(static_cast<size_t>(20 * rows)), b(a.size());
    bf16->matmul_rows(w, 0, rows, x.data(), cols, 20, a.data(), rows);
    Avx512Kernels()->matmul_rows(w, 0, rows, x.data(), cols, 20, b.data(), rows);
    EXPECT_EQ(a, b) << DTypeName(type);
  }
}

TEST(CpuKernels, Avx2AgreesWithPortable) {
  const CpuKernels* fast = Avx2Kernels();
  if (!fast) GTEST_SKIP() << "this CPU or build has no AVX2/FMA/F16C kernels";
  ExpectAgreesWithPortable(fast);
}

TEST(CpuKernels, NeonAgreesWithPortable) {
  const CpuKernels* fast = NeonKernels();
  if (!fast) GTEST_SKIP() << "not an AArch64 build (run under qemu-aarch64 by scripts/test-aarch64.sh)";
  ExpectAgreesWithPortable(fast);
}

TEST(CpuKernels, BestTableIsTheFastestThisCpuRuns) {
  const CpuKernels& best = BestKernels();
  if (const char* forced = std::getenv("SWEINFER_KERNELS")) {
    GTEST_SKIP() << "SWEINFER_KERNELS=" << forced << " chooses the table (" << best.name << ")";
  }
  const CpuKernels* expected = Avx512Bf16Kernels() ? Avx512Bf16Kernels()
                               : Avx512Kernels()   ? Avx512Kernels()
                               : Avx2Kernels() ? Avx2Kernels()
                               : NeonKernels() ? NeonKernels()
                                               : &PortableKernels();
  EXPECT_EQ(&best, expected) << best.name;
}

}  // namespace
}  // namespace sweinfer::llm
