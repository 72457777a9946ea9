// Model files, read without trusting them: safetensors (a JSON header of tensor names, dtypes,
// shapes and byte ranges) and GGUF v2/v3 (typed key-value metadata and tensor infos). Files are
// memory-mapped; every offset and size is checked against the file, and a bad or lying header is
// an Error naming the file and the tensor or field. Tensors are handed out as float arrays
// (F32 as mapped; F16, BF16 and Q8_0 widened at load).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sweinfer::llm {

struct Tensor {
  std::vector<int64_t> shape;  // outermost first (rows, columns for a matrix)
  std::vector<float> data;     // row-major
};

class MappedFile {
 public:
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  std::string_view bytes() const { return {static_cast<const char*>(data_), size_}; }

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
};

// All tensors of one safetensors file (or of `bytes` for tests and fuzzing).
std::map<std::string, Tensor> ReadSafetensors(std::string_view bytes, const std::string& name);

struct GgufFile {
  std::map<std::string, std::string> strings;
  std::map<std::string, double> numbers;
  std::map<std::string, std::vector<std::string>> string_arrays;
  std::map<std::string, std::vector<double>> number_arrays;
  std::map<std::string, Tensor> tensors;
};

GgufFile ReadGguf(std::string_view bytes, const std::string& name);

// IEEE half and bfloat16 to float.
float HalfToFloat(uint16_t h);
float BFloat16ToFloat(uint16_t b);

}  // namespace sweinfer::llm
