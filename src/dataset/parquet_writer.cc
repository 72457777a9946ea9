#include "dataset/parquet_writer.h"

#include <zstd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "util/error.h"

namespace sweinfer::dataset {

namespace {

// ---- Thrift compact protocol writer ------------------------------------------------------------

class ThriftWriter {
 public:
  std::string out;

  void BeginStruct() { last_.push_back(0); }
  void EndStruct() {
    out.push_back('\0');
    last_.pop_back();
  }
  void FieldHeader(int16_t id, uint8_t type) {
    int16_t delta = id - last_.back();
    if (delta > 0 && delta <= 15) {
      out.push_back(static_cast<char>((delta << 4) | type));
    } else {
      out.push_back(static_cast<char>(type));
      ZigZag(id);
    }
    last_.back() = id;
  }
  void I32(int16_t id, int32_t v) {
    FieldHeader(id, 5);
    ZigZag(v);
  }
  void I64(int16_t id, int64_t v) {
    FieldHeader(id, 6);
    ZigZag(v);
  }
  void String(int16_t id, const std::string& s) {
    FieldHeader(id, 8);
    Binary(s);
  }
  void StructField(int16_t id) {
    FieldHeader(id, 12);
    BeginStruct();
  }
  void ListField(int16_t id, uint8_t element_type, size_t size) {
    FieldHeader(id, 9);
    ListHeader(element_type, size);
  }
  void ListHeader(uint8_t element_type, size_t size) {
    if (size < 15) {
      out.push_back(static_cast<char>((size << 4) | element_type));
    } else {
      out.push_back(static_cast<char>(0xF0 | element_type));
      Varint(size);
    }
  }
  void Binary(const std::string& s) {
    Varint(s.size());
    out += s;
  }
  void ZigZag(int64_t v) { Varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      out.push_back(static_cast<char>((v & 0x7F) | 0x80));
      v >>= 7;
    }
    out.push_back(static_cast<char>(v));
  }

 private:
  std::vector<int16_t> last_;
};

constexpr uint8_t kThriftI32 = 5, kThriftBinary = 8, kThriftStruct = 12;

// RLE runs only (no bit-packing): valid for any reader and compact for the usual long runs.
std::string EncodeLevels(const std::vector<uint8_t>& levels, int bit_width) {
  ThriftWriter w;  // used for its varint encoder
  size_t i = 0;
  while (i < levels.size()) {
    size_t j = i;
    while (j < levels.size() && levels[j] == levels[i]) ++j;
    w.Varint(static_cast<uint64_t>(j - i) << 1);
    for (int b = 0; b < (bit_width + 7) / 8; ++b) w.out.push_back(static_cast<char>(levels[i]));
    i = j;
  }
  std::string framed(4, '\0');
  uint32_t length = static_cast<uint32_t>(w.out.size());
  std::memcpy(framed.data(), &length, 4);
  return framed + w.out;
}

struct PhysicalType {
  int32_t parquet_type;
  bool is_string;
};

PhysicalType PhysicalOf(ColumnType t) {
  switch (t) {
    case ColumnType::kString: case ColumnType::kListString: return {6, true};
    case ColumnType::kInt64: case ColumnType::kListInt64: case ColumnType::kNull: return {2, false};
    case ColumnType::kFloat64: case ColumnType::kListFloat64: return {5, false};
    case ColumnType::kBool: return {0, false};
  }
  return {2, false};
}

bool IsList(ColumnType t) {
  return t == ColumnType::kListInt64 || t == ColumnType::kListFloat64 || t == ColumnType::kListString;
}

void AppendPlain(std::string& values, int32_t type, const Record& v, std::vector<bool>& bools) {
  switch (type) {
    case 6: {
      const std::string& s = v.get_ref<const std::string&>();
      uint32_t n = static_cast<uint32_t>(s.size());
      values.append(reinterpret_cast<const char*>(&n), 4);
      values += s;
      break;
    }
    case 2: {
      int64_t x = v.get<int64_t>();
      values.append(reinterpret_cast<const char*>(&x), 8);
      break;
    }
    case 5: {
      double x = v.get<double>();
      values.append(reinterpret_cast<const char*>(&x), 8);
      break;
    }
    case 0: bools.push_back(v.get<bool>()); break;
  }
}

void WriteSchemaLeaf(ThriftWriter& w, const std::string& name, PhysicalType p) {
  w.BeginStruct();
  w.I32(1, p.parquet_type);
  w.I32(3, 1);  // OPTIONAL
  w.String(4, name);
  if (p.is_string) {
    w.I32(6, 0);  // UTF8
    w.StructField(10);
    w.StructField(1);  // StringType
    w.EndStruct();
    w.EndStruct();
  }
  w.EndStruct();
}

}  // namespace

