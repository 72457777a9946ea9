#include "dataset/jsonl.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "util/error.h"

namespace sweinfer::dataset {

Record ParseRecord(std::string_view json_text, const std::string& where) {
  try {
    return Record::parse(json_text);
  } catch (const nlohmann::json::exception& e) {  // parse errors, and number overflow (out_of_range)
    throw Error(where + ": malformed JSON: " + e.what());
  }
}

Record ReadJsonFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read '" + path + "'");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return ParseRecord(text, path);
}

std::string DumpRecord(const Record& record) {
  return record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void ForEachJsonl(const std::string& path, const std::function<bool(Record&&, size_t)>& visit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open '" + path + "': " + std::strerror(errno));
  std::string line;
  size_t line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (!visit(ParseRecord(line, path + ":" + std::to_string(line_number)), line_number)) return;
  }
}

std::vector<Record> ReadJsonl(const std::string& path) {
  std::vector<Record> records;
  ForEachJsonl(path, [&](Record&& r, size_t) {
    records.push_back(std::move(r));
    return true;
  });
  return records;
}

JsonlWriter::JsonlWriter(const std::string& path, std::optional<std::string> id_field, FsyncPolicy policy)
    : path_(path), policy_(policy) {
  std::error_code ec;
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error("cannot open '" + path + "' for writing: " + std::strerror(errno));

  // Read what is there: complete lines are records, a final piece without "\n" is torn.
  std::string content;
  {
    std::ifstream in(path, std::ios::binary);
    content.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  size_t complete = content.rfind('\n');
  complete = complete == std::string::npos ? 0 : complete + 1;
  size_t line_number = 0;
  for (size_t start = 0; start < complete;) {
    size_t nl = content.find('\n', start);
    std::string_view line(content.data() + start, nl - start);
    ++line_number;
    start = nl + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    Record record = ParseRecord(line, path + ":" + std::to_string(line_number));
    if (id_field && record.is_object() && record.contains(*id_field) && record[*id_field].is_string()) {
      done_ids_.insert(record[*id_field].get<std::string>());
    }
    existing_.push_back(std::move(record));
  }
  if (complete < content.size()) {
    dropped_torn_bytes_ = content.size() - complete;
    if (::ftruncate(fd_, static_cast<off_t>(complete)) != 0) {
      throw Error("cannot drop the torn last line of '" + path + "': " + std::strerror(errno));
    }
  }
}

JsonlWriter::~JsonlWriter() {
  if (fd_ >= 0) {
    if (policy_ != FsyncPolicy::kNever) ::fsync(fd_);
    ::close(fd_);
  }
}

void JsonlWriter::Append(const Record& record) {
  std::string line = DumpRecord(record);
  line.push_back('\n');
  std::lock_guard<std::mutex> lock(mutex_);
  size_t written = 0;
  while (written < line.size()) {
    ssize_t n = ::write(fd_, line.data() + written, line.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error("cannot write to '" + path_ + "': " + std::strerror(errno));
    }
    written += static_cast<size_t>(n);
  }
  if (policy_ == FsyncPolicy::kEveryRecord) ::fdatasync(fd_);
}

void WriteJsonlAtomically(const std::string& path, const std::vector<Record>& records) {
  std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw Error("cannot write '" + temporary + "': " + std::strerror(errno));
    for (const auto& r : records) out << DumpRecord(r) << '\n';
    out.flush();
    if (!out) throw Error("cannot write '" + temporary + "': " + std::strerror(errno));
  }
  std::filesystem::rename(temporary, path);
}

}  // namespace sweinfer::dataset
