// The in-memory `git apply` and GNU `patch` against the real programs, on real trees: every gold
// patch, test patch and SWE-Llama prediction of the shared repositories, and seeded mutations of
// them that make offsets, fuzz 1-5, reversed and already-applied patches, CRLF, missing final
// newlines, truncation, wrong counts, missing files, reordered and duplicated hunks, and garbage
// between sections. The verdicts (exit status 0 or not) must agree for >= 99.5% of the cases and the
// files must be byte-identical whenever both accept. Skips when git, patch or ../shared is absent.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "dataset/jsonl.h"
#include "git/repository.h"
#include "patch/git_apply.h"
#include "patch/gnu_patch.h"
#include "patch/harness_apply.h"
#include "test_support.h"
#include "util/error.h"

namespace sweinfer::patch {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::WriteFile;

bool HaveProgram(const char* name) {
  std::string cmd = std::string("command -v ") + name + " >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

std::string JoinLines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// Paths a patch could name (after dropping the first component), for copying them out of the tree.
std::set<std::string> NamedPaths(const std::string& patch) {
  std::set<std::string> names;
  auto strip = [&](std::string v) {
    size_t tab = v.find('\t');
    if (tab != std::string::npos) v.resize(tab);
    while (!v.empty() && (v.back() == '\r' || v.back() == ' ')) v.pop_back();
    size_t slash = v.find('/');
    if (slash != std::string::npos) names.insert(v.substr(slash + 1));
    names.insert(v);
  };
  for (const auto& line : Lines(patch)) {
    if (line.rfind("diff --git ", 0) == 0) {
      std::string rest = line.substr(11);
      size_t sp = rest.find(" b/");
      if (sp != std::string::npos) {
        strip(rest.substr(0, sp));
        strip(rest.substr(sp + 1));
      }
    } else if (line.rfind("--- ", 0) == 0 || line.rfind("+++ ", 0) == 0) {
      strip(line.substr(4));
    } else if (line.rfind("rename from ", 0) == 0 || line.rfind("rename to ", 0) == 0) {
      names.insert(line.substr(line.find(' ', 7) + 1));
    }
  }
  return names;
}

// Seeded mutations that reach the tools' corner cases.
std::string Mutate(const std::string& patch, int kind, std::mt19937& rng) {
  std::vector<std::string> lines = Lines(patch);
  std::vector<size_t> headers, context, body;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].rfind("@@ -", 0) == 0) headers.push_back(i);
    else if (!headers.empty() && !lines[i].empty() && lines[i][0] == ' ') context.push_back(i);
    if (!headers.empty() && i > headers.front() && !lines[i].empty() && (lines[i][0] == ' ' || lines[i][0] == '+' || lines[i][0] == '-') &&
        lines[i].rfind("--- ", 0) != 0 && lines[i].rfind("+++ ", 0) != 0)
      body.push_back(i);
  }
  auto pick = [&](const std::vector<size_t>& v) { return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)]; };
  auto shift_header = [&](size_t i, int delta_old, int delta_new) {
    int a, b = 1, c, d = 1;
    std::string& h = lines[i];
    if (std::sscanf(h.c_str(), "@@ -%d,%d +%d,%d @@", &a, &b, &c, &d) == 4 ||
        std::sscanf(h.c_str(), "@@ -%d +%d,%d @@", &a, &c, &d) == 3) {
      size_t end = h.find(" @@", 3);
      std::string tail = end == std::string::npos ? "" : h.substr(end + 3);
      h = "@@ -" + std::to_string(std::max(0, a + delta_old)) + "," + std::to_string(b) + " +" +
          std::to_string(std::max(0, c + delta_new)) + "," + std::to_string(d) + " @@" + tail;
    }
  };
  switch (kind) {
    case 0: {  // offsets
      int delta = std::uniform_int_distribution<int>(-9, 9)(rng);
      for (size_t h : headers) shift_header(h, delta, delta);
      break;
    }
    case 1:  // a changed context line anywhere (fuzz or failure)
      if (!context.empty()) lines[pick(context)] += " # changed";
      break;
    case 2: {  // the first 1-3 and last context lines of a hunk changed (fuzz 1-3)
      if (headers.empty()) break;
      size_t h = pick(headers);
      int n = std::uniform_int_distribution<int>(1, 3)(rng);
      for (size_t i = h + 1; i < lines.size() && n > 0 && !lines[i].empty() && lines[i][0] == ' '; ++i, --n) lines[i] += "  ";
      size_t end = h + 1;
      while (end < lines.size() && lines[end].rfind("@@", 0) != 0 && lines[end].rfind("diff ", 0) != 0) ++end;
      if (end > h + 1 && !lines[end - 1].empty() && lines[end - 1][0] == ' ') lines[end - 1] += "x";
      break;
    }
    case 3: {  // no newline at the end of the patch
      std::string text = JoinLines(lines);
      if (!text.empty()) text.pop_back();
      return text;
    }
    case 4:  // a body line lost (wrong counts)
      if (!body.empty()) lines.erase(lines.begin() + static_cast<long>(pick(body)));
      break;
    case 5:  // truncated
      if (lines.size() > 4) lines.resize(std::uniform_int_distribution<size_t>(3, lines.size() - 1)(rng));
      break;
    case 6: {  // CRLF
      std::string text = JoinLines(lines), out;
      for (char c : text) {
        if (c == '\n') out += '\r';
        out += c;
      }
      return out;
    }
    case 7:  // reversed
      for (auto& l : lines) {
        if (l.rfind("--- ", 0) == 0 || l.rfind("+++ ", 0) == 0) continue;
        if (!l.empty() && l[0] == '+') l[0] = '-';
        else if (!l.empty() && l[0] == '-') l[0] = '+';
      }
      for (size_t h : headers) {
        int a, b = 1, c, d = 1;
        if (std::sscanf(lines[h].c_str(), "@@ -%d,%d +%d,%d @@", &a, &b, &c, &d) == 4)
          lines[h] = "@@ -" + std::to_string(c) + "," + std::to_string(d) + " +" + std::to_string(a) + "," + std::to_string(b) + " @@";
      }
      break;
    case 8:  // the whole patch twice (the second copy is already applied)
      return JoinLines(lines) + JoinLines(lines);
    case 9:  // a file that does not exist
      for (auto& l : lines) {
        for (std::string p : {"a/", "b/"}) {
          size_t at = l.find(" " + p);
          if (l.rfind("diff --git", 0) == 0 || l.rfind("--- ", 0) == 0 || l.rfind("+++ ", 0) == 0) {
            if (at != std::string::npos) l.insert(at + 3, "missing_");
          }
        }
      }
      break;
    case 10: {  // no git header lines
      std::vector<std::string> kept;
      for (auto& l : lines)
        if (l.rfind("diff --git", 0) != 0 && l.rfind("index ", 0) != 0) kept.push_back(l);
      lines = kept;
      break;
    }
    case 11:  // prose around and between sections
      lines.insert(lines.begin(), "Here is the fix for the issue:");
      for (size_t i = lines.size(); i-- > 1;)
        if (lines[i].rfind("diff --git", 0) == 0) lines.insert(lines.begin() + static_cast<long>(i), "And then:");
      lines.push_back("This patch resolves the bug.");
      break;
    case 12:  // a count off by one
      if (!headers.empty()) {
        size_t h = pick(headers);
        int a, b = 1, c, d = 1;
        if (std::sscanf(lines[h].c_str(), "@@ -%d,%d +%d,%d @@", &a, &b, &c, &d) == 4)
          lines[h] = "@@ -" + std::to_string(a) + "," + std::to_string(b + 1) + " +" + std::to_string(c) + "," + std::to_string(d + 1) + " @@";
      }
      break;
    case 13:  // large offsets, both directions, different per hunk
      for (size_t h : headers) {
        int delta = std::uniform_int_distribution<int>(-60, 60)(rng);
        shift_header(h, delta, delta);
      }
      break;
    case 14:  // the first hunk's context changed at both ends by up to 5 lines (fuzz up to 5)
      if (!headers.empty()) {
        size_t h = headers.front();
        int n = std::uniform_int_distribution<int>(1, 5)(rng);
        for (size_t i = h + 1, k = 0; i < lines.size() && k < static_cast<size_t>(n) && !lines[i].empty() && lines[i][0] == ' '; ++i, ++k)
          lines[i] += "~";
      }
      break;
  }
  return JoinLines(lines);
}

