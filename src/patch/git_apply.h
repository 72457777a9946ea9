// `git apply` (git 2.39, default options, -p1) on an in-memory tree: its patch parser (strict hunk
// counts, "corrupt patch at line N", headers found as git's find_header finds them), its matching
// (exact lines, searched outward from the hunk's new position, hunks without leading or trailing
// context pinned to the start or end of the file, patched lines never matched twice) and, with
// `reject`, the partial result `git apply --reject` leaves in the working tree.
#pragma once

#include <string_view>

#include "patch/apply_result.h"

namespace sweinfer::patch {

struct GitApplyOptions {
  bool reject = false;  // --reject: apply what applies, report the rest (exit status stays 1)
};

// Never throws for a bad patch: a parse error is `error` with exit code 128; a hunk that does not
// apply makes exit code 1. With `reject`, `contents` holds what --reject writes even on failure;
// without it, `contents` is filled only when every hunk applies (git apply is atomic).
ToolResult GitApply(std::string_view patch_text, const FileSource& tree, const GitApplyOptions& options = {});

}  // namespace sweinfer::patch
