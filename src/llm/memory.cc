#include "llm/memory.h"

#include <cstdio>

#include "util/error.h"

namespace sweinfer::llm {

namespace {

constexpr uint64_t kMargin = uint64_t{256} << 20;

// Bytes of every matrix of `m` as `recipe` would store it (as stored when there is none).
uint64_t WeightBytes(const LlamaModel& m, const std::optional<QuantRecipe>& recipe) {
  const int n = m.config.n_layers;
  auto bytes = [&](const Matrix& w, const std::string& role, int layer) -> uint64_t {
    const DType type = recipe ? recipe->TypeFor(role, layer, n, w.cols) : w.dtype;
    return RowBytes(type, w.cols) * static_cast<uint64_t>(w.rows);
  };
  static const char* kRoles[] = {"wq", "wk", "wv", "wo", "w_gate", "w_up", "w_down"};
  uint64_t total = 0;
  for (int l = 0; l < n; ++l) {
    const auto matrices = m.layers[l].matrices();
    for (size_t i = 0; i < matrices.size(); ++i) total += bytes(*matrices[i], kRoles[i], l);
    total += (m.layers[l].attn_norm.size() + m.layers[l].ffn_norm.size()) * 4;
  }
  const bool tied = m.output.data == m.embed.data;
  total += bytes(m.output, "output", 0);
  if (!tied) total += bytes(m.embed, "embed", 0);
  return total + m.final_norm.size() * 4;
}

std::string GiB(uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f GiB", static_cast<double>(bytes) / (1u << 30));
  return text;
}

}  // namespace

MemoryNeeds EstimateMemory(const LlamaModel& m, const std::optional<QuantRecipe>& recipe, int context) {
  MemoryNeeds needs;
  const auto& c = m.config;
  int64_t params = static_cast<int64_t>(m.embed.rows) * m.embed.cols + c.dim;
  if (m.output.data != m.embed.data) params += static_cast<int64_t>(m.output.rows) * m.output.cols;
  for (const auto& L : m.layers) {
    for (const Matrix* w : L.matrices()) params += w->rows * w->cols;
    params += 2 * c.dim;
  }
  needs.parameters = params;
  needs.weights_type = recipe ? recipe->name : DTypeName(m.weight_dtype());
  needs.weight_bytes = WeightBytes(m, recipe);
  const uint64_t kv_element = m.weight_dtype() == DType::kF32 ? 4 : 2;
  needs.kv_bytes_per_token = 2 * static_cast<uint64_t>(c.n_layers) * c.n_kv_heads * c.head_dim * kv_element;
  needs.context = context;
  needs.margin_bytes = kMargin;
  for (const char* name : {"q8_0", "q4_k_m"}) {
    const uint64_t weights = WeightBytes(m, ParseQuantRecipe(name));
    needs.alternatives.emplace_back(name, weights + needs.kv_bytes_per_token * static_cast<uint64_t>(context) + kMargin);
  }
  return needs;
}

void CheckFits(const MemoryNeeds& needs, uint64_t available) {
  if (needs.total() <= available) return;
  std::string message = "the model needs " + GiB(needs.total()) + " (" + std::to_string(needs.parameters) +
                        " parameters as " + needs.weights_type + ": " + GiB(needs.weight_bytes) + "; KV cache " +
                        GiB(needs.kv_bytes_per_token * static_cast<uint64_t>(needs.context)) + " for " +
                        std::to_string(needs.context) + " tokens; " + GiB(needs.margin_bytes) +
                        " for buffers) but " + GiB(available) + " is available";
  std::string fits;
  for (const auto& [name, total] : needs.alternatives) {
    if (total <= available && name != needs.weights_type) {
      fits = name + " (" + GiB(total) + ")";
      break;
    }
  }
  message += fits.empty() ? "; no --quantize recipe fits either: use a machine with more memory or a shorter --max_len"
                          : "; --quantize " + fits + " would fit";
  throw Error(message);
}

}  // namespace sweinfer::llm
