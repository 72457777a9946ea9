#include "dataset/arrow_ipc.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include "dataset/flatbuffer.h"
#include "util/error.h"

namespace sweinfer::dataset {

namespace {

namespace fs = std::filesystem;

// Arrow's Type union.
enum ArrowType : uint8_t {
  kTypeNull = 1, kTypeInt = 2, kTypeFloat = 3, kTypeBinary = 4, kTypeUtf8 = 5, kTypeBool = 6,
  kTypeList = 12, kTypeStruct = 13, kTypeLargeBinary = 19, kTypeLargeUtf8 = 20, kTypeLargeList = 21
};
constexpr uint8_t kHeaderSchema = 1, kHeaderDictionary = 2, kHeaderRecordBatch = 3;
constexpr uint16_t kMetadataV5 = 4;

// ---- Reading -----------------------------------------------------------------------------------

struct FieldDesc {
  std::string name;
  uint8_t type = 0;
  int bit_width = 0;
  bool is_signed = true;
  int float_precision = 2;
  std::vector<FieldDesc> children;
};

FieldDesc ReadField(const fb::TableView& f, int depth) {
  if (depth > 32) throw Error("schema nested too deeply");
  FieldDesc d;
  d.name = f.String(0).value_or("");
  d.type = static_cast<uint8_t>(f.Scalar(2, 1));
  if (f.Has(4)) throw Error("column '" + d.name + "': dictionary-encoded columns are not supported");
  if (auto t = f.Table(3)) {
    if (d.type == kTypeInt) {
      d.bit_width = static_cast<int>(t->Scalar(0, 4));
      d.is_signed = t->Scalar(1, 1) != 0;
    } else if (d.type == kTypeFloat) {
      d.float_precision = static_cast<int>(t->Scalar(0, 2));
    }
  }
  for (const auto& child : f.Tables(5)) d.children.push_back(ReadField(child, depth + 1));
  switch (d.type) {
    case kTypeNull: case kTypeBool: case kTypeUtf8: case kTypeBinary: case kTypeLargeUtf8: case kTypeLargeBinary:
    case kTypeStruct:
      break;
    case kTypeInt:
      if (d.bit_width != 8 && d.bit_width != 16 && d.bit_width != 32 && d.bit_width != 64) {
        throw Error("column '" + d.name + "': bad integer width");
      }
      break;
    case kTypeFloat:
      if (d.float_precision != 1 && d.float_precision != 2) throw Error("column '" + d.name + "': unsupported float");
      break;
    case kTypeList: case kTypeLargeList:
      if (d.children.size() != 1) throw Error("column '" + d.name + "': a list needs one child");
      break;
    default:
      throw Error("column '" + d.name + "': unsupported Arrow type " + std::to_string(d.type));
  }
  return d;
}

struct BatchCursor {
  std::string_view body;
  std::string_view nodes;    // FieldNode structs, 16 bytes each
  std::string_view buffers;  // Buffer structs, 16 bytes each
  size_t next_node = 0, next_buffer = 0;

