#include "api/images.h"

#include "util/base64.h"
#include "util/error.h"

namespace sweinfer::api {

std::vector<std::string> ProblemStatementImages(const dataset::Record& row) {
  if (!row.contains("image_assets") || row["image_assets"].is_null()) return {};
  const std::string id = row.value("instance_id", std::string("?"));
  dataset::Record assets = row["image_assets"];
  if (assets.is_string()) {
    const std::string& text = assets.get_ref<const std::string&>();
    if (text.empty()) return {};
    assets = dataset::ParseRecord(text, "image_assets of " + id);
  }
  if (!assets.is_object()) throw Error("image_assets of " + id + " is not an object of URL lists");
  std::vector<std::string> urls;
  if (!assets.contains("problem_statement")) return urls;
  const auto& list = assets["problem_statement"];
  if (!list.is_array()) throw Error("image_assets.problem_statement of " + id + " is not a list of URLs");
  for (const auto& u : list) {
    if (!u.is_string()) throw Error("image_assets.problem_statement of " + id + " holds a value that is not a URL");
    urls.push_back(u.get<std::string>());
  }
  return urls;
}

std::string ImageMediaType(std::string_view b) {
  if (b.size() >= 8 && b.substr(0, 8) == std::string_view("\x89PNG\r\n\x1a\n", 8)) return "image/png";
  if (b.size() >= 3 && b.substr(0, 3) == std::string_view("\xff\xd8\xff", 3)) return "image/jpeg";
  if (b.size() >= 6 && (b.substr(0, 6) == "GIF87a" || b.substr(0, 6) == "GIF89a")) return "image/gif";
  if (b.size() >= 12 && b.substr(0, 4) == "RIFF" && b.substr(8, 4) == "WEBP") return "image/webp";
  return "";
}

PromptImage DownloadImage(http::Client& client, const std::string& url, uint64_t max_bytes) {
  http::Request request;
  request.url = url;
  request.timeout_seconds = 60;
  http::Response response = client.Send(request);
  if (response.status != 200) throw Error("image " + url + ": HTTP " + std::to_string(response.status));
  if (response.body.size() > max_bytes) {
    throw Error("image " + url + " is " + std::to_string(response.body.size()) + " bytes, over the cap of " +
                std::to_string(max_bytes) + " (--max_image_bytes)");
  }
  PromptImage image;
  image.url = url;
  image.media_type = ImageMediaType(response.body);
  if (image.media_type.empty()) throw Error("image " + url + " is not a PNG, JPEG, GIF or WebP file");
  image.base64 = Base64Encode(response.body);
  return image;
}

}  // namespace sweinfer::api
