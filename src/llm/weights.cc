#include "llm/weights.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "dataset/jsonl.h"
#include "llm/quants.h"
#include "torch/checkpoint.h"
#include "util/error.h"

namespace sweinfer::llm {

MappedFile::MappedFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error("cannot open model file '" + path + "'");
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    ::close(fd);
    throw Error("cannot stat '" + path + "'");
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ > 0) {
    data_ = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (data_ == MAP_FAILED) {
      data_ = nullptr;
      ::close(fd);
      throw Error("cannot map '" + path + "'");
    }
  }
  ::close(fd);
}

MappedFile::~MappedFile() {
  if (data_) munmap(data_, size_);
}

namespace {

int64_t Elements(const std::vector<int64_t>& shape, const std::string& where) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0 || (d > 0 && n > (int64_t{1} << 40) / d)) throw Error(where + ": bad tensor shape");
    n *= d;
  }
  return n;
}

}  // namespace

int64_t TensorView::elements() const { return Elements(shape, "tensor"); }

Matrix TensorView::AsMatrix(const std::string& name) const {
  Matrix m;
  m.dtype = dtype;
  if (shape.empty() || shape.size() > 2) throw Error("tensor '" + name + "' is not a vector or a matrix");
  m.rows = shape.size() == 2 ? shape[0] : 1;
  m.cols = shape.back();
  m.data = data;
  m.owned = owned;
  return m;
}

std::map<std::string, TensorView> ReadSafetensors(std::string_view bytes, const std::string& name) {
  if (bytes.size() < 8) throw Error("'" + name + "': not a safetensors file (too short)");
  uint64_t header_size;
  std::memcpy(&header_size, bytes.data(), 8);
  if (header_size > bytes.size() - 8) throw Error("'" + name + "': safetensors header runs past the end of the file");
  dataset::Record header = dataset::ParseRecord(bytes.substr(8, header_size), name + " (safetensors header)");
  if (!header.is_object()) throw Error("'" + name + "': safetensors header is not an object");
  const std::string_view data = bytes.substr(8 + header_size);
  std::map<std::string, TensorView> tensors;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") continue;
    const std::string where = "'" + name + "', tensor '" + it.key() + "'";
    try {
      const auto& info = it.value();
      std::string dtype = info.at("dtype").get<std::string>();
      TensorView t;
      t.shape = info.at("shape").get<std::vector<int64_t>>();
      auto offsets = info.at("data_offsets").get<std::vector<uint64_t>>();
      if (offsets.size() != 2 || offsets[0] > offsets[1] || offsets[1] > data.size()) {
        throw Error(where + ": data_offsets lie outside the file");
      }
      int64_t n = Elements(t.shape, where);
      if (dtype == "F32") t.dtype = DType::kF32;
      else if (dtype == "F16") t.dtype = DType::kF16;
      else if (dtype == "BF16") t.dtype = DType::kBF16;
      else throw Error(where + ": unsupported dtype " + dtype);
      if (offsets[1] - offsets[0] != RowBytes(t.dtype, n)) throw Error(where + ": size does not match its shape");
      t.data = reinterpret_cast<const uint8_t*>(data.data()) + offsets[0];
      t.size = offsets[1] - offsets[0];
      tensors[it.key()] = std::move(t);
    } catch (const nlohmann::json::exception& e) {
      throw Error(where + ": malformed entry: " + e.what());
    }
  }
  return tensors;
}

