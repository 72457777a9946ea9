#include "llm/tensor.h"

#include <cmath>
#include <cstring>

#include "llm/quants.h"
#include "util/error.h"

namespace sweinfer::llm {

std::string DTypeName(DType type) {
  switch (type) {
    case DType::kF32: return "F32";
    case DType::kF16: return "F16";
    case DType::kBF16: return "BF16";
    case DType::kQ8_0: return "Q8_0";
    case DType::kQ4_0: return "Q4_0";
    case DType::kQ4_1: return "Q4_1";
    case DType::kQ5_0: return "Q5_0";
    case DType::kQ5_1: return "Q5_1";
    case DType::kQ4_K: return "Q4_K";
    case DType::kQ5_K: return "Q5_K";
    case DType::kQ6_K: return "Q6_K";
    case DType::kQ8_1: return "Q8_1";
    case DType::kQ8_K: return "Q8_K";
  }
  return "?";
}

size_t RowBytes(DType type, int64_t cols) {
  return static_cast<size_t>(cols / BlockValues(type)) * BlockBytes(type);
}

float HalfToFloat(uint16_t h) {
  uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1F, mant = h & 0x3FF, bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal
      exp = 127 - 15 + 1;
      while (!(mant & 0x400)) {
        mant <<= 1;
        --exp;
      }
      mant &= 0x3FF;
      bits = sign | (exp << 23) | (mant << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7F800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

float BFloat16ToFloat(uint16_t b) {
  uint32_t bits = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t FloatToHalf(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint32_t sign = (x >> 16) & 0x8000u;
  x &= 0x7FFFFFFFu;
  if (x >= 0x7F800000u) return static_cast<uint16_t>(sign | 0x7C00u | (x > 0x7F800000u ? 0x200u : 0u));  // inf / nan
  if (x >= 0x477FF000u) return static_cast<uint16_t>(sign | 0x7C00u);  // rounds past 65504: inf
  if (x < 0x38800000u) {  // below the smallest normal half: subnormal or zero
    if (x < 0x33000000u) return static_cast<uint16_t>(sign);
    const uint32_t exp = x >> 23, mant = (x & 0x7FFFFFu) | 0x800000u;
    const uint32_t shift = 126 - exp;  // 14..24
    uint32_t half = mant >> shift;
    const uint32_t rest = mant & ((1u << shift) - 1), mid = 1u << (shift - 1);
    if (rest > mid || (rest == mid && (half & 1))) ++half;
    return static_cast<uint16_t>(sign | half);
  }
  uint32_t half = ((x >> 13) - (112u << 10));
  const uint32_t rest = x & 0x1FFFu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1))) ++half;
  return static_cast<uint16_t>(sign | half);
}

uint16_t FloatToBFloat16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  if ((x & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);  // quiet nan
  x += 0x7FFFu + ((x >> 16) & 1u);
  return static_cast<uint16_t>(x >> 16);
}

void RowToFloat(const Matrix& m, int64_t r, float* out) {
  const uint8_t* p = m.row(r);
  switch (m.dtype) {
    case DType::kF32: std::memcpy(out, p, 4 * static_cast<size_t>(m.cols)); break;
    case DType::kF16:
    case DType::kBF16:
      for (int64_t i = 0; i < m.cols; ++i) {
        uint16_t h;
        std::memcpy(&h, p + 2 * i, 2);
        out[i] = m.dtype == DType::kF16 ? HalfToFloat(h) : BFloat16ToFloat(h);
      }
      break;
    default: DequantizeRow(m.dtype, p, m.cols, out); break;
  }
}

void FloatToRow(const float* in, int64_t cols, DType type, uint8_t* out) {
  switch (type) {
    case DType::kF32: std::memcpy(out, in, 4 * static_cast<size_t>(cols)); break;
    case DType::kF16:
    case DType::kBF16:
      for (int64_t i = 0; i < cols; ++i) {
        uint16_t h = type == DType::kF16 ? FloatToHalf(in[i]) : FloatToBFloat16(in[i]);
        std::memcpy(out + 2 * i, &h, 2);
      }
      break;
    default: QuantizeRow(type, in, cols, out); break;
  }
}

Matrix ConvertMatrix(const Matrix& m, DType type) {
  Matrix out;
  out.dtype = type;
  out.rows = m.rows;
  out.cols = m.cols;
  auto bytes = std::make_shared<std::vector<uint8_t>>(RowBytes(type, m.cols) * static_cast<size_t>(m.rows));
  std::vector<float> row(static_cast<size_t>(m.cols));
  for (int64_t r = 0; r < m.rows; ++r) {
    RowToFloat(m, r, row.data());
    FloatToRow(row.data(), m.cols, type, bytes->data() + RowBytes(type, m.cols) * static_cast<size_t>(r));
  }
  out.data = bytes->data();
  out.owned = std::move(bytes);
  return out;
}

std::vector<float> ToFloats(const Matrix& m) {
  std::vector<float> out(static_cast<size_t>(m.rows * m.cols));
  for (int64_t r = 0; r < m.rows; ++r) RowToFloat(m, r, out.data() + r * m.cols);
  return out;
}

}  // namespace sweinfer::llm
