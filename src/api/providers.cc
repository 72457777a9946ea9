#include "api/providers.h"

#include <cstdlib>

namespace sweinfer::api {

using dataset::Record;

Prompt SplitPrompt(const std::string& text) {
  Prompt p;
  size_t nl = text.find('\n');
  p.system = text.substr(0, nl);
  p.user = nl == std::string::npos ? "" : text.substr(nl + 1);
  return p;
}

namespace {

std::string Trim(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

void Merge(Record& body, const Record& args) {
  for (auto it = args.begin(); it != args.end(); ++it) body[it.key()] = it.value();
}

double HeaderSeconds(const http::Response& r) {
  for (const char* h : {"retry-after", "x-ratelimit-reset-requests", "x-ratelimit-reset-tokens",
                        "anthropic-ratelimit-requests-reset"}) {
    std::string v = r.Header(h);
    if (v.empty()) continue;
    char* end = nullptr;
    double seconds = std::strtod(v.c_str(), &end);
    if (end && *end == 's') return seconds;          // OpenAI's "1.5s"
    if (end && *end == 'm' && end[1] == 's') return seconds / 1000;  // "250ms"
    if (end && *end == '\0') return seconds;
  }
  return -1;
}

}  // namespace

namespace {

// The user turn: the text alone, or the text and then its images.
Record UserContent(const Prompt& p, bool anthropic) {
  if (p.images.empty()) return p.user;
  Record parts = Record::array({Record{{"type", "text"}, {"text", p.user}}});
  for (const auto& image : p.images) {
    if (anthropic) {
      Record source = image.base64.empty()
                          ? Record{{"type", "url"}, {"url", image.url}}
                          : Record{{"type", "base64"}, {"media_type", image.media_type}, {"data", image.base64}};
      parts.push_back(Record{{"type", "image"}, {"source", source}});
    } else {
      std::string url = image.base64.empty() ? image.url : "data:" + image.media_type + ";base64," + image.base64;
      parts.push_back(Record{{"type", "image_url"}, {"image_url", {{"url", url}}}});
    }
  }
  return parts;
}

}  // namespace

http::Request BuildRequest(const ProviderConfig& c, const Prompt& p, long timeout_seconds) {
  http::Request req;
  req.method = "POST";
  req.timeout_seconds = timeout_seconds;
  req.headers.push_back("Content-Type: application/json");
  Record body = Record::object();
  switch (c.provider) {
    case Provider::kOpenAI:
    case Provider::kAzure:
    case Provider::kOpenAICompatible: {
      body["model"] = p.model;
      body["messages"] = Record::array({Record{{"role", "system"}, {"content", p.system}},
                                        Record{{"role", "user"}, {"content", UserContent(p, false)}}});
      if (p.send_sampling) {
        body["temperature"] = p.temperature;
        body["top_p"] = p.top_p;
      }
      Merge(body, p.model_args);
      if (c.provider == Provider::kAzure) {
        req.url = Trim(c.base_url) + "/openai/deployments/" + c.azure_deployment + "/chat/completions?api-version=" +
                  c.azure_api_version;
        req.headers.push_back("api-key: " + c.api_key);
      } else {
        req.url = Trim(c.base_url.empty() ? "https://api.openai.com/v1" : c.base_url) + "/chat/completions";
        if (!c.api_key.empty()) req.headers.push_back("Authorization: Bearer " + c.api_key);
      }
      break;
    }
    case Provider::kAnthropic: {
      body["model"] = p.model;
      body["system"] = p.system;
      body["messages"] = Record::array({Record{{"role", "user"}, {"content", UserContent(p, true)}}});
      body["max_tokens"] = 4096;
      if (p.send_sampling) {
        body["temperature"] = p.temperature;
        // Claude 4.x models take temperature or top_p, not both.
        if (p.top_p < 1 && p.model.find("-4") == std::string::npos) body["top_p"] = p.top_p;
      }
      Merge(body, p.model_args);
      req.url = Trim(c.base_url.empty() ? "https://api.anthropic.com" : c.base_url) + "/v1/messages";
      req.headers.push_back("x-api-key: " + c.api_key);
      req.headers.push_back("anthropic-version: " + c.anthropic_version);
      break;
    }
    case Provider::kAnthropicLegacy: {
      body["model"] = p.model;
      body["prompt"] = "\n\nHuman: " + p.system + "\n" + p.user + "\n\nAssistant:";
      body["max_tokens_to_sample"] = 4096;
      if (p.send_sampling) {
        body["temperature"] = p.temperature;
        body["top_p"] = p.top_p;
      }
      Merge(body, p.model_args);
      req.url = Trim(c.base_url.empty() ? "https://api.anthropic.com" : c.base_url) + "/v1/complete";
      req.headers.push_back("x-api-key: " + c.api_key);
      req.headers.push_back("anthropic-version: " + c.anthropic_version);
      break;
    }
  }
  req.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return req;
}

Answer ParseAnswer(Provider provider, const http::Response& r) {
  Answer a;
  Record body;
  bool json_ok = true;
  try {
    body = Record::parse(r.body);
  } catch (const nlohmann::json::exception&) {
    json_ok = false;
  }
  std::string message;
  std::string code;
  if (json_ok && body.is_object() && body.contains("error")) {
    const Record& e = body["error"];
    if (e.is_object()) {
      message = e.value("message", "");
      code = e.contains("code") && e["code"].is_string() ? e["code"].get<std::string>() : e.value("type", "");
    } else if (e.is_string()) {
      message = e.get<std::string>();
    }
  }
  auto lower = [](std::string s) {
    for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return s;
  };
  std::string lm = lower(message);
  if (r.status != 200) {
    a.retry_after = HeaderSeconds(r);
    a.error = "HTTP " + std::to_string(r.status) + (message.empty() ? "" : ": " + message.substr(0, 300));
    if (r.status == 429) {
      a.outcome = code == "insufficient_quota" || lm.find("quota") != std::string::npos ||
                          lm.find("spend") != std::string::npos || lm.find("credit balance") != std::string::npos
                      ? Outcome::kSpendLimit
                      : Outcome::kRetry;
    } else if (r.status >= 500 || r.status == 408 || r.status == 409) {
      a.outcome = Outcome::kRetry;  // 500, 502, 503, 504 and Anthropic's 529 overloaded
    } else if (r.status == 401 || r.status == 403) {
      a.outcome = Outcome::kAuth;
    } else if (code == "context_length_exceeded" || lm.find("context length") != std::string::npos ||
               lm.find("maximum context") != std::string::npos || lm.find("prompt is too long") != std::string::npos ||
               lm.find("too many tokens") != std::string::npos) {
      a.outcome = Outcome::kContextLength;
    } else {
      a.outcome = Outcome::kBadRequest;
    }
    return a;
  }
  for (const char* remaining : {"x-ratelimit-remaining-requests", "x-ratelimit-remaining-tokens",
                                "anthropic-ratelimit-requests-remaining", "anthropic-ratelimit-tokens-remaining"}) {
    std::string v = r.Header(remaining);
    if (!v.empty() && std::strtod(v.c_str(), nullptr) <= 0) a.slow_down = std::max(1.0, HeaderSeconds(r));
  }
  if (!json_ok || !body.is_object()) {
    a.outcome = Outcome::kRetry;  // a malformed or truncated body: ask again
    a.error = "malformed response body";
    return a;
  }
  try {
    if (provider == Provider::kAnthropic) {
      for (const auto& block : body.at("content")) {
        if (block.value("type", "") == "text") a.text += block.value("text", "");
      }
      const Record& u = body.value("usage", Record::object());
      a.usage = Record{{"input_tokens", u.value("input_tokens", 0)},
                       {"output_tokens", u.value("output_tokens", 0)},
                       {"cache_creation_input_tokens", u.value("cache_creation_input_tokens", 0)},
                       {"cache_read_input_tokens", u.value("cache_read_input_tokens", 0)}};
    } else if (provider == Provider::kAnthropicLegacy) {
      a.text = body.at("completion").get<std::string>();
    } else {
      const Record& choice = body.at("choices").at(0);
      const Record& content = choice.at("message").at("content");
      a.text = content.is_string() ? content.get<std::string>() : "";
      if (body.contains("usage") && body["usage"].is_object()) {
        const Record& u = body["usage"];
        int64_t cached = 0;
        if (u.contains("prompt_tokens_details") && u["prompt_tokens_details"].is_object()) {
          cached = u["prompt_tokens_details"].value("cached_tokens", int64_t{0});
        }
        a.usage = Record{{"input_tokens", u.value("prompt_tokens", int64_t{0})},
                         {"output_tokens", u.value("completion_tokens", int64_t{0})},
                         {"cached_input_tokens", cached}};
      }
    }
  } catch (const nlohmann::json::exception& e) {
    a.outcome = Outcome::kRetry;
    a.error = std::string("unexpected response shape: ") + e.what();
  }
  return a;
}

}  // namespace sweinfer::api
