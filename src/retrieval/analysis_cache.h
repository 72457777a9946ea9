// The analysed contents of one repository's blobs, in memory and in an append-only file on disk, so
// that a blob is analysed once per run whatever the number of workers, and once ever while the
// cache file is kept (--leave_indexes).
//
// File format: the magic line "sweinfer-analysis-2\n", then records [u32 size][u8 kind][payload]:
//   'T' term:  the term's bytes. Terms are numbered in file order from 0; a blob record names them
//              by that number, so a term's bytes are on disk (and interned on load) once per file.
//   'B' blob:  [40 hex blob id][u32 length][u32 n] n x ([u32 term number][u32 tf]).
// Each Add writes its new terms and its blob record with one write(); a torn tail (crash mid-write)
// is cut at the last whole record when the file is opened. A file without the magic (an older
// format, or not a cache) is started afresh. Keys other than a 40-hex blob id (a blob read with
// another encoding's context) are kept in memory only.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "retrieval/term_dictionary.h"

namespace sweinfer::retrieval {

class AnalysisCache {
 public:
  // Opens (or creates) the cache file; throws Error naming it when it cannot be written.
  AnalysisCache(const std::string& path, TermDictionary& dictionary);
  ~AnalysisCache();
  AnalysisCache(const AnalysisCache&) = delete;
  AnalysisCache& operator=(const AnalysisCache&) = delete;

  // The counts of `key` when known. When another worker is analysing it, waits for its result.
  // Otherwise the caller becomes the one analysing it and gets nullptr: it must then Add() the
  // counts or Abandon() the key (Claim does one or the other). A worker holds at most one claim and
  // never waits while holding one: no deadlock.
  std::shared_ptr<const TermCounts> FindOrClaim(const std::string& key);
  void Abandon(const std::string& key);
  std::shared_ptr<const TermCounts> Add(const std::string& key, TermCounts counts);

  size_t loaded() const { return loaded_; }

  // Abandons a claim unless the counts were added (an unreadable blob, an error mid-analysis).
  class Claim {
   public:
    Claim(AnalysisCache& cache, std::string key) : cache_(cache), key_(std::move(key)) {}
    ~Claim() {
      if (!added_) cache_.Abandon(key_);
    }
    Claim(const Claim&) = delete;
    Claim& operator=(const Claim&) = delete;
    std::shared_ptr<const TermCounts> Add(TermCounts counts) {
      added_ = true;
      return cache_.Add(key_, std::move(counts));
    }

   private:
    AnalysisCache& cache_;
    std::string key_;
    bool added_ = false;
  };

 private:
  size_t Load(std::string_view bytes);  // returns the length of the whole records read
  void WriteAll(const std::string& bytes);

  std::string path_;
  TermDictionary& dictionary_;
  int fd_ = -1;
  std::mutex mutex_;
  std::condition_variable analysed_elsewhere_;
  std::unordered_set<std::string> in_flight_;  // keys a worker is analysing now
  std::unordered_map<std::string, std::shared_ptr<const TermCounts>> blobs_;
  std::vector<uint32_t> number_of_term_;  // dictionary id -> term number in the file + 1 (0: none)
  uint32_t terms_in_file_ = 0;
  size_t loaded_ = 0;
};

}  // namespace sweinfer::retrieval
