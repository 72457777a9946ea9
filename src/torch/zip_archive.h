// A read-only view of a zip archive held in memory (a torch.save file is one): the central
// directory, ZIP64 included, checked against the bytes before anything is handed out. Entries are
// returned as views into the archive (so a mapped checkpoint's tensors stay in place); torch.save
// stores every entry uncompressed, and a compressed entry is refused with a clear error.
// Hand-written because the Debian zip libraries do not expose where a stored entry's bytes lie,
// which in-place mapping needs. Any inconsistency is an Error naming the archive and the entry.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sweinfer::torch {

class ZipArchive {
 public:
  struct Entry {
    std::string name;
    uint16_t method = 0;  // 0 stored, 8 deflated
    uint32_t crc32 = 0;
    uint64_t compressed_size = 0, size = 0;
    uint64_t data_offset = 0;  // of the entry's bytes in the archive
  };

  // `bytes` must outlive the archive; `name` is for messages.
  ZipArchive(std::string_view bytes, std::string name);

  const std::vector<Entry>& entries() const { return entries_; }
  const Entry* Find(std::string_view name) const;
  // The bytes of a stored entry, in place; an Error for a compressed one.
  std::string_view Stored(const Entry& entry) const;
  // A copy of a stored entry's bytes.
  std::string Read(const Entry& entry) const;
  const std::string& name() const { return name_; }

 private:
  std::string_view bytes_;
  std::string name_;
  std::vector<Entry> entries_;
};

}  // namespace sweinfer::torch
