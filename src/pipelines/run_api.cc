#include "pipelines/run_api.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <unordered_map>
#include <set>
#include <thread>

#include "api/providers.h"
#include "api/settings.h"
#include "dataset/dataset.h"
#include "git/repository.h"
#include "http/concurrent_requests.h"
#include "patch/extract.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"
#include "util/progress.h"

namespace sweinfer::pipelines {

namespace fs = std::filesystem;
using dataset::Record;

std::string RunApiOutputName(const RunApiOptions& o) {
  fs::path model(o.model_name_or_path);
  std::string nickname = model.filename().string();
  if (nickname.find("checkpoint") != std::string::npos) nickname = model.parent_path().filename().string();
  std::string dataset = o.dataset_name_or_path;
  while (!dataset.empty() && dataset.back() == '/') dataset.pop_back();
  dataset = dataset.substr(dataset.rfind('/') == std::string::npos ? 0 : dataset.rfind('/') + 1);
  std::string name = nickname + "__" + dataset + "__" + o.split;
  if (o.shard_id && o.num_shards) name += "__shard-" + std::to_string(*o.shard_id) + "__num_shards-" + std::to_string(*o.num_shards);
  return name + ".jsonl";
}

namespace {

std::string FirstSetting(const std::map<std::string, std::string>& env, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    if (auto v = api::Setting(env, n)) return *v;
  }
  return "";
}

// ---- Batch APIs ---------------------------------------------------------------------------------

struct BatchContext {
  const RunApiOptions& options;
  const api::ProviderConfig& server;
  api::Provider provider;
  http::Client client;
};

std::vector<std::string> AuthHeaders(const BatchContext& b) {
  if (b.provider == api::Provider::kAnthropic) {
    return {"x-api-key: " + b.server.api_key, "anthropic-version: " + b.server.anthropic_version};
  }
  return {"Authorization: Bearer " + b.server.api_key};
}

std::string OpenAIBase(const BatchContext& b) {
  std::string base = b.server.base_url.empty() ? "https://api.openai.com/v1" : b.server.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base;
}

std::string AnthropicBase(const BatchContext& b) {
  std::string base = b.server.base_url.empty() ? "https://api.anthropic.com" : b.server.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base;
}

Record CallJson(BatchContext& b, const std::string& method, const std::string& url, const std::string& body,
                const std::vector<std::string>& extra_headers, const std::string& what) {
  std::vector<std::string> headers = AuthHeaders(b);
  headers.insert(headers.end(), extra_headers.begin(), extra_headers.end());
  http::Response r = b.client.Send({method, url, headers, body, 300});
  if (r.status < 200 || r.status >= 300) {
    api::Answer a = api::ParseAnswer(b.provider, r);
    throw Error(what + " failed: " + a.error);
  }
  try {
    return Record::parse(r.body);
  } catch (const nlohmann::json::exception&) {
    throw Error(what + ": malformed answer");
  }
}

// Submits one batch for `ids` (requests built by `body_of`); returns its id.
std::string SubmitBatch(BatchContext& b, const std::vector<std::pair<std::string, std::string>>& requests) {
  if (b.provider == api::Provider::kAnthropic) {
    Record list = Record::array();
    for (const auto& [id, body] : requests) list.push_back(Record{{"custom_id", id}, {"params", Record::parse(body)}});
    Record created = CallJson(b, "POST", AnthropicBase(b) + "/v1/messages/batches", Record{{"requests", list}}.dump(),
                              {"Content-Type: application/json"}, "creating a message batch");
    return created.at("id").get<std::string>();
  }
  std::string jsonl;
  for (const auto& [id, body] : requests) {
    jsonl += Record{{"custom_id", id}, {"method", "POST"}, {"url", "/v1/chat/completions"}, {"body", Record::parse(body)}}.dump() + "\n";
  }
  const std::string boundary = "sweinfer-batch-boundary-7f3a";
  std::string form = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--" + boundary +
                     "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"batch.jsonl\"\r\n"
                     "Content-Type: application/jsonl\r\n\r\n" + jsonl + "\r\n--" + boundary + "--\r\n";
  Record file = CallJson(b, "POST", OpenAIBase(b) + "/files", form,
                         {"Content-Type: multipart/form-data; boundary=" + boundary}, "uploading the batch file");
  Record batch = CallJson(b, "POST", OpenAIBase(b) + "/batches",
                          Record{{"input_file_id", file.at("id")}, {"endpoint", "/v1/chat/completions"},
                                 {"completion_window", "24h"}}.dump(),
                          {"Content-Type: application/json"}, "creating a batch");
  return batch.at("id").get<std::string>();
}

// Polls a batch; when it has ended, returns its result lines as (custom_id, HTTP-like response).
std::optional<std::vector<std::pair<std::string, http::Response>>> PollBatch(BatchContext& b, const std::string& id) {
  std::vector<std::pair<std::string, http::Response>> results;
  auto fetch_lines = [&](const std::string& url) {
    http::Response r = b.client.Send({"GET", url, AuthHeaders(b), "", 600});
    if (r.status != 200) throw Error("downloading batch results failed: HTTP " + std::to_string(r.status));
    std::vector<Record> lines;
    size_t start = 0;
    while (start < r.body.size()) {
      size_t nl = r.body.find('\n', start);
      std::string line = r.body.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
      start = nl == std::string::npos ? r.body.size() : nl + 1;
      if (line.find_first_not_of(" \r") != std::string::npos) lines.push_back(dataset::ParseRecord(line, "batch results"));
    }
    return lines;
  };
  if (b.provider == api::Provider::kAnthropic) {
    Record status = CallJson(b, "GET", AnthropicBase(b) + "/v1/messages/batches/" + id, "", {}, "polling batch " + id);
    if (status.value("processing_status", "") != "ended") return std::nullopt;
    for (const auto& line : fetch_lines(status.at("results_url").get<std::string>())) {
      http::Response r;
      const Record& result = line.at("result");
      if (result.value("type", "") == "succeeded") {
        r.status = 200;
        r.body = result.at("message").dump();
      } else {
        r.status = 400;
        r.body = Record{{"error", Record{{"message", "batch result " + result.value("type", std::string("?"))}}}}.dump();
      }
      results.emplace_back(line.at("custom_id").get<std::string>(), std::move(r));
    }
    return results;
  }
  Record status = CallJson(b, "GET", OpenAIBase(b) + "/batches/" + id, "", {}, "polling batch " + id);
  std::string s = status.value("status", "");
  if (s == "failed" || s == "expired" || s == "cancelled") {
    if (!status.contains("output_file_id") || status["output_file_id"].is_null()) {
      throw Error("batch " + id + " " + s + " without results");
    }
  } else if (s != "completed") {
    return std::nullopt;
  }
  for (const char* key : {"output_file_id", "error_file_id"}) {
    if (!status.contains(key) || !status[key].is_string()) continue;
    for (const auto& line : fetch_lines(OpenAIBase(b) + "/files/" + status[key].get<std::string>() + "/content")) {
      http::Response r;
      if (line.contains("response") && line["response"].is_object()) {
        r.status = line["response"].value("status_code", 500L);
        r.body = line["response"].value("body", Record::object()).dump();
      } else {
        r.status = 500;
        r.body = line.value("error", Record::object()).dump();
      }
      results.emplace_back(line.at("custom_id").get<std::string>(), std::move(r));
    }
  }
  return results;
}

}  // namespace

