// Requests and responses of each API provider: OpenAI Chat Completions, Azure OpenAI, Anthropic
// Messages, legacy Anthropic text completions, and OpenAI-compatible servers (vLLM, SGLang,
// llama.cpp server, TGI, Ollama). Pure functions: building a request and classifying an answer.
#pragma once

#include <string>

#include "api/images.h"
#include "api/models.h"
#include "dataset/jsonl.h"
#include "http/http_client.h"

namespace sweinfer::api {

struct ProviderConfig {
  Provider provider = Provider::kOpenAI;
  std::string base_url;      // OpenAI-style base ("https://api.openai.com/v1") or Anthropic's
  std::string api_key;       // never logged; see git::MaskSecret for display
  std::string azure_deployment;
  std::string azure_api_version;
  std::string anthropic_version = "2023-06-01";
};

struct Prompt {
  std::string model;
  std::string system;  // the prompt's first line
  std::string user;    // the rest
  double temperature = 0.2;
  double top_p = 0.95;
  bool send_sampling = true;  // false for models that reject temperature/top_p
  dataset::Record model_args = dataset::Record::object();  // extra body fields (--model_args)
  // Sent after the text as image parts: OpenAI `image_url` content parts, Anthropic `image` blocks
  // (a URL source, or base64 when inlined). The text itself is unchanged.
  std::vector<PromptImage> images;
};

// Splits a prompt as the reference does: the first line is the system message.
Prompt SplitPrompt(const std::string& text);

http::Request BuildRequest(const ProviderConfig& config, const Prompt& prompt, long timeout_seconds);

enum class Outcome { kOk, kRetry, kContextLength, kBadRequest, kAuth, kSpendLimit };

struct Answer {
  Outcome outcome = Outcome::kOk;
  std::string text;
  dataset::Record usage = dataset::Record::object();
  std::string error;           // a person-readable reason (never includes the key)
  double retry_after = -1;     // seconds the server asked to wait, or -1
  double slow_down = -1;       // on success: the server's window is used up; seconds until it resets
};

Answer ParseAnswer(Provider provider, const http::Response& response);

}  // namespace sweinfer::api
