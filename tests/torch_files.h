// Writing torch.save files by hand for the tests: a pickle built opcode by opcode and a zip archive
// (stored or deflated entries, optional ZIP64 records) laid out as torch writes it
// (<archive>/data.pkl, <archive>/data/<key>, <archive>/byteorder).
#pragma once

#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace sweinfer::testing {

class PickleWriter {
 public:
  explicit PickleWriter(int protocol = 2) {
    Op(0x80);
    out_ += static_cast<char>(protocol);
  }
  PickleWriter& Op(uint8_t op) {
    out_ += static_cast<char>(op);
    return *this;
  }
  template <typename T>
  PickleWriter& Raw(T v) {
    out_.append(reinterpret_cast<const char*>(&v), sizeof v);
    return *this;
  }
  PickleWriter& Str(const std::string& s) {  // BINUNICODE
    Op('X').Raw<uint32_t>(static_cast<uint32_t>(s.size()));
    out_ += s;
    return *this;
  }
  PickleWriter& Int(int32_t v) { return Op('J').Raw(v); }
  PickleWriter& Global(const std::string& module, const std::string& name) {
    Op('c');
    out_ += module + "\n" + name + "\n";
    return *this;
  }
  PickleWriter& Mark() { return Op('('); }
  PickleWriter& Tuple() { return Op('t'); }
  PickleWriter& Reduce() { return Op('R'); }
  PickleWriter& IntTuple(const std::vector<int64_t>& v) {
    Mark();
    for (int64_t x : v) Int(static_cast<int32_t>(x));
    return Tuple();
  }
  // _rebuild_tensor_v2(('storage', <cls>, key, 'cpu', numel), offset, shape, stride, False, OrderedDict())
  PickleWriter& Tensor(const std::string& storage_class, const std::string& key, int64_t numel, int64_t offset,
                       const std::vector<int64_t>& shape, const std::vector<int64_t>& stride) {
    Global("torch._utils", "_rebuild_tensor_v2");
    Mark();
    Mark().Str("storage").Global("torch", storage_class).Str(key).Str("cpu").Int(static_cast<int32_t>(numel)).Tuple();
    Op('Q');  // BINPERSID
    Int(static_cast<int32_t>(offset));
    IntTuple(shape);
    IntTuple(stride);
    Op(0x89);  // False
    Global("collections", "OrderedDict").Op(')').Reduce();
    Tuple();
    return Reduce();
  }
  std::string Finish() { return out_ + "."; }
  std::string& bytes() { return out_; }

 private:
  std::string out_;
};

struct ZipEntry {
  std::string name, data;
  bool deflate = false;
};

