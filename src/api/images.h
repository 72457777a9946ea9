// The images of a SWE-bench Multimodal issue, for models that read them: the problem statement's
// image URLs from `image_assets` (a JSON string or an object, {"problem_statement": [urls], ...}),
// and, for --inline_images, an image downloaded once and checked (size cap, a PNG/JPEG/GIF/WebP
// signature) so that it can travel as base64 inside the request.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dataset/jsonl.h"
#include "http/http_client.h"

namespace sweinfer::api {

struct PromptImage {
  std::string url;         // always set: where the image is
  std::string media_type;  // "image/png", ...: set when inlined
  std::string base64;      // the bytes, when inlined
};

// The problem statement's image URLs of a dataset row (empty when it has none). Throws Error naming
// the instance when image_assets is not JSON of that shape.
std::vector<std::string> ProblemStatementImages(const dataset::Record& row);

// "image/png", "image/jpeg", "image/gif" or "image/webp" from the first bytes; "" otherwise.
std::string ImageMediaType(std::string_view bytes);

// Downloads `url` with `client` and returns it inlined. Throws Error (naming the URL) for an HTTP
// error, a body over `max_bytes`, or bytes that are not one of the four image types.
PromptImage DownloadImage(http::Client& client, const std::string& url, uint64_t max_bytes);

}  // namespace sweinfer::api
