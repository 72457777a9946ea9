#include "dataset/predictions.h"

#include <fstream>
#include <iterator>
#include <set>

#include "util/error.h"

namespace sweinfer::dataset {

std::vector<Record> LoadPredictions(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read predictions file " + path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t first = text.find_first_not_of(" \t\r\n");
  std::vector<Record> records;
  bool whole_json = false;
  if (first != std::string::npos && (text[first] == '[' || text[first] == '{')) {
    // A JSON document (list or dict) unless the first line is a complete record of a JSONL file.
    size_t nl = text.find('\n', first);
    bool one_line_record = false;
    if (text[first] == '{' && nl != std::string::npos && text.find_first_not_of(" \t\r\n", nl) != std::string::npos) {
      try {
        Record r = ParseRecord(std::string_view(text).substr(first, nl - first), path + ":1");
        one_line_record = r.is_object() && r.contains("instance_id");
      } catch (const Error&) {
        one_line_record = false;
      }
    }
    whole_json = text[first] == '[' || !one_line_record;
  }
  if (whole_json) {
    Record doc = ParseRecord(text, path);
    if (doc.is_array()) {
      for (size_t i = 0; i < doc.size(); ++i) {
        if (!doc[i].is_object()) throw Error(path + ": record " + std::to_string(i) + " is not an object");
        records.push_back(std::move(doc[i]));
      }
    } else if (doc.is_object() && doc.contains("instance_id") && !doc["instance_id"].is_object()) {
      records.push_back(std::move(doc));
    } else if (doc.is_object()) {
      for (auto& [id, value] : doc.items()) {
        if (!value.is_object()) throw Error(path + ": the value for '" + id + "' is not an object");
        Record r = value;
        if (!r.contains("instance_id")) {
          Record with_id = Record::object();
          with_id["instance_id"] = id;
          for (auto& [k, v] : r.items()) with_id[k] = v;
          r = std::move(with_id);
        }
        records.push_back(std::move(r));
      }
    } else {
      throw Error(path + ": expected JSON Lines, a list of predictions or an object keyed by instance id");
    }
  } else {
    records = ReadJsonl(path);
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < records.size(); ++i) {
    const Record& r = records[i];
    if (!r.is_object() || !r.contains("instance_id") || !r["instance_id"].is_string()) {
      throw Error(path + ": prediction " + std::to_string(i + 1) + " has no instance_id");
    }
    if (!seen.insert(r["instance_id"].get<std::string>()).second) {
      throw Error(path + ": instance " + r["instance_id"].get<std::string>() + " has more than one prediction");
    }
  }
  return records;
}

}  // namespace sweinfer::dataset
