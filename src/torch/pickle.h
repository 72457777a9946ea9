// A pickle reader for weights files that never executes anything from the file. It implements the
// opcodes of protocols 2-5 as a stack machine over plain values (None, bools, integers, floats,
// strings, bytes, tuples, lists, dicts) and knows a fixed list of globals, those that
// torch.load(weights_only=True) accepts for weights: collections.OrderedDict,
// torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter and the typed storage classes.
// A call (REDUCE / NEWOBJ) is evaluated only for those, by code written here; any other global,
// and INST / OBJ / EXT, is refused with an Error naming it. Persistent ids (BINPERSID) become
// Storage references that the checkpoint reader resolves against the archive's data/ entries.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sweinfer::torch {

struct Value;
using ValuePtr = std::shared_ptr<const Value>;

// A storage named by a persistent id: ('storage', <class>, key, location, numel).
struct StorageRef {
  std::string scalar_type;  // "float32", "float16", "bfloat16", "float64", "int64", ...
  std::string key;          // the archive's data/<key>
  int64_t numel = 0;
};

// torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...).
struct TensorRef {
  StorageRef storage;
  int64_t offset = 0;  // in elements
  std::vector<int64_t> shape, stride;
};

struct Value {
  enum class Kind { kNone, kBool, kInt, kFloat, kString, kBytes, kTuple, kList, kDict, kGlobal, kStorage, kTensor, kMark };
  Kind kind = Kind::kNone;
  bool boolean = false;
  int64_t integer = 0;
  double number = 0;
  std::string text;  // string, bytes, or a global's "module.name"
  std::vector<ValuePtr> items;  // tuple, list
  std::vector<std::pair<ValuePtr, ValuePtr>> entries;  // dict, in insertion order
  StorageRef storage;
  TensorRef tensor;
};

// What a pickle built: the root value and every value made on the way. Values may share or even
// contain each other (a pickle can build cycles); the arena owns them all and unlinks them when it
// goes, so neither a cycle nor a deep nesting outlives it or overflows the stack.
class Unpickled {
 public:
  Unpickled() = default;
  Unpickled(Unpickled&&) = default;
  Unpickled& operator=(Unpickled&&) = default;
  ~Unpickled();
  ValuePtr root;
  std::vector<std::shared_ptr<Value>> arena;
};

// Runs the pickle in `data`; `name` is for messages ("file.pt: data.pkl").
Unpickled Unpickle(std::string_view data, const std::string& name);

}  // namespace sweinfer::torch
