#include "dataset/parquet_writer.h"

#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <unordered_map>

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
std::string EncodeLevelsRaw(const std::vector<uint8_t>& levels, int bit_width) {
  ThriftWriter w;  // used for its varint encoder
  size_t i = 0;
  while (i < levels.size()) {
    size_t j = i;
    while (j < levels.size() && levels[j] == levels[i]) ++j;
    w.Varint(static_cast<uint64_t>(j - i) << 1);
    for (int b = 0; b < (bit_width + 7) / 8; ++b) w.out.push_back(static_cast<char>(levels[i]));
    i = j;
  }
  return w.out;
}

// v1 pages prefix the levels with their byte length.
std::string EncodeLevels(const std::vector<uint8_t>& levels, int bit_width) {
  std::string raw = EncodeLevelsRaw(levels, bit_width);
  std::string framed(4, '\0');
  uint32_t length = static_cast<uint32_t>(raw.size());
  std::memcpy(framed.data(), &length, 4);
  return framed + raw;
}

std::string Compress(ParquetWriteOptions::Codec codec, const std::string& data) {
  switch (codec) {
    case ParquetWriteOptions::Codec::kUncompressed: return data;
    case ParquetWriteOptions::Codec::kSnappy: {
      std::string out;
      snappy::Compress(data.data(), data.size(), &out);
      return out;
    }
    case ParquetWriteOptions::Codec::kGzip: {
      z_stream z{};
      deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
      std::string out(deflateBound(&z, data.size()) + 32, '\0');
      z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
      z.avail_in = static_cast<uInt>(data.size());
      z.next_out = reinterpret_cast<Bytef*>(out.data());
      z.avail_out = static_cast<uInt>(out.size());
      deflate(&z, Z_FINISH);
      out.resize(out.size() - z.avail_out);
      deflateEnd(&z);
      return out;
    }
    case ParquetWriteOptions::Codec::kZstd: {
      std::string out(ZSTD_compressBound(data.size()), '\0');
      size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3);
      if (ZSTD_isError(n)) throw Error(std::string("zstd: ") + ZSTD_getErrorName(n));
      out.resize(n);
      return out;
    }
  }
  return data;
}

// Bit-packed indices (one run) with their leading bit-width byte, as RLE_DICTIONARY pages hold them.
std::string EncodeDictionaryIndices(const std::vector<uint32_t>& indices, size_t dictionary_size) {
  int width = 0;
  while ((size_t{1} << width) < dictionary_size) ++width;
  if (width == 0) width = 1;
  std::string out(1, static_cast<char>(width));
  size_t groups = (indices.size() + 7) / 8;
  ThriftWriter w;
  w.Varint((groups << 1) | 1);
  out += w.out;
  std::string bits(groups * width, '\0');
  size_t bit = 0;
  for (size_t i = 0; i < groups * 8; ++i) {
    uint32_t v = i < indices.size() ? indices[i] : 0;
    for (int b = 0; b < width; ++b, ++bit) {
      if (v >> b & 1) bits[bit / 8] |= static_cast<char>(1 << (bit % 8));
    }
  }
  return out + bits;
}

