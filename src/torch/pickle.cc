#include "torch/pickle.h"

#include <cstdio>
#include <cstring>
#include <set>

#include "util/error.h"

namespace sweinfer::torch {

namespace {

using Kind = Value::Kind;

// Storage classes by name; the scalar type they hold.
const std::map<std::string, std::string>& StorageClasses() {
  static const std::map<std::string, std::string> classes = {
      {"torch.FloatStorage", "float32"},   {"torch.HalfStorage", "float16"},  {"torch.BFloat16Storage", "bfloat16"},
      {"torch.DoubleStorage", "float64"},  {"torch.LongStorage", "int64"},    {"torch.IntStorage", "int32"},
      {"torch.ShortStorage", "int16"},     {"torch.CharStorage", "int8"},     {"torch.ByteStorage", "uint8"},
      {"torch.BoolStorage", "bool"}};
  return classes;
}

bool AllowedGlobal(const std::string& name) {
  static const std::set<std::string> functions = {"collections.OrderedDict", "torch._utils._rebuild_tensor_v2",
                                                  "torch._utils._rebuild_parameter"};
  return functions.count(name) || StorageClasses().count(name);
}

class Machine {
 public:
  Machine(std::string_view data, std::string name, std::vector<std::shared_ptr<Value>>& arena)
      : data_(data), name_(std::move(name)), arena_(arena) {}

  ValuePtr Run() {
    while (true) {
      const size_t at = pos_;
      const uint8_t op = Byte();
      if (op == '.') {
        if (stack_.size() != 1) Fail(at, "STOP with " + std::to_string(stack_.size()) + " values on the stack");
        return stack_.back();
      }
      Step(op, at);
    }
  }