struct ToolRun {
  int exit_code;
  std::map<std::string, std::optional<std::string>> files;  // every named path after the run
};

ToolRun RunReal(const std::string& command, const std::string& dir, const std::string& patch_file,
                const std::set<std::string>& names) {
  std::string cmd = "cd '" + dir + "' && " + command + " '" + patch_file + "' >/dev/null 2>&1";
  int status = std::system(cmd.c_str());
  ToolRun run{WIFEXITED(status) ? WEXITSTATUS(status) : -1, {}};
  for (const auto& n : names) {
    fs::path p = fs::path(dir) / n;
    if (fs::is_regular_file(p)) run.files[n] = ReadFile(p.string());
    else run.files[n] = std::nullopt;
  }
  return run;
}

void Materialize(const git::TreeSnapshot& tree, const std::set<std::string>& names, const std::string& dir) {
  fs::create_directories(dir);
  for (const auto& n : names) {
    if (n.empty() || n.find("..") != std::string::npos || n[0] == '/') continue;
    auto bytes = tree.ReadFile(n).bytes;
    if (!bytes || !tree.IsFile(n)) continue;
    fs::create_directories((fs::path(dir) / n).parent_path());
    WriteFile((fs::path(dir) / n).string(), *bytes);
  }
}

TEST(PatchToolsConformance, AgreesWithRealGitAndGnuPatch) {
  SWEINFER_REQUIRE_SHARED(shared);
  if (!HaveProgram("git") || !HaveProgram("patch")) GTEST_SKIP() << "git or GNU patch is not installed";
  std::map<std::string, dataset::Record> instances;
  for (const char* f : {"lite_test.jsonl", "verified_test.jsonl"}) {
    for (auto& r : dataset::ReadJsonl(shared + "/swebench/" + f)) instances[r["instance_id"]] = r;
  }
  std::map<std::string, std::string> predictions;
  for (const auto& e : fs::directory_iterator(shared + "/predictions")) {
    for (auto& r : dataset::ReadJsonl(e.path().string())) {
      if (r["model_patch"].is_string()) predictions[r["instance_id"]] = r["model_patch"];
    }
  }
  struct Case {
    std::string name, repo, commit, patch;
  };
  std::vector<Case> cases;
  std::mt19937 rng(20261130);
  std::map<std::string, std::shared_ptr<git::Repository>> repos;
  for (const auto& [id, r] : instances) {
    std::string slug = r["repo"];
    std::string dir_slug = slug;
    std::replace(dir_slug.begin(), dir_slug.end(), '/', '_');
    dir_slug.insert(dir_slug.find('_'), "_");
    auto path = git::Repository::FindInDirectory(shared + "/repos", dir_slug);
    if (!path) continue;
    if (!repos.count(slug)) {
      try {
        repos[slug] = std::make_shared<git::Repository>(git::Repository::Open(*path));
      } catch (const sweinfer::Error&) {
        repos[slug] = nullptr;  // not a complete repository (no refs): its instances are left out
      }
    }
    if (!repos[slug]) continue;
    if (!repos[slug]->HasCommit(r["base_commit"].get<std::string>())) continue;
    std::string gold = r["patch"], test = r["test_patch"];
    cases.push_back({id + "/gold", slug, r["base_commit"], gold});
    cases.push_back({id + "/test_patch", slug, r["base_commit"], test});
    if (predictions.count(id)) cases.push_back({id + "/prediction", slug, r["base_commit"], predictions[id]});
    for (int k = 0; k < 8; ++k) {
      int kind = std::uniform_int_distribution<int>(0, 14)(rng);
      const std::string& source = (k % 3 == 2 && predictions.count(id)) ? predictions[id] : k % 4 == 3 ? test : gold;
      std::string mutated = Mutate(source, kind, rng);
      std::string name = id + "/mut" + std::to_string(kind);
      if (k >= 5) {  // two mutations on top of each other
        int second = std::uniform_int_distribution<int>(0, 14)(rng);
        mutated = Mutate(mutated, second, rng);
        name += "+" + std::to_string(second);
      }
      cases.push_back({name, slug, r["base_commit"], mutated});
    }
  }
  ASSERT_GT(cases.size(), 100u);
  size_t instance_count = 0, prediction_count = 0;
  for (const auto& c : cases) {
    instance_count += c.name.size() > 5 && c.name.compare(c.name.size() - 5, 5, "/gold") == 0;
    prediction_count += c.name.size() > 11 && c.name.compare(c.name.size() - 11, 11, "/prediction") == 0;
  }
  testing::ScratchDir scratch;
  int harness_agree = 0, git_agree = 0, gnu_agree = 0, total = 0, both_accept_git = 0, both_accept_gnu = 0;
  std::vector<std::string> disagreements, content_mismatches;
  std::map<std::string, int> seen;  // what the cases exercised
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    git::TreeSnapshot tree = repos[c.repo]->Snapshot(c.commit);
    std::set<std::string> names = NamedPaths(c.patch);
    std::string patch_file = scratch / ("case" + std::to_string(i) + ".diff");
    WriteFile(patch_file, c.patch);
    std::string git_dir = scratch / ("git" + std::to_string(i)), gnu_dir = scratch / ("gnu" + std::to_string(i));
    Materialize(tree, names, git_dir);
    Materialize(tree, names, gnu_dir);
    FileSource source = [&](const std::string& p) -> std::optional<std::string> {
      if (!tree.IsFile(p)) return std::nullopt;
      return tree.ReadFile(p).bytes;
    };
    ToolRun real_git = RunReal("git apply --verbose", git_dir, patch_file, names);
    ToolRun real_gnu = RunReal("patch --batch --fuzz=5 -p1 -i", gnu_dir, patch_file, names);
    ToolResult ours_git = GitApply(c.patch, source);
    ToolResult ours_gnu = GnuPatch(c.patch, source);
    ++total;
    for (const auto& f : ours_gnu.files) {
      if (f.reversed) ++seen["patch: reversed"];
      for (const auto& h : f.hunks) {
        std::string key = std::string("patch: ") + HunkOutcomeName(h.outcome);
        if (h.fuzz) key.append(" ").append(std::to_string(h.fuzz));
        ++seen[key];
      }
    }
    for (const auto& f : ours_git.files)
      for (const auto& h : f.hunks) ++seen[std::string("git: ") + HunkOutcomeName(h.outcome)];
    ++seen["git exit " + std::to_string(real_git.exit_code)];
    ++seen["patch exit " + std::to_string(real_gnu.exit_code)];
    auto compare = [&](const char* tool, const ToolRun& real, const ToolResult& ours, int* agree, int* both) {
      if ((real.exit_code == 0) == ours.ok()) {
        ++*agree;
      } else {
        disagreements.push_back(std::string(tool) + " " + c.name + ": real exit " + std::to_string(real.exit_code) +
                                ", ours " + std::to_string(ours.exit_code) + " " + ours.error);
      }
      if (real.exit_code == 0 && ours.ok()) {
        ++*both;
        for (const auto& [path, after] : real.files) {
          auto it = ours.contents.find(path);
          std::optional<std::string> mine = it != ours.contents.end() ? it->second : source(path);
          if (mine != after) {
            content_mismatches.push_back(std::string(tool) + " " + c.name + ": " + path);
            if (const char* keep = std::getenv("SWEINFER_KEEP_MISMATCHES")) {
              WriteFile(std::string(keep) + "/" + std::to_string(i) + ".diff", c.patch);
              WriteFile(std::string(keep) + "/" + std::to_string(i) + ".ours", mine.value_or("<deleted>"));
              WriteFile(std::string(keep) + "/" + std::to_string(i) + ".real", after.value_or("<deleted>"));
              WriteFile(std::string(keep) + "/" + std::to_string(i) + ".orig", source(path).value_or("<absent>"));
            }
          }
        }
      }
    };
    compare("git", real_git, ours_git, &git_agree, &both_accept_git);
    compare("patch", real_gnu, ours_gnu, &gnu_agree, &both_accept_gnu);
    // The harness's own sequence in one directory, nothing cleaned up in between.
    std::string harness_dir = scratch / ("harness" + std::to_string(i));
    Materialize(tree, names, harness_dir);
    std::string step_file = scratch / "step";
    std::string cmd = "cd '" + harness_dir + "' && { git apply --verbose '" + patch_file + "' >/dev/null 2>&1 && echo 'git apply' || " +
                      "{ git apply --verbose --reject '" + patch_file + "' >/dev/null 2>&1 && echo 'git apply --reject' || " +
                      "{ patch --batch --fuzz=5 -p1 -i '" + patch_file + "' >/dev/null 2>&1 && echo patch || echo none; }; }; } > '" + step_file + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    std::string real_step = ReadFile(step_file);
    while (!real_step.empty() && real_step.back() == '\n') real_step.pop_back();
    HarnessApplication ours = ApplyLikeHarness(c.patch, source);
    std::string our_step = ours.applies_with.value_or("none");
    if (our_step == real_step) {
      ++harness_agree;
      if (ours.applies_with) {
        for (const auto& n : names) {
          fs::path p = fs::path(harness_dir) / n;
          std::optional<std::string> after = fs::is_regular_file(p) ? std::optional<std::string>(ReadFile(p.string())) : std::nullopt;
          auto it = ours.contents.find(n);
          std::optional<std::string> mine = it != ours.contents.end() ? it->second : source(n);
          if (mine != after) content_mismatches.push_back("harness " + c.name + ": " + n);
        }
      }
    } else {
      disagreements.push_back("harness " + c.name + ": real " + real_step + ", ours " + our_step);
    }
    fs::remove_all(harness_dir);
    fs::remove_all(git_dir);
    fs::remove_all(gnu_dir);
  }
  for (const auto& d : disagreements) std::printf("verdict differs: %s\n", d.c_str());
  for (const auto& d : content_mismatches) ADD_FAILURE() << "contents differ: " << d;
  std::printf("patch tools conformance: %zu instances, %zu SWE-Llama predictions among them\n", instance_count, prediction_count);
  std::printf("patch tools conformance: %d cases; git apply verdicts equal %d (%.2f%%), GNU patch %d (%.2f%%); "
              "contents compared where both accept: git %d, patch %d, mismatches %zu\n",
              total, git_agree, 100.0 * git_agree / total, gnu_agree, 100.0 * gnu_agree / total, both_accept_git,
              both_accept_gnu, content_mismatches.size());
  for (const auto& [what, n] : seen) std::printf("  %-28s %d\n", what.c_str(), n);
  // The corner cases were reached, not only clean applications.
  EXPECT_GT(seen["patch: fuzz 1"], 0);
  EXPECT_GT(seen["patch: fuzz 3"], 0);
  EXPECT_GT(seen["patch: reversed"], 0);
  EXPECT_GT(seen["git: offset"], 0);
  EXPECT_GT(seen["patch exit 2"], 0);
  EXPECT_GT(seen["git exit 128"], 0);
  std::printf("harness order (applies_with) equal for %d of %d (%.2f%%)\n", harness_agree, total, 100.0 * harness_agree / total);
  EXPECT_GE(harness_agree, total * 995 / 1000);
  EXPECT_GE(git_agree, total * 995 / 1000);
  EXPECT_GE(gnu_agree, total * 995 / 1000);
  EXPECT_TRUE(content_mismatches.empty());
}

}  // namespace
}  // namespace sweinfer::patch