std::string WriteParquetBytes(const std::vector<Record>& records, size_t row_group_rows) {
  const auto columns = InferColumns(records);
  std::string file = "PAR1";
  struct ChunkInfo {
    int64_t offset, num_values, uncompressed, compressed;
  };
  std::vector<std::pair<int64_t, std::vector<ChunkInfo>>> groups;  // rows, chunks
  static const Record kNull = nullptr;
  for (size_t start = 0; start < records.size(); start += row_group_rows) {
    size_t end = std::min(records.size(), start + row_group_rows);
    std::vector<ChunkInfo> chunks;
    for (const auto& c : columns) {
      PhysicalType p = PhysicalOf(c.type);
      bool list = IsList(c.type);
      std::vector<uint8_t> def, rep;
      std::string values;
      std::vector<bool> bools;
      for (size_t r = start; r < end; ++r) {
        auto it = records[r].find(c.name);
        const Record& v = it == records[r].end() ? kNull : *it;
        if (!list) {
          if (v.is_null()) {
            def.push_back(0);
          } else {
            def.push_back(1);
            AppendPlain(values, p.parquet_type, v, bools);
          }
          continue;
        }
        // 3-level list: def 0 null list, 1 empty list, 2 null element, 3 element.
        if (!v.is_array()) {
          def.push_back(0);
          rep.push_back(0);
        } else if (v.empty()) {
          def.push_back(1);
          rep.push_back(0);
        } else {
          for (size_t k = 0; k < v.size(); ++k) {
            rep.push_back(k == 0 ? 0 : 1);
            if (v[k].is_null()) {
              def.push_back(2);
            } else {
              def.push_back(3);
              AppendPlain(values, p.parquet_type, v[k], bools);
            }
          }
        }
      }
      if (p.parquet_type == 0) {
        values.assign((bools.size() + 7) / 8, '\0');
        for (size_t i = 0; i < bools.size(); ++i) {
          if (bools[i]) values[i / 8] |= static_cast<char>(1 << (i % 8));
        }
      }
      std::string page = (list ? EncodeLevels(rep, 1) : "") + EncodeLevels(def, list ? 2 : 1) + values;
      std::string compressed(ZSTD_compressBound(page.size()), '\0');
      size_t n = ZSTD_compress(compressed.data(), compressed.size(), page.data(), page.size(), 3);
      if (ZSTD_isError(n)) throw Error(std::string("zstd: ") + ZSTD_getErrorName(n));
      compressed.resize(n);
      ThriftWriter header;
      header.BeginStruct();
      header.I32(1, 0);  // DATA_PAGE
      header.I32(2, static_cast<int32_t>(page.size()));
      header.I32(3, static_cast<int32_t>(compressed.size()));
      header.StructField(5);
      header.I32(1, static_cast<int32_t>(def.size()));
      header.I32(2, 0);  // PLAIN
      header.I32(3, 3);  // RLE
      header.I32(4, 3);
      header.EndStruct();
      header.EndStruct();
      ChunkInfo info{static_cast<int64_t>(file.size()), static_cast<int64_t>(def.size()),
                     static_cast<int64_t>(header.out.size() + page.size()),
                     static_cast<int64_t>(header.out.size() + compressed.size())};
      file += header.out;
      file += compressed;
      chunks.push_back(info);
    }
    groups.emplace_back(static_cast<int64_t>(end - start), std::move(chunks));
  }

  ThriftWriter meta;
  meta.BeginStruct();
  meta.I32(1, 1);
  size_t schema_size = 1;
  for (const auto& c : columns) schema_size += IsList(c.type) ? 3 : 1;
  meta.ListField(2, kThriftStruct, schema_size);
  meta.BeginStruct();
  meta.String(4, "schema");
  meta.I32(5, static_cast<int32_t>(columns.size()));
  meta.EndStruct();
  for (const auto& c : columns) {
    PhysicalType p = PhysicalOf(c.type);
    if (!IsList(c.type)) {
      WriteSchemaLeaf(meta, c.name, p);
      continue;
    }
    meta.BeginStruct();
    meta.I32(3, 1);
    meta.String(4, c.name);
    meta.I32(5, 1);
    meta.I32(6, 3);  // LIST
    meta.StructField(10);
    meta.StructField(3);  // ListType
    meta.EndStruct();
    meta.EndStruct();
    meta.EndStruct();
    meta.BeginStruct();
    meta.I32(3, 2);  // REPEATED
    meta.String(4, "list");
    meta.I32(5, 1);
    meta.EndStruct();
    WriteSchemaLeaf(meta, "element", p);
  }
  meta.I64(3, static_cast<int64_t>(records.size()));
  meta.ListField(4, kThriftStruct, groups.size());
  for (const auto& [rows, chunks] : groups) {
    meta.BeginStruct();
    meta.ListField(1, kThriftStruct, chunks.size());
    int64_t total = 0;
    for (size_t i = 0; i < chunks.size(); ++i) {
      const auto& c = columns[i];
      const auto& chunk = chunks[i];
      total += chunk.uncompressed;
      meta.BeginStruct();
      meta.I64(2, chunk.offset);
      meta.StructField(3);
      meta.I32(1, PhysicalOf(c.type).parquet_type);
      meta.ListField(2, kThriftI32, 2);
      meta.ZigZag(0);
      meta.ZigZag(3);
      std::vector<std::string> path = {c.name};
      if (IsList(c.type)) path = {c.name, "list", "element"};
      meta.ListField(3, kThriftBinary, path.size());
      for (const auto& part : path) meta.Binary(part);
      meta.I32(4, 6);  // ZSTD
      meta.I64(5, chunk.num_values);
      meta.I64(6, chunk.uncompressed);
      meta.I64(7, chunk.compressed);
      meta.I64(9, chunk.offset);
      meta.EndStruct();
      meta.EndStruct();
    }
    meta.I64(2, total);
    meta.I64(3, rows);
    meta.EndStruct();
  }
  std::string hf = Record{{"info", Record{{"features", FeaturesOf(columns)}}}}.dump();
  meta.ListField(5, kThriftStruct, 1);
  meta.BeginStruct();
  meta.String(1, "huggingface");
  meta.String(2, hf);
  meta.EndStruct();
  meta.String(6, "sweinfer " SWEINFER_VERSION);
  meta.EndStruct();
  file += meta.out;
  uint32_t footer = static_cast<uint32_t>(meta.out.size());
  file.append(reinterpret_cast<const char*>(&footer), 4);
  file += "PAR1";
  return file;
}

void WriteParquetFile(const std::string& path, const std::vector<Record>& records) {
  std::string bytes = WriteParquetBytes(records);
  std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << bytes;
    if (!out) throw Error("cannot write '" + temporary + "'");
  }
  std::filesystem::rename(temporary, path);
}

}  // namespace sweinfer::dataset
