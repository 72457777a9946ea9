#include "tokenizer/bpe.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "text/python_str.h"
#include "util/error.h"

namespace sweinfer::tokenizer {

namespace {

constexpr uint32_t kNoRank = std::numeric_limits<uint32_t>::max();

uint64_t HashBytes(std::string_view s) {
  // FNV-1a over 8-byte words then the tail: fast for the short keys of a vocabulary.
  uint64_t h = 0xcbf29ce484222325ULL ^ s.size();
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = (h ^ w) * 0x100000001b3ULL;
    h ^= h >> 29;
  }
  for (; i < s.size(); ++i) h = (h ^ static_cast<unsigned char>(s[i])) * 0x100000001b3ULL;
  return h ^ (h >> 32);
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

bool DecodeBase64(std::string_view in, std::string& out) {
  out.clear();
  uint32_t buffer = 0;
  int bits = 0;
  size_t padding = 0;
  for (char c : in) {
    if (c == '=') {
      ++padding;
      continue;
    }
    if (padding) return false;
    int v = Base64Value(c);
    if (v < 0) return false;
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return !out.empty() && in.size() % 4 == 0;
}

}  // namespace

// Open-addressing table from token bytes to rank, with the bytes of every rank for decoding.
struct BpeTokenizer::Ranks {
  std::string arena;
  std::vector<std::pair<uint32_t, uint32_t>> spans;  // by rank: offset, length in arena
  std::vector<uint32_t> slots;                         // rank or kNoRank
  uint64_t mask = 0;
  uint32_t byte_rank[256];

  std::string_view Bytes(uint32_t rank) const {
    return std::string_view(arena).substr(spans[rank].first, spans[rank].second);
  }
  uint32_t Find(std::string_view key) const {
    uint64_t i = HashBytes(key) & mask;
    while (true) {
      uint32_t r = slots[i];
      if (r == kNoRank) return kNoRank;
      if (spans[r].second == key.size() && std::memcmp(arena.data() + spans[r].first, key.data(), key.size()) == 0) {
        return r;
      }
      i = (i + 1) & mask;
    }
  }
  void Build() {
    size_t capacity = 1;
    while (capacity < spans.size() * 2) capacity <<= 1;
    slots.assign(capacity, kNoRank);
    mask = capacity - 1;
    for (uint32_t r = 0; r < spans.size(); ++r) {
      if (spans[r].second == 0) continue;  // a gap in the ranks
      uint64_t i = HashBytes(Bytes(r)) & mask;
      while (slots[i] != kNoRank) i = (i + 1) & mask;
      slots[i] = r;
    }
    for (int b = 0; b < 256; ++b) byte_rank[b] = Find(std::string_view(reinterpret_cast<const char*>(&b), 1));
  }
};

std::optional<BpeEncodingSpec> FindBpeEncoding(std::string_view name) {
  if (name == "cl100k" || name == "cl100k_base") {
    return BpeEncodingSpec{"cl100k_base", "cl100k_base.tiktoken",
                           "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
                           "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7", PreTokenizer::kCl100k,
                           {{"<|endoftext|>", 100257}, {"<|fim_prefix|>", 100258}, {"<|fim_middle|>", 100259},
                            {"<|fim_suffix|>", 100260}, {"<|endofprompt|>", 100276}}};
  }
  if (name == "o200k" || name == "o200k_base") {
    return BpeEncodingSpec{"o200k_base", "o200k_base.tiktoken",
                           "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
                           "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d", PreTokenizer::kO200k,
                           {{"<|endoftext|>", 199999}, {"<|endofprompt|>", 200018}}};
  }
  if (name == "p50k_base" || name == "p50k") {
    return BpeEncodingSpec{"p50k_base", "p50k_base.tiktoken",
                           "https://openaipublic.blob.core.windows.net/encodings/p50k_base.tiktoken",
                           "94b5ca7dff4d00767bc256fdd1b27e5b17361d7b8a5f968547f9f23eb70d2069", PreTokenizer::kR50k,
                           {{"<|endoftext|>", 50256}}};
  }
  if (name == "r50k_base" || name == "r50k" || name == "gpt2") {
    return BpeEncodingSpec{"r50k_base", "r50k_base.tiktoken",
                           "https://openaipublic.blob.core.windows.net/encodings/r50k_base.tiktoken",
                           "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930", PreTokenizer::kR50k,
                           {{"<|endoftext|>", 50256}}};
  }
  return std::nullopt;
}

BpeTokenizer::BpeTokenizer(const BpeEncodingSpec& spec, std::string_view rank_file, const std::string& source)
    : spec_(spec), ranks_(std::make_unique<Ranks>()) {
  std::string token;
  size_t line_number = 0;
  size_t start = 0;
  while (start < rank_file.size()) {
    size_t nl = rank_file.find('\n', start);
    if (nl == std::string_view::npos) nl = rank_file.size();
    std::string_view line = rank_file.substr(start, nl - start);
    start = nl + 1;
    ++line_number;
    if (line.empty()) continue;
    size_t space = line.find(' ');
    auto fail = [&](const char* what) {
      throw Error(source + ":" + std::to_string(line_number) + ": corrupt rank file (" + what + ")");
    };
    if (space == std::string_view::npos) fail("expected 'base64 rank'");
    if (!DecodeBase64(line.substr(0, space), token)) fail("bad base64 token");
    std::string_view rank_text = line.substr(space + 1);
    if (rank_text.empty() || rank_text.size() > 9) fail("bad rank");
    uint32_t rank = 0;
    for (char c : rank_text) {
      if (c < '0' || c > '9') fail("bad rank");
      rank = rank * 10 + static_cast<uint32_t>(c - '0');
    }
    if (rank >= ranks_->spans.size()) ranks_->spans.resize(rank + 1, {0, 0});
    if (ranks_->spans[rank].second != 0) fail("duplicate rank");
    ranks_->spans[rank] = {static_cast<uint32_t>(ranks_->arena.size()), static_cast<uint32_t>(token.size())};
    ranks_->arena += token;
  }
  if (ranks_->spans.size() < 256) throw Error(source + ": truncated rank file (" + std::to_string(line_number) + " lines)");
  ranks_->Build();
  for (int b = 0; b < 256; ++b) {
    if (ranks_->byte_rank[b] == kNoRank) throw Error(source + ": rank file lacks single-byte tokens (truncated?)");
  }
}

BpeTokenizer::~BpeTokenizer() = default;

size_t BpeTokenizer::vocabulary_size() const { return ranks_->spans.size(); }

void BpeTokenizer::EncodePiece(std::string_view piece, std::vector<uint32_t>& out) const {
  if (piece.size() == 1) {
    out.push_back(ranks_->byte_rank[static_cast<unsigned char>(piece[0])]);
    return;
  }
  uint32_t whole = ranks_->Find(piece);
  if (whole != kNoRank) {
    out.push_back(whole);
    return;
  }
  // tiktoken's _byte_pair_merge: parts[i] = (start, rank of merging part i with part i+1).
  struct Part {
    uint32_t start, rank;
  };
  thread_local std::vector<Part> parts;
  parts.clear();
  const uint32_t n = static_cast<uint32_t>(piece.size());
  for (uint32_t i = 0; i + 1 < n; ++i) parts.push_back({i, ranks_->Find(piece.substr(i, 2))});
  parts.push_back({n - 1, kNoRank});
  parts.push_back({n, kNoRank});
  auto rank_of = [&](size_t i) -> uint32_t {
    if (i + 3 < parts.size()) return ranks_->Find(piece.substr(parts[i].start, parts[i + 3].start - parts[i].start));
    return kNoRank;
  };
  while (true) {
    uint32_t min_rank = kNoRank;
    size_t min_i = 0;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      if (parts[i].rank < min_rank) {
        min_rank = parts[i].rank;
        min_i = i;
      }
    }
    if (min_rank == kNoRank) break;
    if (min_i > 0) parts[min_i - 1].rank = rank_of(min_i - 1);
    parts[min_i].rank = rank_of(min_i);
    parts.erase(parts.begin() + static_cast<std::ptrdiff_t>(min_i) + 1);
  }
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    uint32_t r = ranks_->Find(piece.substr(parts[i].start, parts[i + 1].start - parts[i].start));
    if (r == kNoRank) throw Error("BPE produced a token missing from the rank file (corrupt rank file?)");
    out.push_back(r);
  }
}

