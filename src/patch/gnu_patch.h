// GNU patch 2.7 as the SWE-bench harness runs it (`patch --batch --fuzz=N -p1 -i FILE`) on an
// in-memory tree: its lenient reader (garbage between files skipped, a last line without "\n"
// dropped, up to two chopped blank lines at the end assumed, "malformed patch at line N" fatal),
// its search (outward from the expected line plus the running offset, then with 1..N context lines
// fuzzed off each end), its reversed-patch guess on the first hunk (--batch assumes -R) and its
// output rules (file creation, deletion only when nothing is left).
#pragma once

#include <string_view>

#include "patch/apply_result.h"

namespace sweinfer::patch {

struct GnuPatchOptions {
  int max_fuzz = 5;
};

// Never throws for a bad patch: exit code 2 with `error` for a fatal one, 1 when a hunk or file
// failed, 0 when all applied. `contents` is what a real (non-dry) run leaves for every path it
// wrote, including files written with some hunks rejected.
ToolResult GnuPatch(std::string_view patch_text, const FileSource& tree, const GnuPatchOptions& options = {});

}  // namespace sweinfer::patch
