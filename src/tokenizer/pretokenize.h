// Hand-written scanners equal to the pre-tokenisation regexes of tiktoken's encodings, so that BPE
// sees exactly the pieces tiktoken sees, without a backtracking regex engine:
//   kCl100k: 's|'t|'re|'ve|'m|'ll|'d (any case) | [^\r\n\p{L}\p{N}]?\p{L}+ | \p{N}{1,3}
//            | ' '?[^\s\p{L}\p{N}]+[\r\n]* | \s*[\r\n]+ | \s+(?!\S) | \s+
//   kO200k:  the cased-word rules of o200k_base, \p{N}{1,3}, ' '?[^\s\p{L}\p{N}]+[\r\n/]*, then as above
//   kR50k:   's|'t|'re|'ve|'m|'ll|'d | ' '?\p{L}+ | ' '?\p{N}+ | ' '?[^\s\p{L}\p{N}]+ | \s+(?!\S) | \s+
// \s is Unicode White_Space and letters/numbers are Unicode categories (from ICU).
// Input must be valid UTF-8. Thread-safe.
#pragma once

#include <string_view>
#include <vector>

namespace sweinfer::tokenizer {

enum class PreTokenizer { kCl100k, kO200k, kR50k };

// Calls `piece(begin, end)` for each piece of `text`, in order; pieces tile the text.
template <typename Fn>
void ForEachPiece(PreTokenizer kind, std::string_view text, Fn&& piece);

// Length in bytes of the piece starting at `pos` (> 0 for pos < text.size()).
size_t NextPieceLength(PreTokenizer kind, std::string_view text, size_t pos);

template <typename Fn>
void ForEachPiece(PreTokenizer kind, std::string_view text, Fn&& piece) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t n = NextPieceLength(kind, text, pos);
    piece(pos, pos + n);
    pos += n;
  }
}

}  // namespace sweinfer::tokenizer
