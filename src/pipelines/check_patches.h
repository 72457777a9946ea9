// check-patches: what the SWE-bench harness will do with each prediction's patch, found in memory
// at the instance's base commit (no checkout, no Docker): which of its three apply commands accepts
// it, what happened to every hunk, the hash of every file afterwards, the files edited against the
// files the gold patch edits, lines added and removed, and whether the edited Python files still
// parse. One JSON line per prediction, appended crash-safely (a rerun skips what is written), and a
// summary by repository.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dataset/jsonl.h"
#include "patch/apply_result.h"
#include "pipelines/make_dataset.h"

namespace sweinfer::pipelines {

struct CheckPatchesOptions {
  std::string predictions_path;
  std::string dataset_name_or_path;
  std::string split = "test";
  RepositorySource repositories;
  std::optional<std::string> output;  // default: {predictions without .jsonl/.json}.checks.jsonl
  int num_workers = 0;                // 0: one per core
  int max_fuzz = 5;
  bool syntax_check = true;  // parse the edited Python files (most of the time a check takes)
  bool quiet = false;
};

struct CheckSummaryRow {
  int64_t predictions = 0, git_apply = 0, git_apply_reject = 0, patch = 0, not_applied = 0, empty = 0, errors = 0;
  int64_t syntax_broken = 0;
  double gold_recall_sum = 0;
  int64_t gold_recall_count = 0;
};

struct CheckPatchesSummary {
  std::string output_file;
  std::map<std::string, CheckSummaryRow> by_repo;  // "" holds the overall row
  size_t skipped = 0;                              // already in the output
};

// The check of one prediction against its instance (which must hold repo, base_commit, patch).
struct CheckSettings {
  int max_fuzz = 5;
  bool syntax_check = true;
};

dataset::Record CheckPrediction(const dataset::Record& prediction, const dataset::Record& instance,
                                const patch::FileSource& tree, const CheckSettings& settings = {});

// Checks `predictions` on `workers` threads (repositories opened once per worker) and hands each
// result to `sink` (called under a lock, in completion order). A prediction whose instance or
// repository is missing gets a record with category "error" and the reason in "error".
void CheckPredictions(const std::vector<const dataset::Record*>& predictions,
                      const std::map<std::string, dataset::Record>& instances, const RepositorySource& repositories,
                      const std::string& dataset_label, int workers, const CheckSettings& settings, bool quiet,
                      const std::function<void(dataset::Record&&)>& sink);

CheckPatchesSummary RunCheckPatches(const CheckPatchesOptions& options);

// The summary table printed at the end of a run.
std::string FormatCheckSummary(const CheckPatchesSummary& summary);

}  // namespace sweinfer::pipelines
