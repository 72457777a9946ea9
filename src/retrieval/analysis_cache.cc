#include "retrieval/analysis_cache.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

#include "util/error.h"

namespace sweinfer::retrieval {

namespace {

constexpr std::string_view kMagic = "sweinfer-analysis-2\n";
constexpr size_t kBlobHex = 40;

uint32_t Get32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

void Put32(std::string& out, uint32_t v) { out.append(reinterpret_cast<const char*>(&v), 4); }

// The file mapped read-only (empty when missing or empty): no copy, no zero-fill.
class MappedFile {
 public:
  explicit MappedFile(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    struct stat st {};
    if (::fstat(fd, &st) == 0 && st.st_size > 0) {
      void* p = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
      if (p != MAP_FAILED) {
        data_ = static_cast<const char*>(p);
        size_ = static_cast<size_t>(st.st_size);
      }
    }
    ::close(fd);
  }
  ~MappedFile() {
    if (data_) ::munmap(const_cast<char*>(data_), size_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  std::string_view bytes() const { return {data_ ? data_ : "", size_}; }

 private:
  const char* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace

AnalysisCache::AnalysisCache(const std::string& path, TermDictionary& dictionary) : path_(path), dictionary_(dictionary) {
  size_t keep = 0;
  {
    MappedFile file(path);
    std::string_view bytes = file.bytes();
    if (bytes.size() >= kMagic.size() && bytes.substr(0, kMagic.size()) == kMagic) keep = kMagic.size() + Load(bytes);
  }
  loaded_ = blobs_.size();
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0 || ::ftruncate(fd_, static_cast<off_t>(keep)) != 0 || ::lseek(fd_, 0, SEEK_END) < 0) {
    throw Error("cannot open the analysis cache '" + path + "'");
  }
  if (keep == 0) WriteAll(std::string(kMagic));
}

AnalysisCache::~AnalysisCache() {
  if (fd_ >= 0) ::close(fd_);
}

size_t AnalysisCache::Load(std::string_view bytes) {
  // First pass: whole records only; the terms are interned under one lock.
  std::vector<std::string_view> terms;
  std::vector<std::string_view> blob_records;
  size_t pos = kMagic.size();
  while (pos + 5 <= bytes.size()) {
    const uint32_t size = Get32(bytes.data() + pos);
    if (size < 1 || size > bytes.size() - pos - 4) break;  // torn
    const char kind = bytes[pos + 4];
    std::string_view payload(bytes.data() + pos + 5, size - 1);
    if (kind == 'T') {
      terms.push_back(payload);
    } else if (kind == 'B') {
      if (payload.size() < kBlobHex + 8) break;
      const uint32_t n = Get32(payload.data() + kBlobHex + 4);
      if (payload.size() != kBlobHex + 8 + static_cast<size_t>(n) * 8) break;
      blob_records.push_back(payload);
    } else {
      break;
    }
    pos += 4 + size;
  }
  std::vector<uint32_t> ids;
  dictionary_.InternAll(terms, ids);
  terms_in_file_ = static_cast<uint32_t>(ids.size());
  for (uint32_t number = 0; number < ids.size(); ++number) {
    if (ids[number] >= number_of_term_.size()) number_of_term_.resize(ids[number] + 1, 0);
    number_of_term_[ids[number]] = number + 1;
  }
  size_t whole = pos - kMagic.size();
  for (std::string_view rec : blob_records) {
    auto counts = std::make_shared<TermCounts>();
    counts->length = Get32(rec.data() + kBlobHex);
    const uint32_t n = Get32(rec.data() + kBlobHex + 4);
    counts->terms.resize(n);
    const char* p = rec.data() + kBlobHex + 8;
    bool valid = true;
    for (uint32_t i = 0; i < n; ++i, p += 8) {
      const uint32_t number = Get32(p);
      if (number >= ids.size()) {
        valid = false;  // names a term the file does not define: not a record this code wrote
        break;
      }
      counts->terms[i] = {ids[number], Get32(p + 4)};
    }
    if (!valid) continue;
    std::sort(counts->terms.begin(), counts->terms.end());
    blobs_[std::string(rec.substr(0, kBlobHex))] = std::move(counts);
  }
  return whole;
}

std::shared_ptr<const TermCounts> AnalysisCache::FindOrClaim(const std::string& key) {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    auto it = blobs_.find(key);
    if (it != blobs_.end() && it->second) return it->second;
    if (in_flight_.insert(key).second) return nullptr;
    analysed_elsewhere_.wait(lock);
  }
}

void AnalysisCache::Abandon(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  in_flight_.erase(key);
  analysed_elsewhere_.notify_all();
}

std::shared_ptr<const TermCounts> AnalysisCache::Add(const std::string& key, TermCounts counts) {
  std::lock_guard<std::mutex> lock(mutex_);
  in_flight_.erase(key);
  analysed_elsewhere_.notify_all();
  auto [it, inserted] = blobs_.emplace(key, nullptr);
  if (!inserted && it->second) return it->second;
  it->second = std::make_shared<TermCounts>(std::move(counts));
  if (key.size() != kBlobHex) return it->second;
  // New terms first, then the blob record naming them: one write().
  std::string out;
  std::string blob;
  blob.reserve(kBlobHex + 8 + it->second->terms.size() * 8);
  blob.append(key);
  Put32(blob, it->second->length);
  Put32(blob, static_cast<uint32_t>(it->second->terms.size()));
  for (const auto& [id, tf] : it->second->terms) {
    if (id >= number_of_term_.size()) number_of_term_.resize(std::max<size_t>(id + 1, number_of_term_.size() * 2), 0);
    if (number_of_term_[id] == 0) {
      std::string_view term = dictionary_.TermOf(id);
      Put32(out, static_cast<uint32_t>(term.size() + 1));
      out.push_back('T');
      out.append(term);
      number_of_term_[id] = ++terms_in_file_;
    }
    Put32(blob, number_of_term_[id] - 1);
    Put32(blob, tf);
  }
  Put32(out, static_cast<uint32_t>(blob.size() + 1));
  out.push_back('B');
  out.append(blob);
  WriteAll(out);
  return it->second;
}

void AnalysisCache::WriteAll(const std::string& bytes) {
  for (size_t done = 0; done < bytes.size();) {
    ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error("cannot write the analysis cache '" + path_ + "'");
    done += static_cast<size_t>(n);
  }
}

}  // namespace sweinfer::retrieval
