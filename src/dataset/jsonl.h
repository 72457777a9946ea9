// JSON Lines records: reading with errors that name the file and line, and the one append-only
// writer every long-running command uses for its output. The writer survives kill -9: each record
// is written with a single write() of "json\n"; on open, a torn last line (no "\n") is cut off
// and reported; the ids already present are read back so a rerun skips them.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace sweinfer::dataset {

// Records keep their keys in insertion order, like Python dicts.
using Record = nlohmann::ordered_json;

// Parses one JSON text; throws Error naming `where` (e.g. "file.jsonl:12").
Record ParseRecord(std::string_view json_text, const std::string& where);
// A JSON file (config.json, an index, params.json...) parsed; errors name the file.
Record ReadJsonFile(const std::string& path);
// Compact JSON of a record; invalid UTF-8 is replaced, never fatal.
std::string DumpRecord(const Record& record);

// Reads a .jsonl file (blank lines skipped). Throws Error naming file and line.
std::vector<Record> ReadJsonl(const std::string& path);
// Calls visit(record, line_number) per line; stops early when visit returns false.
void ForEachJsonl(const std::string& path, const std::function<bool(Record&&, size_t)>& visit);

enum class FsyncPolicy { kNever, kEveryRecord, kOnClose };

class JsonlWriter {
 public:
  // Opens (creating if needed) `path` for appending. When `id_field` is set, collects the values
  // of that field in existing records (see done_ids()). Throws Error when the file cannot be opened
  // or holds a line that is not JSON (it is not touched then).
  JsonlWriter(const std::string& path, std::optional<std::string> id_field,
              FsyncPolicy policy = FsyncPolicy::kEveryRecord);
  ~JsonlWriter();
  JsonlWriter(const JsonlWriter&) = delete;
  JsonlWriter& operator=(const JsonlWriter&) = delete;

  // Appends one record atomically with respect to crashes. Thread-safe.
  void Append(const Record& record);
  const std::unordered_set<std::string>& done_ids() const { return done_ids_; }
  const std::vector<Record>& existing_records() const { return existing_; }
  // Bytes of a torn final line that were dropped on open (0 when the file was clean).
  size_t dropped_torn_bytes() const { return dropped_torn_bytes_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
  FsyncPolicy policy_;
  std::mutex mutex_;
  std::unordered_set<std::string> done_ids_;
  std::vector<Record> existing_;
  size_t dropped_torn_bytes_ = 0;
};

// Writes all records to `path` atomically (temporary file + rename).
void WriteJsonlAtomically(const std::string& path, const std::vector<Record>& records);

}  // namespace sweinfer::dataset