std::vector<api::ProviderConfig> ResolveServers(const RunApiOptions& o, api::Provider& provider) {
  const auto env = api::ReadDotEnv(o.dotenv_path);
  std::string azure_endpoint = o.azure_endpoint.value_or(FirstSetting(env, {"AZURE_OPENAI_ENDPOINT"}));
  if (o.provider) {
    auto p = api::ParseProvider(*o.provider);
    if (!p) throw Error("unknown --provider '" + *o.provider + "' (openai, azure, anthropic, anthropic-legacy, openai-compatible)");
    provider = *p;
  } else if (!o.base_urls.empty()) {
    provider = api::Provider::kOpenAICompatible;
  } else {
    provider = api::ProviderForModel(o.model_name_or_path, !azure_endpoint.empty());
  }
  std::vector<api::ProviderConfig> servers;
  api::ProviderConfig base;
  base.provider = provider;
  switch (provider) {
    case api::Provider::kOpenAI:
      base.api_key = FirstSetting(env, {"OPENAI_API_KEY"});
      base.base_url = FirstSetting(env, {"OPENAI_BASE_URL"});
      if (base.api_key.empty()) throw Error("OPENAI_API_KEY is not set (environment or .env)");
      break;
    case api::Provider::kAzure:
      base.api_key = FirstSetting(env, {"AZURE_OPENAI_API_KEY", "OPENAI_API_KEY"});
      base.base_url = azure_endpoint;
      base.azure_deployment = o.azure_deployment.value_or(FirstSetting(env, {"AZURE_OPENAI_DEPLOYMENT"}));
      base.azure_api_version = o.azure_api_version.value_or(FirstSetting(env, {"AZURE_OPENAI_API_VERSION", "OPENAI_API_VERSION"}));
      if (base.azure_deployment.empty()) base.azure_deployment = o.model_name_or_path;
      if (base.api_key.empty() || base.base_url.empty() || base.azure_api_version.empty()) {
        throw Error("Azure OpenAI needs AZURE_OPENAI_API_KEY, AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_API_VERSION "
                    "(or --azure_endpoint, --azure_api_version)");
      }
      break;
    case api::Provider::kAnthropic:
    case api::Provider::kAnthropicLegacy:
      base.api_key = FirstSetting(env, {"ANTHROPIC_API_KEY"});
      base.base_url = FirstSetting(env, {"ANTHROPIC_BASE_URL"});
      if (base.api_key.empty()) throw Error("ANTHROPIC_API_KEY is not set (environment or .env)");
      break;
    case api::Provider::kOpenAICompatible:
      base.api_key = FirstSetting(env, {"OPENAI_API_KEY"});
      if (o.base_urls.empty()) throw Error("an OpenAI-compatible server needs --base_url");
      break;
  }
  if (o.base_urls.empty()) {
    servers.push_back(base);
  } else {
    for (const auto& url : o.base_urls) {
      api::ProviderConfig c = base;
      c.base_url = url;
      servers.push_back(c);
    }
  }
  return servers;
}

