#include "dataset/columns.h"

#include <algorithm>
#include <unordered_map>

#include "util/error.h"

namespace sweinfer::dataset {

namespace {

ColumnType TypeOfValue(const Record& v, const std::string& column, size_t row) {
  switch (v.type()) {
    case nlohmann::json::value_t::null: return ColumnType::kNull;
    case nlohmann::json::value_t::string: return ColumnType::kString;
    case nlohmann::json::value_t::boolean: return ColumnType::kBool;
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned: return ColumnType::kInt64;
    case nlohmann::json::value_t::number_float: return ColumnType::kFloat64;
    case nlohmann::json::value_t::array: {
      ColumnType element = ColumnType::kNull;
      for (const auto& e : v) {
        ColumnType t = e.is_string() ? ColumnType::kString
                       : e.is_number_integer() ? ColumnType::kInt64
                       : e.is_number_float() ? ColumnType::kFloat64
                       : e.is_null() ? ColumnType::kNull
                                     : throw Error("column '" + column + "', row " + std::to_string(row) +
                                                   ": lists may hold only strings or numbers");
        if (t == ColumnType::kNull) continue;
        if (element == ColumnType::kInt64 && t == ColumnType::kFloat64) element = t;
        else if (element == ColumnType::kFloat64 && t == ColumnType::kInt64) continue;
        else if (element != ColumnType::kNull && element != t) {
          throw Error("column '" + column + "', row " + std::to_string(row) + ": a list mixes strings and numbers");
        }
        else element = t;
      }
      if (element == ColumnType::kString) return ColumnType::kListString;
      if (element == ColumnType::kFloat64) return ColumnType::kListFloat64;
      return ColumnType::kListInt64;  // also for lists of only nulls or empty lists
    }
    default:
      throw Error("column '" + column + "', row " + std::to_string(row) +
                  ": nested objects cannot be stored in a columnar file");
  }
}

// Merges types seen for one column; ints widen to floats, empty lists adopt the element type seen.
ColumnType Merge(ColumnType a, ColumnType b, const std::string& column, size_t row) {
  if (a == ColumnType::kNull || a == b) return b == ColumnType::kNull ? a : b;
  if (b == ColumnType::kNull) return a;
  auto is_list = [](ColumnType t) {
    return t == ColumnType::kListInt64 || t == ColumnType::kListFloat64 || t == ColumnType::kListString;
  };
  if ((a == ColumnType::kInt64 && b == ColumnType::kFloat64) || (a == ColumnType::kFloat64 && b == ColumnType::kInt64)) {
    return ColumnType::kFloat64;
  }
  if (is_list(a) && is_list(b)) {
    if (a == ColumnType::kListString || b == ColumnType::kListString) return ColumnType::kListString;
    return ColumnType::kListFloat64;
  }
  throw Error("column '" + column + "', row " + std::to_string(row) + ": values of different types in one column");
}

}  // namespace

std::vector<ColumnSpec> InferColumns(const std::vector<Record>& records) {
  std::vector<ColumnSpec> columns;
  std::unordered_map<std::string, size_t> index;
  // Lists with no non-null element say only "this is a list": they do not decide the element type.
  std::vector<bool> saw_untyped_list;
  for (size_t row = 0; row < records.size(); ++row) {
    const Record& r = records[row];
    if (!r.is_object()) throw Error("row " + std::to_string(row) + " is not an object");
    for (auto it = r.begin(); it != r.end(); ++it) {
      auto [pos, inserted] = index.emplace(it.key(), columns.size());
      if (inserted) {
        columns.push_back({it.key(), ColumnType::kNull});
        saw_untyped_list.push_back(false);
      }
      ColumnSpec& spec = columns[pos->second];
      const Record& v = it.value();
      bool untyped_list = v.is_array() && std::all_of(v.begin(), v.end(), [](const Record& e) { return e.is_null(); });
      if (untyped_list) {
        saw_untyped_list[pos->second] = true;
        continue;
      }
      spec.type = Merge(spec.type, TypeOfValue(v, it.key(), row), it.key(), row);
    }
  }
  for (size_t i = 0; i < columns.size(); ++i) {
    if (!saw_untyped_list[i]) continue;
    ColumnType t = columns[i].type;
    if (t == ColumnType::kNull) {
      columns[i].type = ColumnType::kListInt64;
    } else if (t != ColumnType::kListInt64 && t != ColumnType::kListFloat64 && t != ColumnType::kListString) {
      throw Error("column '" + columns[i].name + "': holds both lists and single values");
    }
  }
  return columns;
}

Record FeatureOf(ColumnType type) {
  auto value = [](const char* dtype) { return Record{{"dtype", dtype}, {"_type", "Value"}}; };
  switch (type) {
    case ColumnType::kNull: return value("null");
    case ColumnType::kString: return value("string");
    case ColumnType::kInt64: return value("int64");
    case ColumnType::kFloat64: return value("float64");
    case ColumnType::kBool: return value("bool");
    case ColumnType::kListInt64: return Record{{"feature", value("int64")}, {"_type", "Sequence"}};
    case ColumnType::kListFloat64: return Record{{"feature", value("float64")}, {"_type", "Sequence"}};
    case ColumnType::kListString: return Record{{"feature", value("string")}, {"_type", "Sequence"}};
  }
  return value("null");
}

Record FeaturesOf(const std::vector<ColumnSpec>& columns) {
  Record features = Record::object();
  for (const auto& c : columns) features[c.name] = FeatureOf(c.type);
  return features;
}

}  // namespace sweinfer::dataset
