// Weight matrices in the type they are stored in. A Matrix is a row-major view (rows x cols) of
// F32, F16, BF16 or Q8_0 data (GGML's Q8_0: blocks of 32 int8 values with an f16 scale, 34 bytes)
// that either points into a memory-mapped model file or owns its bytes (after a LoRA merge or
// --quantize q8). Kernels read these types directly; nothing is widened to f32 at load.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sweinfer::llm {

enum class DType : uint8_t { kF32, kF16, kBF16, kQ8_0 };

std::string DTypeName(DType type);
// Bytes of `cols` values of `type` (Q8_0: cols must be a multiple of 32).
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
// Encodes `cols` floats as one row of `type` (Q8_0 as llama.cpp's quantize_row_q8_0).
void FloatToRow(const float* in, int64_t cols, DType type, uint8_t* out);
// A copy of `m` converted to `type`, owning its bytes.
Matrix ConvertMatrix(const Matrix& m, DType type);
// A vector (a norm's weight) of any type as floats.
std::vector<float> ToFloats(const Matrix& m);

}  // namespace sweinfer::llm