  std::pair<int64_t, int64_t> Node() {
    if ((next_node + 1) * 16 > nodes.size()) throw Error("record batch has fewer field nodes than the schema");
    int64_t length, nulls;
    std::memcpy(&length, nodes.data() + 16 * next_node, 8);
    std::memcpy(&nulls, nodes.data() + 16 * next_node + 8, 8);
    ++next_node;
    if (length < 0 || nulls < 0) throw Error("negative field node");
    return {length, nulls};
  }
  std::string_view Buffer() {
    if ((next_buffer + 1) * 16 > buffers.size()) throw Error("record batch has fewer buffers than the schema");
    int64_t offset, length;
    std::memcpy(&offset, buffers.data() + 16 * next_buffer, 8);
    std::memcpy(&length, buffers.data() + 16 * next_buffer + 8, 8);
    ++next_buffer;
    if (offset < 0 || length < 0 || static_cast<uint64_t>(offset) > body.size() ||
        static_cast<uint64_t>(length) > body.size() - offset) {
      throw Error("buffer lies outside the message body");
    }
    return body.substr(offset, length);
  }
};

bool IsValid(std::string_view validity, int64_t i) {
  if (validity.empty()) return true;
  if (static_cast<uint64_t>(i / 8) >= validity.size()) throw Error("validity bitmap too short");
  return (static_cast<unsigned char>(validity[i / 8]) >> (i % 8)) & 1;
}

template <typename T>
T LoadAt(std::string_view data, int64_t index, const char* what) {
  if (static_cast<uint64_t>(index + 1) * sizeof(T) > data.size()) throw Error(std::string(what) + " buffer too short");
  T v;
  std::memcpy(&v, data.data() + index * sizeof(T), sizeof(T));
  return v;
}

int64_t OffsetAt(std::string_view offsets, int64_t i, bool large) {
  return large ? LoadAt<int64_t>(offsets, i, "offsets") : LoadAt<int32_t>(offsets, i, "offsets");
}

// Decodes one field's column for `length` slots, consuming its nodes and buffers.
std::vector<Record> DecodeColumn(const FieldDesc& f, BatchCursor& c, int depth) {
  if (depth > 32) throw Error("nesting too deep");
  auto [length, null_count] = c.Node();
  std::vector<Record> out;
  out.reserve(static_cast<size_t>(std::min<int64_t>(length, 1 << 20)));
  if (f.type == kTypeNull) {
    out.assign(static_cast<size_t>(length), nullptr);
    return out;
  }
  std::string_view validity = c.Buffer();
  if (null_count == 0) validity = {};
  switch (f.type) {
    case kTypeBool: {
      std::string_view values = c.Buffer();
      for (int64_t i = 0; i < length; ++i) {
        if (!IsValid(validity, i)) { out.emplace_back(nullptr); continue; }
        if (static_cast<uint64_t>(i / 8) >= values.size()) throw Error("bool buffer too short");
        out.emplace_back(((static_cast<unsigned char>(values[i / 8]) >> (i % 8)) & 1) != 0);
      }
      break;
    }
    case kTypeInt: {
      std::string_view values = c.Buffer();
      for (int64_t i = 0; i < length; ++i) {
        if (!IsValid(validity, i)) { out.emplace_back(nullptr); continue; }
        switch (f.bit_width) {
          case 8: f.is_signed ? out.emplace_back(LoadAt<int8_t>(values, i, "int")) : out.emplace_back(LoadAt<uint8_t>(values, i, "int")); break;
          case 16: f.is_signed ? out.emplace_back(LoadAt<int16_t>(values, i, "int")) : out.emplace_back(LoadAt<uint16_t>(values, i, "int")); break;
          case 32: f.is_signed ? out.emplace_back(LoadAt<int32_t>(values, i, "int")) : out.emplace_back(LoadAt<uint32_t>(values, i, "int")); break;
          default: f.is_signed ? out.emplace_back(LoadAt<int64_t>(values, i, "int")) : out.emplace_back(LoadAt<uint64_t>(values, i, "int")); break;
        }
      }
      break;
    }
    case kTypeFloat: {
      std::string_view values = c.Buffer();
      for (int64_t i = 0; i < length; ++i) {
        if (!IsValid(validity, i)) { out.emplace_back(nullptr); continue; }
        out.emplace_back(f.float_precision == 1 ? static_cast<double>(LoadAt<float>(values, i, "float"))
                                                : LoadAt<double>(values, i, "float"));
      }
      break;
    }
    case kTypeUtf8: case kTypeBinary: case kTypeLargeUtf8: case kTypeLargeBinary: {
      bool large = f.type == kTypeLargeUtf8 || f.type == kTypeLargeBinary;
      std::string_view offsets = c.Buffer();
      std::string_view data = c.Buffer();
      for (int64_t i = 0; i < length; ++i) {
        if (!IsValid(validity, i)) { out.emplace_back(nullptr); continue; }
        int64_t a = OffsetAt(offsets, i, large), b = OffsetAt(offsets, i + 1, large);
        if (a < 0 || b < a || static_cast<uint64_t>(b) > data.size()) throw Error("string offsets out of range");
        out.emplace_back(std::string(data.substr(a, b - a)));
      }
      break;
    }
    case kTypeList: case kTypeLargeList: {
      bool large = f.type == kTypeLargeList;
      std::string_view offsets = c.Buffer();
      std::vector<Record> values = DecodeColumn(f.children[0], c, depth + 1);
      for (int64_t i = 0; i < length; ++i) {
        if (!IsValid(validity, i)) { out.emplace_back(nullptr); continue; }
        int64_t a = OffsetAt(offsets, i, large), b = OffsetAt(offsets, i + 1, large);
        if (a < 0 || b < a || static_cast<uint64_t>(b) > values.size()) throw Error("list offsets out of range");
        Record list = Record::array();
        for (int64_t j = a; j < b; ++j) list.push_back(std::move(values[j]));
        out.push_back(std::move(list));
      }
      break;
    }
    case kTypeStruct: {
      std::vector<std::vector<Record>> children;
      for (const auto& child : f.children) {
        children.push_back(DecodeColumn(child, c, depth + 1));
        if (static_cast<int64_t>(children.back().size()) < length) throw Error("struct child shorter than its parent");
      }
      for (int64_t i = 0; i < length; ++i) {
        if (!IsValid(validity, i)) { out.emplace_back(nullptr); continue; }
        Record obj = Record::object();
        for (size_t k = 0; k < f.children.size(); ++k) obj[f.children[k].name] = std::move(children[k][i]);
        out.push_back(std::move(obj));
      }
      break;
    }
    default: throw Error("unsupported type");
  }
  return out;
}

}  // namespace

std::vector<Record> ReadArrowBytes(std::string_view bytes, const std::string& name) {
  size_t pos = 0;
  if (bytes.substr(0, 6) == "ARROW1") pos = 8;  // file format: magic, padding, then a stream
  std::vector<FieldDesc> fields;
  bool have_schema = false;
  std::vector<Record> records;
  size_t message = 0;
  while (true) {
    ++message;
    auto fail = [&](const std::string& what) -> Error {
      return Error("'" + name + "': message " + std::to_string(message) + ": " + what);
    };
    if (pos + 4 > bytes.size()) {
      if (have_schema && pos == bytes.size()) break;  // stream without end marker
      throw fail("truncated (no end-of-stream marker)");
    }
    uint32_t word;
    std::memcpy(&word, bytes.data() + pos, 4);
    pos += 4;
    if (word == 0xFFFFFFFF) {
      if (pos + 4 > bytes.size()) throw fail("truncated message length");
      std::memcpy(&word, bytes.data() + pos, 4);
      pos += 4;
    }
    uint32_t metadata_length = word;
    if (metadata_length == 0) break;  // end of stream
    if (metadata_length > bytes.size() - pos) throw fail("metadata runs past the end of the file");
    std::string_view metadata = bytes.substr(pos, metadata_length);
    pos += metadata_length;
    try {
      auto msg = fb::TableView::Root(metadata);
      uint8_t header_type = static_cast<uint8_t>(msg.Scalar(1, 1));
      int64_t body_length = static_cast<int64_t>(msg.Scalar(3, 8));
      if (body_length < 0 || static_cast<uint64_t>(body_length) > bytes.size() - pos) {
        throw Error("message body runs past the end of the file");
      }
      std::string_view body = bytes.substr(pos, body_length);
      pos += body_length;
      auto header = msg.Table(2);
      if (!header) throw Error("message without header");
      if (header_type == kHeaderSchema) {
        if (have_schema) break;  // a file-format footer repeats the schema: stop at it
        for (const auto& f : header->Tables(1)) fields.push_back(ReadField(f, 0));
        have_schema = true;
      } else if (header_type == kHeaderRecordBatch) {
        if (!have_schema) throw Error("record batch before the schema");
        if (header->Has(3)) throw Error("compressed record batches are not supported");
        int64_t length = static_cast<int64_t>(header->Scalar(0, 8));
        BatchCursor cursor{body, header->Structs(1, 16), header->Structs(2, 16)};
        std::vector<std::vector<Record>> columns;
        for (const auto& f : fields) {
          try {
            columns.push_back(DecodeColumn(f, cursor, 0));
          } catch (const Error& e) {
            throw Error("column '" + f.name + "': " + e.what());
          }
          if (static_cast<int64_t>(columns.back().size()) != length) {
            throw Error("column '" + f.name + "' length differs from the batch length");
          }
        }
        for (int64_t i = 0; i < length; ++i) {
          Record r = Record::object();
          for (size_t k = 0; k < fields.size(); ++k) r[fields[k].name] = std::move(columns[k][i]);
          records.push_back(std::move(r));
        }
      } else if (header_type == kHeaderDictionary) {
        throw Error("dictionary batches are not supported");
      }
    } catch (const Error& e) {
      if (std::string(e.what()).rfind("'" + name + "'", 0) == 0) throw;
      throw fail(e.what());
    }
  }
  if (!have_schema) throw Error("'" + name + "': no schema message (not an Arrow IPC stream)");
  return records;
}

std::vector<Record> ReadArrowFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open '" + path + "'");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return ReadArrowBytes(bytes, path);
}

