#include "patch/diff_stat.h"

#include <algorithm>

namespace sweinfer::patch {
namespace {

std::string PathOf(std::string_view name) {
  size_t tab = name.find('\t');
  if (tab != std::string_view::npos) name = name.substr(0, tab);
  while (!name.empty() && (name.back() == '\r' || name.back() == ' ')) name.remove_suffix(1);
  if (name == "/dev/null") return "";
  if (name.size() > 2 && (name.substr(0, 2) == "a/" || name.substr(0, 2) == "b/")) name.remove_prefix(2);
  return std::string(name);
}

}  // namespace

DiffStat StatPatch(std::string_view patch) {
  DiffStat stat;
  auto add_path = [&](const std::string& p) {
    if (!p.empty() && std::find(stat.paths.begin(), stat.paths.end(), p) == stat.paths.end()) stat.paths.push_back(p);
  };
  std::vector<std::string_view> lines;
  for (size_t start = 0; start < patch.size();) {
    size_t nl = patch.find('\n', start);
    size_t end = nl == std::string_view::npos ? patch.size() : nl;
    lines.push_back(patch.substr(start, end - start));
    start = end + 1;
  }
  std::string pending_old, git_old, git_new;
  bool in_hunk = false;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (line.rfind("diff --git ", 0) == 0) {
      in_hunk = false;
      std::string_view rest = line.substr(11);
      size_t b = rest.find(" b/");
      git_old = b == std::string_view::npos ? "" : PathOf(rest.substr(0, b));
      git_new = b == std::string_view::npos ? "" : PathOf(rest.substr(b + 1));
      continue;
    }
    if (line.rfind("--- ", 0) == 0 && i + 1 < lines.size() && lines[i + 1].rfind("+++ ", 0) == 0) {
      in_hunk = false;
      pending_old = PathOf(line.substr(4));
      std::string target = PathOf(lines[i + 1].substr(4));
      add_path(target.empty() ? pending_old : target);
      ++i;
      continue;
    }
    if (line.rfind("rename to ", 0) == 0) add_path(std::string(line.substr(10)));
    if (line.rfind("rename from ", 0) == 0) add_path(std::string(line.substr(12)));
    if (line.rfind("@@ ", 0) == 0) {
      in_hunk = true;
      continue;
    }
    if (!in_hunk || line.empty()) continue;
    if (line[0] == '+') ++stat.lines_added;
    else if (line[0] == '-') ++stat.lines_removed;
    else if (line[0] != ' ' && line[0] != '\\') in_hunk = false;
  }
  if (stat.paths.empty() && !git_new.empty()) add_path(git_new);
  return stat;
}

}  // namespace sweinfer::patch
