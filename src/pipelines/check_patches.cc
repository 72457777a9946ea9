#include "pipelines/check_patches.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "check/python_syntax.h"
#include "dataset/dataset.h"
#include "dataset/predictions.h"
#include "git/repository.h"
#include "patch/diff_stat.h"
#include "patch/harness_apply.h"
#include "tokenizer/tokenizer.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/progress.h"

namespace sweinfer::pipelines {
namespace {

using dataset::Record;

std::optional<std::string> PatchOf(const Record& prediction) {
  if (!prediction.contains("model_patch") || !prediction["model_patch"].is_string()) return std::nullopt;
  return prediction["model_patch"].get<std::string>();
}

bool IsPython(const std::string& path) { return path.size() > 3 && path.compare(path.size() - 3, 3, ".py") == 0; }

Record ToolSummary(const patch::ToolResult& r, bool ran) {
  if (!ran) return nullptr;
  Record out = Record::object();
  out["exit_code"] = r.exit_code;
  out["error"] = r.error.empty() ? Record(nullptr) : Record(r.error);
  return out;
}

std::string DefaultOutput(const std::string& predictions) {
  std::string base = predictions;
  for (const char* ext : {".jsonl", ".json"}) {
    std::string e = ext;
    if (base.size() > e.size() && base.compare(base.size() - e.size(), e.size(), e) == 0) {
      base.resize(base.size() - e.size());
      break;
    }
  }
  return base + ".checks.jsonl";
}

void Count(CheckSummaryRow* row, const Record& r) {
  ++row->predictions;
  if (r.contains("error") && !r["error"].is_null()) {
    ++row->errors;
    return;
  }
  const auto& with = r["applies_with"];
  if (with == "git apply") ++row->git_apply;
  else if (with == "git apply --reject") ++row->git_apply_reject;
  else if (with == "patch") ++row->patch;
  else if (r["category"] == "empty" || r["category"] == "null") ++row->empty;
  else ++row->not_applied;
  if (r["syntax_ok"] == false) ++row->syntax_broken;
  if (r["gold_file_recall"].is_number()) {
    row->gold_recall_sum += r["gold_file_recall"].get<double>();
    ++row->gold_recall_count;
  }
}

}  // namespace

Record CheckPrediction(const Record& prediction, const Record& instance, const patch::FileSource& tree,
                       const CheckSettings& settings) {
  std::optional<std::string> model_patch = PatchOf(prediction);
  patch::HarnessApplication applied = patch::ApplyLikeHarness(model_patch, tree, settings.max_fuzz);
  Record out = Record::object();
  out["instance_id"] = prediction["instance_id"];
  out["model_name_or_path"] = prediction.value("model_name_or_path", Record(nullptr));
  out["repo"] = instance.value("repo", Record(nullptr));
  out["category"] = applied.category;
  out["applies_with"] = applied.applies_with ? Record(*applied.applies_with) : Record(nullptr);
  bool ran = applied.category != "null" && applied.category != "empty";
  out["git_apply"] = ToolSummary(applied.git_apply, ran);
  out["git_apply_reject"] = ToolSummary(applied.git_apply_reject, ran && applied.applies_with != "git apply");
  out["patch"] = ToolSummary(applied.gnu_patch, ran && (!applied.applies_with || applied.applies_with == "patch"));
  // Per file and hunk, from the run that tells the most (the accepting one, else GNU patch's).
  Record hunks = Record::array();
  if (ran) {
    const patch::ToolResult& report = applied.report();
    out["hunks_from"] = &report == &applied.git_apply ? "git apply" : &report == &applied.git_apply_reject ? "git apply --reject" : "patch";
    for (const auto& f : report.files) {
      std::string file = f.new_path.empty() ? f.old_path : f.new_path;
      for (const auto& h : f.hunks) {
        Record hr = Record::object();
        hr["file"] = file;
        hr["hunk"] = h.number;
        hr["outcome"] = patch::HunkOutcomeName(h.outcome);
        hr["line"] = h.applied_line ? Record(h.applied_line) : Record(nullptr);
        hr["expected_line"] = h.expected_line;
        hr["offset"] = h.offset;
        hr["fuzz"] = h.fuzz;
        hr["reason"] = h.reason.empty() ? Record(nullptr) : Record(h.reason);
        hunks.push_back(hr);
      }
      if (f.hunks.empty() && !f.error.empty()) {
        hunks.push_back({{"file", file}, {"hunk", nullptr}, {"outcome", "rejected"}, {"line", nullptr},
                         {"expected_line", nullptr}, {"offset", 0}, {"fuzz", 0}, {"reason", f.error}});
      }
    }
    if (!report.error.empty()) out["parse_error"] = report.error;
  }
  out["hunks"] = hunks;
  // The file hashes after the accepting command, for every path the patch names.
  patch::DiffStat stat = patch::StatPatch(model_patch.value_or(""));
  Record files = Record::object();
  if (applied.applies_with) {
    std::set<std::string> paths(stat.paths.begin(), stat.paths.end());
    for (const auto& [path, _] : applied.contents) paths.insert(path);
    for (const auto& path : paths) {
      auto it = applied.contents.find(path);
      std::optional<std::string> content = it != applied.contents.end() ? it->second : tree(path);
      files[path] = content ? Record(Sha256Hex(*content)) : Record(nullptr);
    }
  }
  out["files"] = files;
  // Edited files against the gold patch's.
  std::vector<std::string> gold =
      instance.contains("patch") && instance["patch"].is_string() ? patch::StatPatch(instance["patch"].get<std::string>()).paths
                                                                   : std::vector<std::string>{};
  size_t common = 0;
  for (const auto& p : stat.paths) common += std::count(gold.begin(), gold.end(), p) ? 1 : 0;
  out["files_edited"] = stat.paths;
  out["gold_files"] = gold;
  out["gold_file_recall"] = gold.empty() ? Record(nullptr) : Record(static_cast<double>(common) / gold.size());
  out["gold_file_precision"] = stat.paths.empty() ? Record(nullptr) : Record(static_cast<double>(common) / stat.paths.size());
  out["lines_added"] = stat.lines_added;
  out["lines_removed"] = stat.lines_removed;
  // Python files that parsed before must parse after (new files must parse).
  Record syntax_errors = Record::array();
  bool any_python = false;
  if (applied.applies_with && settings.syntax_check) {
    for (const auto& [path, content] : applied.contents) {
      if (!IsPython(path) || !content) continue;
      any_python = true;
      auto error = check::CheckPythonSyntax(*content, path);
      if (!error) continue;
      std::optional<std::string> before = tree(path);
      if (before && check::CheckPythonSyntax(*before, path)) continue;  // broken already: not the patch's doing
      syntax_errors.push_back({{"file", path}, {"line", error->line}, {"message", error->message}});
    }
  }
  out["syntax_ok"] = any_python ? Record(syntax_errors.empty()) : Record(nullptr);
  out["syntax_errors"] = syntax_errors;
  out["error"] = nullptr;
  return out;
}

void CheckPredictions(const std::vector<const Record*>& todo, const std::map<std::string, Record>& instances,
                      const RepositorySource& repositories, const std::string& dataset_label, int num_workers,
                      const CheckSettings& settings, bool quiet, const std::function<void(Record&&)>& sink) {
  Progress progress("check-patches", todo.size(), quiet);
  std::atomic<size_t> next{0};
  std::mutex sink_mutex, path_mutex;
  std::map<std::string, std::string> repo_paths;
  auto worker = [&] {
    std::map<std::string, std::shared_ptr<git::Repository>> open;
    for (size_t i; (i = next++) < todo.size();) {
      const Record& prediction = *todo[i];
      const std::string id = prediction["instance_id"];
      Record result;
      auto it = instances.find(id);
      try {
        if (it == instances.end()) throw Error("instance " + id + " is not in " + dataset_label);
        const Record& instance = it->second;
        std::string repo = instance.at("repo"), commit = instance.at("base_commit");
        if (!open.count(repo)) {
          std::string path;
          {
            std::lock_guard<std::mutex> lock(path_mutex);
            if (!repo_paths.count(repo)) repo_paths[repo] = repositories.PathFor(repo);
            path = repo_paths[repo];
          }
          open[repo] = std::make_shared<git::Repository>(git::Repository::Open(path));
        }
        git::TreeSnapshot tree = open[repo]->Snapshot(commit);
        // Each tool asks for the same few files: read every blob once.
        std::map<std::string, std::optional<std::string>> read;
        patch::FileSource source = [&tree, &read](const std::string& p) -> std::optional<std::string> {
          auto it = read.find(p);
          if (it != read.end()) return it->second;
          std::optional<std::string> bytes = tree.IsFile(p) ? tree.ReadFile(p).bytes : std::nullopt;
          return read.emplace(p, std::move(bytes)).first->second;
        };
        result = CheckPrediction(prediction, instance, source, settings);
      } catch (const std::exception& e) {
        result = Record::object();
        result["instance_id"] = id;
        result["model_name_or_path"] = prediction.value("model_name_or_path", Record(nullptr));
        result["repo"] = it == instances.end() ? Record(nullptr) : it->second.value("repo", Record(nullptr));
        result["category"] = "error";
        result["applies_with"] = nullptr;
        result["hunks"] = Record::array();
        result["files"] = Record::object();
        result["gold_file_recall"] = nullptr;
        result["gold_file_precision"] = nullptr;
        result["syntax_ok"] = nullptr;
        result["error"] = e.what();
      }
      {
        std::lock_guard<std::mutex> lock(sink_mutex);
        sink(std::move(result));
      }
      progress.Advance();
    }
  };
  int workers = num_workers > 0 ? num_workers : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  workers = static_cast<int>(std::min<size_t>(static_cast<size_t>(workers), std::max<size_t>(1, todo.size())));
  std::vector<std::thread> threads;
  for (int w = 1; w < workers; ++w) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  progress.Finish();
}

CheckPatchesSummary RunCheckPatches(const CheckPatchesOptions& o) {
  std::vector<Record> predictions = dataset::LoadPredictions(o.predictions_path);
  std::vector<Record> rows = dataset::Dataset::Open(o.dataset_name_or_path).LoadSplit(o.split);
  std::map<std::string, Record> instances;
  for (auto& r : rows) {
    if (!r.contains("instance_id") || !r["instance_id"].is_string()) continue;
    std::string id = r["instance_id"];  // before the move: the right of '=' is evaluated first
    instances[id] = std::move(r);
  }
  CheckPatchesSummary summary;
  summary.output_file = o.output.value_or(DefaultOutput(o.predictions_path));
  // Every record is one write(): a kill -9 never tears one or loses a finished one. No fsync per
  // record: a check is cheap to redo, and syncing each line cost more than the check itself.
  dataset::JsonlWriter writer(summary.output_file, std::string("instance_id"), dataset::FsyncPolicy::kOnClose);
  if (writer.dropped_torn_bytes() && !o.quiet) {
    std::fprintf(stderr, "%s: dropped a torn last line (%zu bytes) from an interrupted run\n", summary.output_file.c_str(),
                 writer.dropped_torn_bytes());
  }
  for (const auto& r : writer.existing_records()) {
    Count(&summary.by_repo[r.contains("repo") && r["repo"].is_string() ? r["repo"].get<std::string>() : "(not in the dataset)"], r);
    Count(&summary.by_repo[""], r);
  }
  std::vector<const Record*> todo;
  for (const auto& p : predictions) {
    if (writer.done_ids().count(p["instance_id"].get<std::string>())) {
      ++summary.skipped;
    } else {
      todo.push_back(&p);
    }
  }
  // Repository by repository, so that each worker keeps one open.
  std::stable_sort(todo.begin(), todo.end(), [&](const Record* a, const Record* b) {
    auto repo_of = [&](const Record* p) {
      auto it = instances.find((*p)["instance_id"].get<std::string>());
      return it == instances.end() ? std::string() : it->second.value("repo", std::string());
    };
    return repo_of(a) < repo_of(b);
  });
  std::mutex summary_mutex;
  CheckSettings settings{o.max_fuzz, o.syntax_check};
  CheckPredictions(todo, instances, o.repositories, o.dataset_name_or_path + " (split " + o.split + ")", o.num_workers,
                   settings, o.quiet, [&](Record&& result) {
                     writer.Append(result);
                     Count(&summary.by_repo[result["repo"].is_string() ? result["repo"].get<std::string>() : "(not in the dataset)"],
                           result);
                     Count(&summary.by_repo[""], result);
                   });
  return summary;
}

std::string FormatCheckSummary(const CheckPatchesSummary& s) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "%-32s %7s %9s %9s %7s %9s %7s %6s %7s %9s\n", "repository", "preds", "git apply",
                "--reject", "patch", "no apply", "empty", "error", "syntax", "gold rec");
  out += line;
  auto row = [&](const std::string& name, const CheckSummaryRow& r) {
    auto pct = [&](int64_t n) {
      char b[32];
      std::snprintf(b, sizeof b, "%.1f%%", r.predictions ? 100.0 * n / r.predictions : 0.0);
      return std::string(b);
    };
    char recall[32] = "-";
    if (r.gold_recall_count) std::snprintf(recall, sizeof recall, "%.3f", r.gold_recall_sum / r.gold_recall_count);
    std::snprintf(line, sizeof line, "%-32s %7lld %9s %9s %7s %9s %7lld %6lld %7lld %9s\n", name.c_str(),
                  static_cast<long long>(r.predictions), pct(r.git_apply).c_str(), pct(r.git_apply_reject).c_str(),
                  pct(r.patch).c_str(), pct(r.not_applied).c_str(), static_cast<long long>(r.empty),
                  static_cast<long long>(r.errors), static_cast<long long>(r.syntax_broken), recall);
    out += line;
  };
  for (const auto& [repo, r] : s.by_repo) {
    if (!repo.empty()) row(repo, r);
  }
  auto overall = s.by_repo.find("");
  if (overall != s.by_repo.end()) row("overall", overall->second);
  out += "syntax: edited Python files that parsed before and no longer parse (CPython 3.11 parser)\n";
  return out;
}

}  // namespace sweinfer::pipelines
