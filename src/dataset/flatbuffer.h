// Minimal FlatBuffers encoding and bounds-checked decoding, enough for Arrow IPC metadata
// (no Debian package ships the Arrow schema for C++ without Arrow itself).
// FbValue trees are built by the Arrow writer and serialised with Serialize(); FbTable reads a
// received buffer and throws Error on any offset or length that leaves it (untrusted input).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sweinfer::dataset::fb {

// ---- Building ----------------------------------------------------------------------------------

struct Object;
using ObjectPtr = std::shared_ptr<Object>;

struct TableField {
  int id;
  int scalar_size = 0;     // 1, 2, 4 or 8 for scalars; 0 for an offset to `child`
  uint64_t scalar = 0;
  ObjectPtr child;
};

struct Object {
  enum Kind { kTable, kString, kTableVector, kStructVector, kScalarVector } kind;
  std::vector<TableField> fields;    // kTable
  std::string bytes;                 // kString; raw element bytes for struct/scalar vectors
  size_t element_size = 0;           // struct/scalar vectors
  size_t element_count = 0;
  std::vector<ObjectPtr> elements;   // kTableVector
};

ObjectPtr Table(std::vector<TableField> fields);
ObjectPtr String(std::string_view s);
ObjectPtr TableVector(std::vector<ObjectPtr> tables);
ObjectPtr StructVector(std::string bytes, size_t element_size);  // elements 8-aligned
TableField Scalar(int id, int size, uint64_t value);
TableField Child(int id, ObjectPtr child);

// A finished buffer: root offset, then the objects; its size is a multiple of 8.
std::string Serialize(const ObjectPtr& root);

// ---- Reading -----------------------------------------------------------------------------------

class TableView {
 public:
  TableView(std::string_view buffer, size_t position);  // throws Error when out of bounds
  static TableView Root(std::string_view buffer);

  bool Has(int id) const { return FieldPosition(id).has_value(); }
  uint64_t Scalar(int id, int size, uint64_t default_value = 0) const;
  std::optional<std::string> String(int id) const;
  std::optional<TableView> Table(int id) const;
  // Vector of tables / of structs: element count and accessors.
  std::vector<TableView> Tables(int id) const;
  // Raw bytes of a vector of structs of `element_size` bytes.
  std::string_view Structs(int id, size_t element_size) const;

 private:
  std::optional<size_t> FieldPosition(int id) const;
  size_t Deref(size_t position) const;  // follows a uoffset at `position`
  void Check(size_t position, size_t size) const;
  std::string_view buffer_;
  size_t position_ = 0;
  size_t vtable_ = 0;
  size_t vtable_size_ = 0;
};

}  // namespace sweinfer::dataset::fb
