#include "torch/zip_archive.h"

#include <cstring>

#include "util/error.h"

namespace sweinfer::torch {

namespace {

constexpr uint32_t kEndOfDirectory = 0x06054b50, kZip64End = 0x06064b50, kZip64Locator = 0x07064b50,
                   kDirectoryEntry = 0x02014b50, kLocalHeader = 0x04034b50;

template <typename T>
T Field(std::string_view bytes, uint64_t at, const std::string& what) {
  if (at > bytes.size() || sizeof(T) > bytes.size() - at) throw Error(what + ": truncated");
  T v;
  std::memcpy(&v, bytes.data() + at, sizeof(T));
  return v;
}

}  // namespace

ZipArchive::ZipArchive(std::string_view bytes, std::string name) : bytes_(bytes), name_(std::move(name)) {
  const std::string where = "'" + name_ + "'";
  if (bytes.size() < 22) throw Error(where + ": not a zip archive (too short)");
  // The end-of-directory record is in the last 22 + 65535 bytes (after an optional comment).
  uint64_t end = UINT64_MAX;
  const uint64_t lowest = bytes.size() > 22 + 65535 ? bytes.size() - 22 - 65535 : 0;
  for (uint64_t at = bytes.size() - 22 + 1; at-- > lowest;) {
    if (Field<uint32_t>(bytes, at, where) == kEndOfDirectory) {
      end = at;
      break;
    }
  }
  if (end == UINT64_MAX) throw Error(where + ": not a zip archive (no end-of-directory record; truncated?)");
  uint64_t count = Field<uint16_t>(bytes, end + 10, where);
  uint64_t directory_size = Field<uint32_t>(bytes, end + 12, where);
  uint64_t directory_offset = Field<uint32_t>(bytes, end + 16, where);
  if (end >= 20 && Field<uint32_t>(bytes, end - 20, where) == kZip64Locator) {
    const uint64_t z64 = Field<uint64_t>(bytes, end - 20 + 8, where);
    if (Field<uint32_t>(bytes, z64, where) != kZip64End) throw Error(where + ": bad ZIP64 end-of-directory record");
    count = Field<uint64_t>(bytes, z64 + 32, where);
    directory_size = Field<uint64_t>(bytes, z64 + 40, where);
    directory_offset = Field<uint64_t>(bytes, z64 + 48, where);
  }
  if (directory_offset > bytes.size() || directory_size > bytes.size() - directory_offset) {
    throw Error(where + ": the central directory lies outside the file (truncated?)");
  }
  if (count > directory_size / 46) throw Error(where + ": the central directory is too small for its entries");
  uint64_t at = directory_offset;
  for (uint64_t i = 0; i < count; ++i) {
    if (Field<uint32_t>(bytes, at, where) != kDirectoryEntry) throw Error(where + ": corrupt central directory entry " + std::to_string(i));
    Entry e;
    e.method = Field<uint16_t>(bytes, at + 10, where);
    e.crc32 = Field<uint32_t>(bytes, at + 16, where);
    e.compressed_size = Field<uint32_t>(bytes, at + 20, where);
    e.size = Field<uint32_t>(bytes, at + 24, where);
    const uint16_t name_length = Field<uint16_t>(bytes, at + 28, where);
    const uint16_t extra_length = Field<uint16_t>(bytes, at + 30, where);
    const uint16_t comment_length = Field<uint16_t>(bytes, at + 32, where);
    uint64_t local = Field<uint32_t>(bytes, at + 42, where);
    if (at + 46 + name_length > bytes.size()) throw Error(where + ": truncated central directory");
    e.name.assign(bytes.data() + at + 46, name_length);
    const std::string entry_where = where + ", entry '" + e.name + "'";
    // ZIP64 extra field: the 64-bit values of the fields that hold 0xFFFFFFFF, in this order.
    uint64_t extra = at + 46 + name_length;
    const uint64_t extra_end = extra + extra_length;
    while (extra + 4 <= extra_end) {
      const uint16_t id = Field<uint16_t>(bytes, extra, entry_where), size = Field<uint16_t>(bytes, extra + 2, entry_where);
      if (id == 1) {
        uint64_t field = extra + 4;
        auto next = [&](uint64_t& value) {
          if (value != 0xFFFFFFFFu) return;
          if (field + 8 > extra + 4 + size) throw Error(entry_where + ": short ZIP64 extra field");
          value = Field<uint64_t>(bytes, field, entry_where);
          field += 8;
        };
        next(e.size);
        next(e.compressed_size);
        next(local);
      }
      extra += 4 + static_cast<uint64_t>(size);
    }
    if (Field<uint32_t>(bytes, local, entry_where) != kLocalHeader) throw Error(entry_where + ": corrupt local header");
    const uint64_t data = local + 30 + Field<uint16_t>(bytes, local + 26, entry_where) + Field<uint16_t>(bytes, local + 28, entry_where);
    if (data > bytes.size() || e.compressed_size > bytes.size() - data) {
      throw Error(entry_where + ": data lies outside the file (truncated?)");
    }
    if (e.method == 0 && e.compressed_size != e.size) throw Error(entry_where + ": stored entry with two different sizes");
    e.data_offset = data;
    entries_.push_back(std::move(e));
    at += 46 + static_cast<uint64_t>(name_length) + extra_length + comment_length;
  }
}

const ZipArchive::Entry* ZipArchive::Find(std::string_view name) const {
  for (const auto& e : entries_) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

std::string_view ZipArchive::Stored(const Entry& e) const {
  if (e.method != 0) {
    throw Error("'" + name_ + "', entry '" + e.name + "': compressed (method " + std::to_string(e.method) +
                "); torch.save stores entries uncompressed: save the file again with torch.save");
  }
  return bytes_.substr(e.data_offset, e.size);
}

std::string ZipArchive::Read(const Entry& e) const { return std::string(Stored(e)); }

}  // namespace sweinfer::torch
