// Weight matrices in the type they are stored in. A Matrix is a row-major view (rows x cols) of
// F32, F16, BF16 or one of GGML's block-quantized types (llm/quants.h: Q8_0, Q4_0, Q4_1, Q5_0,
// Q5_1, Q4_K, Q5_K, Q6_K) that either points into a memory-mapped model file or owns its bytes
// (after a LoRA merge or --quantize). Kernels read these types directly; nothing is widened to f32
// at load.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sweinfer::llm {

enum class DType : uint8_t {
  kF32, kF16, kBF16, kQ8_0, kQ4_0, kQ4_1, kQ5_0, kQ5_1, kQ4_K, kQ5_K, kQ6_K,
  kQ8_1, kQ8_K,  // activation formats of the quantized dot products, never weights
};

std::string DTypeName(DType type);
// Bytes of `cols` values of `type` (block types: cols must be a whole number of blocks).
size_t RowBytes(DType type, int64_t cols);

float HalfToFloat(uint16_t h);
float BFloat16ToFloat(uint16_t b);
uint16_t FloatToHalf(float f);      // round to nearest even
uint16_t FloatToBFloat16(float f);  // round to nearest even (as torch)

struct Matrix {
  DType dtype = DType::kF32;
  int64_t rows = 0, cols = 0;
  const uint8_t* data = nullptr;
  std::shared_ptr<const std::vector<uint8_t>> owned;  // set when the bytes are not in a mapped file

  size_t row_bytes() const { return RowBytes(dtype, cols); }
  size_t bytes() const { return row_bytes() * static_cast<size_t>(rows); }
  const uint8_t* row(int64_t r) const { return data + row_bytes() * static_cast<size_t>(r); }
};

// Row r of `m` as floats (out holds m.cols values).
void RowToFloat(const Matrix& m, int64_t r, float* out);
// Encodes `cols` floats as one row of `type` (block types with llama.cpp's reference quantizers).
void FloatToRow(const float* in, int64_t cols, DType type, uint8_t* out);
// A copy of `m` converted to `type`, owning its bytes.
Matrix ConvertMatrix(const Matrix& m, DType type);
// A vector (a norm's weight) of any type as floats.
std::vector<float> ToFloats(const Matrix& m);

}  // namespace sweinfer::llm
