// Block types against plain implementations written here from ggml's published block layouts
// (ggml-common.h structs, dequantize_row_* loops), on random blocks: bit-for-bit dequantization.
#include "llm/quants.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

namespace sweinfer::llm {
namespace {

constexpr int QK_K = 256;
struct block_q4_0 { uint16_t d; uint8_t qs[16]; };
struct block_q4_1 { uint16_t d, m; uint8_t qs[16]; };
struct block_q5_0 { uint16_t d; uint8_t qh[4]; uint8_t qs[16]; };
struct block_q5_1 { uint16_t d, m; uint8_t qh[4]; uint8_t qs[16]; };
struct block_q8_0 { uint16_t d; int8_t qs[32]; };
struct block_q4_K { uint16_t d, dmin; uint8_t scales[12]; uint8_t qs[QK_K / 2]; };
struct block_q5_K { uint16_t d, dmin; uint8_t scales[12]; uint8_t qh[QK_K / 8]; uint8_t qs[QK_K / 2]; };
struct block_q6_K { uint8_t ql[QK_K / 2]; uint8_t qh[QK_K / 4]; int8_t scales[QK_K / 16]; uint16_t d; };
static_assert(sizeof(block_q4_0) == 18 && sizeof(block_q4_1) == 20 && sizeof(block_q5_0) == 22 &&
              sizeof(block_q5_1) == 24 && sizeof(block_q8_0) == 34 && sizeof(block_q4_K) == 144 &&
              sizeof(block_q5_K) == 176 && sizeof(block_q6_K) == 210);

float F(uint16_t h) { return HalfToFloat(h); }

void get_scale_min_k4(int j, const uint8_t* q, uint8_t* d, uint8_t* m) {
  if (j < 4) {
    *d = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    *m = (q[j + 4] >> 4) | ((q[j - 0] >> 6) << 4);
  }
}

// Plain dequantization of one block of each type, into y.
void Plain(DType type, const uint8_t* bytes, float* y) {
  switch (type) {
    case DType::kQ4_0: {
      block_q4_0 x;
      std::memcpy(&x, bytes, sizeof x);
      for (int j = 0; j < 16; ++j) {
        y[j] = ((x.qs[j] & 0x0F) - 8) * F(x.d);
        y[j + 16] = ((x.qs[j] >> 4) - 8) * F(x.d);
      }
      break;
    }
    case DType::kQ4_1: {
      block_q4_1 x;
      std::memcpy(&x, bytes, sizeof x);
      for (int j = 0; j < 16; ++j) {
        y[j] = (x.qs[j] & 0x0F) * F(x.d) + F(x.m);
        y[j + 16] = (x.qs[j] >> 4) * F(x.d) + F(x.m);
      }
      break;
    }
    case DType::kQ5_0: {
      block_q5_0 x;
      std::memcpy(&x, bytes, sizeof x);
      uint32_t qh;
      std::memcpy(&qh, x.qh, 4);
      for (int j = 0; j < 16; ++j) {
        const uint8_t xh_0 = ((qh >> (j + 0)) << 4) & 0x10, xh_1 = ((qh >> (j + 12))) & 0x10;
        y[j] = (((x.qs[j] & 0x0F) | xh_0) - 16) * F(x.d);
        y[j + 16] = (((x.qs[j] >> 4) | xh_1) - 16) * F(x.d);
      }
      break;
    }
    case DType::kQ5_1: {
      block_q5_1 x;
      std::memcpy(&x, bytes, sizeof x);
      uint32_t qh;
      std::memcpy(&qh, x.qh, 4);
      for (int j = 0; j < 16; ++j) {
        const uint8_t xh_0 = ((qh >> (j + 0)) << 4) & 0x10, xh_1 = ((qh >> (j + 12))) & 0x10;
        y[j] = ((x.qs[j] & 0x0F) | xh_0) * F(x.d) + F(x.m);
        y[j + 16] = ((x.qs[j] >> 4) | xh_1) * F(x.d) + F(x.m);
      }
      break;
    }
    case DType::kQ8_0: {
      block_q8_0 x;
      std::memcpy(&x, bytes, sizeof x);
      for (int j = 0; j < 32; ++j) y[j] = x.qs[j] * F(x.d);
      break;
    }
    case DType::kQ4_K: {
      block_q4_K x;
      std::memcpy(&x, bytes, sizeof x);
      const uint8_t* q = x.qs;
      int is = 0;
      uint8_t sc, m;
      for (int j = 0; j < QK_K; j += 64) {
        get_scale_min_k4(is + 0, x.scales, &sc, &m);
        const float d1 = F(x.d) * sc, m1 = F(x.dmin) * m;
        get_scale_min_k4(is + 1, x.scales, &sc, &m);
        const float d2 = F(x.d) * sc, m2 = F(x.dmin) * m;
        for (int l = 0; l < 32; ++l) *y++ = d1 * (q[l] & 0xF) - m1;
        for (int l = 0; l < 32; ++l) *y++ = d2 * (q[l] >> 4) - m2;
        q += 32;
        is += 2;
      }
      break;
    }
    case DType::kQ5_K: {
      block_q5_K x;
      std::memcpy(&x, bytes, sizeof x);
      const uint8_t* ql = x.qs;
      int is = 0;
      uint8_t sc, m, u1 = 1, u2 = 2;
      for (int j = 0; j < QK_K; j += 64) {
        get_scale_min_k4(is + 0, x.scales, &sc, &m);
        const float d1 = F(x.d) * sc, m1 = F(x.dmin) * m;
        get_scale_min_k4(is + 1, x.scales, &sc, &m);
        const float d2 = F(x.d) * sc, m2 = F(x.dmin) * m;
        for (int l = 0; l < 32; ++l) *y++ = d1 * ((ql[l] & 0xF) + (x.qh[l] & u1 ? 16 : 0)) - m1;
        for (int l = 0; l < 32; ++l) *y++ = d2 * ((ql[l] >> 4) + (x.qh[l] & u2 ? 16 : 0)) - m2;
        ql += 32;
        is += 2;
        u1 <<= 2;
        u2 <<= 2;
      }
      break;
    }
    case DType::kQ6_K: {
      block_q6_K x;
      std::memcpy(&x, bytes, sizeof x);
      const float d = F(x.d);
      const uint8_t* ql = x.ql;
      const uint8_t* qh = x.qh;
      const int8_t* sc = x.scales;
      for (int n = 0; n < QK_K; n += 128) {
        for (int l = 0; l < 32; ++l) {
          const int is = l / 16;
          const int8_t q1 = (int8_t)((ql[l + 0] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
          const int8_t q2 = (int8_t)((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
          const int8_t q3 = (int8_t)((ql[l + 0] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
          const int8_t q4 = (int8_t)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
          y[l + 0] = d * sc[is + 0] * q1;
          y[l + 32] = d * sc[is + 2] * q2;
          y[l + 64] = d * sc[is + 4] * q3;
          y[l + 96] = d * sc[is + 6] * q4;
        }
        y += 128;
        ql += 64;
        qh += 32;
        sc += 8;
      }
      break;
    }
    default: FAIL();
  }
}

const DType kWeightTypes[] = {DType::kQ4_0, DType::kQ4_1, DType::kQ5_0, DType::kQ5_1,
                              DType::kQ8_0, DType::kQ4_K, DType::kQ5_K, DType::kQ6_K};

// Random bytes for a block, with every f16 field a finite value of a plausible size.
std::vector<uint8_t> RandomBlocks(DType type, int blocks, std::mt19937& rng) {
  std::vector<uint8_t> bytes(BlockBytes(type) * blocks);
  for (auto& b : bytes) b = static_cast<uint8_t>(rng());
  std::uniform_real_distribution<float> scale(-0.05f, 0.05f);
  for (int b = 0; b < blocks; ++b) {
    uint8_t* block = bytes.data() + b * BlockBytes(type);
    std::vector<size_t> halves;
    if (type == DType::kQ6_K) halves = {208};
    else if (type == DType::kQ4_1 || type == DType::kQ5_1 || type == DType::kQ4_K || type == DType::kQ5_K) halves = {0, 2};
    else halves = {0};
    for (size_t at : halves) {
      const uint16_t h = FloatToHalf(scale(rng));
      std::memcpy(block + at, &h, 2);
    }
  }
  return bytes;
}

TEST(Quants, DequantizationEqualsGgmlBitForBitOnRandomBlocks) {
  std::mt19937 rng(7);
  for (DType type : kWeightTypes) {
    const int blocks = 12, values = BlockValues(type);
    const auto bytes = RandomBlocks(type, blocks, rng);
    std::vector<float> ours(blocks * values), plain(blocks * values);
    DequantizeRow(type, bytes.data(), blocks * values, ours.data());
    for (int b = 0; b < blocks; ++b) Plain(type, bytes.data() + b * BlockBytes(type), plain.data() + b * values);
    ASSERT_EQ(0, std::memcmp(ours.data(), plain.data(), ours.size() * 4)) << DTypeName(type);
    EXPECT_EQ(RowBytes(type, blocks * values), bytes.size()) << DTypeName(type);
  }
}

std::vector<float> RandomRow(int64_t n, std::mt19937& rng) {
  std::normal_distribution<float> normal(0, 1);
  std::vector<float> row(n);
  for (auto& v : row) v = normal(rng) * 0.02f;
  row[3] = 0.2f;  // an outlier, as real weights have
  return row;
}

// Relative RMS error of a round trip, the figure llama.cpp's quantize-stats reports per type.
double RoundTripError(DType type, const std::vector<float>& row) {
  std::vector<uint8_t> q(RowBytes(type, row.size()));
  QuantizeRow(type, row.data(), row.size(), q.data());
  std::vector<float> back(row.size());
  DequantizeRow(type, q.data(), row.size(), back.data());
  double err = 0, norm = 0;
  for (size_t i = 0; i < row.size(); ++i) {
    err += (back[i] - row[i]) * (back[i] - row[i]);
    norm += row[i] * row[i];
  }
  return std::sqrt(err / norm);
}

TEST(Quants, RoundTripErrorShrinksWithBits) {
  std::mt19937 rng(11);
  const auto row = RandomRow(4096, rng);
  const double q4_0 = RoundTripError(DType::kQ4_0, row), q4_k = RoundTripError(DType::kQ4_K, row),
               q5_k = RoundTripError(DType::kQ5_K, row), q6_k = RoundTripError(DType::kQ6_K, row),
               q8_0 = RoundTripError(DType::kQ8_0, row);
  EXPECT_LT(q4_0, 0.12);
  EXPECT_LT(q4_k, 0.10);
  EXPECT_LT(q5_k, q4_k);
  EXPECT_LT(q6_k, q5_k);
  EXPECT_LT(q8_0, q6_k);
  EXPECT_LT(RoundTripError(DType::kQ4_1, row), 0.12);
  EXPECT_LT(RoundTripError(DType::kQ5_0, row), 0.06);
  EXPECT_LT(RoundTripError(DType::kQ5_1, row), 0.06);
}

TEST(Quants, QuantizingIsStableAndZeroIsExact) {
  std::mt19937 rng(3);
  const auto row = RandomRow(512, rng);
  for (DType type : kWeightTypes) {
    std::vector<uint8_t> a(RowBytes(type, 512)), b(RowBytes(type, 512));
    QuantizeRow(type, row.data(), 512, a.data());
    std::vector<float> back(512);
    DequantizeRow(type, a.data(), 512, back.data());
    // Quantizing what a block type can represent exactly gives the same values back.
    QuantizeRow(type, back.data(), 512, b.data());
    std::vector<float> again(512);
    DequantizeRow(type, b.data(), 512, again.data());
    double drift = 0;
    for (int i = 0; i < 512; ++i) drift = std::max(drift, static_cast<double>(std::fabs(again[i] - back[i])));
    EXPECT_LT(drift, 0.01) << DTypeName(type);
    std::vector<float> zeros(512, 0.0f);
    QuantizeRow(type, zeros.data(), 512, a.data());
    DequantizeRow(type, a.data(), 512, back.data());
    for (float v : back) ASSERT_EQ(v, 0.0f) << DTypeName(type);
  }
}

TEST(Quants, IntegerDotProductsMatchTheDequantizedDot) {
  std::mt19937 rng(5);
  const int64_t cols = 1024;
  const auto x = RandomRow(cols, rng);
  for (DType type : kWeightTypes) {
    const auto w = RandomRow(cols, rng);
    std::vector<uint8_t> q(RowBytes(type, cols)), a(ActivationRowBytes(type, cols));
    QuantizeRow(type, w.data(), cols, q.data());
    QuantizeActivations(type, x.data(), cols, a.data());
    std::vector<float> wd(cols);
    DequantizeRow(type, q.data(), cols, wd.data());
    double exact = 0, scale = 0;
    for (int64_t i = 0; i < cols; ++i) {
      exact += static_cast<double>(wd[i]) * x[i];
      scale += std::fabs(wd[i] * x[i]);
    }
    const float got = DotQuantized(type, q.data(), a.data(), cols);
    // Only the activations' 8-bit rounding separates the two.
    EXPECT_NEAR(got, exact, 0.01 * scale) << DTypeName(type);
  }
}

TEST(Quants, RowsThatAreNotWholeBlocksAreRefused) {
  std::vector<float> row(100);
  std::vector<uint8_t> out(1000);
  EXPECT_THROW(QuantizeRow(DType::kQ4_K, row.data(), 100, out.data()), std::exception);
  EXPECT_THROW(DequantizeRow(DType::kQ4_0, out.data(), 100, row.data()), std::exception);
}

}  // namespace
}  // namespace sweinfer::llm
