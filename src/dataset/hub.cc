#include "dataset/hub.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "dataset/jsonl.h"
#include "dataset/parquet_writer.h"
#include "git/repository.h"
#include "http/http_client.h"
#include "util/error.h"

namespace sweinfer::dataset {

namespace fs = std::filesystem;

namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string CacheFolderName(const std::string& repo_id) {
  std::string out = "datasets--";
  for (char c : repo_id) {
    if (c == '/') {
      out += "--";
    } else {
      out += c;
    }
  }
  return out;
}

std::string ReadSmallFile(const fs::path& path) {
  std::ifstream in(path);
  std::string s;
  std::getline(in, s);
  return s;
}

void WriteSmallFile(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::string temporary = path.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << content;
  }
  fs::rename(temporary, path);
}

std::string CleanEtag(std::string etag) {
  if (etag.rfind("W/", 0) == 0) etag = etag.substr(2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  return etag;
}

bool IsParquet(const std::string& path) {
  return path.size() > 8 && path.compare(path.size() - 8, 8, ".parquet") == 0;
}

std::string HttpProblem(const http::Response& r, const std::string& what, const HubOptions& o) {
  if (r.status == 401 || r.status == 403) {
    return what + ": access denied (HTTP " + std::to_string(r.status) + ")" +
           (o.token.empty() ? "; set HF_TOKEN for gated or private datasets" : "; check that HF_TOKEN may read it");
  }
  if (r.status == 404) return what + ": not found on the hub (HTTP 404); check the name and revision";
  return what + ": HTTP " + std::to_string(r.status);
}

std::string Base64(const std::string& data) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    uint32_t v = (static_cast<uint8_t>(data[i]) << 16) | (static_cast<uint8_t>(data[i + 1]) << 8) |
                 static_cast<uint8_t>(data[i + 2]);
    for (int k = 3; k >= 0; --k) out.push_back(kAlphabet[(v >> (6 * k)) & 63]);
  }
  if (i < data.size()) {
    uint32_t v = static_cast<uint8_t>(data[i]) << 16;
    if (i + 1 < data.size()) v |= static_cast<uint8_t>(data[i + 1]) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < data.size() ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::string TrimmedEndpoint(const HubOptions& o) {
  std::string endpoint = o.endpoint;
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  return endpoint;
}

}  // namespace

std::string PushDatasetToHub(const std::string& repo_id, const std::map<std::string, std::vector<Record>>& splits,
                             const HubOptions& o) {
  if (o.token.empty()) throw Error("pushing to the hub needs a token: set HF_TOKEN (or HUGGING_FACE_HUB_TOKEN)");
  if (o.offline) throw Error("HF_HUB_OFFLINE=1 forbids pushing to the hub");
  size_t slash = repo_id.find('/');
  if (slash == std::string::npos) throw Error("hub repository must be owner/name, not '" + repo_id + "'");
  const std::string endpoint = TrimmedEndpoint(o);
  const std::vector<std::string> auth = {"Authorization: Bearer " + o.token};
  http::Client client;
  Record create{{"type", "dataset"}, {"name", repo_id.substr(slash + 1)}, {"organization", repo_id.substr(0, slash)}};
  std::vector<std::string> json_headers = auth;
  json_headers.push_back("Content-Type: application/json");
  http::Response created = client.Send({"POST", endpoint + "/api/repos/create", json_headers, create.dump(), 60});
  if (created.status != 200 && created.status != 201 && created.status != 409) {
    throw Error(HttpProblem(created, "creating dataset repository " + repo_id, o));
  }
  std::string body = Record{{"key", "header"},
                            {"value", Record{{"summary", "Upload dataset with sweinfer"}, {"description", ""}}}}
                         .dump() +
                     "\n";
  for (const auto& [split, records] : splits) {
    Record file{{"key", "file"},
                {"value", Record{{"content", Base64(WriteParquetBytes(records))},
                                 {"path", "data/" + split + "-00000-of-00001.parquet"},
                                 {"encoding", "base64"}}}};
    body += file.dump() + "\n";
  }
  std::vector<std::string> ndjson_headers = auth;
  ndjson_headers.push_back("Content-Type: application/x-ndjson");
  http::Response commit =
      client.Send({"POST", endpoint + "/api/datasets/" + repo_id + "/commit/" + o.revision, ndjson_headers, body, 600});
  if (commit.status != 200 && commit.status != 201) {
    throw Error(HttpProblem(commit, "uploading to dataset repository " + repo_id, o));
  }
  Record answer = ParseRecord(commit.body.empty() ? "{}" : commit.body, "hub commit answer");
  return answer.value("commitUrl", endpoint + "/datasets/" + repo_id);
}

