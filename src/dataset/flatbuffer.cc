#include "dataset/flatbuffer.h"

#include <algorithm>
#include <cstring>
#include <functional>

#include "util/error.h"

namespace sweinfer::dataset::fb {

ObjectPtr Table(std::vector<TableField> fields) {
  auto o = std::make_shared<Object>();
  o->kind = Object::kTable;
  o->fields = std::move(fields);
  return o;
}
ObjectPtr String(std::string_view s) {
  auto o = std::make_shared<Object>();
  o->kind = Object::kString;
  o->bytes = std::string(s);
  return o;
}
ObjectPtr TableVector(std::vector<ObjectPtr> tables) {
  auto o = std::make_shared<Object>();
  o->kind = Object::kTableVector;
  o->elements = std::move(tables);
  return o;
}
ObjectPtr StructVector(std::string bytes, size_t element_size) {
  auto o = std::make_shared<Object>();
  o->kind = Object::kStructVector;
  o->element_count = element_size ? bytes.size() / element_size : 0;
  o->element_size = element_size;
  o->bytes = std::move(bytes);
  return o;
}
TableField Scalar(int id, int size, uint64_t value) { return TableField{id, size, value, nullptr}; }
TableField Child(int id, ObjectPtr child) { return TableField{id, 0, 0, std::move(child)}; }

namespace {

class Writer {
 public:
  std::string buf;

  void Pad(size_t alignment) {
    while (buf.size() % alignment) buf.push_back('\0');
  }
  template <typename T>
  void Put(T v) {
    char raw[sizeof(T)];
    std::memcpy(raw, &v, sizeof(T));
    buf.append(raw, sizeof(T));
  }
  template <typename T>
  void PutAt(size_t pos, T v) {
    std::memcpy(buf.data() + pos, &v, sizeof(T));
  }
  // Writes `o` at the end; returns its position (where uoffsets must point).
  size_t Emit(const Object& o) {
    switch (o.kind) {
      case Object::kString: {
        Pad(4);
        size_t pos = buf.size();
        Put<uint32_t>(static_cast<uint32_t>(o.bytes.size()));
        buf += o.bytes;
        buf.push_back('\0');
        return pos;
      }
      case Object::kStructVector: {
        while ((buf.size() + 4) % 8) buf.push_back('\0');
        size_t pos = buf.size();
        Put<uint32_t>(static_cast<uint32_t>(o.element_count));
        buf += o.bytes;
        return pos;
      }
      case Object::kScalarVector: {
        while ((buf.size() + 4) % std::max<size_t>(o.element_size, 4)) buf.push_back('\0');
        size_t pos = buf.size();
        Put<uint32_t>(static_cast<uint32_t>(o.element_count));
        buf += o.bytes;
        return pos;
      }
      case Object::kTableVector: {
        Pad(4);
        size_t pos = buf.size();
        Put<uint32_t>(static_cast<uint32_t>(o.elements.size()));
        size_t slots = buf.size();
        for (size_t i = 0; i < o.elements.size(); ++i) Put<uint32_t>(0);
        for (size_t i = 0; i < o.elements.size(); ++i) {
          size_t child = Emit(*o.elements[i]);
          size_t slot = slots + 4 * i;
          PutAt<uint32_t>(slot, static_cast<uint32_t>(child - slot));
        }
        return pos;
      }
      case Object::kTable: return EmitTable(o);
    }
    return 0;
  }

