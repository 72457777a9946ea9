// What a patch touches, read leniently (a model's patch need not parse): the paths it edits, in
// order of first appearance ("+++ b/x", or "--- a/x" for a deletion, or the "diff --git" names),
// and how many lines its hunks add and remove.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sweinfer::patch {

struct DiffStat {
  std::vector<std::string> paths;
  int64_t lines_added = 0, lines_removed = 0;
};

DiffStat StatPatch(std::string_view patch);

}  // namespace sweinfer::patch
