// sweinfer: the command line. It only parses flags, wires the pipelines and reports; all work is
// in the core library. Flags keep the reference's snake_case names and accept kebab-case too.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "dataset/dataset.h"
#include "patch/extract.h"
#include "pipelines/check_patches.h"
#include "pipelines/make_dataset.h"
#include "pipelines/convert_model.h"
#include "pipelines/report.h"
#include "pipelines/retrieve.h"
#include "pipelines/run_api.h"
#include "pipelines/run_llama.h"
#include "pipelines/run_live.h"
#include "pipelines/tokenize_dataset.h"
#include "util/error.h"

namespace {

using namespace sweinfer;

// "--dataset-name-or-path" -> "--dataset_name_or_path" (flag names only, never values).
std::vector<std::string> NormalizeFlags(int argc, char** argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) == 0 && a.size() > 2) {
      size_t eq = a.find('=');
      size_t stop = eq == std::string::npos ? a.size() : eq;
      for (size_t c = 2; c < stop; ++c) {
        if (a[c] == '-') a[c] = '_';
      }
    }
    args.push_back(a);
  }
  return args;
}

bool ParseBool(const std::string& v) {
  std::string s;
  for (char c : v) s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (s == "yes" || s == "true" || s == "t" || s == "y" || s == "1") return true;
  if (s == "no" || s == "false" || s == "f" || s == "n" || s == "0") return false;
  throw Error("Truthy value expected: got " + v +
              " but expected one of yes/no, true/false, t/f, y/n, 1/0 (case insensitive).");
}