HubOptions HubOptionsFromEnvironment() {
  HubOptions o;
  o.endpoint = Env("HF_ENDPOINT").empty() ? "https://huggingface.co" : Env("HF_ENDPOINT");
  if (!Env("HF_HUB_CACHE").empty()) {
    o.hub_cache = Env("HF_HUB_CACHE");
  } else if (!Env("HF_HOME").empty()) {
    o.hub_cache = Env("HF_HOME") + "/hub";
  } else {
    std::string base = Env("XDG_CACHE_HOME").empty() ? Env("HOME") + "/.cache" : Env("XDG_CACHE_HOME");
    o.hub_cache = base + "/huggingface/hub";
  }
  o.token = !Env("HF_TOKEN").empty() ? Env("HF_TOKEN") : Env("HUGGING_FACE_HUB_TOKEN");
  std::string offline = Env("HF_HUB_OFFLINE");
  o.offline = offline == "1" || offline == "true" || offline == "TRUE" || offline == "yes";
  return o;
}

bool LooksLikeHubName(const std::string& s) {
  std::error_code ec;
  if (fs::exists(s, ec)) return false;
  size_t slash = s.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == s.size()) return false;
  if (s.find('/', slash + 1) != std::string::npos || s[0] == '.' || s[0] == '~') return false;
  return s.find(".json") == std::string::npos && s.find(".parquet") == std::string::npos;
}

std::string FetchHubDataset(const std::string& repo_id, const HubOptions& o) {
  const fs::path root = fs::path(o.hub_cache) / CacheFolderName(repo_id);
  const fs::path ref_file = root / "refs" / o.revision;
  if (o.offline) {
    std::string commit = fs::exists(ref_file) ? ReadSmallFile(ref_file) : o.revision;
    fs::path snapshot = root / "snapshots" / commit;
    if (!fs::is_directory(snapshot)) {
      throw Error("dataset " + repo_id + " is not in the cache at " + root.string() +
                  " and HF_HUB_OFFLINE=1 forbids downloading it");
    }
    return snapshot.string();
  }
  const std::string endpoint = TrimmedEndpoint(o);
  std::vector<std::string> headers;
  if (!o.token.empty()) headers.push_back("Authorization: Bearer " + o.token);
  http::Client client;
  http::Request info_request{"GET", endpoint + "/api/datasets/" + repo_id + "/revision/" + o.revision, headers, "", 60};
  http::Response info = client.Send(info_request);
  if (info.status != 200) throw Error(HttpProblem(info, "dataset " + repo_id, o));
  Record meta = ParseRecord(info.body, "hub answer for " + repo_id);
  if (!meta.contains("sha") || !meta["sha"].is_string()) throw Error("hub answer for " + repo_id + " has no commit sha");
  std::string commit = meta["sha"].get<std::string>();
  std::vector<std::string> files;
  if (meta.contains("siblings") && meta["siblings"].is_array()) {
    for (const auto& s : meta["siblings"]) {
      if (s.contains("rfilename") && s["rfilename"].is_string() && IsParquet(s["rfilename"].get<std::string>())) {
        files.push_back(s["rfilename"].get<std::string>());
      }
    }
  }
  if (files.empty()) throw Error("dataset " + repo_id + " has no parquet files at revision " + o.revision);
  const fs::path snapshot = root / "snapshots" / commit;
  for (const auto& file : files) {
    if (file.find("..") != std::string::npos || file[0] == '/') throw Error("hub listed a bad file name: " + file);
    fs::path target = snapshot / file;
    if (fs::exists(target)) continue;  // cached
    http::Request get{"GET", endpoint + "/datasets/" + repo_id + "/resolve/" + commit + "/" + file, headers, "", 3600};
    http::Response r = client.Send(get);
    if (r.status != 200) throw Error(HttpProblem(r, "download of " + repo_id + "/" + file, o));
    std::string length = r.Header("content-length");
    if (!length.empty() && std::stoull(length) != r.body.size()) {
      throw Error("download of " + repo_id + "/" + file + " was truncated (" + std::to_string(r.body.size()) + " of " +
                  length + " bytes)");
    }
    std::string etag = CleanEtag(!r.Header("x-linked-etag").empty() ? r.Header("x-linked-etag") : r.Header("etag"));
    if (etag.empty()) etag = std::to_string(std::hash<std::string>{}(r.body));
    fs::path blob = root / "blobs" / etag;
    fs::create_directories(blob.parent_path());
    if (!fs::exists(blob)) {
      std::string incomplete = blob.string() + ".incomplete";
      {
        std::ofstream out(incomplete, std::ios::binary | std::ios::trunc);
        out << r.body;
        if (!out) throw Error("cannot write " + incomplete);
      }
      fs::rename(incomplete, blob);
    }
    fs::create_directories(target.parent_path());
    fs::create_symlink(fs::relative(blob, target.parent_path()), target);
  }
  WriteSmallFile(ref_file, commit);
  return snapshot.string();
}

}  // namespace sweinfer::dataset
