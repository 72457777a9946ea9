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

namespace sweinfer::pipelines {

namespace fs = std::filesystem;
using dataset::Record;
using retrieval::TermCounts;

namespace {

constexpr size_t kMaxClauses = 1024;  // Lucene's default maxClauseCount

TermCounts CountTerms(retrieval::Analyzer& analyzer, retrieval::TermDictionary& dictionary, std::string_view text) {
  std::unordered_map<std::string, uint32_t> counts;
  uint32_t length = 0;
  analyzer.Analyze(text, [&](const std::string& term) {
    ++counts[term];
    ++length;
  });
  TermCounts out;
  out.length = length;
  std::vector<const std::string*> unique;
  unique.reserve(counts.size());
  for (const auto& [term, tf] : counts) unique.push_back(&term);
  std::vector<uint32_t> ids;
  dictionary.InternAll(unique, ids);
  out.terms.reserve(counts.size());
  size_t i = 0;
  for (const auto& [term, tf] : counts) out.terms.push_back({ids[i++], tf});
  std::sort(out.terms.begin(), out.terms.end());
  return out;
}

// Analysed blob contents of one repository, in memory and in an append-only binary file on disk:
// records of [u32 size][blob id][u32 length][u32 terms]([u16 bytes][term][u32 tf])*, each written
// with one write(); a torn last record (crash mid-write) is cut off when the file is opened.
class BlobCache {
 public:
  BlobCache(const std::string& path, retrieval::TermDictionary& dictionary) : path_(path), dictionary_(dictionary) {
    std::string bytes;
    {
      std::ifstream in(path, std::ios::binary);
      bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    size_t pos = 0;
    std::vector<const std::string*> unique;
    std::vector<std::string> terms;
    std::vector<uint32_t> tfs, ids;
    while (pos + 4 <= bytes.size()) {
      uint32_t size;
      std::memcpy(&size, bytes.data() + pos, 4);
      if (size > bytes.size() - pos - 4) break;  // torn
      std::string_view rec(bytes.data() + pos + 4, size);
      auto counts = std::make_shared<TermCounts>();
      std::string blob;
      if (!Decode(rec, blob, *counts, terms, tfs)) break;
      unique.clear();
      for (const auto& t : terms) unique.push_back(&t);
      dictionary_.InternAll(unique, ids);
      for (size_t i = 0; i < ids.size(); ++i) counts->terms.push_back({ids[i], tfs[i]});
      std::sort(counts->terms.begin(), counts->terms.end());
      blobs_[blob] = counts;
      pos += 4 + size;
    }
    loaded_ = blobs_.size();
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0 || ::ftruncate(fd_, static_cast<off_t>(pos)) != 0 || ::lseek(fd_, 0, SEEK_END) < 0) {
      throw Error("cannot open the analysis cache '" + path + "'");
    }
  }
  ~BlobCache() {
    if (fd_ >= 0) ::close(fd_);
  }
  // The counts of `blob` when known. When another worker is analysing it, waits for its result, so
  // that a blob is analysed once per run whatever the number of workers. Otherwise the caller
  // becomes the one analysing it and gets nullptr: it must then Add() the counts or Abandon() it.
  // (A worker holds at most one claim and never waits while holding one: no deadlock.)
  std::shared_ptr<const TermCounts> FindOrClaim(const std::string& blob) {
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      auto it = blobs_.find(blob);
      if (it != blobs_.end() && it->second) return it->second;
      if (in_flight_.insert(blob).second) return nullptr;
      analysed_elsewhere_.wait(lock);
    }
  }
  void Abandon(const std::string& blob) {
    std::lock_guard<std::mutex> lock(mutex_);
    in_flight_.erase(blob);
    analysed_elsewhere_.notify_all();
  }
  std::shared_ptr<const TermCounts> Add(const std::string& blob, TermCounts counts) {
    std::string rec = blob;
    auto put32 = [&](uint32_t v) { rec.append(reinterpret_cast<const char*>(&v), 4); };
    put32(counts.length);
    put32(static_cast<uint32_t>(counts.terms.size()));
    for (const auto& [id, tf] : counts.terms) {
      const std::string& term = dictionary_.TermOf(id);
      uint16_t n = static_cast<uint16_t>(std::min<size_t>(term.size(), 0xFFFF));
      rec.append(reinterpret_cast<const char*>(&n), 2);
      rec.append(term, 0, n);
      put32(tf);
    }
    uint32_t size = static_cast<uint32_t>(rec.size());
    rec.insert(0, reinterpret_cast<const char*>(&size), 4);
    std::lock_guard<std::mutex> lock(mutex_);
    in_flight_.erase(blob);
    analysed_elsewhere_.notify_all();
    auto [it, inserted] = blobs_.emplace(blob, nullptr);
    if (!inserted && it->second) return it->second;
    it->second = std::make_shared<TermCounts>(std::move(counts));
    if (blob.size() != 40) return it->second;  // keys beyond a blob id (jedi: blob|module) stay in memory
    for (size_t done = 0; done < rec.size();) {
      ssize_t n = ::write(fd_, rec.data() + done, rec.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw Error("cannot write the analysis cache '" + path_ + "'");
      done += static_cast<size_t>(n);
    }
    return it->second;
  }
  size_t loaded() const { return loaded_; }

  // Abandons a claim unless the counts were added (an unreadable blob, an error mid-analysis).
  class Claim {
   public:
    Claim(BlobCache& cache, std::string blob) : cache_(cache), blob_(std::move(blob)) {}
    ~Claim() {
      if (!added_) cache_.Abandon(blob_);
    }
    Claim(const Claim&) = delete;
    Claim& operator=(const Claim&) = delete;
    std::shared_ptr<const TermCounts> Add(TermCounts counts) {
      added_ = true;
      return cache_.Add(blob_, std::move(counts));
    }

   private:
    BlobCache& cache_;
    std::string blob_;
    bool added_ = false;
  };

 private:
  static bool Decode(std::string_view rec, std::string& blob, TermCounts& counts, std::vector<std::string>& terms,
                     std::vector<uint32_t>& tfs) {
    constexpr size_t kBlobHex = 40;
    if (rec.size() < kBlobHex + 8) return false;
    blob.assign(rec.substr(0, kBlobHex));
    size_t pos = kBlobHex;
    uint32_t n;
    std::memcpy(&counts.length, rec.data() + pos, 4);
    std::memcpy(&n, rec.data() + pos + 4, 4);
    pos += 8;
    terms.clear();
    tfs.clear();
    for (uint32_t i = 0; i < n; ++i) {
      if (pos + 2 > rec.size()) return false;
      uint16_t len;
      std::memcpy(&len, rec.data() + pos, 2);
      pos += 2;
      if (pos + len + 4 > rec.size()) return false;
      terms.emplace_back(rec.substr(pos, len));
      pos += len;
      uint32_t tf;
      std::memcpy(&tf, rec.data() + pos, 4);
      tfs.push_back(tf);
      pos += 4;
    }
    return pos == rec.size();
  }

  std::string path_;
  retrieval::TermDictionary& dictionary_;
  int fd_ = -1;
  std::mutex mutex_;
  std::condition_variable analysed_elsewhere_;
  std::unordered_set<std::string> in_flight_;  // blobs a worker is analysing now
  std::unordered_map<std::string, std::shared_ptr<const TermCounts>> blobs_;
  size_t loaded_ = 0;
};

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
    analyzer.Analyze(CodePointPrefix(query_text, cutoff), [&](const std::string& term) {
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
    keep.push_back(std::make_unique<TermCounts>(CountTerms(analyzer, dictionary, file.path)));
    const TermCounts* path = keep.back().get();
    keep.push_back(std::make_unique<TermCounts>(CountTerms(analyzer, dictionary, DocumentBody(encoding, file.path, text, module))));
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
  std::map<std::string, std::unique_ptr<BlobCache>> caches;
  auto cache_for = [&](const std::string& slug) -> BlobCache& {
    std::lock_guard<std::mutex> lock(caches_mutex);
    auto& c = caches[slug];
    if (!c) {
      std::string name = slug;
      std::replace(name.begin(), name.end(), '/', '_');
      size_t slash = slug.find('/');
      if (slash != std::string::npos) name = slug.substr(0, slash) + "__" + slug.substr(slash + 1);
      c = std::make_unique<BlobCache>((cache_dir / (name + ".analysis.bin")).string(), dictionary);
      summary.cached_blobs += c->loaded();
    }
    return *c;
  };

  const int workers = o.num_workers > 0 ? o.num_workers : std::max(1u, std::thread::hardware_concurrency());
  Progress bar("retrieve", todo.size(), o.quiet);
  std::atomic<size_t> next{0}, done{0}, failed{0}, undecodable{0}, analysed{0}, analysed_bytes{0};
  std::mutex log_mutex;
  std::string fatal;
  auto work = [&] {
    retrieval::Analyzer analyzer;
    std::unordered_map<std::string, std::optional<git::Repository>> repos;
    std::unordered_map<std::string, TermCounts> path_counts;
    for (size_t n; (n = next.fetch_add(1)) < todo.size();) {
      const Record& inst = *todo[n];
      const std::string id = inst["instance_id"].get<std::string>();
      try {
        const std::string slug = inst.value("repo", "");
        auto& repo = repos[slug];
        if (!repo) repo = git::Repository::Open(o.repositories.PathFor(slug));
        git::TreeSnapshot tree = repo->Snapshot(inst.value("base_commit", ""));
        BlobCache& cache = cache_for(slug);
        std::vector<std::shared_ptr<const TermCounts>> keep;
        std::vector<retrieval::Bm25Document> docs;
        std::unordered_map<std::string, bool> project_roots;
        auto is_root = [&](const std::string& dir) {
          auto [it, inserted] = project_roots.emplace(dir, false);
          if (inserted) it->second = retrieval::IsProjectRoot(tree, dir);
          return it->second;
        };
        for (const auto& file : retrieval::ListDocumentFiles(tree, o.extensions)) {
          std::string module_name;
          std::string key = file.blob_id;
          if (encoding != retrieval::DocumentEncoding::kFileNameAndContents && !IsPythonFile(file.path)) {
            key += "|" + file.path.substr(std::min(file.path.rfind('.'), file.path.size()));  // the comment style
          } else if (encoding == retrieval::DocumentEncoding::kFileNameAndDocsJedi) {
            module_name = retrieval::JediModuleName(file.path, is_root);
            key += "|" + module_name;
          }
          auto contents = cache.FindOrClaim(key);
          if (!contents) {
            BlobCache::Claim claim(cache, key);
            auto bytes = retrieval::ReadDocumentBytes(tree, file);
            if (!bytes) continue;  // a broken symlink: nothing to index
            std::string text;
            if (text::Utf8Error(*bytes)) {
              ++undecodable;
              text = text::UniversalNewlines(text::Utf8Replace(*bytes));
            } else {
              text = text::UniversalNewlines(*bytes);
            }
            // The document is "path\n" + a body that depends on the blob alone (and, for the
            // jedi encoding, on the module name, which is part of the key).
            contents = claim.Add(CountTerms(analyzer, dictionary, DocumentBody(encoding, file.path, text, module_name)));
            ++analysed;
            analysed_bytes += bytes->size();
          }
          auto it = path_counts.find(file.path);
          if (it == path_counts.end()) it = path_counts.emplace(file.path, CountTerms(analyzer, dictionary, file.path)).first;
          keep.push_back(contents);
          docs.push_back({file.path, &it->second, contents.get()});
        }
        auto query = QueryTerms(analyzer, dictionary, inst.value("problem_statement", ""));
        auto hits = retrieval::SearchBm25(docs, query, o.k);
        Record hit_list = Record::array();
        for (const auto& h : hits) hit_list.push_back(Record{{"docid", h.docid}, {"score", static_cast<double>(h.reported_score)}});
        out.Append(Record{{"instance_id", id}, {"hits", std::move(hit_list)}});
        if (o.verbose) {
          std::lock_guard<std::mutex> lock(log_mutex);
          std::fprintf(stderr, "%s: %zu documents, top hit %s\n", id.c_str(), docs.size(),
                       hits.empty() ? "(none)" : hits[0].docid.c_str());
        }
        ++done;
      } catch (const Error& e) {
        ++failed;
        std::lock_guard<std::mutex> lock(log_mutex);
        std::fprintf(stderr, "Failed on instance %s: %s\n", id.c_str(), e.what());
      }
      bar.Advance();
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < std::min<int>(workers, std::max<size_t>(todo.size(), 1)); ++t) pool.emplace_back(work);
  for (auto& t : pool) t.join();
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
