// What the SWE-bench harness does with a prediction's patch, decided in memory: it runs
// `git apply --verbose`, then `git apply --verbose --reject`, then `patch --batch --fuzz=5 -p1 -i`
// in the same container without cleaning up between them, and takes the first that exits 0. So a
// failed --reject leaves the hunks it could apply in place for GNU patch to meet (which then often
// takes them for a reversed patch). Empty and missing patches are reported as such.
#pragma once

#include <optional>
#include <string>

#include "patch/apply_result.h"

namespace sweinfer::patch {

struct HarnessApplication {
  std::string category;                      // "null", "empty", "applied" or "not applied"
  std::optional<std::string> applies_with;   // "git apply", "git apply --reject", "patch" or nullopt
  ToolResult git_apply, git_apply_reject, gnu_patch;
  // The tree's touched paths after the accepting command (nullopt: deleted); empty when none accepts.
  std::map<std::string, std::optional<std::string>> contents;
  // The run whose per-hunk report best tells what happened: the accepting one, else GNU patch's
  // (the last the harness tries), else git's when the patch did not even parse for GNU patch.
  const ToolResult& report() const;
};

// `patch` nullopt is a null prediction. `max_fuzz` is the harness's --fuzz.
HarnessApplication ApplyLikeHarness(const std::optional<std::string>& patch, const FileSource& tree, int max_fuzz = 5);

}  // namespace sweinfer::patch
