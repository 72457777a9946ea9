#include "pipelines/run_live.h"

#include <cstdio>
#include <ctime>
#include <filesystem>

#include "api/providers.h"
#include "dataset/jsonl.h"
#include "git/repository.h"
#include "http/http_client.h"
#include "live/github.h"
#include "llm/llama.h"
#include "patch/extract.h"
#include "pipelines/retrieve.h"
#include "pipelines/run_api.h"
#include "prompt/styles.h"
#include "text/python_str.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"

namespace sweinfer::pipelines {

namespace fs = std::filesystem;
using dataset::Record;

namespace {

std::string ReadText(const git::TreeSnapshot& tree, const std::string& path) {
  git::FileRead read = tree.ReadFile(path);
  if (!read.bytes) throw Error(read.error);
  return text::UniversalNewlines(text::Utf8Error(*read.bytes) ? text::Utf8Replace(*read.bytes) : *read.bytes);
}

// The model's answer through run-api's providers, retried a few times on transient failures.
std::string Ask(const std::vector<api::ProviderConfig>& servers, const std::string& model, const std::string& text) {
  api::Prompt p = api::SplitPrompt(text);
  p.model = servers[0].provider == api::Provider::kAzure ? servers[0].azure_deployment : model;
  p.temperature = 0;
  p.top_p = 1;
  api::ModelTable table;
  p.send_sampling = table.Find(model).accepts_temperature;
  http::Client client;
  for (int attempt = 0; attempt < 5; ++attempt) {
    http::Response r;
    try {
      r = client.Send(api::BuildRequest(servers[attempt % servers.size()], p, 600));
    } catch (const Error&) {
      continue;
    }
    api::Answer a = api::ParseAnswer(servers[0].provider, r);
    if (a.outcome == api::Outcome::kOk) return a.text;
    if (a.outcome != api::Outcome::kRetry) throw Error("the model call failed: " + a.error);
  }
  throw Error("the model call failed after 5 attempts");
}

}  // namespace

std::string RunLive(const RunLiveOptions& o) {
  if (!o.base_commits.empty() && o.base_commits.size() != o.issue_urls.size()) {
    throw Error("Must provide either no base commits or one base commit per issue url (got " +
                std::to_string(o.base_commits.size()) + " for " + std::to_string(o.issue_urls.size()) + " urls)");
  }
  auto style = prompt::ParsePromptStyle(o.prompt_style);
  if (!style) throw Error("unknown --prompt_style '" + o.prompt_style + "'");
  std::vector<live::IssueRef> refs;
  for (const auto& url : o.issue_urls) refs.push_back(live::ParseIssueUrl(url));  // all URLs checked up front

  std::optional<std::string> token;
  if (const char* t = std::getenv("GITHUB_TOKEN"); t && *t) {
    token = t;
    if (!o.quiet) std::fprintf(stderr, "Using GitHub token: %s\n", git::MaskSecret(*token).c_str());
  }
  live::GitHubClient github(o.github_api_url, token, o.max_wait_seconds);
  // A local model (a Hugging Face directory or a .gguf file) runs on the in-process engine;
  // anything else goes through run-api's providers.
  std::error_code ec;
  const bool local = fs::exists(o.model_name, ec);
  std::optional<llm::LlamaModel> local_model;
  std::unique_ptr<tokenizer::Tokenizer> local_tokenizer;
  std::vector<api::ProviderConfig> servers;
  if (local) {
    local_model = llm::LoadLlama(o.model_name);
    tokenizer::TokenizerOptions t;
    t.tokenizer_path = fs::is_directory(o.model_name, ec) ? o.model_name : fs::path(o.model_name).parent_path().string();
    local_tokenizer = tokenizer::LoadTokenizer("llama", t);
  } else {
    RunApiOptions api_options;
    api_options.model_name_or_path = o.model_name;
    api_options.provider = o.provider;
    api_options.base_urls = o.base_urls;
    api_options.dotenv_path = o.dotenv_path;
    api::Provider provider;
    servers = ResolveServers(api_options, provider);
  }
  tokenizer::TokenizerOptions tok_files;
  tok_files.tiktoken_dir = o.tiktoken_dir;
  auto cl100k = tokenizer::LoadTokenizer("cl100k", tok_files);

  fs::create_directories(o.output_dir);
  char stamp[32];
  std::time_t now = std::time(nullptr);
  std::strftime(stamp, sizeof stamp, "%Y-%m-%d_%H-%M-%S", std::localtime(&now));
  std::string model_file = o.model_name;
  for (size_t at; (at = model_file.find('/')) != std::string::npos;) model_file.replace(at, 1, "__");
  const std::string output = (fs::path(o.output_dir) / (model_file + "__" + o.prompt_style + "__" + stamp + ".jsonl")).string();
  dataset::JsonlWriter out(output, "instance_id");

  for (size_t i = 0; i < refs.size(); ++i) {
    const live::IssueRef& ref = refs[i];
    const std::string instance_id = ref.owner + "__" + ref.repo + "-" + std::to_string(ref.number);
    live::Issue issue = github.FetchIssue(ref, o.include_comments);
    const std::string problem = live::ProblemStatement(issue, o.include_comments);

    std::string git_base = o.git_base_url;
    while (!git_base.empty() && git_base.back() == '/') git_base.pop_back();
    std::string clone = (fs::path(o.root_dir) / ("repo__" + ref.owner + "__" + ref.repo + ".git")).string();
    git::Repository repo = git::Repository::CloneOrOpen(git_base + "/" + ref.owner + "/" + ref.repo + ".git", clone, token);
    std::string commit = o.base_commits.empty() ? repo.HeadCommit() : o.base_commits[i];
    if (!repo.HasCommit(commit)) {
      repo.FetchOrigin(token);
      if (!repo.HasCommit(commit)) throw Error("commit " + commit + " is not in " + ref.owner + "/" + ref.repo);
    }
    git::TreeSnapshot tree = repo.Snapshot(commit);

    auto hits = RankRepositoryFiles(tree, problem, o.document_encoding_func, 20, o.extensions);
    prompt::PromptInputs inputs;
    inputs.problem_statement = problem;
    if (o.include_readmes) {
      // The shortest-named README only.
      std::string best;
      for (const auto& e : tree.ListDirectory("")) {
        std::string lower = e.name;
        for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (lower.rfind("readme", 0) == 0 && tree.IsFile(e.name) && (best.empty() || e.name.size() < best.size())) best = e.name;
      }
      if (!best.empty()) inputs.readmes[best] = ReadText(tree, best);
    }
    int64_t total = static_cast<int64_t>(cl100k->Encode(prompt::BuildPrompt(*style, inputs)).size());
    std::vector<std::string> included;
    for (const auto& hit : hits) {
      std::string contents = ReadText(tree, hit.docid);
      int64_t n = static_cast<int64_t>(cl100k->Encode(prompt::MakeCodeText({{hit.docid, contents}})).size());
      if (total + n < o.max_context_length) {
        inputs.file_contents[hit.docid] = contents;
        included.push_back(hit.docid);
        total += n;
      }
    }
    if (!o.quiet) {
      std::fprintf(stderr, "%s: including %zu files in context with %lld tokens:\n", instance_id.c_str(), included.size(),
                   static_cast<long long>(total));
      for (const auto& f : included) std::fprintf(stderr, "\t%s\n", f.c_str());
    }
    const std::string text_inputs = prompt::BuildPrompt(*style, inputs);
    std::string response;
    if (local) {
      auto ids = local_tokenizer->EncodeWithSpecials(text_inputs);
      std::vector<int> prompt = {local_model->config.bos_id};
      for (auto id : ids) prompt.push_back(static_cast<int>(id));
      while (prompt.size() > 1 && prompt.back() == 13) prompt.pop_back();
      prompt.push_back(13);
      prompt.push_back(13);
      auto out_ids = llm::GenerateGreedy(*local_model, prompt, o.max_new_tokens, 0);
      response = local_tokenizer->Decode(std::vector<int64_t>(out_ids.begin(), out_ids.end()));
    } else {
      response = Ask(servers, o.model_name, text_inputs);
    }
    const std::string model_patch = patch::ExtractDiff(std::string_view(response));
    Record minimal;
    try {
      minimal = patch::ExtractMinimalPatch(model_patch);
    } catch (const patch::PatchExtractError& e) {
      minimal = nullptr;
    }
    std::string reason;
    bool applies = !model_patch.empty() && git::PatchApplies(repo, tree, model_patch, &reason);
    Record record{{"instance_id", instance_id},     {"response", response},       {"problem_statement", problem},
                  {"text_inputs", text_inputs},     {"model_patch", model_patch}, {"minimal_patch", minimal},
                  {"base_commit", commit},          {"patch_applies", applies}};
    if (!applies) record["patch_apply_error"] = model_patch.empty() ? "no patch in the response" : reason;
    out.Append(record);
  }
  if (!o.quiet) std::fprintf(stderr, "Wrote output to %s\n", output.c_str());
  return output;
}

}  // namespace sweinfer::pipelines