void BpeTokenizer::EncodeOrdinary(std::string_view text, std::vector<uint32_t>& out) const {
  ForEachPiece(spec_.pre_tokenizer, text,
               [&](size_t begin, size_t end) { EncodePiece(text.substr(begin, end - begin), out); });
}

std::vector<uint32_t> BpeTokenizer::Encode(std::string_view raw, bool allow_special) const {
  std::string storage;
  std::string_view text = raw;
  if (text::Utf8Error(raw)) {
    storage = text::Utf8Replace(raw);
    text = storage;
  }
  std::vector<uint32_t> out;
  out.reserve(text.size() / 3 + 4);
  if (!allow_special) {
    EncodeOrdinary(text, out);
    return out;
  }
  size_t pos = 0;
  while (pos < text.size()) {
    // The earliest special token at or after pos (longest first at the same place).
    size_t best = std::string_view::npos;
    const std::pair<std::string, uint32_t>* best_token = nullptr;
    for (const auto& special : spec_.special_tokens) {
      size_t at = text.find(special.first, pos);
      if (at < best || (at == best && best_token && special.first.size() > best_token->first.size())) {
        best = at;
        best_token = &special;
      }
    }
    if (!best_token || best == std::string_view::npos) {
      EncodeOrdinary(text.substr(pos), out);
      break;
    }
    EncodeOrdinary(text.substr(pos, best - pos), out);
    out.push_back(best_token->second);
    pos = best + best_token->first.size();
  }
  return out;
}

size_t BpeTokenizer::CountTokens(std::string_view text) const { return Encode(text).size(); }

std::string BpeTokenizer::Decode(const std::vector<uint32_t>& ids) const {
  std::string out;
  for (uint32_t id : ids) {
    if (id < ranks_->spans.size() && ranks_->spans[id].second > 0) {
      out += ranks_->Bytes(id);
      continue;
    }
    auto it = std::find_if(spec_.special_tokens.begin(), spec_.special_tokens.end(),
                           [&](const auto& s) { return s.second == id; });
    if (it == spec_.special_tokens.end()) throw Error("token id " + std::to_string(id) + " is not in " + spec_.name);
    out += it->first;
  }
  return out;
}

}  // namespace sweinfer::tokenizer