// ---- Writing -----------------------------------------------------------------------------------

namespace {

fb::ObjectPtr TypeTable(uint8_t type) {
  if (type == kTypeInt) return fb::Table({fb::Scalar(0, 4, 64), fb::Scalar(1, 1, 1)});
  if (type == kTypeFloat) return fb::Table({fb::Scalar(0, 2, 2)});
  return fb::Table({});
}

fb::ObjectPtr FieldTable(const std::string& name, uint8_t type, std::vector<fb::ObjectPtr> children = {}) {
  return fb::Table({fb::Child(0, fb::String(name)), fb::Scalar(1, 1, 1), fb::Scalar(2, 1, type),
                    fb::Child(3, TypeTable(type)), fb::Child(5, fb::TableVector(std::move(children)))});
}

uint8_t ScalarTypeOf(ColumnType t) {
  switch (t) {
    case ColumnType::kNull: return kTypeNull;
    case ColumnType::kString: case ColumnType::kListString: return kTypeUtf8;
    case ColumnType::kInt64: case ColumnType::kListInt64: return kTypeInt;
    case ColumnType::kFloat64: case ColumnType::kListFloat64: return kTypeFloat;
    case ColumnType::kBool: return kTypeBool;
  }
  return kTypeNull;
}

bool IsList(ColumnType t) {
  return t == ColumnType::kListInt64 || t == ColumnType::kListFloat64 || t == ColumnType::kListString;
}

std::string Message(uint8_t header_type, fb::ObjectPtr header, int64_t body_length) {
  std::string metadata = fb::Serialize(fb::Table({fb::Scalar(0, 2, kMetadataV5), fb::Scalar(1, 1, header_type),
                                                  fb::Child(2, std::move(header)),
                                                  fb::Scalar(3, 8, static_cast<uint64_t>(body_length))}));
  std::string out;
  uint32_t marker = 0xFFFFFFFF, length = static_cast<uint32_t>(metadata.size());
  out.append(reinterpret_cast<const char*>(&marker), 4);
  out.append(reinterpret_cast<const char*>(&length), 4);
  out += metadata;
  return out;
}

// Accumulates the body buffers of one record batch.
struct BodyBuilder {
  std::string body;
  std::string nodes, buffers;
  void Node(int64_t length, int64_t nulls) {
    nodes.append(reinterpret_cast<const char*>(&length), 8);
    nodes.append(reinterpret_cast<const char*>(&nulls), 8);
  }
  void Buffer(const std::string& bytes) {
    int64_t offset = static_cast<int64_t>(body.size()), length = static_cast<int64_t>(bytes.size());
    buffers.append(reinterpret_cast<const char*>(&offset), 8);
    buffers.append(reinterpret_cast<const char*>(&length), 8);
    body += bytes;
    while (body.size() % 8) body.push_back('\0');
  }
};

// Appends validity (empty when no nulls) and value buffers for scalar values of one type.
void AddScalarColumn(BodyBuilder& b, uint8_t type, const std::vector<const Record*>& values, const std::string& column) {
  int64_t n = static_cast<int64_t>(values.size()), nulls = 0;
  std::string validity((n + 7) / 8, '\0');
  for (int64_t i = 0; i < n; ++i) {
    if (values[i] && !values[i]->is_null()) validity[i / 8] |= static_cast<char>(1 << (i % 8));
    else ++nulls;
  }
  b.Node(n, type == kTypeNull ? n : nulls);
  if (type == kTypeNull) return;
  b.Buffer(nulls ? validity : std::string());
  if (type == kTypeUtf8) {
    std::string offsets, data;
    int32_t off = 0;
    offsets.append(reinterpret_cast<const char*>(&off), 4);
    for (const auto* v : values) {
      if (v && v->is_string()) data += v->get_ref<const std::string&>();
      if (data.size() > INT32_MAX) throw Error("column '" + column + "': more than 2 GiB of text in one batch");
      off = static_cast<int32_t>(data.size());
      offsets.append(reinterpret_cast<const char*>(&off), 4);
    }
    b.Buffer(offsets);
    b.Buffer(data);
  } else if (type == kTypeInt) {
    std::string data;
    for (const auto* v : values) {
      int64_t x = v && v->is_number() ? v->get<int64_t>() : 0;
      data.append(reinterpret_cast<const char*>(&x), 8);
    }
    b.Buffer(data);
  } else if (type == kTypeFloat) {
    std::string data;
    for (const auto* v : values) {
      double x = v && v->is_number() ? v->get<double>() : 0.0;
      data.append(reinterpret_cast<const char*>(&x), 8);
    }
    b.Buffer(data);
  } else if (type == kTypeBool) {
    std::string bits((n + 7) / 8, '\0');
    for (int64_t i = 0; i < n; ++i) {
      if (values[i] && values[i]->is_boolean() && values[i]->get<bool>()) bits[i / 8] |= static_cast<char>(1 << (i % 8));
    }
    b.Buffer(bits);
  }
}

}  // namespace

