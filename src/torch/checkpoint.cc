#include "torch/checkpoint.h"

#include "torch/pickle.h"
#include "torch/zip_archive.h"
#include "util/error.h"

namespace sweinfer::torch {

namespace {

using Kind = Value::Kind;

int ElementBytes(const std::string& scalar_type) {
  if (scalar_type == "float32" || scalar_type == "int32") return 4;
  if (scalar_type == "float16" || scalar_type == "bfloat16" || scalar_type == "int16") return 2;
  if (scalar_type == "float64" || scalar_type == "int64") return 8;
  return 1;
}

bool IsFloat(const std::string& scalar_type) {
  return scalar_type == "float32" || scalar_type == "float16" || scalar_type == "bfloat16";
}

bool IsStateDict(const Value& v) {
  if (v.kind != Kind::kDict) return false;
  for (const auto& [key, value] : v.entries) {
    if (value->kind == Kind::kTensor) return true;
  }
  return false;
}

}  // namespace

Checkpoint ReadCheckpoint(std::string_view bytes, const std::string& name) {
  if (bytes.size() >= 2 && static_cast<uint8_t>(bytes[0]) == 0x80 && static_cast<uint8_t>(bytes[1]) <= 5) {
    throw Error("'" + name + "': a pre-1.6 (non-zip) torch file; load and save it again with torch >= 1.6, or convert it "
                "to safetensors");
  }
  ZipArchive zip(bytes, name);
  const ZipArchive::Entry* pickle = nullptr;
  for (const auto& e : zip.entries()) {
    const size_t slash = e.name.find('/');
    if (slash != std::string::npos && e.name.substr(slash) == "/data.pkl") {
      pickle = &e;
      break;
    }
  }
  if (!pickle) throw Error("'" + name + "': no <archive>/data.pkl entry; not a torch.save file");
  const std::string prefix = pickle->name.substr(0, pickle->name.size() - 8);  // "<archive>/"
  if (const auto* order = zip.Find(prefix + "byteorder")) {
    const std::string value = zip.Read(*order);
    if (value != "little") throw Error("'" + name + "': byte order '" + value + "' is not supported (little-endian only)");
  }
  const std::string where = name + ": " + pickle->name;
  Unpickled pickled = Unpickle(zip.Read(*pickle), where);
  const Value* dict = pickled.root.get();
  if (!IsStateDict(*dict) && dict->kind == Kind::kDict) {
    for (const auto& [key, value] : dict->entries) {
      if (key->kind == Kind::kString && IsStateDict(*value) &&
          (key->text == "model" || key->text == "state_dict" || key->text == "module" || key->text == "model_state_dict")) {
        dict = value.get();
        break;
      }
    }
  }
  if (!IsStateDict(*dict)) throw Error(where + ": holds no state dict (a dict of tensors)");
  Checkpoint out;
  for (const auto& [key, value] : dict->entries) {
    if (key->kind != Kind::kString || value->kind != Kind::kTensor) continue;
    const std::string& tensor_name = key->text;
    const TensorRef& t = value->tensor;
    const std::string at = "'" + name + "', tensor '" + tensor_name + "'";
    if (!IsFloat(t.storage.scalar_type)) {
      out.skipped.push_back(tensor_name);
      continue;
    }
    // Contiguous row-major strides (a dimension of size 1 may carry any stride).
    int64_t numel = 1, expected = 1;
    for (size_t d = t.shape.size(); d-- > 0;) {
      if (t.shape[d] < 0) throw Error(at + ": negative size");
      if (t.shape[d] != 1 && t.stride[d] != expected) {
        throw Error(at + ": non-contiguous (strides do not follow its shape); save it after .contiguous()");
      }
      if (t.shape[d] != 0 && expected > (int64_t{1} << 40) / t.shape[d]) throw Error(at + ": too large");
      expected *= t.shape[d];
    }
    numel = expected;
    if (t.offset < 0 || t.offset > t.storage.numel || numel > t.storage.numel - t.offset) {
      throw Error(at + ": lies outside its storage");
    }
    const ZipArchive::Entry* data = zip.Find(prefix + "data/" + t.storage.key);
    if (!data) throw Error(at + ": storage entry data/" + t.storage.key + " is missing");
    const std::string_view storage = zip.Stored(*data);
    const int element = ElementBytes(t.storage.scalar_type);
    if (storage.size() < static_cast<uint64_t>(t.storage.numel) * element) {
      throw Error(at + ": storage data/" + t.storage.key + " is shorter than its " + std::to_string(t.storage.numel) +
                  " values");
    }
    StoredTensor stored;
    stored.scalar_type = t.storage.scalar_type;
    stored.shape = t.shape;
    stored.bytes = storage.substr(static_cast<size_t>(t.offset) * element, static_cast<size_t>(numel) * element);
    out.tensors[tensor_name] = std::move(stored);
  }
  return out;
}

}  // namespace sweinfer::torch
