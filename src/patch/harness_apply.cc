#include "patch/harness_apply.h"

#include "patch/git_apply.h"
#include "patch/gnu_patch.h"

namespace sweinfer::patch {

const ToolResult& HarnessApplication::report() const {
  if (applies_with == "git apply") return git_apply;
  if (applies_with == "git apply --reject") return git_apply_reject;
  if (applies_with == "patch") return gnu_patch;
  if (gnu_patch.exit_code == 2 && git_apply.exit_code != 128) return git_apply;
  return gnu_patch;
}

HarnessApplication ApplyLikeHarness(const std::optional<std::string>& patch, const FileSource& tree, int max_fuzz) {
  HarnessApplication result;
  if (!patch) {
    result.category = "null";
    return result;
  }
  if (patch->find_first_not_of(" \t\r\n") == std::string::npos) {
    result.category = "empty";
    return result;
  }
  result.git_apply = GitApply(*patch, tree);
  if (result.git_apply.ok()) {
    result.category = "applied";
    result.applies_with = "git apply";
    result.contents = result.git_apply.contents;
    return result;
  }
  result.git_apply_reject = GitApply(*patch, tree, {.reject = true});
  if (result.git_apply_reject.ok()) {
    result.category = "applied";
    result.applies_with = "git apply --reject";
    result.contents = result.git_apply_reject.contents;
    return result;
  }
  // GNU patch meets the tree as the failed --reject left it.
  TreeOverlay after_reject(tree);
  for (const auto& [path, content] : result.git_apply_reject.contents) after_reject.Write(path, content);
  result.gnu_patch = GnuPatch(*patch, after_reject.AsSource(), {.max_fuzz = max_fuzz});
  if (result.gnu_patch.ok()) {
    result.category = "applied";
    result.applies_with = "patch";
    for (const auto& [path, content] : result.gnu_patch.contents) after_reject.Write(path, content);
    result.contents = after_reject.changes();
    return result;
  }
  result.category = "not applied";
  return result;
}

}  // namespace sweinfer::patch
