#include "tokenizer/tokenizer.h"

#include <sentencepiece_processor.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "http/http_client.h"
#include "text/python_str.h"
#include "tokenizer/bpe.h"
#include "tokenizer/hf_tokenizer.h"
#include "util/digest.h"
#include "util/error.h"

namespace sweinfer::tokenizer {

namespace fs = std::filesystem;

namespace {

std::string ReadWhole(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

class BpeAdapter : public Tokenizer {
 public:
  explicit BpeAdapter(std::unique_ptr<BpeTokenizer> bpe) : bpe_(std::move(bpe)), name_(bpe_->spec().name) {}
  std::vector<int64_t> Encode(std::string_view text) const override { return Widen(bpe_->Encode(text, false)); }
  std::vector<int64_t> EncodeWithSpecials(std::string_view text) const override {
    return Widen(bpe_->Encode(text, true));
  }
  std::string Decode(const std::vector<int64_t>& ids) const override {
    std::vector<uint32_t> narrow;
    for (int64_t id : ids) {
      if (id < 0 || id > UINT32_MAX) throw Error("token id " + std::to_string(id) + " is not in " + name_);
      narrow.push_back(static_cast<uint32_t>(id));
    }
    return bpe_->Decode(narrow);
  }
  std::string EosToken() const override { return ""; }
  const std::string& name() const override { return name_; }

 private:
  static std::vector<int64_t> Widen(const std::vector<uint32_t>& ids) { return {ids.begin(), ids.end()}; }
  std::unique_ptr<BpeTokenizer> bpe_;
  std::string name_;
};

class SentencePieceAdapter : public Tokenizer {
 public:
  explicit SentencePieceAdapter(const std::string& model_path) : name_("llama") {
    auto status = processor_.Load(model_path);
    if (!status.ok()) throw Error("cannot load tokenizer model '" + model_path + "': " + status.ToString());
  }
  std::vector<int64_t> Encode(std::string_view raw) const override {
    std::string storage;
    std::string_view text = raw;
    if (text::Utf8Error(raw)) {
      storage = text::Utf8Replace(raw);
      text = storage;
    }
    std::vector<int> ids;
    auto status = processor_.Encode(text, &ids);
    if (!status.ok()) throw Error("sentencepiece: " + status.ToString());
    return {ids.begin(), ids.end()};
  }
  // "</s>" (and "<s>") become their ids, as the Hugging Face Llama tokenizer does with special tokens.
  std::vector<int64_t> EncodeWithSpecials(std::string_view text) const override {
    std::vector<int64_t> out;
    size_t pos = 0;
    while (pos <= text.size()) {
      size_t eos = text.find("</s>", pos);
      std::string_view part = text.substr(pos, eos == std::string_view::npos ? std::string_view::npos : eos - pos);
      if (!part.empty()) {
        auto ids = Encode(part);
        out.insert(out.end(), ids.begin(), ids.end());
      }
      if (eos == std::string_view::npos) break;
      out.push_back(processor_.eos_id());
      pos = eos + 4;
    }
    return out;
  }
  std::string Decode(const std::vector<int64_t>& ids) const override {
    std::vector<int> narrow;
    for (int64_t id : ids) {
      if (id < 0 || id >= processor_.GetPieceSize()) throw Error("token id " + std::to_string(id) + " is not in llama");
      narrow.push_back(static_cast<int>(id));
    }
    std::string out;
    auto status = processor_.Decode(narrow, &out);
    if (!status.ok()) throw Error("sentencepiece: " + status.ToString());
    return out;
  }
  std::string EosToken() const override { return "</s>"; }
  const std::string& name() const override { return name_; }

 private:
  sentencepiece::SentencePieceProcessor processor_;
  std::string name_;
};

// Finds or fetches the rank file of `spec`; returns its bytes and where they came from.
std::pair<std::string, std::string> RankFile(const BpeEncodingSpec& spec, const TokenizerOptions& o) {
  std::vector<fs::path> candidates;
  if (!o.tiktoken_dir.empty()) candidates.push_back(fs::path(o.tiktoken_dir) / spec.file_name);
  std::string cache_key = Sha1Hex(spec.url);
  for (const char* var : {"TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR"}) {
    if (!Env(var).empty()) {
      candidates.push_back(fs::path(Env(var)) / cache_key);
      candidates.push_back(fs::path(Env(var)) / spec.file_name);
    }
  }
  std::string home = Env("XDG_CACHE_HOME").empty() ? Env("HOME") + "/.cache" : Env("XDG_CACHE_HOME");
  fs::path user_cache = fs::path(home) / "sweinfer" / "tiktoken" / spec.file_name;
  candidates.push_back(user_cache);
  candidates.push_back(fs::temp_directory_path() / "data-gym-cache" / cache_key);
  for (const auto& path : candidates) {
    std::error_code ec;
    if (fs::is_regular_file(path, ec)) return {ReadWhole(path), path.string()};
  }
  if (!o.allow_download) {
    throw Error("rank file " + spec.file_name + " not found (looked in --tiktoken_dir, $TIKTOKEN_CACHE_DIR and " +
                user_cache.parent_path().string() + ")");
  }
  http::Client client;
  http::Response r = client.Send({"GET", spec.url, {}, "", 300});
  if (r.status != 200) throw Error("download of " + spec.url + " failed: HTTP " + std::to_string(r.status));
  std::string digest = Sha256Hex(r.body);
  if (digest != spec.sha256) {
    throw Error("download of " + spec.url + " has SHA-256 " + digest + ", expected " + spec.sha256 + "; not used");
  }
  fs::create_directories(user_cache.parent_path());
  std::string temporary = user_cache.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << r.body;
  }
  fs::rename(temporary, user_cache);
  return {r.body, user_cache.string()};
}

}  // namespace


std::unique_ptr<Tokenizer> LoadTokenizer(const std::string& name, const TokenizerOptions& o) {
  if (name == "llama") {
    std::string path = o.tokenizer_path.empty() ? Env("SWEINFER_LLAMA_TOKENIZER") : o.tokenizer_path;
    if (path.empty()) {
      throw Error("the llama tokenizer needs --tokenizer_path (a tokenizer.model file or a model directory) or "
                  "$SWEINFER_LLAMA_TOKENIZER");
    }
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      // tokenizer.model first; a Hugging Face tokenizer.json when there is none.
      fs::path model = fs::path(path) / "tokenizer.model", json = fs::path(path) / "tokenizer.json";
      path = (fs::is_regular_file(model, ec) || !fs::is_regular_file(json, ec) ? model : json).string();
    }
    if (!fs::is_regular_file(path, ec)) throw Error("tokenizer model '" + path + "' does not exist");
    if (fs::path(path).extension() == ".json") return LoadHfTokenizer(path, "llama");
    return std::make_unique<SentencePieceAdapter>(path);
  }
  auto spec = FindBpeEncoding(name);
  if (!spec) throw Error("unknown tokenizer '" + name + "' (expected cl100k, o200k, p50k, r50k or llama)");
  auto [bytes, source] = RankFile(*spec, o);
  return std::make_unique<BpeAdapter>(std::make_unique<BpeTokenizer>(*spec, bytes, source));
}

std::vector<int64_t> LlamaIdsWithoutLeadingSpace(const Tokenizer& llama, std::string_view text) {
  std::string with_newline;
  with_newline.reserve(text.size() + 1);
  with_newline.push_back('\n');
  with_newline.append(text);
  auto ids = llama.EncodeWithSpecials(with_newline);
  auto newline = std::find(ids.begin(), ids.end(), 13);
  if (newline == ids.end()) throw Error("llama tokenizer: no newline token (13) in the encoding of '\\n' + text");
  return std::vector<int64_t>(newline + 1, ids.end());
}

}  // namespace sweinfer::tokenizer