int ExtractDiffCommand(bool jsonl, const std::string& field, bool repair, bool minimal) {
  std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  if (!jsonl) {
    std::cout << patch::ExtractDiff(std::string_view(input));
    return 0;
  }
  std::istringstream lines(input);
  std::string line;
  size_t n = 0;
  while (std::getline(lines, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    dataset::Record r = dataset::ParseRecord(line, "<stdin>:" + std::to_string(n));
    std::optional<std::string> response;
    if (r.contains(field) && r[field].is_string()) response = r[field].get<std::string>();
    auto extracted = patch::ExtractDiff(response);
    r["model_patch"] = extracted ? dataset::Record(*extracted) : dataset::Record(nullptr);
    auto guarded = [&](const char* key, auto fn) {
      try {
        r[key] = fn();
      } catch (const patch::PatchExtractError& e) {
        r[key] = nullptr;
        std::fprintf(stderr, "<stdin>:%zu: %s: %s\n", n, key, e.what());
      }
    };
    if (repair) {
      guarded("repaired_patch", [&] {
        auto v = patch::RepairPatch(extracted);
        return v ? dataset::Record(*v) : dataset::Record(nullptr);
      });
    }
    if (minimal) guarded("minimal_patch", [&] { return dataset::Record(patch::ExtractMinimalPatch(extracted)); });
    std::cout << dataset::DumpRecord(r) << '\n';
  }
  return 0;
}

int EncodeCommand(const std::string& name, const tokenizer::TokenizerOptions& files, const std::string& field, bool raw,
                  bool allow_special) {
  auto tok = tokenizer::LoadTokenizer(name, files);
  auto ids = [&](const std::string& text) { return allow_special ? tok->EncodeWithSpecials(text) : tok->Encode(text); };
  if (raw) {
    std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    std::cout << dataset::Record(ids(input)).dump() << '\n';
    return 0;
  }
  std::string line;
  size_t n = 0;
  while (std::getline(std::cin, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    dataset::Record r = dataset::ParseRecord(line, "<stdin>:" + std::to_string(n));
    if (!r.contains(field) || !r[field].is_string()) {
      throw Error("<stdin>:" + std::to_string(n) + ": no string field '" + field + "'");
    }
    r["ids"] = ids(r[field].get<std::string>());
    std::cout << dataset::DumpRecord(r) << '\n';
  }
  return 0;
}

int DatasetInfoCommand(const std::string& path) {
  auto ds = dataset::Dataset::Open(path);
  for (const auto& split : ds.SplitNames()) {
    auto records = ds.LoadSplit(split);
    std::map<std::string, std::string> columns;
    for (const auto& r : records) {
      for (auto it = r.begin(); it != r.end(); ++it) {
        auto& type = columns[it.key()];
        if (type.empty() || type == "null") type = it.value().type_name();
      }
    }
    std::printf("split %s: %zu rows\n", ds.single_file() ? "(any)" : split.c_str(), records.size());
    for (const auto& [name, type] : columns) std::printf("  %s: %s\n", name.c_str(), type.c_str());
  }
  return 0;
}

int ConvertDatasetCommand(const std::string& path, const std::string& output_dir, const std::string& format_name,
                          std::vector<std::string> splits) {
  auto format = dataset::ParseOutputFormat(format_name);
  if (!format) throw Error("--output_format must be jsonl, parquet or arrow, not '" + format_name + "'");
  auto ds = dataset::Dataset::Open(path);
  if (splits.empty()) splits = ds.SplitNames();
  std::map<std::string, std::vector<dataset::Record>> out;
  for (const auto& split : splits) out[split] = ds.LoadSplit(split);
  dataset::WriteDataset(output_dir, *format, out);
  for (const auto& [split, records] : out) {
    std::fprintf(stderr, "wrote split %s (%zu rows) to %s as %s\n", split.c_str(), records.size(), output_dir.c_str(),
                 format_name.c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sweinfer: SWE-bench inference toolkit (prompts, retrieval, tokenization, model runs)", "sweinfer"};
  app.set_version_flag("--version", std::string("sweinfer ") + SWEINFER_VERSION);
  app.require_subcommand(1);
  app.fallthrough();  // --quiet/--verbose also work after the subcommand
  bool quiet = false, verbose = false;
  app.add_flag("--quiet", quiet, "Print only errors");
  app.add_flag("--verbose", verbose, "Print more detail");

  // make-dataset
  pipelines::MakeDatasetOptions md;
  std::string prompt_style = "style-3", file_source = "oracle";
  std::optional<std::string> repos_dir;
  auto* make = app.add_subcommand("make-dataset", "Build SWE-bench prompts (create_text_dataset)");
  make->alias("make_dataset");  // the reference's module name works too
  make->add_option("--dataset_name_or_path", md.dataset_name_or_path, "Dataset file or directory")->required();
  make->add_option("--splits", md.splits, "Splits to build")->expected(1, -1);
  make->add_option("--validation_ratio", md.validation_ratio, "Share of train kept for validation");
  make->add_option("--output_dir", md.output_dir, "Directory for the dataset (and progress files)");
  make->add_option("--retrieval_file", md.retrieval_file, "BM25 hits (.retrieval.jsonl) for --file_source bm25");
  make->add_option("--prompt_style", prompt_style, "Prompt style")
      ->check(CLI::IsMember({"style-2", "style-3", "full_file_gen", "style-2-edits-only"}));
  make->add_option("--file_source", file_source, "Where context files come from")
      ->check(CLI::IsMember({"oracle", "bm25", "all", "none"}));
  make->add_option("--extensions", md.extensions,
                   "--file_source all: document files by extension (.js,.ts); default: the repository's languages")
      ->delimiter(',');
  make->add_option("--k", md.k, "Maximum number of retrieved files");
  make->add_option("--max_context_len", md.max_context_len, "Token budget for retrieved files");
  make->add_option("--tokenizer_name", md.tokenizer_name, "Tokenizer for --max_context_len")
      ->check(CLI::IsMember({"cl100k", "o200k", "llama"}));
  make->add_option("--tiktoken_dir", md.tokenizer_files.tiktoken_dir, "Directory of .tiktoken rank files");
  make->add_option("--tokenizer_path", md.tokenizer_files.tokenizer_path, "Llama tokenizer.model (or its directory)");
  make->add_option("--repos_dir", repos_dir, "Directory of owner__name(.git) clones");
  make->add_option("--clone_base_url", md.repositories.clone_base_url, "Where missing repositories are cloned from");
  make->add_option("--num_workers", md.num_workers, "Parallel workers (default: cores)");
  make->add_option("--output_format", md.output_format, "arrow (save_to_disk, default), jsonl or parquet")
      ->check(CLI::IsMember({"arrow", "jsonl", "parquet"}));
  make->add_option("--push_to_hub_user", md.push_to_hub_user, "Upload to the hub as {user}/{output name} (HF_TOKEN)");

  // extract-diff
  bool ed_jsonl = false, ed_repair = false, ed_minimal = false;
  std::string ed_field = "full_output";
  auto* extract = app.add_subcommand("extract-diff", "Extract a patch from a model response on stdin");
  extract->add_flag("--jsonl", ed_jsonl, "Read JSONL records and add model_patch");
  extract->add_option("--field", ed_field, "Field holding the response (with --jsonl)");
  extract->add_flag("--repair", ed_repair, "Also add repaired_patch (repair_patch)");
  extract->add_flag("--minimal", ed_minimal, "Also add minimal_patch (extract_minimal_patch)");

  // dataset-info, convert-dataset
  std::string info_path;
  auto* info = app.add_subcommand("dataset-info", "Splits, rows and columns of a dataset");
  info->add_option("dataset", info_path, "Dataset path")->required();
  std::string conv_path, conv_out, conv_format = "jsonl";
  std::vector<std::string> conv_splits;
  auto* convert = app.add_subcommand("convert-dataset", "Write a dataset in another format");
  convert->add_option("--dataset_name_or_path", conv_path)->required();
  convert->add_option("--output_dir", conv_out)->required();
  convert->add_option("--output_format", conv_format, "jsonl, parquet or arrow (save_to_disk layout)")
      ->check(CLI::IsMember({"arrow", "jsonl", "parquet"}));
  convert->add_option("--splits", conv_splits)->expected(1, -1);

  // tokenize
  pipelines::TokenizeOptions tk;
  auto* tokenize = app.add_subcommand("tokenize", "Token ids for a text dataset (tokenize_dataset)");
  tokenize->add_option("--dataset_name_or_path", tk.dataset_name_or_path, "Text dataset (make-dataset output)")->required();
  tokenize->add_option("--output_dir", tk.output_dir, "Where {dataset}__tok-{tokenizer} goes")->required();
  tokenize->add_option("--tokenizer_name", tk.tokenizer_name, "cl100k, o200k or llama")
      ->check(CLI::IsMember({"cl100k", "o200k", "p50k", "r50k", "llama"}));
  tokenize->add_option("--tokenizer_path", tk.tokenizer_files.tokenizer_path, "Llama tokenizer.model (or its directory)");
  tokenize->add_option("--tiktoken_dir", tk.tokenizer_files.tiktoken_dir, "Directory of .tiktoken rank files");
  tokenize->add_option("--num_proc", tk.num_proc, "Threads (default: cores)");
  tokenize->add_option("--splits", tk.splits, "Splits (default: all; a single file is 'test')")->expected(1, -1);

  // encode
  std::string enc_name = "cl100k", enc_field = "text";
  tokenizer::TokenizerOptions enc_files;
  bool enc_raw = false, enc_special = false;
  auto* encode = app.add_subcommand("encode", "Token ids of JSONL records (or raw text) on stdin");
  encode->add_option("--tokenizer_name", enc_name, "cl100k, o200k, p50k, r50k or llama");
  encode->add_option("--tokenizer_path", enc_files.tokenizer_path, "Llama tokenizer.model (or its directory)");
  encode->add_option("--tiktoken_dir", enc_files.tiktoken_dir, "Directory of .tiktoken rank files");
  encode->add_option("--field", enc_field, "Field to encode (JSONL mode)");
  encode->add_flag("--raw", enc_raw, "stdin is plain text: print one JSON id list");
  encode->add_flag("--allow_special", enc_special, "Encode special tokens as their ids");

  // retrieve
  pipelines::RetrieveOptions rt;
  std::optional<std::string> rt_repos;
  std::string rt_leave = "true";
  auto* retrieve = app.add_subcommand("retrieve", "BM25 retrieval of repository files (bm25_retrieval)");
  retrieve->add_option("--dataset_name_or_path", rt.dataset_name_or_path)->required();
  retrieve->add_option("--document_encoding_style", rt.document_encoding_style, "file_name_and_contents")
      ->check(CLI::IsMember({"file_name_and_contents", "file_name_and_documentation", "file_name_and_docs_jedi"}));
  retrieve->add_option("--output_dir", rt.output_dir, "Writes {output_dir}/{dataset}/{style}.retrieval.jsonl");
  retrieve->add_option("--splits", rt.splits)->expected(1, -1);
  retrieve->add_option("--shard_id", rt.shard_id);
  retrieve->add_option("--num_shards", rt.num_shards);
  retrieve->add_option("--leave_indexes", rt_leave, "Keep the blob analysis cache (true/false)");
  retrieve->add_option("--repos_dir", rt_repos, "Directory of owner__name(.git) clones");
  retrieve->add_option("--clone_base_url", rt.repositories.clone_base_url);
  retrieve->add_option("--num_workers", rt.num_workers, "Parallel instances (default: cores)");
  retrieve->add_option("--extensions", rt.extensions, "Document files by extension (.js,.ts); default: the repository's languages")
      ->delimiter(',');

  // eval-retrieval
  std::string ev_dataset, ev_split = "test";
  std::optional<std::string> ev_file;
  int ev_k = 20;
  auto* eval = app.add_subcommand("eval-retrieval", "Recall of retrieved files (eval_retrieval)");
  eval->alias("eval_retrieval");  // the reference's module name works too
  eval->add_option("--dataset_name_or_path", ev_dataset, "Text dataset (or the instances, with --retrieval_file)")->required();
  eval->add_option("--split", ev_split);
  eval->add_option("--retrieval_file", ev_file, "Compute recall straight from these hits");
  eval->add_option("--k", ev_k, "Hits counted with --retrieval_file");

  // run-api
  pipelines::RunApiOptions ra;
  auto* run_api = app.add_subcommand("run-api", "Completions from API providers (run_api)");
  run_api->alias("run_api");  // the reference's module name works too
  run_api->add_option("--dataset_name_or_path", ra.dataset_name_or_path, "Text dataset (make-dataset output)")->required();
  run_api->add_option("--split", ra.split);
  run_api->add_flag("--include_images", ra.include_images, "Send the issue's images (image_assets) as image parts");
  run_api->add_flag("--inline_images", ra.inline_images, "Download the images and send them as base64");
  run_api->add_option("--max_image_bytes", ra.max_image_bytes, "Size cap of an inlined image");
  run_api->add_option("--model_name_or_path", ra.model_name_or_path)->required();
  run_api->add_option("--output_dir", ra.output_dir)->required();
  run_api->add_option("--shard_id", ra.shard_id);
  run_api->add_option("--num_shards", ra.num_shards);
  run_api->add_option("--model_args", ra.model_args, "k=v,... passed in the request body");
  run_api->add_option("--max_cost", ra.max_cost, "Stop sending when the total cost reaches this many dollars");
  run_api->add_option("--provider", ra.provider, "openai, azure, anthropic, anthropic-legacy, openai-compatible");
  run_api->add_option("--base_url", ra.base_urls, "OpenAI-compatible server (repeat to spread load)")->take_all();
  run_api->add_option("--price_file", ra.price_file, "JSON model table overrides");
  run_api->add_option("--azure_endpoint", ra.azure_endpoint);
  run_api->add_option("--azure_deployment", ra.azure_deployment);
  run_api->add_option("--azure_api_version", ra.azure_api_version);
  run_api->add_option("--concurrency", ra.concurrency, "Requests in flight (default 8)");
  run_api->add_option("--rpm", ra.rpm, "Requests per minute cap");
  run_api->add_option("--tpm", ra.tpm, "Prompt tokens per minute cap");
  run_api->add_option("--temperature", ra.temperature);
  run_api->add_option("--top_p", ra.top_p);
  run_api->add_option("--timeout", ra.timeout_seconds, "Per-request timeout in seconds");
  run_api->add_option("--max_attempts", ra.max_attempts);
  run_api->add_option("--tiktoken_dir", ra.tiktoken_dir);
  run_api->add_flag("--batch", ra.batch, "Use the OpenAI Batch API / Anthropic Message Batches (half price)");
  run_api->add_option("--batch_poll_seconds", ra.batch_poll_seconds, "Seconds between batch status checks");

  // run-live
  pipelines::RunLiveOptions rl;
  std::string rl_readmes = "false", rl_comments = "false";
  auto* run_live = app.add_subcommand("run-live", "Patches for open GitHub issues (run_live)");
  run_live->alias("run_live");  // the reference's module name works too
  run_live->add_option("--model_name", rl.model_name)->required();
  run_live->add_option("--issue_url", rl.issue_urls)->required()->expected(1, -1);
  run_live->add_option("--base_commit", rl.base_commits)->expected(1, -1);
  run_live->add_option("--prompt_style", rl.prompt_style)
      ->check(CLI::IsMember({"style-2", "style-3", "full_file_gen", "style-2-edits-only"}));
  run_live->add_option("--max_context_length", rl.max_context_length);
  run_live->add_option("--document_encoding_func", rl.document_encoding_func)
      ->check(CLI::IsMember({"file_name_and_contents", "file_name_and_documentation", "file_name_and_docs_jedi"}));
  run_live->add_option("--extensions", rl.extensions, "Document files by extension (.js,.ts); default: the repository's languages")
      ->delimiter(',');
  run_live->add_option("--output_dir", rl.output_dir);
  run_live->add_option("--root_dir", rl.root_dir);
  run_live->add_option("--include_readmes", rl_readmes);
  run_live->add_option("--include_comments", rl_comments);
  run_live->add_option("--github_api_url", rl.github_api_url, "GitHub (Enterprise) API base");
  run_live->add_option("--git_base_url", rl.git_base_url, "Where repositories are cloned from (any git URL base)");
  run_live->add_option("--max_wait", rl.max_wait_seconds, "Seconds to wait for a GitHub rate limit to reset");
  run_live->add_option("--provider", rl.provider);
  run_live->add_option("--base_url", rl.base_urls)->take_all();
  run_live->add_option("--tiktoken_dir", rl.tiktoken_dir);

  // run-llama
  pipelines::RunLlamaOptions rm;
  auto* run_llama = app.add_subcommand("run-llama", "In-process Llama inference (run_llama)");
  run_llama->alias("run_llama");  // the reference's module name works too
  run_llama->add_option("--model_name_or_path", rm.model_name_or_path,
                        "hub model (owner/name), HF directory (safetensors or .bin), Meta checkpoint directory, or .gguf file")
      ->required();
  run_llama->add_option("--peft_path", rm.peft_path, "PEFT LoRA adapter: hub name (owner/name) or directory");
  run_llama->add_option("--revision", rm.revision, "revision of hub models (default main)");
  run_llama->add_option("--dataset_path", rm.dataset_path)->required();
  run_llama->add_option("--split", rm.split);
  run_llama->add_option("--output_dir", rm.output_dir)->required();
  run_llama->add_option("--temperature", rm.temperature);
  run_llama->add_option("--top_p", rm.top_p);
  run_llama->add_option("--min_len", rm.min_len);
  run_llama->add_option("--max_len", rm.max_len);
  run_llama->add_option("--shard_id", rm.shard_id);
  run_llama->add_option("--num_shards", rm.num_shards);
  run_llama->add_option("--max_new_tokens", rm.max_new_tokens);
  run_llama->add_option("--threads", rm.threads);
  run_llama->add_option("--seed", rm.seed);
  run_llama->add_option("--tokenizer_path", rm.tokenizer_path);
  run_llama->add_option("--quantize", rm.quantize, "convert weights at load: q8_0 (q8), q4_k, q4_k_m, q5_k_m, q6_k, q4_0, ...");
  run_llama->add_option("--prefill_chunk", rm.prefill_chunk, "Prompt tokens per batched forward pass");
  run_llama->add_option("--speculate", rm.speculate,
                        "prompt-lookup (default at temperature 0: drafts from the prompt, same tokens as greedy) or none")
      ->check(CLI::IsMember({"prompt-lookup", "none"}));
  run_llama->add_option("--backend", rm.backend, "cpu (in process) or server (an OpenAI-compatible server)")
      ->check(CLI::IsMember({"cpu", "server"}));
  run_llama->add_option("--base_url", rm.base_url, "server: OpenAI-compatible base URL, e.g. http://host:8000/v1");
  run_llama->add_option("--served_model_name", rm.served_model_name,
                        "server: the model name the server knows (default: the LoRA adapter's folder name, else the model)");
  run_llama->add_option("--concurrency", rm.concurrency, "server: requests in flight");

  // check-patches
  pipelines::CheckPatchesOptions cp;
  std::optional<std::string> cp_repos, cp_output;
  auto* check = app.add_subcommand("check-patches", "What the harness will do with each predicted patch (no checkout)");
  check->add_option("--predictions", cp.predictions_path, "Predictions: JSONL, a JSON list or a dict keyed by instance id")->required();
  check->add_option("--dataset_name_or_path", cp.dataset_name_or_path, "The instances (repo, base_commit, gold patch)")->required();
  check->add_option("--split", cp.split);
  check->add_option("--repos_dir", cp_repos, "Directory of owner__name(.git) clones");
  check->add_option("--clone_base_url", cp.repositories.clone_base_url);
  check->add_option("--output", cp_output, "JSON Lines out (default: {predictions}.checks.jsonl)");
  check->add_option("--num_workers", cp.num_workers, "Parallel predictions (default: cores)");
  check->add_option("--fuzz", cp.max_fuzz, "GNU patch's --fuzz, as the harness runs it")->check(CLI::Range(0, 100));
  std::string cp_syntax = "true";
  check->add_option("--syntax_check", cp_syntax, "Parse the edited Python files after the patch (true/false)");

  // report
  pipelines::ReportOptions rp;
  std::optional<std::string> rp_repos, rp_clone;
  auto* report = app.add_subcommand("report", "A self-contained HTML report of a run (or two, side by side)");
  report->add_option("--predictions", rp.predictions, "Predictions file; give two to compare runs")->required()->expected(1, 2)
      ->allow_extra_args(false);
  report->add_option("--dataset_name_or_path", rp.dataset_name_or_path, "The instances")->required();
  report->add_option("--split", rp.split);
  report->add_option("--checks", rp.checks, "check-patches output, one per --predictions (else checked here with --repos_dir)");
  report->add_option("--harness_report", rp.harness_reports, "The harness's {model}.{run_id}.json, one per --predictions");
  report->add_option("--harness_logs", rp.harness_logs, "A directory of the harness's per-instance report.json, one per --predictions");
  report->add_option("--retrieval_file", rp.retrieval_file, "BM25 hits (retrieve output) for recall@k");
  report->add_option("--repos_dir", rp_repos, "Directory of owner__name(.git) clones, to check patches here");
  report->add_option("--clone_base_url", rp_clone, "Clone missing repositories from here to check patches");
  report->add_option("--tokenizer_name", rp.tokenizer_name, "Counts prompt tokens of a text column when predictions carry no usage");
  report->add_option("--tiktoken_dir", rp.tiktoken_dir);
  report->add_option("--output", rp.output, "The HTML file to write");
  report->add_option("--title", rp.title);
  report->add_option("--num_workers", rp.num_workers);

  // convert-model
  pipelines::ConvertModelOptions cm;
  auto* convert_model = app.add_subcommand("convert-model", "Write a model as a safetensors directory or a GGUF file llama.cpp loads");
  convert_model->add_option("input", cm.input, "hub name, HF directory, Meta checkpoint directory or .gguf")->required();
  convert_model->add_option("output", cm.output, "output directory (safetensors) or .gguf file")->required();
  convert_model->add_option("--to", cm.to, "safetensors or gguf")->required();
  convert_model->add_option("--type", cm.type, "safetensors: f32|f16|bf16; gguf: f16|bf16|q8_0|q4_k_m|q5_k_m|q4_k|q6_k|q4_0|...");
  convert_model->add_option("--peft_path", cm.peft_path, "merge this PEFT LoRA adapter first (path or hub name)");
  convert_model->add_option("--revision", cm.revision, "revision of hub models");

  auto args = NormalizeFlags(argc, argv);
  std::reverse(args.begin(), args.end());
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    if (*make) {
      auto style = prompt::ParsePromptStyle(prompt_style);
      md.prompt_style = *style;
      md.file_source = *pipelines::ParseFileSource(file_source);
      md.repositories.repos_dir = repos_dir;
      md.quiet = quiet;
      md.verbose = verbose;
      return pipelines::RunMakeDataset(md);
    }
    if (*extract) return ExtractDiffCommand(ed_jsonl, ed_field, ed_repair, ed_minimal);
    if (*convert_model) {
      cm.quiet = quiet;
      pipelines::ConvertModel(cm);
      return 0;
    }
    if (*tokenize) {
      tk.quiet = quiet;
      std::string out = pipelines::RunTokenize(tk);
      if (!quiet) std::fprintf(stderr, "wrote %s\n", out.c_str());
      return 0;
    }
    if (*encode) return EncodeCommand(enc_name, enc_files, enc_field, enc_raw, enc_special);
    if (*run_live) {
      rl.include_readmes = ParseBool(rl_readmes);
      rl.include_comments = ParseBool(rl_comments);
      rl.quiet = quiet;
      pipelines::RunLive(rl);
      return 0;
    }
    if (*run_api) {
      ra.quiet = quiet;
      auto summary = pipelines::RunApi(ra);
      std::fprintf(stderr, "wrote %s\n", summary.output_file.c_str());
      return 0;
    }
    if (*retrieve) {
      rt.leave_indexes = ParseBool(rt_leave);
      rt.repositories.repos_dir = rt_repos;
      rt.quiet = quiet;
      rt.verbose = verbose;
      auto summary = pipelines::RunRetrieve(rt);
      std::fprintf(stderr, "retrieved %zu instances (%zu already done, %zu failed; %zu blobs analysed (%zu bytes), %zu from cache) -> %s\n",
                   summary.done, summary.skipped, summary.failed, summary.analysed_blobs, summary.analysed_bytes, summary.cached_blobs,
                   summary.output_file.c_str());
      return summary.failed ? 1 : 0;
    }
    if (*eval) {
      auto report = ev_file ? pipelines::EvalRetrievalFromHits(ev_dataset, ev_split, *ev_file, ev_k)
                            : pipelines::EvalRetrievalFromDataset(ev_dataset, ev_split);
      std::printf("Evaluating %zu instances from %s %s split\n", report.evaluated, ev_dataset.c_str(), ev_split.c_str());
      if (report.without_gold) std::printf("WARNING: %zu instances have no gold files\n", report.without_gold);
      if (report.without_retrieved) std::printf("WARNING: %zu instances have no retrieved files\n", report.without_retrieved);
      std::printf("Avg Recall: %.2f\nAll Recall: %.2f\nAny Recall: %.2f\n", report.avg, report.all, report.any);
      for (const auto& [k, recall] : report.file_recall) std::printf("File recall@%d: %.2f\n", k, recall);
      return 0;
    }
    if (*check) {
      cp.repositories.repos_dir = cp_repos;
      cp.output = cp_output;
      cp.syntax_check = ParseBool(cp_syntax);
      cp.quiet = quiet;
      auto summary = pipelines::RunCheckPatches(cp);
      if (!quiet) std::fputs(pipelines::FormatCheckSummary(summary).c_str(), stdout);
      if (!quiet) {
        std::string skipped = summary.skipped ? " (" + std::to_string(summary.skipped) + " were already there)" : "";
        std::fprintf(stderr, "wrote %s%s\n", summary.output_file.c_str(), skipped.c_str());
      }
      return 0;
    }
    if (*report) {
      if (rp_repos || rp_clone) {
        rp.repositories = pipelines::RepositorySource();
        rp.repositories->repos_dir = rp_repos;
        if (rp_clone) rp.repositories->clone_base_url = *rp_clone;
      }
      rp.quiet = quiet;
      auto summary = pipelines::RunReport(rp);
      std::printf("%s\n", std::filesystem::absolute(summary.output_file).c_str());
      return 0;
    }
    if (*info) return DatasetInfoCommand(info_path);
    if (*convert) return ConvertDatasetCommand(conv_path, conv_out, conv_format, conv_splits);
    if (*run_llama) {
      rm.quiet = quiet;
      rm.verbose = verbose;
      std::string out = pipelines::RunLlama(rm);
      if (!quiet) std::fprintf(stderr, "wrote %s\n", out.c_str());
      return 0;
    }
  } catch (const Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
