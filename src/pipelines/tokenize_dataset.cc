#include "pipelines/tokenize_dataset.h"

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "dataset/dataset.h"
#include "text/python_str.h"
#include "util/error.h"
#include "util/progress.h"

namespace sweinfer::pipelines {

namespace fs = std::filesystem;
using dataset::Record;

namespace {

constexpr size_t kMaxTextCharacters = 5'000'000;

size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// The reference's tokenizer_func: Llama through the Hugging Face tokenizer (special tokens
// recognised), tiktoken with special tokens encoded as text.
std::vector<int64_t> Ids(const tokenizer::Tokenizer& tok, std::string_view text) {
  return tok.name() == "llama" ? tok.EncodeWithSpecials(text) : tok.Encode(text);
}

}  // namespace

std::optional<Record> TokenizeRow(const Record& row, bool is_test, const tokenizer::Tokenizer& tok) {
  auto text_it = row.find("text");
  auto patch_it = row.find("patch");
  if (text_it == row.end() || patch_it == row.end() || !text_it->is_string() || !patch_it->is_string()) {
    return std::nullopt;
  }
  const std::string& raw_text = text_it->get_ref<const std::string&>();
  if (CodePoints(raw_text) > kMaxTextCharacters) return std::nullopt;
  std::string text = std::string(text::PythonStrip(raw_text)) + "\n";
  std::string patch(text::PythonStrip(patch_it->get_ref<const std::string&>()));
  std::string eos = tok.EosToken();
  if (!eos.empty()) patch += "\n" + eos;
  std::vector<int64_t> text_ids = Ids(tok, text);
  Record out = row;
  out["text"] = text;
  out["patch"] = patch;
  if (is_test) {
    out["input_ids"] = text_ids;
    out["labels"] = Ids(tok, patch);
    return out;
  }
  std::vector<int64_t> label_ids =
      tok.name() == "llama" ? tokenizer::LlamaIdsWithoutLeadingSpace(tok, patch) : Ids(tok, patch);
  std::vector<int64_t> input_ids = text_ids;
  if (!label_ids.empty()) input_ids.insert(input_ids.end(), label_ids.begin(), label_ids.end() - 1);
  std::vector<int64_t> labels(text_ids.empty() ? 0 : text_ids.size() - 1, -100);
  labels.insert(labels.end(), label_ids.begin(), label_ids.end());
  out["input_ids"] = std::move(input_ids);
  out["labels"] = std::move(labels);
  return out;
}

std::string RunTokenize(const TokenizeOptions& o) {
  auto tok = tokenizer::LoadTokenizer(o.tokenizer_name, o.tokenizer_files);
  dataset::Dataset ds = dataset::Dataset::Open(o.dataset_name_or_path);
  std::vector<std::string> splits = o.splits;
  if (splits.empty()) splits = ds.single_file() ? std::vector<std::string>{"test"} : ds.SplitNames();

  fs::path input(o.dataset_name_or_path);
  std::string base = (input.has_filename() ? input : input.parent_path()).filename().string();
  if (ds.single_file()) base = input.stem().string();
  std::string short_name = o.tokenizer_name;
  if (short_name.size() > 5 && short_name.compare(short_name.size() - 5, 5, "_base") == 0) {
    short_name.resize(short_name.size() - 5);
  }
  std::string output = (fs::path(o.output_dir) / (base + "__tok-" + short_name)).string();

  const int threads = o.num_proc > 0 ? o.num_proc : std::max(1u, std::thread::hardware_concurrency());
  std::map<std::string, std::vector<Record>> result;
  for (const auto& split : splits) {
    std::vector<Record> rows = ds.LoadSplit(split);
    std::vector<std::optional<Record>> done(rows.size());
    Progress bar("tokenize " + split, rows.size(), o.quiet);
    std::atomic<size_t> next{0};
    std::vector<std::string> errors(threads);
    auto work = [&](int t) {
      try {
        for (size_t i; (i = next.fetch_add(1)) < rows.size();) {
          done[i] = TokenizeRow(rows[i], split == "test", *tok);
          bar.Advance();
        }
      } catch (const Error& e) {
        errors[t] = e.what();
        next = rows.size();
      }
    };
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) pool.emplace_back(work, t);
    for (auto& t : pool) t.join();
    bar.Finish();
    for (const auto& e : errors) {
      if (!e.empty()) throw Error("tokenize " + split + ": " + e);
    }
    size_t dropped = 0;
    auto& out = result[split];
    for (auto& r : done) {
      if (r) {
        out.push_back(std::move(*r));
      } else {
        ++dropped;
      }
    }
    if (!o.quiet) std::fprintf(stderr, "%s: %zu rows tokenized, %zu dropped\n", split.c_str(), out.size(), dropped);
  }

  fs::create_directories(o.output_dir);
  if (ds.single_file()) {
    std::string ext = input.extension().string();
    std::string file = output + (ext == ".parquet" ? ".parquet" : ".jsonl");
    const auto& rows = result.begin()->second;
    if (ext == ".parquet") {
      dataset::WriteDataset(output + ".tmpdir", dataset::OutputFormat::kParquet, result);
      fs::rename(output + ".tmpdir/" + result.begin()->first + ".parquet", file);
      fs::remove_all(output + ".tmpdir");
    } else {
      dataset::WriteJsonlAtomically(file, rows);
    }
    return file;
  }
  dataset::OutputFormat format = dataset::OutputFormat::kJsonl;
  std::error_code ec;
  if (fs::exists(input / "dataset_dict.json", ec) || fs::exists(input / "state.json", ec)) {
    format = dataset::OutputFormat::kArrow;
  } else {
    for (const auto& entry : fs::recursive_directory_iterator(input, ec)) {
      if (entry.path().extension() == ".parquet") format = dataset::OutputFormat::kParquet;
    }
  }
  dataset::WriteDataset(output, format, result);
  return output;
}

}  // namespace sweinfer::pipelines