// A zip archive of `entries`; zip64 writes ZIP64 extra fields and end records.
inline std::string ZipBytes(const std::vector<ZipEntry>& entries, bool zip64 = false) {
  std::string out, directory;
  auto put = [](std::string& s, auto v) { s.append(reinterpret_cast<const char*>(&v), sizeof v); };
  for (const auto& e : entries) {
    std::string stored = e.data;
    if (e.deflate) {
      z_stream z{};
      deflateInit2(&z, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
      stored.resize(deflateBound(&z, e.data.size()));
      z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(e.data.data()));
      z.avail_in = static_cast<uInt>(e.data.size());
      z.next_out = reinterpret_cast<Bytef*>(stored.data());
      z.avail_out = static_cast<uInt>(stored.size());
      deflate(&z, Z_FINISH);
      stored.resize(z.total_out);
      deflateEnd(&z);
    }
    const uint32_t crc = static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(e.data.data()), static_cast<uInt>(e.data.size())));
    const uint64_t local = out.size();
    const uint16_t method = e.deflate ? 8 : 0;
    put(out, uint32_t{0x04034b50});
    put(out, uint16_t{45}), put(out, uint16_t{0}), put(out, method), put(out, uint32_t{0});
    put(out, crc);
    put(out, static_cast<uint32_t>(stored.size())), put(out, static_cast<uint32_t>(e.data.size()));
    put(out, static_cast<uint16_t>(e.name.size())), put(out, uint16_t{0});
    out += e.name;
    out += stored;
    put(directory, uint32_t{0x02014b50});
    put(directory, uint16_t{45}), put(directory, uint16_t{45}), put(directory, uint16_t{0}), put(directory, method);
    put(directory, uint32_t{0});
    put(directory, crc);
    put(directory, zip64 ? uint32_t{0xFFFFFFFF} : static_cast<uint32_t>(stored.size()));
    put(directory, zip64 ? uint32_t{0xFFFFFFFF} : static_cast<uint32_t>(e.data.size()));
    put(directory, static_cast<uint16_t>(e.name.size()));
    put(directory, static_cast<uint16_t>(zip64 ? 28 : 0));
    put(directory, uint16_t{0}), put(directory, uint16_t{0}), put(directory, uint16_t{0}), put(directory, uint32_t{0});
    put(directory, zip64 ? uint32_t{0xFFFFFFFF} : static_cast<uint32_t>(local));
    directory += e.name;
    if (zip64) {
      put(directory, uint16_t{1}), put(directory, uint16_t{24});
      put(directory, static_cast<uint64_t>(e.data.size()));
      put(directory, static_cast<uint64_t>(stored.size()));
      put(directory, local);
    }
  }
  const uint64_t directory_offset = out.size();
  out += directory;
  if (zip64) {
    const uint64_t z64 = out.size();
    put(out, uint32_t{0x06064b50}), put(out, uint64_t{44}), put(out, uint16_t{45}), put(out, uint16_t{45});
    put(out, uint32_t{0}), put(out, uint32_t{0});
    put(out, static_cast<uint64_t>(entries.size())), put(out, static_cast<uint64_t>(entries.size()));
    put(out, static_cast<uint64_t>(directory.size())), put(out, directory_offset);
    put(out, uint32_t{0x07064b50}), put(out, uint32_t{0}), put(out, z64), put(out, uint32_t{1});
  }
  put(out, uint32_t{0x06054b50}), put(out, uint16_t{0}), put(out, uint16_t{0});
  put(out, static_cast<uint16_t>(zip64 ? 0xFFFF : entries.size())), put(out, static_cast<uint16_t>(zip64 ? 0xFFFF : entries.size()));
  put(out, static_cast<uint32_t>(zip64 ? 0xFFFFFFFF : directory.size()));
  put(out, static_cast<uint32_t>(zip64 ? 0xFFFFFFFF : directory_offset));
  put(out, uint16_t{0});
  return out;
}

// A torch.save file of float32 tensors (name -> shape, values), one storage each.
inline std::string TorchStateDictBytes(const std::map<std::string, std::pair<std::vector<int64_t>, std::vector<float>>>& tensors,
                                       const std::string& archive = "archive", bool zip64 = false) {
  PickleWriter p(2);
  p.Global("collections", "OrderedDict").Op(')').Reduce();
  p.Mark();
  std::vector<ZipEntry> entries;
  int key = 0;
  for (const auto& [name, tensor] : tensors) {
    const auto& [shape, values] = tensor;
    std::vector<int64_t> stride(shape.size(), 1);
    for (size_t d = shape.size(); d-- > 1;) stride[d - 1] = stride[d] * shape[d];
    p.Str(name).Tensor("FloatStorage", std::to_string(key), static_cast<int64_t>(values.size()), 0, shape, stride);
    entries.push_back({archive + "/data/" + std::to_string(key), std::string(reinterpret_cast<const char*>(values.data()), values.size() * 4)});
    ++key;
  }
  p.Op('u');  // SETITEMS
  entries.insert(entries.begin(), {archive + "/data.pkl", p.Finish()});
  entries.push_back({archive + "/byteorder", "little"});
  entries.push_back({archive + "/version", "3\n"});
  return ZipBytes(entries, zip64);
}

}  // namespace sweinfer::testing
