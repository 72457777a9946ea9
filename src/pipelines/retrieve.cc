#include "pipelines/retrieve.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "dataset/dataset.h"
#include "retrieval/analysis_cache.h"
#include "retrieval/analyzer.h"
#include "retrieval/bm25.h"
#include "retrieval/code_docs.h"
#include "retrieval/documents.h"
#include "retrieval/languages.h"
#include "retrieval/python_docstrings.h"
#include "text/py_regex.h"
#include "text/python_str.h"
#include "util/error.h"
#include "util/progress.h"
#include "util/thread_pool.h"

namespace sweinfer::pipelines {

namespace fs = std::filesystem;
using dataset::Record;
using retrieval::TermCounts;

namespace {

constexpr size_t kMaxClauses = 1024;  // Lucene's default maxClauseCount

std::string DatasetName(const std::string& name_or_path) {
  fs::path p(name_or_path);
  std::error_code ec;
  if (fs::is_regular_file(p, ec)) return p.stem().string();
  std::string s = name_or_path;
  while (!s.empty() && s.back() == '/') s.pop_back();
  return fs::path(s).filename().string();
}

size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string CodePointPrefix(const std::string& s, size_t n) {
  size_t count = 0, pos = 0;
  while (pos < s.size() && count < n) {
    text::NextCodePoint(s, pos);
    ++count;
  }
  return s.substr(0, pos);
}

// The query: one clause per unique term; past 1024 clauses the reference cuts the issue text to
// 80% of its code points (Python's round) and tries again. Terms unknown to every document are
// dropped (they match nothing).
std::vector<std::pair<uint32_t, uint32_t>> QueryTerms(retrieval::Analyzer& analyzer,
                                                      const retrieval::TermDictionary& dictionary,
                                                      const std::string& query_text) {
  std::vector<std::pair<std::string, uint32_t>> terms;
  size_t cutoff = CodePoints(query_text);
  while (true) {
    std::unordered_map<std::string, size_t> index;
    terms.clear();
    analyzer.Analyze(CodePointPrefix(query_text, cutoff), [&](std::string_view view) {
      std::string term(view);
      auto [it, inserted] = index.emplace(term, terms.size());
      if (inserted) terms.push_back({term, 0});
      ++terms[it->second].second;
    });
    if (terms.size() <= kMaxClauses) break;
    cutoff = static_cast<size_t>(std::nearbyint(static_cast<double>(cutoff) * 0.8));
  }
  std::vector<std::pair<uint32_t, uint32_t>> query;
  for (const auto& [term, count] : terms) {
    if (auto tid = dictionary.Find(term)) query.push_back({*tid, count});
  }
  return query;
}

bool IsPythonFile(const std::string& path) { return path.size() >= 3 && path.compare(path.size() - 3, 3, ".py") == 0; }

// The text indexed after "path\n" for one file. Files of other languages have their doc comments
// (code_docs.h) for both documentation encodings: jedi reads Python only.
std::string DocumentBody(retrieval::DocumentEncoding encoding, const std::string& path, std::string text,
                         const std::string& module_name) {
  if (encoding != retrieval::DocumentEncoding::kFileNameAndContents && !IsPythonFile(path)) {
    return retrieval::CodeDocumentation(path, text);
  }
  if (encoding == retrieval::DocumentEncoding::kFileNameAndDocumentation) {
    return retrieval::DocumentationText("", text).substr(1);
  }
  if (encoding == retrieval::DocumentEncoding::kFileNameAndDocsJedi) {
    return retrieval::JediDocsText("", text, module_name).substr(1);
  }
  return text;
}

}  // namespace

std::vector<retrieval::Bm25Hit> RankRepositoryFiles(const git::TreeSnapshot& tree, const std::string& query,
                                                    const std::string& style, size_t k,
                                                    const std::vector<std::string>& extensions) {
  retrieval::DocumentEncoding encoding;
  if (!retrieval::ParseDocumentEncoding(style, encoding)) throw Error("unknown document encoding '" + style + "'");
  retrieval::Analyzer analyzer;
  retrieval::TermDictionary dictionary;
  retrieval::TermCounter counter(dictionary);
  std::vector<std::unique_ptr<TermCounts>> keep;
  std::vector<retrieval::Bm25Document> docs;
  auto is_root = [&](const std::string& dir) { return retrieval::IsProjectRoot(tree, dir); };
  for (const auto& file : retrieval::ListDocumentFiles(tree, extensions)) {
    auto bytes = retrieval::ReadDocumentBytes(tree, file);
    if (!bytes) continue;
    std::string text = text::UniversalNewlines(text::Utf8Error(*bytes) ? text::Utf8Replace(*bytes) : *bytes);
    std::string module = encoding == retrieval::DocumentEncoding::kFileNameAndDocsJedi
                             ? retrieval::JediModuleName(file.path, is_root)
                             : "";
    keep.push_back(std::make_unique<TermCounts>(counter.Count(file.path)));
    const TermCounts* path = keep.back().get();
    keep.push_back(std::make_unique<TermCounts>(counter.Count(DocumentBody(encoding, file.path, text, module))));
    docs.push_back({file.path, path, keep.back().get()});
  }
  return retrieval::SearchBm25(docs, QueryTerms(analyzer, dictionary, query), k);
}

RetrieveSummary RunRetrieve(const RetrieveOptions& o) {
  retrieval::DocumentEncoding encoding;
  if (!retrieval::ParseDocumentEncoding(o.document_encoding_style, encoding)) {
    throw Error("unknown --document_encoding_style '" + o.document_encoding_style + "'");
  }
  dataset::Dataset ds = dataset::Dataset::Open(o.dataset_name_or_path);
  std::vector<Record> instances;
  for (const auto& split : o.splits) {
    if (!ds.HasSplit(split)) {
      std::string known;
      for (const auto& s : ds.SplitNames()) known += (known.empty() ? "" : ", ") + s;
      throw Error("Unknown splits {'" + split + "'}; the dataset has: " + known);
    }
    auto rows = ds.LoadSplit(split);
    if (o.shard_id) {
      // datasets' Dataset.shard(num_shards, index) with contiguous shards.
      size_t n = rows.size(), shards = static_cast<size_t>(o.num_shards), i = static_cast<size_t>(*o.shard_id);
      if (o.num_shards <= 0 || *o.shard_id < 0 || i >= shards) throw Error("--shard_id must be in [0, num_shards)");
      size_t div = n / shards, mod = n % shards;
      size_t start = div * i + std::min(i, mod), end = start + div + (i < mod ? 1 : 0);
      rows = std::vector<Record>(rows.begin() + start, rows.begin() + end);
    }
    for (auto& r : rows) instances.push_back(std::move(r));
    if (ds.single_file()) break;  // a single file serves every split: read it once
  }

  const fs::path root = fs::path(o.output_dir) / DatasetName(o.dataset_name_or_path);
  fs::create_directories(root);
  RetrieveSummary summary;
  summary.output_file = (root / (o.document_encoding_style + ".retrieval.jsonl")).string();
  dataset::JsonlWriter out(summary.output_file, "instance_id");
  const fs::path cache_dir = root / (o.document_encoding_style + "_indexes");
  fs::create_directories(cache_dir);

  std::vector<const Record*> todo;
  std::set<std::string> queued;
  for (const auto& inst : instances) {
    std::string id = inst.value("instance_id", "");
    if (id.empty()) throw Error(o.dataset_name_or_path + ": an instance has no instance_id");
    if (out.done_ids().count(id) || !queued.insert(id).second) {
      ++summary.skipped;
      continue;
    }
    todo.push_back(&inst);
  }

  retrieval::TermDictionary dictionary;
  std::mutex caches_mutex;
  std::map<std::string, std::unique_ptr<retrieval::AnalysisCache>> caches;
  auto cache_for = [&](const std::string& slug) -> retrieval::AnalysisCache& {
    std::lock_guard<std::mutex> lock(caches_mutex);
    auto& c = caches[slug];
    if (!c) {
      std::string name = slug;
      std::replace(name.begin(), name.end(), '/', '_');
      size_t slash = slug.find('/');
      if (slash != std::string::npos) name = slug.substr(0, slash) + "__" + slug.substr(slash + 1);
      c = std::make_unique<retrieval::AnalysisCache>((cache_dir / (name + ".analysis.bin")).string(), dictionary);
      summary.cached_blobs += c->loaded();
    }
    return *c;
  };

  // Instances one after another; the documents of each are analysed by all workers together, so
  // that every core is busy whatever the mix of instances (a few large ones, many small ones).
  const int workers = o.num_workers > 0 ? o.num_workers : std::max(1u, std::thread::hardware_concurrency());
  ThreadPool pool(workers);
  // What each worker keeps between instances: its term counter (with its memos) and, since a
  // libgit2 repository is not for concurrent use, its own handles on the repositories.
  struct WorkerState {
    explicit WorkerState(retrieval::TermDictionary& dictionary) : counter(dictionary) {}
    retrieval::TermCounter counter;
    std::unordered_map<std::string, std::optional<git::Repository>> repos;
    std::string tree_key;  // repository and commit of `tree`
    std::optional<git::TreeSnapshot> tree;
    const git::TreeSnapshot& TreeFor(const std::string& path, const std::string& commit) {
      if (!tree || tree_key != path + "@" + commit) {
        auto& repo = repos[path];
        if (!repo) repo = git::Repository::Open(path);
        tree = repo->Snapshot(commit);
        tree_key = path + "@" + commit;
      }
      return *tree;
    }
  };
  std::vector<std::unique_ptr<WorkerState>> states;
  for (int w = 0; w < pool.size(); ++w) states.push_back(std::make_unique<WorkerState>(dictionary));
  Progress bar("retrieve", todo.size(), o.quiet);
  size_t done = 0, failed = 0;
  std::atomic<size_t> undecodable{0}, analysed{0}, analysed_bytes{0};
  retrieval::Analyzer query_analyzer;
  std::unordered_map<std::string, TermCounts> path_counts;
  for (const Record* instance : todo) {
    const Record& inst = *instance;
    const std::string id = inst["instance_id"].get<std::string>();
    try {
      const std::string slug = inst.value("repo", "");
      const std::string repo_path = o.repositories.PathFor(slug);
      const std::string commit = inst.value("base_commit", "");
      const git::TreeSnapshot& tree = states[0]->TreeFor(repo_path, commit);
      retrieval::AnalysisCache& cache = cache_for(slug);
      std::unordered_map<std::string, bool> project_roots;
      auto is_root = [&](const std::string& dir) {
        auto [it, inserted] = project_roots.emplace(dir, false);
        if (inserted) it->second = retrieval::IsProjectRoot(tree, dir);
        return it->second;
      };
      const std::vector<retrieval::DocumentFile> files = retrieval::ListDocumentFiles(tree, o.extensions);
      // The cache key of each file: its blob, plus what else its analysis depends on.
      std::vector<std::string> keys(files.size()), modules(files.size());
      for (size_t i = 0; i < files.size(); ++i) {
        const auto& file = files[i];
        keys[i] = file.blob_id;
        if (encoding != retrieval::DocumentEncoding::kFileNameAndContents && !IsPythonFile(file.path)) {
          keys[i] += "|" + file.path.substr(std::min(file.path.rfind('.'), file.path.size()));  // the comment style
        } else if (encoding == retrieval::DocumentEncoding::kFileNameAndDocsJedi) {
          modules[i] = retrieval::JediModuleName(file.path, is_root);
          keys[i] += "|" + modules[i];
        }
      }
      std::vector<std::shared_ptr<const TermCounts>> contents(files.size());
      std::mutex error_mutex;
      std::string error;
      pool.ParallelFor(static_cast<int64_t>(files.size()), [&](int64_t i, int w) {
        try {
          const auto& file = files[static_cast<size_t>(i)];
          auto counts = cache.FindOrClaim(keys[i]);
          if (!counts) {
            retrieval::AnalysisCache::Claim claim(cache, keys[i]);
            auto bytes = retrieval::ReadDocumentBytes(states[w]->TreeFor(repo_path, commit), file);
            if (!bytes) return;  // a broken symlink: nothing to index
            analysed_bytes += bytes->size();
            std::string text;
            if (text::Utf8Error(*bytes)) {
              ++undecodable;
              text = text::UniversalNewlines(text::Utf8Replace(*bytes));
            } else if (bytes->find('\r') != std::string::npos) {
              text = text::UniversalNewlines(*bytes);
            } else {
              text = std::move(*bytes);
            }
            // The document is "path\n" + a body that depends on the blob alone (and, for the
            // jedi encoding, on the module name, which is part of the key).
            counts = claim.Add(states[w]->counter.Count(DocumentBody(encoding, file.path, std::move(text), modules[i])));
            ++analysed;
          }
          contents[static_cast<size_t>(i)] = std::move(counts);
        } catch (const Error& e) {
          std::lock_guard<std::mutex> lock(error_mutex);
          if (error.empty()) error = e.what();
        }
      }, ThreadPool::Schedule::kDynamic);
      if (!error.empty()) throw Error(error);
      std::vector<retrieval::Bm25Document> docs;
      for (size_t i = 0; i < files.size(); ++i) {
        if (!contents[i]) continue;
        auto it = path_counts.find(files[i].path);
        if (it == path_counts.end()) it = path_counts.emplace(files[i].path, states[0]->counter.Count(files[i].path)).first;
        docs.push_back({files[i].path, &it->second, contents[i].get()});
      }
      auto query = QueryTerms(query_analyzer, dictionary, inst.value("problem_statement", ""));
      auto hits = retrieval::SearchBm25(docs, query, o.k);
      Record hit_list = Record::array();
      for (const auto& h : hits) hit_list.push_back(Record{{"docid", h.docid}, {"score", static_cast<double>(h.reported_score)}});
      out.Append(Record{{"instance_id", id}, {"hits", std::move(hit_list)}});
      if (o.verbose) {
        std::fprintf(stderr, "%s: %zu documents, top hit %s\n", id.c_str(), docs.size(),
                     hits.empty() ? "(none)" : hits[0].docid.c_str());
      }
      ++done;
    } catch (const Error& e) {
      ++failed;
      std::fprintf(stderr, "Failed on instance %s: %s\n", id.c_str(), e.what());
    }
    bar.Advance();
  }
  bar.Finish();
  summary.done = done;
  summary.failed = failed;
  summary.undecodable_files = undecodable;
  summary.analysed_blobs = analysed;
  summary.analysed_bytes = analysed_bytes;
  caches.clear();
  if (!o.leave_indexes) fs::remove_all(cache_dir);
  if (summary.undecodable_files && !o.quiet) {
    std::fprintf(stderr,
                 "warning: %zu files were not valid UTF-8 and were indexed with replacement characters (the "
                 "reference would have skipped their whole instances)\n",
                 summary.undecodable_files);
  }
  return summary;
}

namespace {

std::set<std::string> GoldFiles(const std::string& patch) {
  static const text::PyRegex pattern(R"(\-\-\- a/(.+))");
  std::set<std::string> files;
  for (const auto& m : pattern.FindAll(patch)) files.insert(std::string(m.Group(0)));
  return files;
}

void Summarise(RecallReport& r, const std::vector<double>& recalls) {
  r.evaluated = recalls.size();
  if (recalls.empty()) return;
  double sum = 0, all = 0, any = 0;
  for (double x : recalls) {
    sum += x;
    all += x == 1.0;
    any += x > 0;
  }
  r.avg = 100 * sum / recalls.size();
  r.all = 100 * all / recalls.size();
  r.any = 100 * any / recalls.size();
}

}  // namespace

RecallReport EvalRetrievalFromDataset(const std::string& dataset_path, const std::string& split) {
  auto rows = dataset::Dataset::Open(dataset_path).LoadSplit(split);
  static const text::PyRegex files_pattern(R"(\[start of ([\w\.\-\/]+)\]\n(?:.+?)\n\[end of \1\])", text::PyRegex::kDotAll);
  RecallReport report;
  std::vector<double> recalls;
  for (const auto& row : rows) {
    std::string text = row.value("text", "");
    std::vector<std::string> retrieved;
    for (const auto& m : files_pattern.FindAll(text)) retrieved.push_back(std::string(m.Group(0)));
    if (!retrieved.empty()) {
      std::string first = retrieved[0];
      std::transform(first.begin(), first.end(), first.begin(), [](unsigned char c) { return std::tolower(c); });
      if (first.find("readme") != std::string::npos) retrieved.erase(retrieved.begin());
    }
    std::set<std::string> retrieved_set(retrieved.begin(), retrieved.end());
    // The dataset's patch column is "<patch>\n...\n</patch>" in text datasets; "--- a/" lines are the same.
    std::set<std::string> gold = GoldFiles(row.value("patch", ""));
    if (gold.empty()) {
      ++report.without_gold;
      continue;
    }
    if (retrieved_set.empty()) {
      ++report.without_retrieved;
      continue;
    }
    size_t found = 0;
    for (const auto& g : gold) found += retrieved_set.count(g);
    recalls.push_back(static_cast<double>(found) / gold.size());
  }
  Summarise(report, recalls);
  return report;
}

RecallReport EvalRetrievalFromHits(const std::string& dataset_path, const std::string& split,
                                   const std::string& retrieval_file, int k) {
  auto rows = dataset::Dataset::Open(dataset_path).LoadSplit(split);
  std::unordered_map<std::string, std::vector<std::string>> hits;
  dataset::ForEachJsonl(retrieval_file, [&](Record&& r, size_t line) {
    if (!r.contains("instance_id") || !r.contains("hits")) {
      throw Error(retrieval_file + ":" + std::to_string(line) + ": expected instance_id and hits");
    }
    auto& list = hits[r["instance_id"].get<std::string>()];
    for (const auto& h : r["hits"]) list.push_back(h.value("docid", ""));
    return true;
  });
  RecallReport report;
  std::vector<double> recalls;
  const std::vector<int> levels = {1, 5, 10, 20};
  std::vector<double> found_at(levels.size(), 0);
  size_t gold_total = 0;
  for (const auto& row : rows) {
    std::set<std::string> gold = GoldFiles(row.value("patch", ""));
    if (gold.empty()) {
      ++report.without_gold;
      continue;
    }
    auto it = hits.find(row.value("instance_id", ""));
    if (it == hits.end() || it->second.empty()) {
      ++report.without_retrieved;
      continue;
    }
    const auto& list = it->second;
    std::set<std::string> top(list.begin(), list.begin() + std::min<size_t>(list.size(), static_cast<size_t>(k)));
    size_t found = 0;
    for (const auto& g : gold) found += top.count(g);
    recalls.push_back(static_cast<double>(found) / gold.size());
    gold_total += gold.size();
    for (size_t l = 0; l < levels.size(); ++l) {
      std::set<std::string> at(list.begin(), list.begin() + std::min<size_t>(list.size(), levels[l]));
      for (const auto& g : gold) found_at[l] += at.count(g);
    }
  }
  Summarise(report, recalls);
  for (size_t l = 0; l < levels.size(); ++l) {
    report.file_recall.push_back({levels[l], gold_total ? 100 * found_at[l] / gold_total : 0});
  }
  return report;
}

}  // namespace sweinfer::pipelines
