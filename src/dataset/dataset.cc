#include "dataset/dataset.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>

#include "dataset/arrow_ipc.h"
#include "dataset/hub.h"
#include "dataset/parquet_reader.h"
#include "dataset/parquet_writer.h"
#include "util/error.h"

namespace sweinfer::dataset {

namespace fs = std::filesystem;

namespace {

std::optional<FileFormat> FormatOf(const fs::path& path) {
  std::string ext = path.extension().string();
  if (ext == ".jsonl") return FileFormat::kJsonl;
  if (ext == ".json") return FileFormat::kJson;
  if (ext == ".parquet") return FileFormat::kParquet;
  if (ext == ".arrow") return FileFormat::kArrow;
  return std::nullopt;
}

// "test-00000-of-00001" -> "test"; "test" -> "test".
std::string SplitOfStem(const std::string& stem) {
  auto dash = stem.find('-');
  if (dash != std::string::npos && stem.find("-of-", dash) != std::string::npos) return stem.substr(0, dash);
  return stem;
}

Record ReadJsonFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open '" + path.string() + "'");
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return ParseRecord(content, path.string());
}

// The arrow files of one save_to_disk Dataset folder, from its state.json.
std::vector<std::pair<std::string, FileFormat>> SavedDatasetFiles(const fs::path& dir) {
  Record state = ReadJsonFile(dir / "state.json");
  std::vector<std::pair<std::string, FileFormat>> files;
  if (!state.contains("_data_files") || !state["_data_files"].is_array()) {
    throw Error((dir / "state.json").string() + ": missing '_data_files'");
  }
  for (const auto& f : state["_data_files"]) {
    if (!f.contains("filename") || !f["filename"].is_string()) {
      throw Error((dir / "state.json").string() + ": a data file entry has no 'filename'");
    }
    std::string name = f["filename"].get<std::string>();
    if (name.find("..") != std::string::npos || name.find('/') != std::string::npos) {
      throw Error((dir / "state.json").string() + ": bad data file name '" + name + "'");
    }
    files.push_back({(dir / name).string(), FileFormat::kArrow});
  }
  return files;
}

std::vector<Record> ReadJsonArray(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open '" + path + "'");
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Record doc = ParseRecord(content, path);
  if (!doc.is_array()) throw Error(path + ": expected a JSON array of records");
  std::vector<Record> records;
  for (size_t i = 0; i < doc.size(); ++i) {
    if (!doc[i].is_object()) throw Error(path + ": element " + std::to_string(i) + " is not an object");
    records.push_back(std::move(doc[i]));
  }
  return records;
}

}  // namespace

std::vector<Record> ReadDataFile(const std::string& path, FileFormat format) {
  switch (format) {
    case FileFormat::kJsonl: {
      std::vector<Record> records;
      ForEachJsonl(path, [&](Record&& r, size_t line) {
        if (!r.is_object()) throw Error(path + ":" + std::to_string(line) + ": expected a JSON object");
        records.push_back(std::move(r));
        return true;
      });
      return records;
    }
    case FileFormat::kJson: return ReadJsonArray(path);
    case FileFormat::kParquet: return ReadParquetFile(path);
    case FileFormat::kArrow: return ReadArrowFile(path);
  }
  return {};
}

