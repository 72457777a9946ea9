// retrieve: the reference's bm25_retrieval for file_name_and_contents, without checkouts or a
// per-instance index build: each git blob is analysed once (cached on disk under the output
// directory, keyed by blob id and encoding), each commit's index is assembled from cached blobs,
// and instances run on worker threads. Output lines are the reference's
// {"instance_id", "hits": [{"docid", "score"}]}; the run resumes from the ids already written.
// eval-retrieval: recall of a text dataset's context files (or of a retrieval file) against the
// files the gold patches edit.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pipelines/make_dataset.h"
#include "retrieval/bm25.h"

namespace sweinfer::pipelines {

struct RetrieveOptions {
  std::string dataset_name_or_path;
  std::string document_encoding_style = "file_name_and_contents";
  std::string output_dir = "./retreival_results";  // the reference's spelling
  std::vector<std::string> splits = {"train", "test"};
  std::optional<int> shard_id;
  int num_shards = 20;
  bool leave_indexes = true;
  RepositorySource repositories;
  int num_workers = 0;
  size_t k = 20;
  bool quiet = false;
  bool verbose = false;  // a line per instance: documents indexed and the top hit
  // Document files by extension (".js", ".ts"); empty: chosen from each repository's languages.
  std::vector<std::string> extensions;
};

struct RetrieveSummary {
  size_t done = 0, skipped = 0, failed = 0, undecodable_files = 0, cached_blobs = 0, analysed_blobs = 0, analysed_bytes = 0;
  std::string output_file;
};

RetrieveSummary RunRetrieve(const RetrieveOptions& options);

// One query against one tree, with nothing cached: the top k files (run-live uses it).
std::vector<retrieval::Bm25Hit> RankRepositoryFiles(const git::TreeSnapshot& tree, const std::string& query,
                                                    const std::string& document_encoding_style, size_t k = 20,
                                                    const std::vector<std::string>& extensions = {});

struct RecallReport {
  size_t evaluated = 0, without_gold = 0, without_retrieved = 0;
  double avg = 0, all = 0, any = 0;                 // percentages, as the reference prints them
  std::vector<std::pair<int, double>> file_recall;  // k -> file-level recall % (retrieval files only)
};

// From a text dataset (make-dataset output): files named in [start of X]...[end of X].
RecallReport EvalRetrievalFromDataset(const std::string& dataset, const std::string& split);
// Straight from hits: the top k docids of each instance; `dataset` supplies the gold patches.
RecallReport EvalRetrievalFromHits(const std::string& dataset, const std::string& split,
                                   const std::string& retrieval_file, int k);

}  // namespace sweinfer::pipelines
