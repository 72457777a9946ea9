// GGML's block-quantized weight types: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 (blocks of 32 values) and the
// k-quants Q4_K, Q5_K, Q6_K (super-blocks of 256). For each: the byte layout ggml publishes,
// dequantization equal to ggml's bit for bit, llama.cpp's reference quantizer (the one its tools use
// to write model files without an importance matrix, same rounding), and the integer dot product
// against activations quantized the way llama.cpp quantizes them for that type (Q8_0, Q8_1 or Q8_K).
// Everything here is plain C++ compiled without floating-point contraction, so results do not depend
// on the CPU.
#pragma once

#include <cstddef>
#include <cstdint>

#include "llm/tensor.h"

namespace sweinfer::llm {

// Values per block and bytes per block of a block type (1 and the element size for F32/F16/BF16).
int BlockValues(DType type);
size_t BlockBytes(DType type);
bool IsBlockQuantized(DType type);

// One row of `cols` values (a multiple of BlockValues(type)).
void DequantizeRow(DType type, const uint8_t* row, int64_t cols, float* out);
void QuantizeRow(DType type, const float* in, int64_t cols, uint8_t* out);

// The activation format each block type's dot product reads, and its row size.
DType ActivationType(DType weight_type);  // kQ8_0, kQ8_1 or kQ8_K
size_t ActivationRowBytes(DType weight_type, int64_t cols);
// `cols` floats quantized to ActivationType(weight_type) (llama.cpp's quantize_row_q8_*).
void QuantizeActivations(DType weight_type, const float* in, int64_t cols, uint8_t* out);
// dot(weight row, activations) with integer products inside each block.
float DotQuantized(DType weight_type, const uint8_t* row, const uint8_t* activations, int64_t cols);

}  // namespace sweinfer::llm