Dataset Dataset::Open(const std::string& name_or_path) {
  Dataset ds;
  std::error_code ec;
  fs::path path(name_or_path);
  if (fs::is_regular_file(path, ec)) {
    auto format = FormatOf(path);
    if (!format) throw Error("'" + name_or_path + "': unknown dataset file type (expected .jsonl, .json, .parquet or .arrow)");
    ds.single_file_ = true;
    ds.files_[SplitOfStem(path.stem().string())].push_back({path.string(), *format});
    return ds;
  }
  if (fs::is_directory(path, ec) && fs::is_regular_file(path / "dataset_dict.json", ec)) {
    Record dict = ReadJsonFile(path / "dataset_dict.json");
    if (!dict.contains("splits") || !dict["splits"].is_array()) {
      throw Error((path / "dataset_dict.json").string() + ": missing 'splits'");
    }
    for (const auto& split : dict["splits"]) {
      std::string name = split.get<std::string>();
      ds.files_[name] = SavedDatasetFiles(path / name);
    }
    return ds;
  }
  if (fs::is_directory(path, ec) && fs::is_regular_file(path / "state.json", ec)) {
    ds.single_file_ = true;
    ds.files_["train"] = SavedDatasetFiles(path);
    return ds;
  }
  if (fs::is_directory(path, ec)) {
    for (const fs::path& dir : {path, path / "data"}) {
      if (!fs::is_directory(dir, ec)) continue;
      for (const auto& entry : fs::directory_iterator(dir, ec)) {
        if (!entry.is_regular_file()) continue;
        auto format = FormatOf(entry.path());
        if (!format) continue;
        ds.files_[SplitOfStem(entry.path().stem().string())].push_back({entry.path().string(), *format});
      }
    }
    for (auto& [split, shards] : ds.files_) std::sort(shards.begin(), shards.end());
    if (ds.files_.empty()) {
      throw Error("'" + name_or_path + "': no dataset files found (expected {split}.jsonl, {split}.json, " +
                  "{split}.parquet, data/{split}-*.parquet or a save_to_disk folder)");
    }
    return ds;
  }
  if (hub::LooksLikeRepoId(name_or_path)) return Open(FetchHubDataset(name_or_path, hub::OptionsFromEnvironment()));
  throw Error("'" + name_or_path + "': no such dataset file or directory");
}

std::vector<std::string> Dataset::SplitNames() const {
  std::vector<std::string> names;
  for (const auto& [split, _] : files_) names.push_back(split);
  return names;
}

bool Dataset::HasSplit(const std::string& split) const { return single_file_ || files_.count(split) > 0; }

std::vector<Record> Dataset::LoadSplit(const std::string& split) const {
  const auto* shards = single_file_ ? &files_.begin()->second : nullptr;
  if (!single_file_) {
    auto it = files_.find(split);
    if (it == files_.end()) {
      std::string known;
      for (const auto& name : SplitNames()) known += (known.empty() ? "" : ", ") + name;
      throw Error("unknown split '" + split + "'; this dataset has: " + known);
    }
    shards = &it->second;
  }
  std::vector<Record> records;
  for (const auto& [file, format] : *shards) {
    auto part = ReadDataFile(file, format);
    records.insert(records.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
  }
  return records;
}

std::optional<OutputFormat> ParseOutputFormat(const std::string& name) {
  if (name == "jsonl") return OutputFormat::kJsonl;
  if (name == "parquet") return OutputFormat::kParquet;
  if (name == "arrow") return OutputFormat::kArrow;
  return std::nullopt;
}

void WriteDataset(const std::string& output, OutputFormat format, const std::map<std::string, std::vector<Record>>& splits) {
  if (format == OutputFormat::kArrow) {
    std::map<std::string, std::vector<Record>> all;
    std::error_code ec;
    if (fs::is_regular_file(fs::path(output) / "dataset_dict.json", ec)) {
      Dataset existing = Dataset::Open(output);
      for (const auto& split : existing.SplitNames()) {
        if (!splits.count(split)) all[split] = existing.LoadSplit(split);
      }
    }
    for (const auto& [split, records] : splits) all[split] = records;
    WriteSaveToDisk(output, all);
    return;
  }
  fs::create_directories(output);
  for (const auto& [split, records] : splits) {
    if (format == OutputFormat::kJsonl) {
      WriteJsonlAtomically((fs::path(output) / (split + ".jsonl")).string(), records);
    } else {
      WriteParquetFile((fs::path(output) / (split + ".parquet")).string(), records);
    }
  }
}

bool DatasetHasSplit(const std::string& output, OutputFormat format, const std::string& split) {
  std::error_code ec;
  switch (format) {
    case OutputFormat::kJsonl: return fs::exists(fs::path(output) / (split + ".jsonl"), ec);
    case OutputFormat::kParquet: return fs::exists(fs::path(output) / (split + ".parquet"), ec);
    case OutputFormat::kArrow:
      if (!fs::is_regular_file(fs::path(output) / "dataset_dict.json", ec)) return false;
      return Dataset::Open(output).HasSplit(split);
  }
  return false;
}

std::string OutputDatasetName(const std::string& name_or_path) {
  std::string name = name_or_path;
  if (name.rfind("princeton-nlp", 0) == 0) name = name.substr(name.rfind('/') + 1);
  std::string out;
  for (char c : name) {
    if (c == '/') {
      out += "__";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace sweinfer::dataset