RunApiSummary RunApi(const RunApiOptions& o) {
  const auto env = api::ReadDotEnv(o.dotenv_path);
  api::ModelTable table;
  if (o.price_file) table.LoadPriceFile(*o.price_file);
  const api::ModelInfo info = table.Find(o.model_name_or_path);

  api::Provider provider;
  std::vector<api::ProviderConfig> servers = ResolveServers(o, provider);
  const api::ProviderConfig& base = servers[0];
  if (!o.quiet && !base.api_key.empty()) {
    std::fprintf(stderr, "provider %s, key %s\n", api::ProviderName(provider).c_str(), git::MaskSecret(base.api_key).c_str());
  }

  // Instances: sorted by prompt length, sharded, filtered by the context limit.
  auto rows = dataset::Dataset::Open(o.dataset_name_or_path).LoadSplit(o.split);
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!rows[i].contains("instance_id") || !rows[i].contains("text") || !rows[i]["text"].is_string()) {
      throw Error(o.dataset_name_or_path + ": split " + o.split + ", row " + std::to_string(i) +
                  " needs string fields instance_id and text (a make-dataset output)");
    }
  }
  std::stable_sort(rows.begin(), rows.end(), [](const Record& a, const Record& b) {
    return a["text"].get_ref<const std::string&>().size() < b["text"].get_ref<const std::string&>().size();
  });
  if (o.shard_id && o.num_shards) {
    size_t n = rows.size(), shards = static_cast<size_t>(*o.num_shards), i = static_cast<size_t>(*o.shard_id);
    if (i >= shards) throw Error("--shard_id must be below --num_shards");
    size_t div = n / shards, mod = n % shards, start = div * i + std::min(i, mod);
    rows = std::vector<Record>(rows.begin() + start, rows.begin() + start + div + (i < mod ? 1 : 0));
  }
  RunApiSummary summary;
  fs::create_directories(o.output_dir.empty() ? "." : o.output_dir);
  summary.output_file = (fs::path(o.output_dir.empty() ? "." : o.output_dir) / RunApiOutputName(o)).string();
  dataset::JsonlWriter out(summary.output_file, "instance_id");
  dataset::JsonlWriter errors(summary.output_file.substr(0, summary.output_file.size() - 6) + ".errors.jsonl", "instance_id");
  for (const auto& r : out.existing_records()) summary.previous_cost += r.value("cost", 0.0);

  std::unique_ptr<tokenizer::Tokenizer> counter;
  bool openai_family = provider == api::Provider::kOpenAI || provider == api::Provider::kAzure;
  if (openai_family) {
    tokenizer::TokenizerOptions t;
    t.tiktoken_dir = o.tiktoken_dir;
    const std::string& m = o.model_name_or_path;
    bool o200k = m.rfind("gpt-4o", 0) == 0 || m.rfind("gpt-4.1", 0) == 0 || m.rfind("o1", 0) == 0 ||
                 m.rfind("o3", 0) == 0 || m.rfind("o4", 0) == 0 || m.rfind("gpt-5", 0) == 0;
    counter = tokenizer::LoadTokenizer(o200k ? "o200k" : "cl100k", t);
  }
  std::vector<const Record*> todo;
  std::vector<double> estimated_tokens;
  for (const auto& r : rows) {
    const std::string id = r["instance_id"].get<std::string>();
    if (out.done_ids().count(id) || errors.done_ids().count(id)) {
      ++summary.skipped_existing;
      continue;
    }
    const std::string& text = r["text"].get_ref<const std::string&>();
    // Claude has no local tokenizer: about 3.5 bytes per token, counted conservatively as 3.
    int64_t tokens = counter ? static_cast<int64_t>(counter->Encode(text).size()) : static_cast<int64_t>(text.size() / 3);
    if (provider != api::Provider::kOpenAICompatible && tokens >= info.context_limit) {
      ++summary.filtered_too_long;
      continue;
    }
    todo.push_back(&r);
    estimated_tokens.push_back(static_cast<double>(tokens));
  }

  // The issues' images, per instance; an image that cannot be inlined is left out and noted.
  std::unordered_map<std::string, std::vector<api::PromptImage>> images;
  std::unordered_map<std::string, std::vector<std::string>> image_errors;
  if (o.include_images) {
    if (provider == api::Provider::kAnthropicLegacy) throw Error("--include_images: the legacy Anthropic completions API takes no images");
    http::Client image_client;
    std::unordered_map<std::string, api::PromptImage> fetched;
    for (const Record* r : todo) {
      const std::string id = (*r)["instance_id"];
      for (const auto& url : api::ProblemStatementImages(*r)) {
        if (!o.inline_images) {
          images[id].push_back({url, "", ""});
          continue;
        }
        try {
          auto it = fetched.find(url);
          if (it == fetched.end()) it = fetched.emplace(url, api::DownloadImage(image_client, url, o.max_image_bytes)).first;
          images[id].push_back(it->second);
        } catch (const Error& e) {
          image_errors[id].push_back(e.what());
          if (!o.quiet) std::fprintf(stderr, "%s: %s (sent without it)\n", id.c_str(), e.what());
        }
      }
    }
  }
  const dataset::Record model_args = api::ParseModelArgs(o.model_args);
  const double top_p = o.top_p.value_or(o.temperature > 0 ? 0.95 : 1.0);
  Progress bar("run-api", todo.size(), o.quiet);
  size_t next_index = 0;
  std::vector<int> attempts(todo.size(), 0);
  std::string fatal;
  std::mt19937 jitter(12345);
  auto prompt_for = [&](const Record& r) {
    api::Prompt p = api::SplitPrompt(r["text"].get<std::string>());
    p.model = provider == api::Provider::kAzure ? base.azure_deployment : o.model_name_or_path;
    p.temperature = o.temperature;
    p.top_p = top_p;
    p.send_sampling = info.accepts_temperature;
    p.model_args = model_args;
    if (o.include_images) {
      auto it = images.find(r["instance_id"].get<std::string>());
      if (it != images.end()) p.images = it->second;
    }
    return p;
  };
  auto next = [&]() -> std::optional<http::Transfer> {
    if (!fatal.empty() || next_index >= todo.size()) return std::nullopt;
    if (o.max_cost && summary.previous_cost + summary.cost >= *o.max_cost) {
      summary.not_sent_cost_cap = todo.size() - next_index;
      return std::nullopt;
    }
    size_t i = next_index++;
    const api::ProviderConfig& server = servers[i % servers.size()];
    return http::Transfer{i, api::BuildRequest(server, prompt_for(*todo[i]), o.timeout_seconds), estimated_tokens[i]};
  };
  auto fail = [&](size_t i, const std::string& reason, const std::string& detail) {
    ++summary.failed[reason];
    errors.Append(Record{{"instance_id", (*todo[i])["instance_id"]}, {"reason", reason}, {"error", detail}});
    bar.Advance();
  };
  auto done = [&](const http::Completion& c) -> http::RetryDecision {
    size_t i = c.id;
    http::RetryDecision decision;
    api::Answer a;
    if (!c.response) {
      a.outcome = api::Outcome::kRetry;
      a.error = c.transport_error;
    } else {
      a = api::ParseAnswer(provider, *c.response);
    }
    // Servers sometimes echo the key in error messages: never let it reach a file or the terminal.
    for (const auto& server : servers) {
      if (server.api_key.size() < 4) continue;
      for (size_t at; (at = a.error.find(server.api_key)) != std::string::npos;) {
        a.error.replace(at, server.api_key.size(), git::MaskSecret(server.api_key));
      }
    }
    switch (a.outcome) {
      case api::Outcome::kOk: {
        const Record& row = *todo[i];
        api::Prompt p = prompt_for(row);
        Record record{{"instance_id", row["instance_id"]}, {"model_name_or_path", o.model_name_or_path}};
        std::string prompt_text = p.system + "\n\n" + p.user;
        if (provider == api::Provider::kAnthropic || provider == api::Provider::kAnthropicLegacy) {
          record["text_inputs"] = prompt_text;
        } else {
          record["text"] = prompt_text;
        }
        record["full_output"] = a.text;
        std::string patch = patch::ExtractDiff(std::string_view(a.text));
        record["model_patch"] = patch;
        record["usage"] = a.usage;
        if (o.include_images) {
          record["images"] = p.images.size();
          auto errs = image_errors.find(row["instance_id"].get<std::string>());
          if (errs != image_errors.end()) record["image_errors"] = errs->second;
        }
        double cost = api::CostOf(info, a.usage) * (o.batch ? 0.5 : 1.0);  // batch APIs bill half price
        record["cost"] = cost;
        out.Append(record);
        summary.cost += cost;
        summary.input_tokens += a.usage.value("input_tokens", int64_t{0});
        summary.output_tokens += a.usage.value("output_tokens", int64_t{0});
        summary.patches += !patch.empty();
        ++summary.done;
        bar.Advance();
        if (a.slow_down > 0) decision.pause_all_seconds = a.slow_down;
        break;
      }
      case api::Outcome::kRetry: {
        if (o.batch || ++attempts[i] >= o.max_attempts) {
          fail(i, "retries exhausted", a.error);
          break;
        }
        double backoff = std::min(60.0, 0.5 * std::pow(2.0, attempts[i] - 1));
        backoff *= std::uniform_real_distribution<double>(0.75, 1.25)(jitter);
        decision.retry = true;
        decision.delay_seconds = std::max(backoff, a.retry_after);
        if (a.retry_after > 0) decision.pause_all_seconds = a.retry_after;  // the server asked everyone to wait
        break;
      }
      case api::Outcome::kContextLength: fail(i, "context length", a.error); break;
      case api::Outcome::kBadRequest: fail(i, "bad request", a.error); break;
      case api::Outcome::kAuth:
        fatal = "the provider refused the key (" + a.error + "); check the API key";
        fail(i, "authentication", a.error);
        break;
      case api::Outcome::kSpendLimit:
        fatal = "the provider's spend limit is reached (" + a.error + ")";
        fail(i, "spend limit", a.error);
        break;
    }
    return decision;
  };
  if (o.batch) {
    if (provider != api::Provider::kOpenAI && provider != api::Provider::kAnthropic) {
      throw Error("--batch works with the OpenAI and Anthropic APIs only");
    }
    // Batch ids are persisted as soon as a batch exists, so a killed run resumes polling it.
    dataset::JsonlWriter batches(summary.output_file.substr(0, summary.output_file.size() - 6) + ".batches.jsonl", std::nullopt);
    std::map<std::string, std::vector<std::string>> pending;  // batch id -> instance ids
    std::set<std::string> ended;
    for (const auto& r : batches.existing_records()) {
      if (r.value("status", "") == "ended") ended.insert(r.value("batch_id", ""));
    }
    std::set<std::string> in_batches;
    for (const auto& r : batches.existing_records()) {
      std::string id = r.value("batch_id", "");
      if (r.contains("instance_ids") && !ended.count(id)) {
        pending[id] = r["instance_ids"].get<std::vector<std::string>>();
        for (const auto& i : pending[id]) in_batches.insert(i);
      }
    }
    BatchContext ctx{o, servers[0], provider, {}};
    std::map<std::string, size_t> index_of;
    for (size_t i = 0; i < todo.size(); ++i) index_of[(*todo[i])["instance_id"].get<std::string>()] = i;
    std::vector<std::pair<std::string, std::string>> requests;
    std::vector<std::string> ids;
    for (size_t i = 0; i < todo.size(); ++i) {
      std::string id = (*todo[i])["instance_id"].get<std::string>();
      if (in_batches.count(id)) continue;
      requests.emplace_back(id, api::BuildRequest(servers[0], prompt_for(*todo[i]), o.timeout_seconds).body);
      ids.push_back(id);
    }
    if (!requests.empty()) {
      std::string batch_id = SubmitBatch(ctx, requests);
      batches.Append(Record{{"batch_id", batch_id}, {"provider", api::ProviderName(provider)}, {"instance_ids", ids}});
      pending[batch_id] = ids;
      ++summary.batches_submitted;
      if (!o.quiet) std::fprintf(stderr, "submitted batch %s with %zu requests\n", batch_id.c_str(), ids.size());
    }
    for (int round = 0; !pending.empty() && (o.batch_max_polls < 0 || round < o.batch_max_polls); ++round) {
      if (round > 0) std::this_thread::sleep_for(std::chrono::duration<double>(o.batch_poll_seconds));
      for (auto it = pending.begin(); it != pending.end();) {
        auto results = PollBatch(ctx, it->first);
        if (!results) {
          ++it;
          continue;
        }
        for (auto& [custom_id, response] : *results) {
          auto found = index_of.find(custom_id);
          if (found == index_of.end() || out.done_ids().count(custom_id)) continue;
          http::Completion c{found->second, std::move(response), ""};
          done(c);  // batch answers are final: a "retry" outcome is recorded as a failure below
        }
        batches.Append(Record{{"batch_id", it->first}, {"status", "ended"}});
        it = pending.erase(it);
      }
    }
    summary.batches_pending = pending.size();
  } else {
    http::RunConcurrently({o.concurrency, o.rpm, o.tpm}, next, done);
  }
  bar.Finish();
  if (!o.quiet) {
    std::fprintf(stderr,
                 "run-api: %zu done, %zu already done, %zu too long for %s, %zu not sent (cost cap), %zu patches; "
                 "%lld input + %lld output tokens, $%.4f this run ($%.4f before)\n",
                 summary.done, summary.skipped_existing, summary.filtered_too_long, o.model_name_or_path.c_str(),
                 summary.not_sent_cost_cap, summary.patches, static_cast<long long>(summary.input_tokens),
                 static_cast<long long>(summary.output_tokens), summary.cost, summary.previous_cost);
    for (const auto& [reason, n] : summary.failed) std::fprintf(stderr, "  failed (%s): %zu\n", reason.c_str(), n);
  }
  if (!fatal.empty()) throw Error(fatal);
  return summary;
}

}  // namespace sweinfer::pipelines
