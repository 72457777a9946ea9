// Hex digests (OpenSSL's EVP): of bytes in memory, and of a file read in chunks (a multi-GB model
// blob is never held whole). One place for the tokenizer cache keys, check-patches' file hashes
// and the hub's LFS checks.
#pragma once

#include <string>
#include <string_view>

namespace sweinfer {

std::string Sha256Hex(std::string_view data);
std::string Sha1Hex(std::string_view data);
// Throws Error when the file cannot be read.
std::string Sha256HexOfFile(const std::string& path);

}  // namespace sweinfer
