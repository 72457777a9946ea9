// report: one self-contained HTML page about a run (or two runs side by side) that a researcher
// would rather look at than read JSON: headline figures, charts, and every instance with its
// issue, model patch (rejected hunks marked), gold patch and harness outcome. Inputs: predictions,
// the dataset, optionally check-patches output (else the checks are made here when repositories are
// at hand), the harness's {model}.{run_id}.json and per-instance report.json logs, and BM25 hits.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pipelines/make_dataset.h"

namespace sweinfer::pipelines {

struct ReportOptions {
  std::vector<std::string> predictions;       // one run, or two to compare
  std::string dataset_name_or_path;
  std::string split = "test";
  std::vector<std::string> checks;            // check-patches output, one per run (optional)
  std::vector<std::string> harness_reports;   // {model}.{run_id}.json, one per run (optional)
  std::vector<std::string> harness_logs;      // directories holding per-instance report.json, one per run
  std::optional<std::string> retrieval_file;  // {"instance_id", "hits": [{"docid", "score"}]}
  std::optional<RepositorySource> repositories;  // to make checks that were not given
  std::string tokenizer_name = "cl100k";      // counts prompt tokens of a "text" column when no usage is given
  std::string tiktoken_dir;
  std::string output = "report.html";
  std::string title;
  int num_workers = 0;
  bool quiet = false;
};

struct ReportSummary {
  std::string output_file;
  size_t instances = 0, predictions = 0;
};

ReportSummary RunReport(const ReportOptions& options);

}  // namespace sweinfer::pipelines
