#include "pipelines/make_dataset.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>

#include "dataset/dataset.h"
#include "dataset/hub.h"
#include "patch/unified_diff.h"
#include "retrieval/documents.h"
#include "text/python_str.h"
#include "util/error.h"
#include "util/progress.h"

namespace sweinfer::pipelines {

namespace fs = std::filesystem;
using dataset::Record;

std::optional<FileSource> ParseFileSource(std::string_view name) {
  if (name == "oracle") return FileSource::kOracle;
  if (name == "bm25") return FileSource::kBm25;
  if (name == "all") return FileSource::kAll;
  if (name == "none") return FileSource::kNone;
  return std::nullopt;
}

std::string_view FileSourceName(FileSource source) {
  switch (source) {
    case FileSource::kOracle: return "oracle";
    case FileSource::kBm25: return "bm25";
    case FileSource::kAll: return "all";
    case FileSource::kNone: return "none";
  }
  return "";
}

namespace {

// Raised inside BuildInstancePrompt for a per-instance failure; never escapes it.
struct InstanceFailure {
  std::string message;
};

std::string StringField(const Record& instance, const char* key) {
  auto it = instance.find(key);
  if (it == instance.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

// open(path).read() in text mode: strict UTF-8, universal newlines.
std::string ReadText(const git::TreeSnapshot& tree, const std::string& path) {
  git::FileRead read = tree.ReadFile(path);
  if (!read.bytes) throw InstanceFailure{read.error};
  if (auto error = text::Utf8Error(*read.bytes)) throw InstanceFailure{*error};
  return text::UniversalNewlines(*read.bytes);
}

// Python's str.lower().startswith("readme") for ASCII-cased names.
bool IsReadmeName(const std::string& name) {
  if (name.size() < 6) return false;
  std::string prefix = name.substr(0, 6);
  std::transform(prefix.begin(), prefix.end(), prefix.begin(), [](unsigned char c) { return std::tolower(c); });
  return prefix == "readme";
}

}  // namespace

InstancePrompt BuildInstancePrompt(const git::TreeSnapshot& tree, const Record& instance, prompt::PromptStyle style,
                                   FileSource source, const std::vector<std::string>& hits,
                                   const ContextBudget* budget, const std::vector<std::string>& extensions) {
  InstancePrompt result;
  try {
    prompt::PromptInputs inputs;
    inputs.problem_statement = StringField(instance, "problem_statement");
    inputs.patch = StringField(instance, "patch");
    for (const auto& entry : tree.ListDirectory("")) {
      if (IsReadmeName(entry.name) && tree.IsFile(entry.name)) inputs.readmes[entry.name] = ReadText(tree, entry.name);
    }
    switch (source) {
      case FileSource::kOracle: {
        std::vector<patch::PatchedFile> files;
        try {
          files = patch::ParsePatchSet(inputs.patch);
        } catch (const patch::PatchParseError& e) {
          throw InstanceFailure{e.what()};
        }
        std::map<std::string, bool> names;
        for (const auto& f : files) names[std::string(patch::SourcePathOf(f))] = true;
        for (const auto& [name, _] : names) inputs.file_contents[name] = ReadText(tree, name);
        break;
      }
      case FileSource::kBm25:
        for (const auto& path : hits) inputs.file_contents[path] = ReadText(tree, path);
        break;
      case FileSource::kAll:
        // ingest_directory_contents: every document file, chosen as retrieve chooses them (for
        // Python repositories, every non-test *.py file, as the reference); undecodable files
        // become a marker.
        for (const auto& file : retrieval::ListDocumentFiles(tree, extensions)) {
          git::FileRead read = tree.ReadFile(file.path);
          if (!read.bytes || text::Utf8Error(*read.bytes)) {
            inputs.file_contents[file.path] = "[BINARY DATA FILE]";
          } else {
            inputs.file_contents[file.path] = text::UniversalNewlines(*read.bytes);
          }
        }
        break;
      case FileSource::kNone: break;
    }
    if (budget) {
      // create_instance: the prompt without files, then each retrieved file in rank order while
      // the running total stays strictly under the budget.
      const tokenizer::Tokenizer& tok = *budget->tokenizer;
      const bool llama = tok.name() == "llama";
      auto count = [&](const std::string& text) {
        return static_cast<int64_t>(llama ? tok.EncodeWithSpecials(text).size() : tok.Encode(text).size());
      };
      prompt::PromptInputs base = inputs;
      base.file_contents.clear();
      int64_t total = count(prompt::BuildPrompt(style, base));
      prompt::FileContents included;
      for (const auto& path : hits) {
        auto it = inputs.file_contents.find(path);
        if (it == inputs.file_contents.end()) continue;
        std::string code = prompt::MakeCodeText({{path, it->second}});
        int64_t n = llama ? static_cast<int64_t>(tokenizer::LlamaIdsWithoutLeadingSpace(tok, code).size()) : count(code);
        if (total + n < budget->max_tokens) {
          included[path] = it->second;
          total += n;
        }
      }
      inputs.file_contents = std::move(included);
    }
    try {
      result.text_inputs = prompt::BuildPrompt(style, inputs);
    } catch (const patch::PatchParseError& e) {
      throw InstanceFailure{e.what()};
    }
    for (const auto& [name, _] : inputs.readmes) result.readmes.push_back(name);
    for (const auto& [name, _] : inputs.file_contents) result.context_files.push_back(name);
  } catch (const InstanceFailure& failure) {
    result.text_inputs.reset();
    result.error = failure.message;
  }
  return result;
}

std::string RepositorySource::PathFor(const std::string& repo_slug) const {
  const std::string& slug = repo_slug;
  size_t slash = slug.find('/');
  std::string dir_name = slash == std::string::npos ? slug : slug.substr(0, slash) + "__" + slug.substr(slash + 1);
  if (repos_dir) {
    if (auto found = git::Repository::FindInDirectory(*repos_dir, dir_name)) return *found;
  }
  std::string cache = cache_dir;
  if (cache.empty()) {
    const char* xdg = std::getenv("XDG_CACHE_HOME");
    const char* home = std::getenv("HOME");
    cache = xdg && *xdg ? std::string(xdg) + "/sweinfer/repos" : std::string(home ? home : ".") + "/.cache/sweinfer/repos";
  }
  std::string destination = cache + "/" + dir_name + ".git";
  static std::mutex clone_mutex;
  std::lock_guard<std::mutex> lock(clone_mutex);
  std::optional<std::string> token;
  if (const char* t = std::getenv("GITHUB_TOKEN"); t && *t) token = t;
  std::string base = clone_base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  git::Repository::CloneOrOpen(base + "/" + repo_slug + ".git", destination, token);
  return destination;
}

std::string MakeDatasetOutputName(const MakeDatasetOptions& o) {
  std::string name = dataset::OutputDatasetName(o.dataset_name_or_path) + "__" +
                     std::string(prompt::PromptStyleName(o.prompt_style)) + "__fs-" +
                     std::string(FileSourceName(o.file_source));
  if (o.k) name += "__k-" + std::to_string(*o.k);
  if (o.max_context_len) name += "__mcc-" + std::to_string(*o.max_context_len) + "-" + o.tokenizer_name.value_or("None");
  return name;
}

namespace {

const std::vector<std::string> kFinalColumns = {
    "instance_id", "text",    "repo",       "base_commit", "problem_statement", "hints_text",
    "created_at",  "patch",   "test_patch", "version",     "FAIL_TO_PASS",      "PASS_TO_PASS",
    "environment_setup_commit"};

std::unordered_map<std::string, std::vector<std::string>> LoadRetrievalHits(const std::string& path, int k) {
  if (!fs::exists(path)) throw Error("Retrieval results not found at " + path);
  std::unordered_map<std::string, std::vector<std::string>> hits;
  dataset::ForEachJsonl(path, [&](Record&& r, size_t line) {
    if (!r.is_object() || !r.contains("instance_id") || !r.contains("hits") || !r["hits"].is_array()) {
      throw Error(path + ":" + std::to_string(line) + ": expected {\"instance_id\": ..., \"hits\": [...]}");
    }
    auto& list = hits[r["instance_id"].get<std::string>()];
    list.clear();
    for (const auto& h : r["hits"]) {
      if (static_cast<int>(list.size()) >= k) break;
      if (h.is_object() && h.contains("docid") && h["docid"].is_string()) list.push_back(h["docid"].get<std::string>());
    }
    return true;
  });
  return hits;
}

// extract_fields + the final column selection; `text` is null for failed instances.
Record FinalRow(const Record& progress) {
  Record row = Record::object();
  for (const auto& column : kFinalColumns) {
    if (column == "text") {
      const auto& t = progress["text_inputs"];
      row["text"] = t.is_string() ? Record(std::string(text::PythonStrip(t.get<std::string>())) + "\n\n") : Record(nullptr);
    } else if (column == "patch") {
      const auto& p = progress.contains("patch") ? progress["patch"] : Record(nullptr);
      row["patch"] = p.is_string() && progress["text_inputs"].is_string()
                         ? Record("<patch>\n" + p.get<std::string>() + "\n</patch>")
                         : Record(nullptr);
    } else {
      row[column] = progress.contains(column) ? progress[column] : Record("");
    }
  }
  // Multimodal datasets: run-api --include_images finds the images here.
  if (progress.contains("image_assets")) row["image_assets"] = progress["image_assets"];
  return row;
}

}  // namespace

int RunMakeDataset(const MakeDatasetOptions& o) {
  if (o.max_context_len && !o.tokenizer_name) throw Error("Must provide tokenizer_name if max_context_len is not None");
  if (o.max_context_len && (o.file_source == FileSource::kOracle || o.file_source == FileSource::kAll)) {
    throw Error("Cannot use max_context_len with oracle or all file sources");
  }
  if (o.k && (o.file_source == FileSource::kOracle || o.file_source == FileSource::kAll)) {
    throw Error("Cannot use k with oracle or all file sources");
  }
  if (o.file_source == FileSource::kBm25 && !o.retrieval_file) throw Error("--file_source bm25 needs --retrieval_file");
  std::unique_ptr<tokenizer::Tokenizer> budget_tokenizer;
  ContextBudget budget;
  if (o.max_context_len) {
    budget_tokenizer = tokenizer::LoadTokenizer(*o.tokenizer_name, o.tokenizer_files);
    budget = {budget_tokenizer.get(), *o.max_context_len};
  }
  auto format = dataset::ParseOutputFormat(o.output_format);
  if (!format) throw Error("--output_format must be arrow, jsonl or parquet, not '" + o.output_format + "'");
  if (o.output_dir.empty() && !o.push_to_hub_user) throw Error("--output_dir is required");
  const hub::Options hub_options = hub::OptionsFromEnvironment();
  if (o.push_to_hub_user && hub_options.token.empty()) {
    throw Error("Must provide HF_TOKEN (or HUGGING_FACE_HUB_TOKEN) to push to the Hub");
  }
  const std::string output_dir = o.output_dir.empty() ? "." : o.output_dir;
  fs::create_directories(output_dir);
  const std::string output = (fs::path(output_dir) / MakeDatasetOutputName(o)).string();
  for (const auto& split : o.splits) {
    if (!o.push_to_hub_user && dataset::DatasetHasSplit(output, *format, split)) {
      std::fprintf(stderr, "%s already exists for split %s. Aborting\n", fs::absolute(output).c_str(), split.c_str());
      return 0;
    }
  }

  dataset::Dataset ds = dataset::Dataset::Open(o.dataset_name_or_path);
  for (const auto& split : o.splits) {
    if (!ds.HasSplit(split)) {
      std::string known;
      for (const auto& s : ds.SplitNames()) known += (known.empty() ? "" : ", ") + s;
      throw Error("Unknown splits {'" + split + "'}; the dataset has: " + known);
    }
  }
  std::unordered_map<std::string, std::vector<std::string>> hits;
  if (o.file_source == FileSource::kBm25) hits = LoadRetrievalHits(*o.retrieval_file, o.k.value_or(1 << 30));

  const int workers = o.num_workers > 0 ? o.num_workers : std::max(1u, std::thread::hardware_concurrency());
  std::map<std::string, std::vector<Record>> finished;
  size_t failures = 0;
  for (const auto& split : o.splits) {
    std::vector<Record> instances = ds.LoadSplit(split);
    const std::string progress_path = output + "." + split + ".progress.jsonl";
    dataset::JsonlWriter progress(progress_path, "instance_id");
    if (progress.dropped_torn_bytes() && !o.quiet) {
      std::fprintf(stderr, "%s: dropped a torn last record (%zu bytes) left by an interrupted run\n",
                   progress_path.c_str(), progress.dropped_torn_bytes());
    }
    std::vector<size_t> todo;
    for (size_t i = 0; i < instances.size(); ++i) {
      const auto& inst = instances[i];
      if (!inst.contains("instance_id") || !inst["instance_id"].is_string()) {
        throw Error(o.dataset_name_or_path + ": split " + split + ", row " + std::to_string(i) +
                    ": missing string field 'instance_id'");
      }
      if (!progress.done_ids().count(inst["instance_id"].get<std::string>())) todo.push_back(i);
    }
    if (!o.quiet && !progress.done_ids().empty()) {
      std::fprintf(stderr, "Found %zu already processed instances\n", progress.done_ids().size());
    }
    Progress bar("make-dataset " + split, todo.size(), o.quiet);
    std::atomic<size_t> next{0};
    std::atomic<size_t> split_failures{0};
    std::mutex error_mutex;
    std::string fatal;
    auto work = [&] {
      std::unordered_map<std::string, std::optional<git::Repository>> repos;
      while (true) {
        size_t n = next.fetch_add(1);
        if (n >= todo.size()) return;
        const Record& inst = instances[todo[n]];
        const std::string id = inst["instance_id"].get<std::string>();
        InstancePrompt built;
        try {
          const std::string slug = StringField(inst, "repo");
          auto& repo = repos[slug];
          if (!repo) repo = git::Repository::Open(o.repositories.PathFor(slug));
          std::vector<std::string> instance_hits;
          if (o.file_source == FileSource::kBm25) {
            auto it = hits.find(id);
            if (it == hits.end()) {
              if (!o.quiet) std::fprintf(stderr, "Instance %s not found in retrieval results\n", id.c_str());
            } else {
              instance_hits = it->second;
            }
          }
          git::TreeSnapshot tree = repo->Snapshot(StringField(inst, "base_commit"));
          built = BuildInstancePrompt(tree, inst, o.prompt_style, o.file_source, instance_hits,
                                      o.max_context_len ? &budget : nullptr, o.extensions);
        } catch (const Error& e) {
          built.text_inputs.reset();
          built.error = e.what();
        }
        if (o.verbose && built.text_inputs) {
          std::string files;
          for (const auto& f : built.context_files) files += " " + f;
          std::lock_guard<std::mutex> lock(error_mutex);
          std::fprintf(stderr, "%s: %zu readme(s), files:%s\n", id.c_str(), built.readmes.size(), files.c_str());
        }
        Record out = inst;
        if (built.text_inputs) {
          out["text_inputs"] = *built.text_inputs;
        } else {
          out["text_inputs"] = nullptr;
          out["error"] = built.error;
          ++split_failures;
          if (!o.quiet) std::fprintf(stderr, "Failed on instance %s: %s\n", id.c_str(), built.error.c_str());
        }
        try {
          progress.Append(out);
        } catch (const Error& e) {
          std::lock_guard<std::mutex> lock(error_mutex);
          fatal = e.what();
          next = todo.size();
          return;
        }
        bar.Advance();
      }
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < std::min<int>(workers, std::max<size_t>(todo.size(), 1)); ++t) threads.emplace_back(work);
    for (auto& t : threads) t.join();
    bar.Finish();
    if (!fatal.empty()) throw Error(fatal);
    failures += split_failures;

    // Final rows in dataset order; progress records of other datasets are dropped, as the reference does.
    std::unordered_map<std::string, const Record*> by_id;
    for (const auto& r : progress.existing_records()) by_id[r.value("instance_id", "")] = &r;
    std::vector<Record> reread = dataset::ReadJsonl(progress_path);
    for (const auto& r : reread) by_id[r.value("instance_id", "")] = &r;
    std::vector<Record> rows;
    for (const auto& inst : instances) {
      auto it = by_id.find(inst["instance_id"].get<std::string>());
      if (it != by_id.end()) rows.push_back(FinalRow(*it->second));
    }
    finished[split] = std::move(rows);
  }

  if (o.validation_ratio > 0 && finished.count("train")) {
    // Deterministic split with seed 42 (the reference uses datasets' train_test_split(seed=42)).
    auto& train = finished["train"];
    size_t n_test = static_cast<size_t>(std::ceil(o.validation_ratio * train.size()));
    std::vector<size_t> order(train.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::mt19937_64 rng(42);
    std::shuffle(order.begin(), order.end(), rng);
    std::vector<Record> new_train, validation;
    for (size_t i = 0; i < order.size(); ++i) (i < n_test ? validation : new_train).push_back(train[order[i]]);
    train = std::move(new_train);
    finished["validation"] = std::move(validation);
  }
  for (const auto& [split, rows] : finished) {
    if (!o.quiet) std::fprintf(stderr, "Found %zu %s instances\n", rows.size(), split.c_str());
  }
  if (o.push_to_hub_user) {
    std::string url = dataset::PushDatasetToHub(*o.push_to_hub_user + "/" + MakeDatasetOutputName(o), finished, hub_options);
    if (!o.quiet) std::fprintf(stderr, "Pushed to %s\n", url.c_str());
  } else {
    dataset::WriteDataset(output, *format, finished);
  }
  for (const auto& split : o.splits) fs::remove(output + "." + split + ".progress.jsonl");
  if (!o.quiet) {
    std::fprintf(stderr, "Finished saving to %s (%zu instance%s failed)\n", output.c_str(), failures,
                 failures == 1 ? "" : "s");
  }
  return 0;
}

}  // namespace sweinfer::pipelines
