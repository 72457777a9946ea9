// Model files, read without trusting them: safetensors (a JSON header of tensor names, dtypes,
// shapes and byte ranges) and GGUF v2/v3 (typed key-value metadata and tensor infos). Files are
// memory-mapped and tensors are handed out as views into the mapping in their stored type; every
// offset and size is checked against the file first, and a bad or lying header is an Error naming
// the file and the tensor or field.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "llm/tensor.h"

namespace sweinfer::llm {

struct TensorView {
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;  // outermost first (rows, columns for a matrix)
  const uint8_t* data = nullptr;
  size_t size = 0;  // bytes
  std::shared_ptr<const std::vector<uint8_t>> owned;  // set when `data` is not in a mapped file

  int64_t elements() const;
  // The tensor as a rows x cols matrix (a vector is one row); `name` is for errors.
  Matrix AsMatrix(const std::string& name) const;
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

// The tensors of one safetensors file held in `bytes` (views into it).
std::map<std::string, TensorView> ReadSafetensors(std::string_view bytes, const std::string& name);
// The float tensors of a torch.save file (pytorch_model.bin, adapter_model.bin, consolidated.00.pth)
// held in `bytes`, read without executing anything (torch/checkpoint.h); views into it.
std::map<std::string, TensorView> ReadTorchWeights(std::string_view bytes, const std::string& name);

struct GgufFile {
  std::map<std::string, std::string> strings;
  std::map<std::string, double> numbers;
  std::map<std::string, std::vector<std::string>> string_arrays;
  std::map<std::string, std::vector<double>> number_arrays;
  std::map<std::string, TensorView> tensors;
};

// GGUF types read: F32 (0), F16 (1), Q4_0 (2), Q4_1 (3), Q5_0 (6), Q5_1 (7), Q8_0 (8), Q4_K (12),
// Q5_K (13), Q6_K (14), BF16 (30).
GgufFile ReadGguf(std::string_view bytes, const std::string& name);

}  // namespace sweinfer::llm