namespace {

class GgufReader {
 public:
  GgufReader(std::string_view b, const std::string& name) : b_(b), name_(name) {}
  template <typename T>
  T Get() {
    Need(sizeof(T));
    T v;
    std::memcpy(&v, b_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string String() {
    uint64_t n = Get<uint64_t>();
    Need(n);
    std::string s(b_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  void Need(uint64_t n) {
    if (n > b_.size() - pos_) throw Error("'" + name_ + "': GGUF header runs past the end of the file");
  }
  size_t pos() const { return pos_; }

 private:
  std::string_view b_;
  std::string name_;
  size_t pos_ = 0;
};

double ReadNumber(GgufReader& r, uint32_t type) {
  switch (type) {
    case 0: return r.Get<uint8_t>();
    case 1: return r.Get<int8_t>();
    case 2: return r.Get<uint16_t>();
    case 3: return r.Get<int16_t>();
    case 4: return r.Get<uint32_t>();
    case 5: return r.Get<int32_t>();
    case 6: return r.Get<float>();
    case 7: return r.Get<uint8_t>();  // bool
    case 10: return static_cast<double>(r.Get<uint64_t>());
    case 11: return static_cast<double>(r.Get<int64_t>());
    case 12: return r.Get<double>();
    default: throw Error("unknown GGUF value type " + std::to_string(type));
  }
}

}  // namespace

GgufFile ReadGguf(std::string_view bytes, const std::string& name) {
  GgufReader r(bytes, name);
  if (r.Get<uint32_t>() != 0x46554747) throw Error("'" + name + "': not a GGUF file (bad magic)");
  uint32_t version = r.Get<uint32_t>();
  if (version < 2 || version > 3) throw Error("'" + name + "': unsupported GGUF version " + std::to_string(version));
  uint64_t tensor_count = r.Get<uint64_t>(), kv_count = r.Get<uint64_t>();
  if (tensor_count > 1'000'000 || kv_count > 1'000'000) throw Error("'" + name + "': implausible GGUF counts");
  GgufFile f;
  for (uint64_t i = 0; i < kv_count; ++i) {
    std::string key = r.String();
    uint32_t type = r.Get<uint32_t>();
    if (type == 8) {
      f.strings[key] = r.String();
    } else if (type == 9) {
      uint32_t elem = r.Get<uint32_t>();
      uint64_t n = r.Get<uint64_t>();
      if (n > bytes.size()) throw Error("'" + name + "': GGUF array '" + key + "' longer than the file");
      for (uint64_t k = 0; k < n; ++k) {
        if (elem == 8) f.string_arrays[key].push_back(r.String());
        else f.number_arrays[key].push_back(ReadNumber(r, elem));
      }
    } else {
      f.numbers[key] = ReadNumber(r, type);
    }
  }
  struct Info {
    std::string name;
    std::vector<int64_t> dims;  // GGUF order: innermost first
    uint32_t type;
    uint64_t offset;
  };
  std::vector<Info> infos;
  for (uint64_t i = 0; i < tensor_count; ++i) {
    Info info;
    info.name = r.String();
    uint32_t n_dims = r.Get<uint32_t>();
    if (n_dims > 8) throw Error("'" + name + "', tensor '" + info.name + "': too many dimensions");
    for (uint32_t d = 0; d < n_dims; ++d) info.dims.push_back(static_cast<int64_t>(r.Get<uint64_t>()));
    info.type = r.Get<uint32_t>();
    info.offset = r.Get<uint64_t>();
    infos.push_back(info);
  }
  uint64_t alignment = f.numbers.count("general.alignment") ? static_cast<uint64_t>(f.numbers["general.alignment"]) : 32;
  if (alignment == 0 || alignment > 4096) throw Error("'" + name + "': bad alignment");
  uint64_t data_start = (r.pos() + alignment - 1) / alignment * alignment;
  for (const auto& info : infos) {
    const std::string where = "'" + name + "', tensor '" + info.name + "'";
    TensorView t;
    t.shape.assign(info.dims.rbegin(), info.dims.rend());
    int64_t n = Elements(t.shape, where);
    switch (info.type) {
      case 0: t.dtype = DType::kF32; break;
      case 1: t.dtype = DType::kF16; break;
      case 2: t.dtype = DType::kQ4_0; break;
      case 3: t.dtype = DType::kQ4_1; break;
      case 6: t.dtype = DType::kQ5_0; break;
      case 7: t.dtype = DType::kQ5_1; break;
      case 8: t.dtype = DType::kQ8_0; break;
      case 12: t.dtype = DType::kQ4_K; break;
      case 13: t.dtype = DType::kQ5_K; break;
      case 14: t.dtype = DType::kQ6_K; break;
      case 30: t.dtype = DType::kBF16; break;
      default: throw Error(where + ": unsupported GGUF tensor type " + std::to_string(info.type));
    }
    if (IsBlockQuantized(t.dtype) && (t.shape.empty() || t.shape.back() % BlockValues(t.dtype))) {
      throw Error(where + ": " + DTypeName(t.dtype) + " rows need a multiple of " + std::to_string(BlockValues(t.dtype)) +
                  " values");
    }
    const uint64_t size = RowBytes(t.dtype, n);
    if (info.offset > bytes.size() || data_start > bytes.size() - info.offset || size > bytes.size() - data_start - info.offset) {
      throw Error(where + ": data lies outside the file");
    }
    t.data = reinterpret_cast<const uint8_t*>(bytes.data()) + data_start + info.offset;
    t.size = size;
    f.tensors[info.name] = std::move(t);
  }
  return f;
}

std::map<std::string, TensorView> ReadTorchWeights(std::string_view bytes, const std::string& name) {
  std::map<std::string, TensorView> out;
  for (auto& [tensor_name, stored] : torch::ReadCheckpoint(bytes, name).tensors) {
    TensorView t;
    t.dtype = stored.scalar_type == "float32" ? DType::kF32 : stored.scalar_type == "float16" ? DType::kF16 : DType::kBF16;
    t.shape = stored.shape;
    t.data = reinterpret_cast<const uint8_t*>(stored.bytes.data());
    t.size = stored.bytes.size();
    out[tensor_name] = std::move(t);
  }
  return out;
}

}  // namespace sweinfer::llm
