#include "dataset/parquet_reader.h"

#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <cstring>
#include <fstream>
#include <optional>

#include "util/error.h"

namespace sweinfer::dataset {

namespace {

// ---- Thrift compact protocol -------------------------------------------------------------------

class ThriftReader {
 public:
  ThriftReader(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}
  size_t consumed(const uint8_t* start) const { return static_cast<size_t>(p_ - start); }

  uint8_t Byte() {
    if (p_ >= end_) throw Error("truncated metadata");
    return *p_++;
  }
  uint64_t Varint() {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      uint8_t b = Byte();
      value |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) return value;
    }
    throw Error("bad varint in metadata");
  }
  int64_t ZigZag() {
    uint64_t v = Varint();
    return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
  }
  std::string Binary() {
    uint64_t n = Varint();
    if (n > static_cast<uint64_t>(end_ - p_)) throw Error("metadata string runs past its buffer");
    std::string s(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return s;
  }
  double Double() {
    if (end_ - p_ < 8) throw Error("truncated metadata");
    double d;
    std::memcpy(&d, p_, 8);
    p_ += 8;
    return d;
  }
  // Reads a field header; returns false at STOP. `last_id` carries the delta base.
  bool Field(int16_t& last_id, uint8_t& type, int16_t& id) {
    uint8_t header = Byte();
    if (header == 0) return false;
    type = header & 0x0F;
    uint8_t delta = header >> 4;
    id = delta ? static_cast<int16_t>(last_id + delta) : static_cast<int16_t>(ZigZag());
    last_id = id;
    return true;
  }
  // List header: element type and count.
  std::pair<uint8_t, uint64_t> ListHeader() {
    uint8_t header = Byte();
    uint64_t size = header >> 4;
    if (size == 15) size = Varint();
    if (size > static_cast<uint64_t>(end_ - p_)) throw Error("metadata list longer than its buffer");
    return {static_cast<uint8_t>(header & 0x0F), size};
  }
  bool BoolValue(uint8_t type) { return type == 1; }
  void Skip(uint8_t type, int depth = 0) {
    if (depth > 64) throw Error("metadata nested too deeply");
    switch (type) {
      case 1: case 2: return;
      case 3: Byte(); return;
      case 4: case 5: case 6: Varint(); return;
      case 7: Double(); return;
      case 8: Binary(); return;
      case 9: case 10: {
        auto [elem, n] = ListHeader();
        for (uint64_t i = 0; i < n; ++i) {
          if (elem == 1 || elem == 2) Byte(); else Skip(elem, depth + 1);
        }
        return;
      }
      case 11: {
        uint64_t n = Varint();
        if (n == 0) return;
        uint8_t kv = Byte();
        for (uint64_t i = 0; i < n; ++i) {
          Skip(kv >> 4, depth + 1);
          Skip(kv & 0x0F, depth + 1);
        }
        return;
      }
      case 12: SkipStruct(depth + 1); return;
      default: throw Error("unknown thrift type " + std::to_string(type) + " in metadata");
    }
  }
  void SkipStruct(int depth = 0) {
    int16_t last = 0;
    uint8_t type;
    int16_t id;
    while (Field(last, type, id)) Skip(type, depth);
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

// ---- Metadata ----------------------------------------------------------------------------------

struct SchemaElement {
  int32_t type = -1;  // physical type; -1 for groups
  int32_t repetition = 0;  // 0 required, 1 optional, 2 repeated
  std::string name;
  int32_t num_children = 0;
  int32_t converted_type = -1;
  bool logical_string = false;
};

struct ColumnChunkMeta {
  int32_t type = 0;
  std::vector<std::string> path;
  int32_t codec = 0;
  int64_t num_values = 0;
  int64_t total_compressed_size = 0;
  int64_t data_page_offset = 0;
  std::optional<int64_t> dictionary_page_offset;
};

struct RowGroupMeta {
  std::vector<ColumnChunkMeta> columns;
  int64_t num_rows = 0;
};

struct FileMeta {
  std::vector<SchemaElement> schema;
  int64_t num_rows = 0;
  std::vector<RowGroupMeta> row_groups;
};

SchemaElement ReadSchemaElement(ThriftReader& r) {
  SchemaElement e;
  int16_t last = 0;
  uint8_t type;
  int16_t id;
  while (r.Field(last, type, id)) {
    switch (id) {
      case 1: e.type = static_cast<int32_t>(r.ZigZag()); break;
      case 3: e.repetition = static_cast<int32_t>(r.ZigZag()); break;
      case 4: e.name = r.Binary(); break;
      case 5: e.num_children = static_cast<int32_t>(r.ZigZag()); break;
      case 6: e.converted_type = static_cast<int32_t>(r.ZigZag()); break;
      case 10: {  // LogicalType union: field 1 is STRING
        int16_t last_inner = 0;
        uint8_t t;
        int16_t inner;
        while (r.Field(last_inner, t, inner)) {
          if (inner == 1) e.logical_string = true;
          r.Skip(t);
        }
        break;
      }
      default: r.Skip(type);
    }
  }
  return e;
}

ColumnChunkMeta ReadColumnMeta(ThriftReader& r) {
  ColumnChunkMeta m;
  int16_t last = 0;
  uint8_t type;
  int16_t id;
  while (r.Field(last, type, id)) {
    switch (id) {
      case 1: m.type = static_cast<int32_t>(r.ZigZag()); break;
      case 3: {
        auto [elem, n] = r.ListHeader();
        for (uint64_t i = 0; i < n; ++i) m.path.push_back(r.Binary());
        break;
      }
      case 4: m.codec = static_cast<int32_t>(r.ZigZag()); break;
      case 5: m.num_values = r.ZigZag(); break;
      case 7: m.total_compressed_size = r.ZigZag(); break;
      case 9: m.data_page_offset = r.ZigZag(); break;
      case 11: m.dictionary_page_offset = r.ZigZag(); break;
      default: r.Skip(type);
    }
  }
  return m;
}

RowGroupMeta ReadRowGroup(ThriftReader& r) {
  RowGroupMeta g;
  int16_t last = 0;
  uint8_t type;
  int16_t id;
  while (r.Field(last, type, id)) {
    if (id == 1) {
      auto [elem, n] = r.ListHeader();
      for (uint64_t i = 0; i < n; ++i) {
        // ColumnChunk: field 3 is the ColumnMetaData.
        ColumnChunkMeta meta;
        bool have_meta = false;
        int16_t last_cc = 0;
        uint8_t t;
        int16_t cc_id;
        while (r.Field(last_cc, t, cc_id)) {
          if (cc_id == 3) {
            meta = ReadColumnMeta(r);
            have_meta = true;
          } else {
            r.Skip(t);
          }
        }
        if (!have_meta) throw Error("column chunk without metadata (external column files are not supported)");
        g.columns.push_back(std::move(meta));
      }
    } else if (id == 3) {
      g.num_rows = r.ZigZag();
    } else {
      r.Skip(type);
    }
  }
  return g;
}

FileMeta ReadFileMeta(ThriftReader& r) {
  FileMeta f;
  int16_t last = 0;
  uint8_t type;
  int16_t id;
  while (r.Field(last, type, id)) {
    if (id == 2) {
      auto [elem, n] = r.ListHeader();
      for (uint64_t i = 0; i < n; ++i) f.schema.push_back(ReadSchemaElement(r));
    } else if (id == 3) {
      f.num_rows = r.ZigZag();
    } else if (id == 4) {
      auto [elem, n] = r.ListHeader();
      for (uint64_t i = 0; i < n; ++i) f.row_groups.push_back(ReadRowGroup(r));
    } else {
      r.Skip(type);
    }
  }
  return f;
}

struct PageHeader {
  int32_t type = 0;
  int32_t uncompressed_size = 0, compressed_size = 0;
  int32_t num_values = 0;
  int32_t encoding = 0;
  // v2 only
  int32_t def_levels_length = 0, rep_levels_length = 0;
  bool is_compressed = true;
};

PageHeader ReadPageHeader(ThriftReader& r) {
  PageHeader h;
  int16_t last = 0;
  uint8_t type;
  int16_t id;
  while (r.Field(last, type, id)) {
    switch (id) {
      case 1: h.type = static_cast<int32_t>(r.ZigZag()); break;
      case 2: h.uncompressed_size = static_cast<int32_t>(r.ZigZag()); break;
      case 3: h.compressed_size = static_cast<int32_t>(r.ZigZag()); break;
      case 5: case 7: case 8: {
        int16_t last_inner = 0;
        uint8_t t;
        int16_t inner;
        while (r.Field(last_inner, t, inner)) {
          if (inner == 1) {
            h.num_values = static_cast<int32_t>(r.ZigZag());
          } else if ((id == 5 && inner == 2) || (id == 7 && inner == 2) || (id == 8 && inner == 4)) {
            h.encoding = static_cast<int32_t>(r.ZigZag());
          } else if (id == 8 && inner == 5) {
            h.def_levels_length = static_cast<int32_t>(r.ZigZag());
          } else if (id == 8 && inner == 6) {
            h.rep_levels_length = static_cast<int32_t>(r.ZigZag());
          } else if (id == 8 && inner == 7) {
            h.is_compressed = r.BoolValue(t);
          } else {
            r.Skip(t);
          }
        }
        break;
      }
      default: r.Skip(type);
    }
  }
  if (h.compressed_size < 0 || h.uncompressed_size < 0 || h.num_values < 0 || h.def_levels_length < 0 ||
      h.rep_levels_length < 0) {
    throw Error("negative size in page header");
  }
  return h;
}

// ---- Decoding ----------------------------------------------------------------------------------

std::string Decompress(int32_t codec, const uint8_t* data, size_t size, size_t expected) {
  std::string out;
  switch (codec) {
    case 0: out.assign(reinterpret_cast<const char*>(data), size); break;
    case 1: {
      size_t n = 0;
      if (!snappy::GetUncompressedLength(reinterpret_cast<const char*>(data), size, &n) || n != expected ||
          !snappy::Uncompress(reinterpret_cast<const char*>(data), size, &out)) {
        throw Error("corrupt snappy page");
      }
      break;
    }
    case 2: {
      out.resize(expected);
      z_stream z{};
      if (inflateInit2(&z, 15 + 32) != Z_OK) throw Error("cannot start gzip decoder");
      z.next_in = const_cast<Bytef*>(data);
      z.avail_in = static_cast<uInt>(size);
      z.next_out = reinterpret_cast<Bytef*>(out.data());
      z.avail_out = static_cast<uInt>(expected);
      int rc = inflate(&z, Z_FINISH);
      size_t produced = expected - z.avail_out;
      inflateEnd(&z);
      if (rc != Z_STREAM_END || produced != expected) throw Error("corrupt gzip page");
      break;
    }
    case 6: {
      out.resize(expected);
      size_t n = ZSTD_decompress(out.data(), expected, data, size);
      if (ZSTD_isError(n) || n != expected) throw Error("corrupt zstd page");
      break;
    }
    default: throw Error("unsupported compression codec " + std::to_string(codec));
  }
  if (out.size() != expected) throw Error("page decompressed to the wrong size");
  return out;
}

// RLE / bit-packed hybrid decoding of `count` values of `bit_width` bits.
void DecodeHybrid(const uint8_t* p, const uint8_t* end, int bit_width, size_t count, std::vector<uint32_t>& out) {
  out.clear();
  out.reserve(count);
  if (bit_width > 32) throw Error("bad bit width");
  if (bit_width == 0) {
    out.assign(count, 0);
    return;
  }
  const size_t value_bytes = (bit_width + 7) / 8;
  while (out.size() < count) {
    uint64_t header = 0;
    for (int shift = 0;; shift += 7) {
      if (p >= end || shift > 63) throw Error("truncated RLE data");
      uint8_t b = *p++;
      header |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) break;
    }
    if (header & 1) {
      uint64_t groups = header >> 1;
      uint64_t bytes = groups * bit_width;
      if (bytes > static_cast<uint64_t>(end - p)) throw Error("truncated bit-packed run");
      uint64_t values = groups * 8;
      uint64_t buffer = 0;
      int bits = 0;
      const uint8_t* q = p;
      for (uint64_t i = 0; i < values && out.size() < count; ++i) {
        while (bits < bit_width) {
          buffer |= static_cast<uint64_t>(*q++) << bits;
          bits += 8;
        }
        out.push_back(static_cast<uint32_t>(buffer & ((1ULL << bit_width) - 1)));
        buffer >>= bit_width;
        bits -= bit_width;
      }
      p += bytes;
    } else {
      uint64_t run = header >> 1;
      if (value_bytes > static_cast<size_t>(end - p)) throw Error("truncated RLE run");
      uint32_t value = 0;
      for (size_t i = 0; i < value_bytes; ++i) value |= static_cast<uint32_t>(p[i]) << (8 * i);
      p += value_bytes;
      if (run == 0) throw Error("empty RLE run");
      size_t n = std::min<uint64_t>(run, count - out.size());
      out.insert(out.end(), n, value);
    }
  }
}

int BitWidth(int max_level) {
  int w = 0;
  while ((1 << w) <= max_level) ++w;
  return w;
}

// A column's values as JSON, one entry per leaf slot (nulls included).
struct ColumnState {
  const ColumnChunkMeta* meta;
  int max_def = 0, max_rep = 0;
  bool is_string = false;
  int list_def = -1;  // definition level at which the list exists (lists only)
  std::vector<Record> dictionary;
};

// Reads `count` PLAIN values of the column's physical type.
void DecodePlain(const ColumnState& col, const uint8_t*& p, const uint8_t* end, size_t count, std::vector<Record>& out) {
  auto need = [&](size_t n) {
    if (static_cast<size_t>(end - p) < n) throw Error("values run past the end of the page");
  };
  switch (col.meta->type) {
    case 0: {  // BOOLEAN, bit-packed LSB first
      need((count + 7) / 8);
      for (size_t i = 0; i < count; ++i) out.emplace_back(((p[i / 8] >> (i % 8)) & 1) != 0);
      p += (count + 7) / 8;
      break;
    }
    case 1: {
      need(4 * count);
      for (size_t i = 0; i < count; ++i, p += 4) {
        int32_t v;
        std::memcpy(&v, p, 4);
        out.emplace_back(v);
      }
      break;
    }
    case 2: {
      need(8 * count);
      for (size_t i = 0; i < count; ++i, p += 8) {
        int64_t v;
        std::memcpy(&v, p, 8);
        out.emplace_back(v);
      }
      break;
    }
    case 4: {
      need(4 * count);
      for (size_t i = 0; i < count; ++i, p += 4) {
        float v;
        std::memcpy(&v, p, 4);
        out.emplace_back(static_cast<double>(v));
      }
      break;
    }
    case 5: {
      need(8 * count);
      for (size_t i = 0; i < count; ++i, p += 8) {
        double v;
        std::memcpy(&v, p, 8);
        out.emplace_back(v);
      }
      break;
    }
    case 6: {
      for (size_t i = 0; i < count; ++i) {
        need(4);
        uint32_t n;
        std::memcpy(&n, p, 4);
        p += 4;
        need(n);
        out.emplace_back(std::string(reinterpret_cast<const char*>(p), n));
        p += n;
      }
      break;
    }
    default: throw Error("unsupported physical type " + std::to_string(col.meta->type));
  }
}

// Reads every page of one column chunk; returns values per leaf slot plus levels.
struct ColumnData {
  std::vector<Record> values;  // non-null values, in order
  std::vector<uint32_t> def, rep;  // one per slot
};

ColumnData ReadColumnChunk(std::string_view file, ColumnState& col) {
  ColumnData data;
  const ColumnChunkMeta& m = *col.meta;
  int64_t start = m.dictionary_page_offset && *m.dictionary_page_offset > 0
                      ? std::min(*m.dictionary_page_offset, m.data_page_offset)
                      : m.data_page_offset;
  if (start < 4 || m.total_compressed_size < 0 || static_cast<uint64_t>(start) > file.size() ||
      static_cast<uint64_t>(m.total_compressed_size) > file.size() - start) {
    throw Error("column chunk lies outside the file");
  }
  const uint8_t* base = reinterpret_cast<const uint8_t*>(file.data());
  const uint8_t* p = base + start;
  const uint8_t* chunk_end = p + m.total_compressed_size;
  int64_t values_seen = 0;
  std::vector<uint32_t> levels, indices;
  int page_number = 0;
  while (p < chunk_end && values_seen < m.num_values) {
    ++page_number;
    try {
      ThriftReader reader(p, chunk_end - p);
      PageHeader h = ReadPageHeader(reader);
      p += reader.consumed(p);
      if (static_cast<size_t>(h.compressed_size) > static_cast<size_t>(chunk_end - p)) {
        throw Error("page runs past the column chunk");
      }
      const uint8_t* page = p;
      p += h.compressed_size;
      if (h.type == 2) {  // dictionary
        std::string raw = Decompress(m.codec, page, h.compressed_size, h.uncompressed_size);
        const uint8_t* q = reinterpret_cast<const uint8_t*>(raw.data());
        col.dictionary.clear();
        DecodePlain(col, q, q + raw.size(), h.num_values, col.dictionary);
        continue;
      }
      if (h.type != 0 && h.type != 3) continue;  // index pages and unknown pages are skipped
      std::string raw;
      const uint8_t *q, *end;
      size_t n = h.num_values;
      if (h.type == 3) {
        size_t levels_size = static_cast<size_t>(h.rep_levels_length) + h.def_levels_length;
        if (levels_size > static_cast<size_t>(h.compressed_size)) throw Error("levels larger than the page");
        const uint8_t* rep_p = page;
        const uint8_t* def_p = page + h.rep_levels_length;
        if (col.max_rep > 0) {
          DecodeHybrid(rep_p, rep_p + h.rep_levels_length, BitWidth(col.max_rep), n, levels);
          data.rep.insert(data.rep.end(), levels.begin(), levels.end());
        }
        if (col.max_def > 0) {
          DecodeHybrid(def_p, def_p + h.def_levels_length, BitWidth(col.max_def), n, levels);
          data.def.insert(data.def.end(), levels.begin(), levels.end());
        }
        const uint8_t* values = page + levels_size;
        size_t values_size = h.compressed_size - levels_size;
        if (h.is_compressed && m.codec != 0) {
          raw = Decompress(m.codec, values, values_size, h.uncompressed_size - levels_size);
        } else {
          raw.assign(reinterpret_cast<const char*>(values), values_size);
        }
        q = reinterpret_cast<const uint8_t*>(raw.data());
        end = q + raw.size();
      } else {
        raw = Decompress(m.codec, page, h.compressed_size, h.uncompressed_size);
        q = reinterpret_cast<const uint8_t*>(raw.data());
        end = q + raw.size();
        auto read_levels = [&](int max_level, std::vector<uint32_t>& dest) {
          if (end - q < 4) throw Error("truncated levels");
          uint32_t len;
          std::memcpy(&len, q, 4);
          q += 4;
          if (len > static_cast<size_t>(end - q)) throw Error("levels run past the page");
          DecodeHybrid(q, q + len, BitWidth(max_level), n, levels);
          dest.insert(dest.end(), levels.begin(), levels.end());
          q += len;
        };
        if (col.max_rep > 0) read_levels(col.max_rep, data.rep);
        if (col.max_def > 0) read_levels(col.max_def, data.def);
      }
      size_t present = n;
      if (col.max_def > 0) {
        present = 0;
        for (size_t i = data.def.size() - n; i < data.def.size(); ++i) present += data.def[i] == static_cast<uint32_t>(col.max_def);
      }
      if (h.encoding == 0) {
        DecodePlain(col, q, end, present, data.values);
      } else if (h.encoding == 2 || h.encoding == 8) {
        if (present > 0) {
          if (q >= end) throw Error("missing dictionary index bit width");
          int width = *q++;
          DecodeHybrid(q, end, width, present, indices);
          for (uint32_t index : indices) {
            if (index >= col.dictionary.size()) throw Error("dictionary index out of range");
            data.values.push_back(col.dictionary[index]);
          }
        }
      } else {
        throw Error("unsupported encoding " + std::to_string(h.encoding));
      }
      values_seen += static_cast<int64_t>(n);
    } catch (const Error& e) {
      throw Error("page " + std::to_string(page_number) + ": " + e.what());
    }
  }
  return data;
}

std::string MetaError(const std::string& name, const std::string& what) {
  return "'" + name + "': not a valid parquet file: " + what;
}

}  // namespace

std::vector<Record> ReadParquetBytes(std::string_view bytes, const std::string& name) {
  if (bytes.size() < 12 || bytes.substr(0, 4) != "PAR1" || bytes.substr(bytes.size() - 4) != "PAR1") {
    throw Error(MetaError(name, "missing PAR1 magic (truncated or not parquet)"));
  }
  uint32_t footer_length;
  std::memcpy(&footer_length, bytes.data() + bytes.size() - 8, 4);
  if (footer_length > bytes.size() - 12) throw Error(MetaError(name, "footer length points outside the file"));
  FileMeta meta;
  try {
    ThriftReader reader(reinterpret_cast<const uint8_t*>(bytes.data() + bytes.size() - 8 - footer_length),
                        footer_length);
    meta = ReadFileMeta(reader);
  } catch (const Error& e) {
    throw Error(MetaError(name, std::string("footer: ") + e.what()));
  }
  if (meta.schema.empty()) throw Error(MetaError(name, "empty schema"));

  // Top-level fields: a primitive leaf, or a LIST group wrapping one primitive leaf.
  struct Field {
    std::string name;
    bool is_list = false;
    int max_def = 0, max_rep = 0, list_def = -1;
    bool is_string = false;
  };
  std::vector<Field> fields;
  size_t index = 1;
  auto def_of = [](const SchemaElement& e) { return e.repetition != 0 ? 1 : 0; };
  auto is_string = [](const SchemaElement& e) {
    return e.type == 6 && (e.logical_string || e.converted_type == 0 || e.converted_type == -1);
  };
  for (int32_t c = 0; c < meta.schema[0].num_children; ++c) {
    if (index >= meta.schema.size()) throw Error(MetaError(name, "schema has fewer elements than declared"));
    const SchemaElement& top = meta.schema[index++];
    Field f;
    f.name = top.name;
    if (top.num_children == 0) {
      f.max_def = def_of(top);
      f.is_string = is_string(top);
      if (top.repetition == 2) {  // bare repeated primitive: a list
        f.is_list = true;
        f.max_rep = 1;
        f.list_def = 0;
      }
    } else {
      // LIST: optional group (LIST) { repeated group list { optional element } } or 2-level forms.
      int def = def_of(top);
      f.list_def = def;
      if (top.num_children != 1 || index >= meta.schema.size()) {
        throw Error(MetaError(name, "column '" + top.name + "': nested structs are not supported"));
      }
      const SchemaElement& middle = meta.schema[index++];
      if (middle.repetition != 2) throw Error(MetaError(name, "column '" + top.name + "': unsupported nesting"));
      def += 1;
      const SchemaElement* leaf = &middle;
      if (middle.num_children == 1) {
        if (index >= meta.schema.size()) throw Error(MetaError(name, "schema truncated"));
        leaf = &meta.schema[index++];
        if (leaf->num_children != 0) throw Error(MetaError(name, "column '" + top.name + "': unsupported nesting"));
        def += def_of(*leaf);
      } else if (middle.num_children != 0) {
        throw Error(MetaError(name, "column '" + top.name + "': unsupported nesting"));
      }
      f.is_list = true;
      f.max_def = def;
      f.max_rep = 1;
      f.is_string = is_string(*leaf);
    }
    fields.push_back(f);
  }

  std::vector<Record> records;
  records.reserve(static_cast<size_t>(std::max<int64_t>(meta.num_rows, 0)));
  for (size_t g = 0; g < meta.row_groups.size(); ++g) {
    const RowGroupMeta& group = meta.row_groups[g];
    if (group.columns.size() != fields.size()) throw Error(MetaError(name, "row group column count differs from schema"));
    size_t first_row = records.size();
    records.resize(first_row + group.num_rows, Record::object());
    for (size_t c = 0; c < fields.size(); ++c) {
      const Field& f = fields[c];
      ColumnState state{&group.columns[c], f.max_def, f.max_rep, f.is_string, f.list_def, {}};
      ColumnData data;
      try {
        data = ReadColumnChunk(bytes, state);
      } catch (const Error& e) {
        throw Error("'" + name + "': row group " + std::to_string(g) + ", column '" + f.name + "': " + e.what());
      }
      auto fail = [&](const std::string& what) {
        throw Error("'" + name + "': row group " + std::to_string(g) + ", column '" + f.name + "': " + what);
      };
      size_t value = 0;
      if (!f.is_list) {
        size_t slots = f.max_def > 0 ? data.def.size() : data.values.size();
        if (slots != static_cast<size_t>(group.num_rows)) fail("value count differs from the row count");
        for (size_t r = 0; r < slots; ++r) {
          Record& rec = records[first_row + r];
          if (f.max_def > 0 && data.def[r] != static_cast<uint32_t>(f.max_def)) {
            rec[f.name] = nullptr;
          } else {
            if (value >= data.values.size()) fail("fewer values than levels");
            rec[f.name] = std::move(data.values[value++]);
          }
        }
      } else {
        if (data.rep.size() != data.def.size() && f.max_def > 0) fail("level counts differ");
        int64_t row = -1;
        for (size_t s = 0; s < data.rep.size(); ++s) {
          if (data.rep[s] == 0) {
            ++row;
            if (row >= group.num_rows) fail("more rows than declared");
          }
          if (row < 0) fail("first value continues a list");
          Record& cell = records[first_row + row][f.name];
          uint32_t d = f.max_def > 0 ? data.def[s] : 0;
          if (static_cast<int>(d) < f.list_def) {  // the list itself is null
            cell = nullptr;
            continue;
          }
          if (static_cast<int>(d) == f.list_def) {  // present but empty
            cell = Record::array();
            continue;
          }
          if (!cell.is_array()) cell = Record::array();
          if (static_cast<int>(d) == f.max_def) {
            if (value >= data.values.size()) fail("fewer values than levels");
            cell.push_back(std::move(data.values[value++]));
          } else {
            cell.push_back(nullptr);
          }
        }
        if (row + 1 != group.num_rows) fail("list rows differ from the row count");
      }
    }
  }
  return records;
}

std::vector<Record> ReadParquetFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open '" + path + "'");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return ReadParquetBytes(bytes, path);
}

}  // namespace sweinfer::dataset
