#include "patch/apply_result.h"

namespace sweinfer::patch {

const char* HunkOutcomeName(HunkOutcome outcome) {
  switch (outcome) {
    case HunkOutcome::kApplied: return "applied";
    case HunkOutcome::kOffset: return "offset";
    case HunkOutcome::kFuzz: return "fuzz";
    case HunkOutcome::kRejected: return "rejected";
  }
  return "rejected";
}

std::vector<std::string> SplitLinesKeepEnds(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    size_t end = nl == std::string::npos ? text.size() : nl + 1;
    lines.emplace_back(text, start, end - start);
    start = end;
  }
  return lines;
}

}  // namespace sweinfer::patch
