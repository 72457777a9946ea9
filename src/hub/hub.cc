#include "hub/hub.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "http/http_client.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/progress.h"

namespace sweinfer::hub {

namespace fs = std::filesystem;

namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

}  // namespace

std::string Endpoint(const Options& o) {
  std::string endpoint = o.endpoint;
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  return endpoint;
}

namespace {

const char* TypeWord(RepoType type) { return type == RepoType::kModel ? "model" : "dataset"; }

std::string ReadFirstLine(const fs::path& path) {
  std::ifstream in(path);
  std::string s;
  std::getline(in, s);
  return s;
}

void WriteSmallFile(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  const std::string temporary = path.string() + ".tmp";
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

bool IsSha256(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

std::string Problem(long status, const std::string& what, const Options& o) {
  if (status == 401 || status == 403) {
    return what + ": access denied (HTTP " + std::to_string(status) + "); " +
           (o.token.empty() ? "the repository is gated or private: accept its terms on the hub and set HF_TOKEN to a "
                              "token of your account"
                            : "check that the token in HF_TOKEN may read it (gated repositories need their terms "
                              "accepted)");
  }
  if (status == 404) return what + ": not found on the hub (HTTP 404); check the name and the revision";
  return what + ": HTTP " + std::to_string(status);
}

namespace {

void CheckFileName(const std::string& file) {
  if (file.empty() || file.find("..") != std::string::npos || file[0] == '/' || file.find('\\') != std::string::npos) {
    throw Error("the hub listed a bad file name: '" + file + "'");
  }
}

}  // namespace

Options OptionsFromEnvironment() {
  Options o;
  o.endpoint = Env("HF_ENDPOINT").empty() ? "https://huggingface.co" : Env("HF_ENDPOINT");
  if (!Env("HF_HUB_CACHE").empty()) {
    o.hub_cache = Env("HF_HUB_CACHE");
  } else if (!Env("HF_HOME").empty()) {
    o.hub_cache = Env("HF_HOME") + "/hub";
  } else {
    const std::string base = Env("XDG_CACHE_HOME").empty() ? Env("HOME") + "/.cache" : Env("XDG_CACHE_HOME");
    o.hub_cache = base + "/huggingface/hub";
  }
  o.token = !Env("HF_TOKEN").empty() ? Env("HF_TOKEN") : Env("HUGGING_FACE_HUB_TOKEN");
  const std::string offline = Env("HF_HUB_OFFLINE");
  o.offline = offline == "1" || offline == "true" || offline == "TRUE" || offline == "yes";
  return o;
}

bool LooksLikeRepoId(const std::string& s) {
  std::error_code ec;
  if (fs::exists(s, ec)) return false;
  const size_t slash = s.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == s.size()) return false;
  if (s.find('/', slash + 1) != std::string::npos || s[0] == '.' || s[0] == '~') return false;
  return s.find(".json") == std::string::npos && s.find(".parquet") == std::string::npos;
}

std::string Hub::RepoFolder(const std::string& repo_id, RepoType type) const {
  std::string out = type == RepoType::kModel ? "models--" : "datasets--";
  for (char c : repo_id) {
    if (c == '/') {
      out += "--";
    } else {
      out += c;
    }
  }
  return (fs::path(o_.hub_cache) / out).string();
}

std::string Hub::CachedSnapshot(const std::string& repo_id, RepoType type) const {
  const fs::path root = RepoFolder(repo_id, type);
  const fs::path ref = root / "refs" / o_.revision;
  const std::string commit = fs::exists(ref) ? ReadFirstLine(ref) : o_.revision;
  const fs::path snapshot = root / "snapshots" / commit;
  if (!fs::is_directory(snapshot)) {
    throw Error(std::string(TypeWord(type)) + " " + repo_id + " is not in the cache at " + root.string() +
                " and HF_HUB_OFFLINE=1 forbids downloading it");
  }
  return snapshot.string();
}

RepoInfo Hub::Info(const std::string& repo_id, RepoType type) const {
  if (o_.offline) throw Error("HF_HUB_OFFLINE=1: cannot ask the hub about " + repo_id);
  std::vector<std::string> headers;
  if (!o_.token.empty()) headers.push_back("Authorization: Bearer " + o_.token);
  http::Client client;
  const std::string url = Endpoint(o_) + (type == RepoType::kModel ? "/api/models/" : "/api/datasets/") + repo_id +
                          "/revision/" + o_.revision;
  http::Response r = client.Send({"GET", url, headers, "", 60});
  if (r.status != 200) throw Error(Problem(r.status, std::string(TypeWord(type)) + " " + repo_id, o_));
  nlohmann::json meta;
  try {
    meta = nlohmann::json::parse(r.body);
  } catch (const nlohmann::json::exception& e) {
    throw Error("hub answer for " + repo_id + " is not JSON: " + e.what());
  }
  RepoInfo info;
  if (!meta.contains("sha") || !meta["sha"].is_string()) throw Error("hub answer for " + repo_id + " has no commit sha");
  info.commit = meta["sha"].get<std::string>();
  if (info.commit.empty() || info.commit.find('/') != std::string::npos || info.commit.find("..") != std::string::npos) {
    throw Error("hub answer for " + repo_id + " has a bad commit sha");
  }
  if (meta.contains("siblings") && meta["siblings"].is_array()) {
    for (const auto& s : meta["siblings"]) {
      if (s.contains("rfilename") && s["rfilename"].is_string()) info.files.push_back(s["rfilename"].get<std::string>());
    }
  }
  return info;
}

std::string Hub::Fetch(const std::string& repo_id, RepoType type, const RepoInfo& info,
                       const std::vector<std::string>& files) const {
  const fs::path root = RepoFolder(repo_id, type);
  const fs::path snapshot = root / "snapshots" / info.commit;
  for (const auto& file : files) {
    CheckFileName(file);
    if (fs::exists(snapshot / file)) continue;  // cached
    Download(repo_id, type, info.commit, file, snapshot.string());
  }
  fs::create_directories(snapshot);
  WriteSmallFile(root / "refs" / o_.revision, info.commit);
  return snapshot.string();
}

void Hub::Download(const std::string& repo_id, RepoType type, const std::string& commit, const std::string& file,
                   const std::string& snapshot) const {
  const std::string what = repo_id + "/" + file;
  const fs::path root = RepoFolder(repo_id, type);
  const std::string resolve = Endpoint(o_) + (type == RepoType::kModel ? "/" : "/datasets/") + repo_id +
                              "/resolve/" + commit + "/" + file;
  std::vector<std::string> auth;
  if (!o_.token.empty()) auth.push_back("Authorization: Bearer " + o_.token);
  http::Client client;
  // The metadata without following the LFS redirect: the blob's etag (its SHA-256 for LFS files),
  // its size, and where the bytes are.
  http::Request head{"HEAD", resolve, auth, "", 60};
  head.follow_redirects = false;
  http::Response meta = client.Send(head);
  if (meta.status >= 400) throw Error(Problem(meta.status, "download of " + what, o_));
  std::string etag = CleanEtag(!meta.Header("x-linked-etag").empty() ? meta.Header("x-linked-etag") : meta.Header("etag"));
  const std::string size_text = !meta.Header("x-linked-size").empty() ? meta.Header("x-linked-size") : meta.Header("content-length");
  const std::string location = meta.status >= 300 ? meta.Header("location") : "";
  if (etag.empty() || etag.find('/') != std::string::npos || etag.find("..") != std::string::npos) {
    throw Error("download of " + what + ": the hub sent no usable ETag");
  }
  uint64_t expected = 0;
  try {
    expected = size_text.empty() ? 0 : std::stoull(size_text);
  } catch (const std::exception&) {
    throw Error("download of " + what + ": bad size '" + size_text + "'");
  }
  const fs::path blob = root / "blobs" / etag;
  fs::create_directories(blob.parent_path());
  if (!fs::exists(blob)) {
    const fs::path incomplete = blob.string() + ".incomplete";
    // A redirect goes to the LFS store, which gets no token (its URL is signed).
    std::string url = resolve;
    std::vector<std::string> headers = auth;
    if (!location.empty()) {
      url = location.rfind("/", 0) == 0 ? Endpoint(o_) + location : location;
      if (location.rfind("/", 0) != 0) headers.clear();
    }
    std::error_code ec;
    uint64_t have = fs::exists(incomplete, ec) ? fs::file_size(incomplete, ec) : 0;
    if (expected > 0 && have > expected) {  // longer than the file: not a prefix of it
      fs::remove(incomplete, ec);
      have = 0;
    }
    Progress bar("download " + file, expected, o_.quiet, Progress::Unit::kBytes, have);
    std::string last_problem;
    for (int attempt = 0; attempt < o_.attempts && !(expected > 0 && have == expected); ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(std::min(8000, 250 << attempt)));
      std::ofstream out;
      long body_status = 0;
      bool restarted = false;
      http::Request get{"GET", url, headers, "", 24 * 3600};
      get.low_speed_bytes = 1;
      if (have > 0) get.headers.push_back("Range: bytes=" + std::to_string(have) + "-");
      get.on_body = [&](long status, std::string_view chunk) {
        body_status = status;
        if (status != 200 && status != 206) return true;  // an error page: read, not written
        if (!out.is_open()) {
          // A 200 to a range request means the server sends the whole file again: start over.
          restarted = status == 200 && have > 0;
          if (restarted) have = 0;
          out.open(incomplete, std::ios::binary | (restarted || have == 0 ? std::ios::trunc : std::ios::app));
          if (!out) return false;
        }
        out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
        have += chunk.size();
        bar.Advance(chunk.size());
        return static_cast<bool>(out);
      };
      try {
        http::Response r = client.Send(get);
        out.close();
        if (r.status == 416 && expected > 0 && have == expected) break;  // already whole
        if (r.status != 200 && r.status != 206) {
          if (r.status == 401 || r.status == 403 || r.status == 404) throw Error(Problem(r.status, "download of " + what, o_));
          last_problem = "HTTP " + std::to_string(r.status);
          continue;
        }
        if (expected == 0) expected = have;  // no size announced: the completed transfer is the file
        if (have != expected) last_problem = "the connection closed after " + std::to_string(have) + " of " + std::to_string(expected) + " bytes";
      } catch (const Error& e) {
        out.close();
        if (body_status == 401 || body_status == 403 || body_status == 404) throw;
        last_problem = e.what();
      }
    }
    bar.Finish();
    if (have != expected || expected == 0) {
      throw Error("download of " + what + " did not complete after " + std::to_string(o_.attempts) + " attempts (" +
                  last_problem + "); run again to resume from " + std::to_string(have) + " bytes");
    }
    if (IsSha256(etag)) {
      const std::string digest = Sha256HexOfFile(incomplete.string());
      if (digest != etag) {
        fs::remove(incomplete, ec);
        throw Error("download of " + what + " failed its SHA-256 check (got " + digest + ", the hub says " + etag +
                    "); the file was deleted, run again to download it anew");
      }
    }
    fs::rename(incomplete, blob);
  }
  const fs::path target = fs::path(snapshot) / file;
  fs::create_directories(target.parent_path());
  std::error_code ec;
  fs::remove(target, ec);
  fs::create_symlink(fs::relative(blob, target.parent_path()), target);
}

std::string FetchModel(const std::string& repo_id, const Options& o) {
  Hub hub(o);
  if (o.offline) return hub.CachedSnapshot(repo_id, RepoType::kModel);
  const RepoInfo info = hub.Info(repo_id, RepoType::kModel);
  const std::set<std::string> listed(info.files.begin(), info.files.end());
  auto ends_with = [](const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  std::vector<std::string> wanted;
  for (const char* small : {"config.json", "generation_config.json", "tokenizer.json", "tokenizer.model",
                            "tokenizer_config.json", "special_tokens_map.json", "params.json", "adapter_config.json"}) {
    if (listed.count(small)) wanted.push_back(small);
  }
  // The weights a loader reads, in its order of preference.
  auto indexed = [&](const std::string& index) {
    const std::string snapshot = hub.Fetch(repo_id, RepoType::kModel, info, {index});
    std::ifstream in(fs::path(snapshot) / index);
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
      throw Error(repo_id + "/" + index + ": " + e.what());
    }
    std::set<std::string> shards;
    if (j.contains("weight_map") && j["weight_map"].is_object()) {
      for (const auto& [k, v] : j["weight_map"].items()) {
        if (v.is_string()) shards.insert(v.get<std::string>());
      }
    }
    wanted.push_back(index);
    wanted.insert(wanted.end(), shards.begin(), shards.end());
  };
  auto top_level = [&](const std::string& prefix, const std::string& suffix) {
    size_t before = wanted.size();
    for (const auto& f : info.files) {
      if (f.find('/') == std::string::npos && f.rfind(prefix, 0) == 0 && ends_with(f, suffix)) wanted.push_back(f);
    }
    return wanted.size() > before;
  };
  if (listed.count("model.safetensors.index.json")) {
    indexed("model.safetensors.index.json");
  } else if (top_level("", ".safetensors")) {
  } else if (listed.count("pytorch_model.bin.index.json")) {
    indexed("pytorch_model.bin.index.json");
  } else if (top_level("pytorch_model", ".bin") || top_level("adapter_model", ".bin") || top_level("consolidated.", ".pth")) {
  } else {
    std::string ggufs;
    for (const auto& f : info.files) {
      if (ends_with(f, ".gguf")) ggufs += (ggufs.empty() ? "" : ", ") + f;
    }
    throw Error("model " + repo_id + " has no weights sweinfer can pick (safetensors, pytorch_model*.bin, consolidated.*.pth)" +
                (ggufs.empty() ? std::string() : "; it holds GGUF files (" + ggufs + "): download the one you want and pass its path"));
  }
  return hub.Fetch(repo_id, RepoType::kModel, info, wanted);
}

std::string FetchTokenizer(const std::string& repo_id, const Options& o) {
  Hub hub(o);
  if (o.offline) return hub.CachedSnapshot(repo_id, RepoType::kModel);
  const RepoInfo info = hub.Info(repo_id, RepoType::kModel);
  std::vector<std::string> wanted;
  for (const auto& f : info.files) {
    if (f == "tokenizer.json" || f == "tokenizer.model" || f == "tokenizer_config.json" || f == "special_tokens_map.json" ||
        f == "config.json") {
      wanted.push_back(f);
    }
  }
  return hub.Fetch(repo_id, RepoType::kModel, info, wanted);
}

}  // namespace sweinfer::hub