std::string PageHeaderBytes(int32_t type, size_t uncompressed, size_t compressed, int32_t num_values,
                            int32_t encoding, int version, int32_t num_nulls, int32_t num_rows, int32_t def_length,
                            int32_t rep_length) {
  ThriftWriter header;
  header.BeginStruct();
  header.I32(1, type);
  header.I32(2, static_cast<int32_t>(uncompressed));
  header.I32(3, static_cast<int32_t>(compressed));
  if (type == 2) {
    header.StructField(7);
    header.I32(1, num_values);
    header.I32(2, 0);  // PLAIN
    header.EndStruct();
  } else if (version == 1) {
    header.StructField(5);
    header.I32(1, num_values);
    header.I32(2, encoding);
    header.I32(3, 3);  // RLE
    header.I32(4, 3);
    header.EndStruct();
  } else {
    header.StructField(8);
    header.I32(1, num_values);
    header.I32(2, num_nulls);
    header.I32(3, num_rows);
    header.I32(4, encoding);
    header.I32(5, def_length);
    header.I32(6, rep_length);
    header.EndStruct();
  }
  header.EndStruct();
  return header.out;
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

std::string WriteParquetBytes(const std::vector<Record>& records, const ParquetWriteOptions& options) {
  const size_t row_group_rows = std::max<size_t>(options.row_group_rows, 1);
  const auto columns = InferColumns(records);
  std::string file = "PAR1";
  struct ChunkInfo {
    int64_t offset, num_values, uncompressed, compressed, data_page_offset;
    bool has_dictionary;
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
      int32_t rows_in_group = static_cast<int32_t>(end - start), nulls = 0;
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
      const int max_def = list ? 3 : 1;
      for (uint8_t d : def) nulls += d < max_def;
      int32_t encoding = 0;
      std::string dictionary_page;
      if (options.dictionary && p.is_string && !values.empty()) {
        // Re-encode the PLAIN values as a dictionary page plus indices.
        std::vector<std::string> dictionary;
        std::unordered_map<std::string, uint32_t> ids;
        std::vector<uint32_t> indices;
        for (size_t at = 0; at < values.size();) {
          uint32_t n;
          std::memcpy(&n, values.data() + at, 4);
          std::string v = values.substr(at + 4, n);
          at += 4 + n;
          auto [it, inserted] = ids.emplace(v, static_cast<uint32_t>(dictionary.size()));
          if (inserted) dictionary.push_back(v);
          indices.push_back(it->second);
        }
        std::string plain;
        for (const auto& v : dictionary) {
          uint32_t n = static_cast<uint32_t>(v.size());
          plain.append(reinterpret_cast<const char*>(&n), 4);
          plain += v;
        }
        std::string packed = Compress(options.codec, plain);
        dictionary_page = PageHeaderBytes(2, plain.size(), packed.size(), static_cast<int32_t>(dictionary.size()), 0,
                                          1, 0, 0, 0, 0) + packed;
        values = EncodeDictionaryIndices(indices, dictionary.size());
        encoding = 8;  // RLE_DICTIONARY
      }
      std::string page_bytes;
      size_t uncompressed_size;
      if (options.data_page_version == 2) {
        std::string rep_raw = list ? EncodeLevelsRaw(rep, 1) : "";
        std::string def_raw = EncodeLevelsRaw(def, list ? 2 : 1);
        std::string packed = Compress(options.codec, values);
        uncompressed_size = rep_raw.size() + def_raw.size() + values.size();
        page_bytes = PageHeaderBytes(3, uncompressed_size, rep_raw.size() + def_raw.size() + packed.size(),
                                     static_cast<int32_t>(def.size()), encoding, 2, nulls, rows_in_group,
                                     static_cast<int32_t>(def_raw.size()), static_cast<int32_t>(rep_raw.size())) +
                     rep_raw + def_raw + packed;
      } else {
        std::string page = (list ? EncodeLevels(rep, 1) : "") + EncodeLevels(def, list ? 2 : 1) + values;
        std::string packed = Compress(options.codec, page);
        uncompressed_size = page.size();
        page_bytes = PageHeaderBytes(0, page.size(), packed.size(), static_cast<int32_t>(def.size()), encoding, 1, 0,
                                     0, 0, 0) + packed;
      }
      ChunkInfo info{static_cast<int64_t>(file.size()), static_cast<int64_t>(def.size()),
                     static_cast<int64_t>(dictionary_page.size() + uncompressed_size + 64),
                     static_cast<int64_t>(dictionary_page.size() + page_bytes.size()),
                     static_cast<int64_t>(file.size() + dictionary_page.size()), !dictionary_page.empty()};
      file += dictionary_page;
      file += page_bytes;
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
      meta.ListField(2, kThriftI32, chunk.has_dictionary ? 3 : 2);
      meta.ZigZag(0);
      meta.ZigZag(3);
      if (chunk.has_dictionary) meta.ZigZag(8);
      std::vector<std::string> path = {c.name};
      if (IsList(c.type)) path = {c.name, "list", "element"};
      meta.ListField(3, kThriftBinary, path.size());
      for (const auto& part : path) meta.Binary(part);
      meta.I32(4, static_cast<int32_t>(options.codec));
      meta.I64(5, chunk.num_values);
      meta.I64(6, chunk.uncompressed);
      meta.I64(7, chunk.compressed);
      meta.I64(9, chunk.data_page_offset);
      if (chunk.has_dictionary) meta.I64(11, chunk.offset);
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