std::string WriteArrowStream(const std::vector<Record>& records, const std::vector<ColumnSpec>& columns,
                             size_t batch_rows) {
  std::vector<fb::ObjectPtr> fields;
  for (const auto& c : columns) {
    if (IsList(c.type)) {
      fields.push_back(FieldTable(c.name, kTypeList, {FieldTable("item", ScalarTypeOf(c.type))}));
    } else {
      fields.push_back(FieldTable(c.name, ScalarTypeOf(c.type)));
    }
  }
  std::string hf = Record{{"info", Record{{"features", FeaturesOf(columns)}}}}.dump();
  auto key_value = fb::Table({fb::Child(0, fb::String("huggingface")), fb::Child(1, fb::String(hf))});
  auto schema = fb::Table({fb::Scalar(0, 2, 0), fb::Child(1, fb::TableVector(std::move(fields))),
                           fb::Child(2, fb::TableVector({key_value}))});
  std::string out = Message(kHeaderSchema, schema, 0);
  static const Record kNull = nullptr;
  for (size_t start = 0; start < records.size() || (start == 0 && records.empty()); start += batch_rows) {
    size_t end = std::min(records.size(), start + batch_rows);
    BodyBuilder body;
    for (const auto& c : columns) {
      std::vector<const Record*> values;
      for (size_t r = start; r < end; ++r) {
        auto it = records[r].find(c.name);
        values.push_back(it == records[r].end() ? &kNull : &*it);
      }
      uint8_t type = ScalarTypeOf(c.type);
      if (!IsList(c.type)) {
        AddScalarColumn(body, type, values, c.name);
        continue;
      }
      int64_t n = static_cast<int64_t>(values.size()), nulls = 0;
      std::string validity((n + 7) / 8, '\0'), offsets;
      std::vector<const Record*> items;
      int32_t off = 0;
      offsets.append(reinterpret_cast<const char*>(&off), 4);
      for (int64_t i = 0; i < n; ++i) {
        if (values[i]->is_array()) {
          validity[i / 8] |= static_cast<char>(1 << (i % 8));
          for (const auto& item : *values[i]) items.push_back(&item);
        } else {
          ++nulls;
        }
        off = static_cast<int32_t>(items.size());
        offsets.append(reinterpret_cast<const char*>(&off), 4);
      }
      body.Node(n, nulls);
      body.Buffer(nulls ? validity : std::string());
      body.Buffer(offsets);
      AddScalarColumn(body, type, items, c.name);
    }
    auto batch = fb::Table({fb::Scalar(0, 8, end - start), fb::Child(1, fb::StructVector(body.nodes, 16)),
                            fb::Child(2, fb::StructVector(body.buffers, 16))});
    out += Message(kHeaderRecordBatch, batch, static_cast<int64_t>(body.body.size()));
    out += body.body;
    if (records.empty()) break;
  }
  uint32_t marker = 0xFFFFFFFF, zero = 0;
  out.append(reinterpret_cast<const char*>(&marker), 4);
  out.append(reinterpret_cast<const char*>(&zero), 4);
  return out;
}