 private:
  std::shared_ptr<Value> Make(Kind kind) {
    auto v = std::make_shared<Value>();
    v->kind = kind;
    arena_.push_back(v);
    return v;
  }
  [[noreturn]] void Fail(size_t at, const std::string& what) const {
    throw Error(name_ + ": " + what + " (at byte " + std::to_string(at) + ")");
  }
  uint8_t Byte() {
    if (pos_ >= data_.size()) Fail(pos_, "truncated pickle (no STOP)");
    return static_cast<uint8_t>(data_[pos_++]);
  }
  std::string_view Take(uint64_t n) {
    if (n > data_.size() - pos_) Fail(pos_, "truncated pickle");
    std::string_view s = data_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  template <typename T>
  T Fixed() {
    T v;
    std::memcpy(&v, Take(sizeof(T)).data(), sizeof(T));
    return v;
  }
  std::string Line() {
    const size_t end = data_.find('\n', pos_);
    if (end == std::string_view::npos) Fail(pos_, "truncated pickle (unterminated line)");
    std::string s(data_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return s;
  }
  ValuePtr Pop(size_t at) {
    if (stack_.empty() || stack_.back()->kind == Kind::kMark) Fail(at, "stack underflow");
    ValuePtr v = stack_.back();
    stack_.pop_back();
    return v;
  }
  // The values above the topmost mark, removing them and the mark.
  std::vector<ValuePtr> PopToMark(size_t at) {
    if (marks_.empty()) Fail(at, "no MARK on the stack");
    const size_t mark = marks_.back();
    marks_.pop_back();
    std::vector<ValuePtr> items(stack_.begin() + static_cast<long>(mark) + 1, stack_.end());
    stack_.resize(mark);
    return items;
  }
  ValuePtr& Top(size_t at) {
    if (stack_.empty() || stack_.back()->kind == Kind::kMark) Fail(at, "stack underflow");
    return stack_.back();
  }
  void Push(ValuePtr v) { stack_.push_back(std::move(v)); }
  void PushInt(int64_t i) {
    auto v = Make(Kind::kInt);
    v->integer = i;
    Push(v);
  }
  void PushText(Kind kind, std::string_view s) {
    auto v = Make(kind);
    v->text = std::string(s);
    Push(v);
  }
  ValuePtr Tuple(std::vector<ValuePtr> items) {
    auto v = Make(Kind::kTuple);
    v->items = std::move(items);
    return v;
  }
  // Containers are changed in place by APPEND/SETITEM; the stack holds const pointers to share
  // memoised values, so mutation goes through this cast on values this machine created.
  static Value& Mutable(const ValuePtr& v) { return const_cast<Value&>(*v); }

  void Memo(uint64_t index, size_t at) {
    if (index > (uint64_t{1} << 32)) Fail(at, "memo index too large");
    memo_[index] = Top(at);
  }
  void Get(uint64_t index, size_t at) {
    auto it = memo_.find(index);
    if (it == memo_.end()) Fail(at, "memo entry " + std::to_string(index) + " was never stored");
    Push(it->second);
  }
  void Global(const std::string& module, const std::string& attribute, size_t at) {
    const std::string full = module + "." + attribute;
    if (!AllowedGlobal(full)) Fail(at, "global '" + full + "' is not allowed in a weights file");
    PushText(Kind::kGlobal, full);
  }
  static int64_t IntOf(const ValuePtr& v, const std::string& what, const Machine& m, size_t at) {
    if (v->kind != Kind::kInt) m.Fail(at, what + " is not an integer");
    return v->integer;
  }
  std::vector<int64_t> Ints(const ValuePtr& v, const std::string& what, size_t at) const {
    if (v->kind != Kind::kTuple && v->kind != Kind::kList) Fail(at, what + " is not a tuple");
    std::vector<int64_t> out;
    for (const auto& item : v->items) out.push_back(IntOf(item, what, *this, at));
    return out;
  }

  ValuePtr Call(const ValuePtr& callable, const ValuePtr& args, size_t at) {
    if (callable->kind != Kind::kGlobal) Fail(at, "call of something that is not an allowed global");
    if (args->kind != Kind::kTuple) Fail(at, "call arguments are not a tuple");
    const std::string& f = callable->text;
    const auto& a = args->items;
    if (f == "collections.OrderedDict") {
      if (!a.empty()) Fail(at, "OrderedDict called with arguments");
      return Make(Kind::kDict);
    }
    if (f == "torch._utils._rebuild_tensor_v2") {
      if (a.size() < 4 || a[0]->kind != Kind::kStorage) Fail(at, "_rebuild_tensor_v2 needs (storage, offset, size, stride, ...)");
      auto t = Make(Kind::kTensor);
      t->tensor.storage = a[0]->storage;
      t->tensor.offset = IntOf(a[1], "tensor offset", *this, at);
      t->tensor.shape = Ints(a[2], "tensor size", at);
      t->tensor.stride = Ints(a[3], "tensor stride", at);
      if (t->tensor.shape.size() != t->tensor.stride.size()) Fail(at, "tensor size and stride differ in length");
      return t;
    }
    if (f == "torch._utils._rebuild_parameter") {
      if (a.empty() || a[0]->kind != Kind::kTensor) Fail(at, "_rebuild_parameter needs a tensor");
      return a[0];
    }
    Fail(at, "'" + f + "' cannot be called");  // storage classes are only named in persistent ids
  }

  void Step(uint8_t op, size_t at) {
    switch (op) {
      case 0x80: {  // PROTO
        const uint8_t version = Byte();
        if (version > 5) Fail(at, "pickle protocol " + std::to_string(version) + " is newer than 5");
        break;
      }
      case 0x95: Take(8); break;  // FRAME: a length hint only
      case '(': marks_.push_back(stack_.size()); Push(Make(Kind::kMark)); break;
      case '}': Push(Make(Kind::kDict)); break;
      case ']': Push(Make(Kind::kList)); break;
      case ')': Push(Make(Kind::kTuple)); break;
      case 0x8f: Push(Make(Kind::kList)); break;  // EMPTY_SET, kept as a list
      case 'N': Push(Make(Kind::kNone)); break;
      case 0x88: case 0x89: {  // NEWTRUE / NEWFALSE
        auto v = Make(Kind::kBool);
        v->boolean = op == 0x88;
        Push(v);
        break;
      }
      case 'J': PushInt(Fixed<int32_t>()); break;
      case 'K': PushInt(Fixed<uint8_t>()); break;
      case 'M': PushInt(Fixed<uint16_t>()); break;
      case 0x8a: case 0x8b: {  // LONG1 / LONG4: little-endian two's complement
        const uint64_t n = op == 0x8a ? Fixed<uint8_t>() : Fixed<uint32_t>();
        std::string_view bytes = Take(n);
        if (n > 8) Fail(at, "integer wider than 64 bits");
        int64_t v = 0;
        for (size_t i = 0; i < n; ++i) v |= static_cast<int64_t>(static_cast<uint8_t>(bytes[i])) << (8 * i);
        if (n > 0 && n < 8 && (static_cast<uint8_t>(bytes[n - 1]) & 0x80)) v -= int64_t{1} << (8 * n);
        PushInt(v);
        break;
      }
      case 'I': case 'L': {  // INT / LONG in text (protocol 0, still legal)
        std::string line = Line();
        if (!line.empty() && line.back() == 'L') line.pop_back();
        if (line == "01" || line == "00") {
          auto v = Make(Kind::kBool);
          v->boolean = line == "01";
          Push(v);
          break;
        }
        try {
          size_t used = 0;
          const int64_t v = std::stoll(line, &used);
          if (used != line.size()) throw std::invalid_argument(line);
          PushInt(v);
        } catch (const std::exception&) {
          Fail(at, "bad integer '" + line + "'");
        }
        break;
      }
      case 'G': {  // BINFLOAT: big-endian double
        std::string_view b = Take(8);
        uint64_t bits = 0;
        for (char c : b) bits = (bits << 8) | static_cast<uint8_t>(c);
        auto v = Make(Kind::kFloat);
        std::memcpy(&v->number, &bits, 8);
        Push(v);
        break;
      }
      case 'F': {
        const std::string line = Line();
        auto v = Make(Kind::kFloat);
        try {
          v->number = std::stod(line);
        } catch (const std::exception&) {
          Fail(at, "bad float '" + line + "'");
        }
        Push(v);
        break;
      }
      case 'X': PushText(Kind::kString, Take(Fixed<uint32_t>())); break;
      case 0x8c: PushText(Kind::kString, Take(Fixed<uint8_t>())); break;
      case 0x8d: PushText(Kind::kString, Take(Fixed<uint64_t>())); break;
      case 'T': PushText(Kind::kString, Take(Fixed<uint32_t>())); break;  // BINSTRING (py2 str)
      case 'U': PushText(Kind::kString, Take(Fixed<uint8_t>())); break;
      case 'B': PushText(Kind::kBytes, Take(Fixed<uint32_t>())); break;
      case 'C': PushText(Kind::kBytes, Take(Fixed<uint8_t>())); break;
      case 0x8e: case 0x96: PushText(Kind::kBytes, Take(Fixed<uint64_t>())); break;  // BINBYTES8 / BYTEARRAY8
      case 0x97: Fail(at, "out-of-band buffers (NEXT_BUFFER) are not supported in a weights file");
      case 0x98: Top(at); break;  // READONLY_BUFFER
      case 't': Push(Tuple(PopToMark(at))); break;
      case 0x85: { auto a = Pop(at); Push(Tuple({a})); break; }
      case 0x86: { auto b = Pop(at), a = Pop(at); Push(Tuple({a, b})); break; }
      case 0x87: { auto c = Pop(at), b = Pop(at), a = Pop(at); Push(Tuple({a, b, c})); break; }
      case 'l': { auto v = Make(Kind::kList); v->items = PopToMark(at); Push(v); break; }
      case 'd': case 0x91: {  // DICT / FROZENSET
        auto items = PopToMark(at);
        if (op == 0x91) {
          auto v = Make(Kind::kList);
          v->items = std::move(items);
          Push(v);
          break;
        }
        if (items.size() % 2) Fail(at, "DICT with an odd number of items");
        auto v = Make(Kind::kDict);
        for (size_t i = 0; i < items.size(); i += 2) v->entries.emplace_back(items[i], items[i + 1]);
        Push(v);
        break;
      }
      case 'a': {
        auto item = Pop(at);
        ValuePtr& list = Top(at);
        if (list->kind != Kind::kList) Fail(at, "APPEND to something that is not a list");
        Mutable(list).items.push_back(item);
        break;
      }
      case 'e': case 0x90: {  // APPENDS / ADDITEMS
        auto items = PopToMark(at);
        ValuePtr& list = Top(at);
        if (list->kind != Kind::kList) Fail(at, "APPENDS to something that is not a list");
        for (auto& item : items) Mutable(list).items.push_back(item);
        break;
      }
      case 's': {
        auto value = Pop(at), key = Pop(at);
        ValuePtr& dict = Top(at);
        if (dict->kind != Kind::kDict) Fail(at, "SETITEM on something that is not a dict");
        Mutable(dict).entries.emplace_back(key, value);
        break;
      }
      case 'u': {
        auto items = PopToMark(at);
        ValuePtr& dict = Top(at);
        if (dict->kind != Kind::kDict) Fail(at, "SETITEMS on something that is not a dict");
        if (items.size() % 2) Fail(at, "SETITEMS with an odd number of items");
        for (size_t i = 0; i < items.size(); i += 2) Mutable(dict).entries.emplace_back(items[i], items[i + 1]);
        break;
      }
      case 'q': Memo(Fixed<uint8_t>(), at); break;
      case 'r': Memo(Fixed<uint32_t>(), at); break;
      case 'p': {
        const std::string line = Line();
        try {
          Memo(std::stoull(line), at);
        } catch (const std::logic_error&) {
          Fail(at, "bad PUT index");
        }
        break;
      }
      case 0x94: Memo(memo_.size(), at); break;  // MEMOIZE
      case 'h': Get(Fixed<uint8_t>(), at); break;
      case 'j': Get(Fixed<uint32_t>(), at); break;
      case 'g': {
        const std::string line = Line();
        try {
          Get(std::stoull(line), at);
        } catch (const std::logic_error&) {
          Fail(at, "bad GET index");
        }
        break;
      }
      case 'c': {
        const std::string module = Line();
        const std::string attribute = Line();
        Global(module, attribute, at);
        break;
      }
      case 0x93: {  // STACK_GLOBAL
        auto attribute = Pop(at), module = Pop(at);
        if (module->kind != Kind::kString || attribute->kind != Kind::kString) Fail(at, "STACK_GLOBAL needs two strings");
        Global(module->text, attribute->text, at);
        break;
      }
      case 'R': {
        auto args = Pop(at), callable = Pop(at);
        Push(Call(callable, args, at));
        break;
      }
      case 0x81: {  // NEWOBJ: cls.__new__(cls, *args)
        auto args = Pop(at), cls = Pop(at);
        Push(Call(cls, args, at));
        break;
      }
      case 0x92: {  // NEWOBJ_EX
        auto kwargs = Pop(at), args = Pop(at), cls = Pop(at);
        if (kwargs->kind != Kind::kDict || !kwargs->entries.empty()) Fail(at, "NEWOBJ_EX with keyword arguments");
        Push(Call(cls, args, at));
        break;
      }
      case 'b': {  // BUILD: object state; a state dict's attributes (_metadata) are not needed
        Pop(at);
        Top(at);
        break;
      }
      case 'Q': {  // BINPERSID
        auto pid = Pop(at);
        Push(Persistent(pid, at));
        break;
      }
      case 'P': Fail(at, "text persistent ids (PERSID) are not used by torch.save");
      case '0': Pop(at); break;
      case '1': PopToMark(at); break;
      case '2': Push(Top(at)); break;
      case 'i': case 'o': Fail(at, "INST/OBJ (calls of arbitrary classes) are not allowed in a weights file");
      case 0x82: case 0x83: case 0x84: Fail(at, "extension registry codes (EXT) are not allowed in a weights file");
      default: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", op);
        Fail(at, std::string("unknown pickle opcode ") + hex);
      }
    }
  }

  ValuePtr Persistent(const ValuePtr& pid, size_t at) {
    if (pid->kind != Kind::kTuple || pid->items.size() != 5 || pid->items[0]->kind != Kind::kString ||
        pid->items[0]->text != "storage") {
      Fail(at, "persistent id is not a ('storage', class, key, location, numel) tuple");
    }
    const auto& cls = pid->items[1];
    if (cls->kind != Kind::kGlobal || !StorageClasses().count(cls->text)) Fail(at, "persistent id names no storage class");
    if (pid->items[2]->kind != Kind::kString) Fail(at, "storage key is not a string");
    auto v = Make(Kind::kStorage);
    v->storage.scalar_type = StorageClasses().at(cls->text);
    v->storage.key = pid->items[2]->text;
    v->storage.numel = IntOf(pid->items[4], "storage size", *this, at);
    if (v->storage.numel < 0) Fail(at, "negative storage size");
    return v;
  }

  std::string_view data_;
  std::string name_;
  size_t pos_ = 0;
  std::vector<ValuePtr> stack_;
  std::vector<size_t> marks_;
  std::map<uint64_t, ValuePtr> memo_;
  std::vector<std::shared_ptr<Value>>& arena_;
};

}  // namespace

Unpickled::~Unpickled() {
  root.reset();
  for (auto& v : arena) {
    v->items.clear();
    v->entries.clear();
  }
}

Unpickled Unpickle(std::string_view data, const std::string& name) {
  Unpickled out;
  out.root = Machine(data, name, out.arena).Run();
  return out;
}

}  // namespace sweinfer::torch