 private:
  size_t EmitTable(const Object& o) {
    // Layout: vtable, then the table (soffset, fields sorted by size for alignment), then children.
    int max_id = -1;
    for (const auto& f : o.fields) max_id = std::max(max_id, f.id);
    std::vector<const TableField*> order;
    for (const auto& f : o.fields) order.push_back(&f);
    std::stable_sort(order.begin(), order.end(), [](const TableField* a, const TableField* b) {
      return (a->scalar_size ? a->scalar_size : 4) > (b->scalar_size ? b->scalar_size : 4);
    });
    // Inline offsets of each field within the table, after the 4-byte soffset.
    std::vector<uint16_t> field_offsets(max_id + 1, 0);
    size_t inline_size = 4;
    std::vector<size_t> placement;
    for (const auto* f : order) {
      size_t size = f->scalar_size ? f->scalar_size : 4;
      while (inline_size % size) ++inline_size;
      placement.push_back(inline_size);
      field_offsets[f->id] = static_cast<uint16_t>(inline_size);
      inline_size += size;
    }
    size_t vtable_size = 4 + 2 * field_offsets.size();
    // The table must start 8-aligned when it holds 8-byte scalars.
    Pad(2);
    while ((buf.size() + vtable_size) % 8) buf.push_back('\0');
    size_t vtable = buf.size();
    Put<uint16_t>(static_cast<uint16_t>(vtable_size));
    Put<uint16_t>(static_cast<uint16_t>(inline_size));
    for (uint16_t off : field_offsets) Put<uint16_t>(off);
    size_t table = buf.size();
    buf.resize(table + inline_size, '\0');
    PutAt<int32_t>(table, static_cast<int32_t>(table - vtable));
    for (size_t i = 0; i < order.size(); ++i) {
      const TableField* f = order[i];
      size_t at = table + placement[i];
      switch (f->scalar_size) {
        case 1: PutAt<uint8_t>(at, static_cast<uint8_t>(f->scalar)); break;
        case 2: PutAt<uint16_t>(at, static_cast<uint16_t>(f->scalar)); break;
        case 4: PutAt<uint32_t>(at, static_cast<uint32_t>(f->scalar)); break;
        case 8: PutAt<uint64_t>(at, f->scalar); break;
        default: break;
      }
    }
    for (size_t i = 0; i < order.size(); ++i) {
      const TableField* f = order[i];
      if (f->scalar_size || !f->child) continue;
      size_t at = table + placement[i];
      size_t child = Emit(*f->child);
      PutAt<uint32_t>(at, static_cast<uint32_t>(child - at));
    }
    return table;
  }
};

}  // namespace

std::string Serialize(const ObjectPtr& root) {
  Writer w;
  w.Put<uint32_t>(0);
  size_t pos = w.Emit(*root);
  w.PutAt<uint32_t>(0, static_cast<uint32_t>(pos));
  w.Pad(8);
  return std::move(w.buf);
}

// ---- Reading -----------------------------------------------------------------------------------

namespace {

template <typename T>
T Load(std::string_view buf, size_t pos) {
  T v;
  std::memcpy(&v, buf.data() + pos, sizeof(T));
  return v;
}

}  // namespace

void TableView::Check(size_t position, size_t size) const {
  if (position > buffer_.size() || size > buffer_.size() - position) {
    throw Error("metadata offset out of bounds");
  }
}

TableView::TableView(std::string_view buffer, size_t position) : buffer_(buffer), position_(position) {
  Check(position, 4);
  int32_t soffset = Load<int32_t>(buffer, position);
  int64_t vtable = static_cast<int64_t>(position) - soffset;
  if (vtable < 0) throw Error("metadata vtable out of bounds");
  vtable_ = static_cast<size_t>(vtable);
  Check(vtable_, 4);
  vtable_size_ = Load<uint16_t>(buffer, vtable_);
  if (vtable_size_ < 4 || vtable_size_ % 2) throw Error("bad metadata vtable");
  Check(vtable_, vtable_size_);
  Check(position, Load<uint16_t>(buffer, vtable_ + 2));
}

TableView TableView::Root(std::string_view buffer) {
  if (buffer.size() < 4) throw Error("metadata too short");
  return TableView(buffer, Load<uint32_t>(buffer, 0));
}

std::optional<size_t> TableView::FieldPosition(int id) const {
  size_t slot = 4 + 2 * static_cast<size_t>(id);
  if (slot + 2 > vtable_size_) return std::nullopt;
  uint16_t offset = Load<uint16_t>(buffer_, vtable_ + slot);
  if (offset == 0) return std::nullopt;
  return position_ + offset;
}

size_t TableView::Deref(size_t position) const {
  Check(position, 4);
  size_t target = position + Load<uint32_t>(buffer_, position);
  Check(target, 4);
  return target;
}

uint64_t TableView::Scalar(int id, int size, uint64_t default_value) const {
  auto pos = FieldPosition(id);
  if (!pos) return default_value;
  Check(*pos, size);
  switch (size) {
    case 1: return Load<uint8_t>(buffer_, *pos);
    case 2: return Load<uint16_t>(buffer_, *pos);
    case 4: return Load<uint32_t>(buffer_, *pos);
    default: return Load<uint64_t>(buffer_, *pos);
  }
}

std::optional<std::string> TableView::String(int id) const {
  auto pos = FieldPosition(id);
  if (!pos) return std::nullopt;
  size_t s = Deref(*pos);
  uint32_t length = Load<uint32_t>(buffer_, s);
  Check(s + 4, length);
  return std::string(buffer_.substr(s + 4, length));
}

std::optional<TableView> TableView::Table(int id) const {
  auto pos = FieldPosition(id);
  if (!pos) return std::nullopt;
  return TableView(buffer_, Deref(*pos));
}

std::vector<TableView> TableView::Tables(int id) const {
  std::vector<TableView> tables;
  auto pos = FieldPosition(id);
  if (!pos) return tables;
  size_t v = Deref(*pos);
  uint32_t count = Load<uint32_t>(buffer_, v);
  Check(v + 4, static_cast<size_t>(count) * 4);
  for (uint32_t i = 0; i < count; ++i) tables.emplace_back(buffer_, Deref(v + 4 + 4 * i));
  return tables;
}

std::string_view TableView::Structs(int id, size_t element_size) const {
  auto pos = FieldPosition(id);
  if (!pos) return {};
  size_t v = Deref(*pos);
  uint32_t count = Load<uint32_t>(buffer_, v);
  Check(v + 4, static_cast<size_t>(count) * element_size);
  return buffer_.substr(v + 4, static_cast<size_t>(count) * element_size);
}

}  // namespace sweinfer::dataset::fb