void WriteSaveToDisk(const std::string& directory, const std::map<std::string, std::vector<Record>>& splits) {
  std::string temporary = directory + ".partial";
  std::error_code ec;
  fs::remove_all(temporary, ec);
  fs::create_directories(temporary);
  auto write = [](const fs::path& path, const std::string& content) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out) throw Error("cannot write '" + path.string() + "'");
  };
  Record names = Record::array();
  for (const auto& [split, records] : splits) {
    names.push_back(split);
    fs::path dir = fs::path(temporary) / split;
    fs::create_directories(dir);
    auto columns = InferColumns(records);
    write(dir / "data-00000-of-00001.arrow", WriteArrowStream(records, columns));
    Record info{{"citation", ""}, {"description", ""}, {"features", FeaturesOf(columns)}, {"homepage", ""}, {"license", ""}};
    write(dir / "dataset_info.json", info.dump(2));
    Record state{{"_data_files", Record::array({Record{{"filename", "data-00000-of-00001.arrow"}}})},
                 {"_fingerprint", std::to_string(std::hash<std::string>{}(split + std::to_string(records.size())))},
                 {"_format_columns", nullptr},
                 {"_format_kwargs", Record::object()},
                 {"_format_type", nullptr},
                 {"_output_all_columns", false},
                 {"_split", nullptr}};
    write(dir / "state.json", state.dump(2));
  }
  write(fs::path(temporary) / "dataset_dict.json", Record{{"splits", names}}.dump());
  fs::remove_all(directory, ec);
  fs::rename(temporary, directory);
}

}  // namespace sweinfer::dataset
