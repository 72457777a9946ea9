// The tensors of a torch.save file (the zip format of PyTorch >= 1.6): `<archive>/data.pkl` read by
// the restricted unpickler (torch/pickle.h), each tensor resolved against its storage entry
// `<archive>/data/<key>`, with offsets and strides honoured: a contiguous tensor is a view into the
// stored entry (so a mapped file's weights stay in place, in their stored type); a non-contiguous
// one is refused with its name. The state dict is the top-level dict, or the one held under
// "model", "state_dict", "module" or "model_state_dict" (training checkpoints). Tensors of
// non-float types (int64 buffers and the like) are listed in `skipped`, not returned.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace sweinfer::torch {

struct StoredTensor {
  std::string scalar_type;  // "float32", "float16" or "bfloat16"
  std::vector<int64_t> shape;
  std::string_view bytes;  // little-endian values, row-major
};

struct Checkpoint {
  std::map<std::string, StoredTensor> tensors;
  std::vector<std::string> skipped;
};

// `bytes` (the whole file, usually mapped) must outlive the result; `name` is for messages.
Checkpoint ReadCheckpoint(std::string_view bytes, const std::string& name);

}  // namespace sweinfer::torch
