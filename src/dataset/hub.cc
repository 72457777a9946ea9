#include "dataset/hub.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "dataset/jsonl.h"
#include "dataset/parquet_writer.h"
#include "git/repository.h"
#include "http/http_client.h"
#include "util/base64.h"
#include "util/error.h"

namespace sweinfer::dataset {

namespace fs = std::filesystem;

namespace {

bool IsParquet(const std::string& path) {
  return path.size() > 8 && path.compare(path.size() - 8, 8, ".parquet") == 0;
}

}  // namespace

std::string PushDatasetToHub(const std::string& repo_id, const std::map<std::string, std::vector<Record>>& splits,
                             const hub::Options& o) {
  if (o.token.empty()) throw Error("pushing to the hub needs a token: set HF_TOKEN (or HUGGING_FACE_HUB_TOKEN)");
  if (o.offline) throw Error("HF_HUB_OFFLINE=1 forbids pushing to the hub");
  size_t slash = repo_id.find('/');
  if (slash == std::string::npos) throw Error("hub repository must be owner/name, not '" + repo_id + "'");
  const std::string endpoint = hub::Endpoint(o);
  const std::vector<std::string> auth = {"Authorization: Bearer " + o.token};
  http::Client client;
  Record create{{"type", "dataset"}, {"name", repo_id.substr(slash + 1)}, {"organization", repo_id.substr(0, slash)}};
  std::vector<std::string> json_headers = auth;
  json_headers.push_back("Content-Type: application/json");
  http::Response created = client.Send({"POST", endpoint + "/api/repos/create", json_headers, create.dump(), 60});
  if (created.status != 200 && created.status != 201 && created.status != 409) {
    throw Error(hub::Problem(created.status, "creating dataset repository " + repo_id, o));
  }
  std::string body = Record{{"key", "header"},
                            {"value", Record{{"summary", "Upload dataset with sweinfer"}, {"description", ""}}}}
                         .dump() +
                     "\n";
  for (const auto& [split, records] : splits) {
    Record file{{"key", "file"},
                {"value", Record{{"content", Base64Encode(WriteParquetBytes(records))},
                                 {"path", "data/" + split + "-00000-of-00001.parquet"},
                                 {"encoding", "base64"}}}};
    body += file.dump() + "\n";
  }
  std::vector<std::string> ndjson_headers = auth;
  ndjson_headers.push_back("Content-Type: application/x-ndjson");
  http::Response commit =
      client.Send({"POST", endpoint + "/api/datasets/" + repo_id + "/commit/" + o.revision, ndjson_headers, body, 600});
  if (commit.status != 200 && commit.status != 201) {
    throw Error(hub::Problem(commit.status, "uploading to dataset repository " + repo_id, o));
  }
  Record answer = ParseRecord(commit.body.empty() ? "{}" : commit.body, "hub commit answer");
  return answer.value("commitUrl", endpoint + "/datasets/" + repo_id);
}

std::string FetchHubDataset(const std::string& repo_id, const hub::Options& o) {
  hub::Hub hub(o);
  if (o.offline) return hub.CachedSnapshot(repo_id, hub::RepoType::kDataset);
  const hub::RepoInfo info = hub.Info(repo_id, hub::RepoType::kDataset);
  std::vector<std::string> files;
  for (const auto& f : info.files) {
    if (IsParquet(f)) files.push_back(f);
  }
  if (files.empty()) throw Error("dataset " + repo_id + " has no parquet files at revision " + o.revision);
  return hub.Fetch(repo_id, hub::RepoType::kDataset, info, files);
}

}  // namespace sweinfer::dataset
