// Getting a patch out of a model's answer, as the reference does: extract_diff (tags, then fenced
// blocks, then everything before "</s>"), repair_patch (recomputes hunk headers) and
// extract_minimal_patch (drops context around the edits). Results equal the reference's on its
// conformance data, including its quirks (unanchored lookaheads, Unicode digits and spaces).
// Where the reference raises, these throw PatchExtractError carrying Python's exception text.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "util/error.h"

namespace sweinfer::patch {

class PatchExtractError : public Error {
 public:
  using Error::Error;  // message like "IndexError: list index out of range"
};

// extract_diff(response); nullopt in, nullopt out.
std::optional<std::string> ExtractDiff(const std::optional<std::string>& response);
std::string ExtractDiff(std::string_view response);

// repair_patch(model_patch); nullopt in, nullopt out.
std::optional<std::string> RepairPatch(const std::optional<std::string>& model_patch);

// extract_minimal_patch(model_patch); throws PatchExtractError for nullopt, as the reference does.
std::string ExtractMinimalPatch(const std::optional<std::string>& model_patch);

}  // namespace sweinfer::patch
