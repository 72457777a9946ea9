#include "pipelines/report.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "dataset/dataset.h"
#include "dataset/predictions.h"
#include "patch/diff_stat.h"
#include "pipelines/check_patches.h"
#include "report/html_report.h"
#include "report/svg_charts.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"

namespace sweinfer::pipelines {
namespace {

namespace fs = std::filesystem;
using dataset::Record;

// What the harness said about one instance.
struct HarnessOutcome {
  std::optional<bool> resolved;
  std::string detail;  // "error", "empty patch", "patch did not apply", ...
};

std::map<std::string, HarnessOutcome> ReadHarnessReport(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error("cannot read harness report " + path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Record doc = dataset::ParseRecord(text, path);
  if (!doc.is_object()) throw Error(path + ": a harness report is a JSON object with resolved_ids, unresolved_ids, ...");
  std::map<std::string, HarnessOutcome> out;
  auto each = [&](const char* key, std::optional<bool> resolved, const char* detail) {
    if (!doc.contains(key) || !doc[key].is_array()) return;
    for (const auto& id : doc[key]) {
      if (id.is_string()) out[id.get<std::string>()] = {resolved, detail};
    }
  };
  each("unresolved_ids", false, "unresolved");
  each("empty_patch_ids", false, "empty patch");
  each("error_ids", false, "error in the harness");
  each("resolved_ids", true, "resolved");
  return out;
}

// Every report.json under `dir`: {"<id>": {"resolved": bool, "patch_successfully_applied": bool, ...}}.
void ReadHarnessLogs(const std::string& dir, std::map<std::string, HarnessOutcome>* out) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Error("harness logs: " + dir + " is not a directory");
  for (auto it = fs::recursive_directory_iterator(dir, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it->path().filename() != "report.json") continue;
    std::ifstream in(it->path());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Record doc = dataset::ParseRecord(text, it->path().string());
    if (!doc.is_object()) continue;
    for (const auto& [id, r] : doc.items()) {
      if (!r.is_object()) continue;
      HarnessOutcome o;
      if (r.contains("resolved") && r["resolved"].is_boolean()) o.resolved = r["resolved"].get<bool>();
      if (r.value("patch_is_None", false)) o.detail = "no patch";
      else if (r.contains("patch_successfully_applied") && r["patch_successfully_applied"] == false) o.detail = "patch did not apply";
      else o.detail = o.resolved.value_or(false) ? "resolved" : "unresolved";
      if (r.contains("tests_status") && r["tests_status"].is_object()) {
        const auto& ts = r["tests_status"];
        auto count = [&](const char* group, const char* kind) {
          return ts.contains(group) && ts[group].contains(kind) ? ts[group][kind].size() : 0;
        };
        o.detail += "; FAIL_TO_PASS " + std::to_string(count("FAIL_TO_PASS", "success")) + "/" +
                    std::to_string(count("FAIL_TO_PASS", "success") + count("FAIL_TO_PASS", "failure")) + ", PASS_TO_PASS " +
                    std::to_string(count("PASS_TO_PASS", "success")) + "/" +
                    std::to_string(count("PASS_TO_PASS", "success") + count("PASS_TO_PASS", "failure"));
      }
      (*out)[id] = o;
    }
  }
}

std::string Percent(double part, double whole) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f%%", whole > 0 ? 100.0 * part / whole : 0.0);
  return b;
}

std::string RunName(const std::string& path, const std::vector<Record>& predictions) {
  for (const auto& p : predictions) {
    if (p.contains("model_name_or_path") && p["model_name_or_path"].is_string()) {
      std::string m = p["model_name_or_path"];
      return m + " (" + fs::path(path).filename().string() + ")";
    }
  }
  return fs::path(path).filename().string();
}

std::optional<int64_t> PromptTokens(const Record& prediction, const Record* instance, const tokenizer::Tokenizer* tok) {
  if (prediction.contains("usage") && prediction["usage"].is_object()) {
    const auto& u = prediction["usage"];
    for (const char* k : {"input_tokens", "prompt_tokens"}) {
      if (u.contains(k) && u[k].is_number()) return u[k].get<int64_t>();
    }
  }
  if (instance && tok && instance->contains("text") && (*instance)["text"].is_string()) {
    return static_cast<int64_t>(tok->Encode((*instance)["text"].get<std::string>()).size());
  }
  return std::nullopt;
}

}  // namespace

ReportSummary RunReport(const ReportOptions& o) {
  if (o.predictions.empty() || o.predictions.size() > 2) throw Error("report takes one --predictions file, or two to compare");
  for (const auto* list : {&o.checks, &o.harness_reports, &o.harness_logs}) {
    if (!list->empty() && list->size() != o.predictions.size()) {
      throw Error("give --checks, --harness_report and --harness_logs once per --predictions file, in the same order");
    }
  }
  std::vector<Record> rows = dataset::Dataset::Open(o.dataset_name_or_path).LoadSplit(o.split);
  std::map<std::string, Record> instances;
  std::vector<std::string> order;
  for (auto& r : rows) {
    if (!r.contains("instance_id") || !r["instance_id"].is_string()) continue;
    std::string id = r["instance_id"];
    order.push_back(id);
    instances[id] = std::move(r);
  }
  std::unique_ptr<tokenizer::Tokenizer> tok;
  bool has_text = !instances.empty() && instances.begin()->second.contains("text");
  if (has_text) {
    try {
      tokenizer::TokenizerOptions files;
      files.tiktoken_dir = o.tiktoken_dir;
      files.allow_download = false;
      tok = tokenizer::LoadTokenizer(o.tokenizer_name, files);
    } catch (const Error& e) {
      if (!o.quiet) std::fprintf(stderr, "prompt lengths left out: %s\n", e.what());
    }
  }
  struct Run {
    std::string name;
    std::map<std::string, Record> predictions, checks;
    std::map<std::string, HarnessOutcome> harness;
  };
  std::vector<Run> runs(o.predictions.size());
  std::set<std::string> predicted_ids;
  for (size_t i = 0; i < o.predictions.size(); ++i) {
    std::vector<Record> preds = dataset::LoadPredictions(o.predictions[i]);
    runs[i].name = RunName(o.predictions[i], preds);
    for (auto& p : preds) {
      std::string id = p["instance_id"];
      predicted_ids.insert(id);
      runs[i].predictions[id] = std::move(p);
    }
    if (!o.checks.empty()) {
      for (auto& c : dataset::ReadJsonl(o.checks[i])) {
        if (c.contains("instance_id") && c["instance_id"].is_string()) {
          std::string id = c["instance_id"];
          runs[i].checks[id] = std::move(c);
        }
      }
    } else if (o.repositories) {
      std::vector<const Record*> todo;
      for (const auto& [id, p] : runs[i].predictions) todo.push_back(&p);
      CheckPredictions(todo, instances, *o.repositories, o.dataset_name_or_path, o.num_workers, CheckSettings{}, o.quiet,
                       [&](Record&& r) {
                         std::string id = r["instance_id"];
                         runs[i].checks[id] = std::move(r);
                       });
    }
    if (!o.harness_reports.empty()) runs[i].harness = ReadHarnessReport(o.harness_reports[i]);
    if (!o.harness_logs.empty()) ReadHarnessLogs(o.harness_logs[i], &runs[i].harness);
  }
  // Retrieval recall@k of the gold-edited files.
  std::map<std::string, std::vector<std::string>> hits;
  if (o.retrieval_file) {
    for (auto& r : dataset::ReadJsonl(*o.retrieval_file)) {
      if (!r.contains("instance_id") || !r.contains("hits")) continue;
      std::vector<std::string> docs;
      for (const auto& h : r["hits"]) {
        if (h.contains("docid") && h["docid"].is_string()) docs.push_back(h["docid"]);
      }
      hits[r["instance_id"].get<std::string>()] = docs;
    }
  }
  // Only instances that some run predicted, in dataset order (all of them when none matched).
  std::vector<std::string> shown;
  for (const auto& id : order) {
    if (predicted_ids.count(id)) shown.push_back(id);
  }
  for (const auto& id : predicted_ids) {
    if (!instances.count(id)) shown.push_back(id);  // predictions for instances the dataset lacks
  }
  report::ReportPage page;
  page.title = o.title.empty() ? "SWE-bench run: " + runs[0].name + (runs.size() > 1 ? " vs " + runs[1].name : "") : o.title;
  Record data = Record::object();
  data["runs"] = Record::array();
  for (const auto& run : runs) data["runs"].push_back({{"name", run.name}});
  data["rows"] = Record::array();
  struct Tally {
    int64_t predictions = 0, extracted = 0, git = 0, reject = 0, patch = 0, not_applied = 0, empty = 0, errors = 0, checked = 0;
    int64_t resolved = 0, judged = 0, input_tokens = 0, output_tokens = 0;
    double cost = 0;
    bool has_cost = false, has_tokens = false;
    std::vector<double> prompt_tokens, patch_sizes, recalls;
    std::map<std::string, std::array<double, 6>> by_repo;
  };
  std::vector<Tally> tallies(runs.size());
  std::map<int, std::vector<double>> retrieval_recall;
  for (const auto& id : shown) {
    auto inst = instances.find(id);
    const Record* instance = inst == instances.end() ? nullptr : &inst->second;
    std::string repo = instance ? instance->value("repo", std::string("?")) : std::string("(not in the dataset)");
    Record row = Record::object();
    row["id"] = id;
    row["repo"] = repo;
    row["issue"] = instance ? instance->value("problem_statement", std::string()) : std::string();
    row["gold"] = instance && (*instance).contains("patch") ? (*instance)["patch"] : Record(nullptr);
    std::vector<std::string> gold_files =
        instance && (*instance).contains("patch") && (*instance)["patch"].is_string()
            ? patch::StatPatch((*instance)["patch"].get<std::string>()).paths
            : std::vector<std::string>{};
    if (hits.count(id) && !gold_files.empty()) {
      Record rec = Record::object();
      for (int k : {1, 5, 10, 20}) {
        size_t found = 0;
        for (const auto& g : gold_files) {
          const auto& h = hits[id];
          if (std::find(h.begin(), h.begin() + std::min<size_t>(k, h.size()), g) != h.begin() + std::min<size_t>(k, h.size())) ++found;
        }
        double r = static_cast<double>(found) / gold_files.size();
        retrieval_recall[k].push_back(r);
        rec[std::to_string(k)] = r;
      }
      row["retrieval_recall"] = rec;
    }
    row["runs"] = Record::array();
    for (size_t i = 0; i < runs.size(); ++i) {
      Tally& t = tallies[i];
      Record x = Record::object();
      auto pit = runs[i].predictions.find(id);
      if (pit == runs[i].predictions.end()) {
        x["category"] = "null";
        x["patch"] = nullptr;
        x["applies_with"] = nullptr;
        row["runs"].push_back(x);
        continue;
      }
      const Record& p = pit->second;
      ++t.predictions;
      x["patch"] = p.contains("model_patch") ? p["model_patch"] : Record(nullptr);
      bool extracted = x["patch"].is_string() && x["patch"].get<std::string>().find_first_not_of(" \t\r\n") != std::string::npos;
      if (extracted) ++t.extracted;
      auto cit = runs[i].checks.find(id);
      std::array<double, 6>& by = t.by_repo[repo];
      if (cit != runs[i].checks.end()) {
        const Record& c = cit->second;
        ++t.checked;
        x["category"] = c.value("category", std::string("not applied"));
        x["applies_with"] = c.contains("applies_with") ? c["applies_with"] : Record(nullptr);
        x["hunks"] = c.contains("hunks") ? c["hunks"] : Record::array();
        x["recall"] = c.contains("gold_file_recall") ? c["gold_file_recall"] : Record(nullptr);
        x["added"] = c.contains("lines_added") ? c["lines_added"] : Record(nullptr);
        x["removed"] = c.contains("lines_removed") ? c["lines_removed"] : Record(nullptr);
        x["syntax_ok"] = c.contains("syntax_ok") ? c["syntax_ok"] : Record(nullptr);
        if (c.contains("parse_error")) x["parse_error"] = c["parse_error"];
        std::string with = x["applies_with"].is_string() ? x["applies_with"].get<std::string>() : "";
        std::string cat = x["category"];
        int slot = with == "git apply" ? 0 : with == "git apply --reject" ? 1 : with == "patch" ? 2
                   : cat == "error" ? 5 : (cat == "empty" || cat == "null") ? 4 : 3;
        by[static_cast<size_t>(slot)] += 1;
        int64_t* counters[] = {&t.git, &t.reject, &t.patch, &t.not_applied, &t.empty, &t.errors};
        ++*counters[slot];
        if (x["recall"].is_number()) t.recalls.push_back(x["recall"].get<double>());
        if (x["added"].is_number()) t.patch_sizes.push_back(x["added"].get<double>() + x["removed"].get<double>());
      } else {
        x["category"] = "unchecked";
        x["applies_with"] = nullptr;
        patch::DiffStat stat = patch::StatPatch(x["patch"].is_string() ? x["patch"].get<std::string>() : "");
        x["added"] = stat.lines_added;
        x["removed"] = stat.lines_removed;
        if (extracted) t.patch_sizes.push_back(static_cast<double>(stat.lines_added + stat.lines_removed));
      }
      auto hit = runs[i].harness.find(id);
      if (hit != runs[i].harness.end()) {
        x["resolved"] = hit->second.resolved ? Record(*hit->second.resolved) : Record(nullptr);
        x["harness_detail"] = hit->second.detail;
        ++t.judged;
        if (hit->second.resolved.value_or(false)) ++t.resolved;
      } else {
        x["resolved"] = nullptr;
      }
      if (auto n = PromptTokens(p, instance, tok.get())) {
        x["tokens"] = *n;
        t.prompt_tokens.push_back(static_cast<double>(*n));
      } else {
        x["tokens"] = nullptr;
      }
      if (p.contains("usage") && p["usage"].is_object()) {
        t.has_tokens = true;
        t.input_tokens += p["usage"].value("input_tokens", p["usage"].value("prompt_tokens", int64_t{0}));
        t.output_tokens += p["usage"].value("output_tokens", p["usage"].value("completion_tokens", int64_t{0}));
      }
      if (p.contains("cost") && p["cost"].is_number()) {
        t.has_cost = true;
        t.cost += p["cost"].get<double>();
      }
      row["runs"].push_back(x);
    }
    data["rows"].push_back(std::move(row));
  }
  // Headline figures.
  for (size_t i = 0; i < runs.size(); ++i) {
    const Tally& t = tallies[i];
    std::string tag = runs.size() > 1 ? " (" + runs[i].name + ")" : "";
    auto card = [&](const std::string& label, const std::string& value, const std::string& detail) {
      page.headline.push_back({{"label", label + tag}, {"value", value}, {"detail", detail}});
    };
    if (i == 0) page.headline.push_back({{"label", "instances"}, {"value", std::to_string(shown.size())},
                                         {"detail", "of " + std::to_string(order.size()) + " in " + o.split}});
    card("predictions", std::to_string(t.predictions), "");
    card("patches extracted", std::to_string(t.extracted), Percent(t.extracted, t.predictions));
    if (t.checked) {
      int64_t applied = t.git + t.reject + t.patch;
      card("apply", Percent(applied, t.checked),
           "git apply " + std::to_string(t.git) + ", --reject " + std::to_string(t.reject) + ", patch " + std::to_string(t.patch) +
               ", none " + std::to_string(t.not_applied + t.empty) + (t.errors ? ", errors " + std::to_string(t.errors) : ""));
    }
    if (t.judged) card("resolved", Percent(t.resolved, t.predictions), std::to_string(t.resolved) + " of " + std::to_string(t.predictions));
    if (t.has_tokens) card("tokens", std::to_string(t.input_tokens + t.output_tokens),
                           "in " + std::to_string(t.input_tokens) + ", out " + std::to_string(t.output_tokens));
    if (t.has_cost) {
      char b[32];
      std::snprintf(b, sizeof b, "$%.2f", t.cost);
      card("cost", b, "");
    }
  }
  // Charts.
  const std::vector<report::Series> series = {{"git apply", "#2e7d32"}, {"git apply --reject", "#ef6c00"}, {"patch", "#f9a825"},
                                              {"not applied", "#c62828"}, {"empty / null", "#90a4ae"}, {"error", "#6a1b9a"}};
  for (size_t i = 0; i < runs.size(); ++i) {
    const Tally& t = tallies[i];
    std::string tag = runs.size() > 1 ? " — " + runs[i].name : "";
    if (t.checked) {
      std::vector<report::StackedRow> bars;
      for (const auto& [repo, v] : t.by_repo) bars.push_back({repo, std::vector<double>(v.begin(), v.end())});
      page.charts_svg.push_back(report::StackedBarChart("Apply outcome by repository" + tag, series, bars));
    }
    if (!t.prompt_tokens.empty()) {
      auto [lo, hi] = std::minmax_element(t.prompt_tokens.begin(), t.prompt_tokens.end());
      double from = std::floor(*lo / 100) * 100, to = std::max(from + 100, std::ceil(*hi / 100) * 100);
      page.charts_svg.push_back(report::BarChart("Prompt length (tokens)" + tag, report::Histogram(t.prompt_tokens, from, to, 10), "#1f5fbf"));
    }
    if (!t.patch_sizes.empty()) {
      double hi = *std::max_element(t.patch_sizes.begin(), t.patch_sizes.end());
      page.charts_svg.push_back(report::BarChart("Patch size (lines added + removed)" + tag,
                                                 report::Histogram(t.patch_sizes, 0, std::max(10.0, hi), 10), "#6d4c41"));
    }
    if (!t.recalls.empty()) {
      page.charts_svg.push_back(report::BarChart("Gold-file recall of the edits" + tag, report::Histogram(t.recalls, 0, 1.0001, 5), "#00897b"));
    }
  }
  if (!retrieval_recall.empty()) {
    std::vector<report::Bin> bins;
    for (const auto& [k, v] : retrieval_recall) {
      double sum = 0;
      for (double r : v) sum += r;
      bins.push_back({"recall@" + std::to_string(k), v.empty() ? 0 : sum / v.size()});
    }
    page.charts_svg.push_back(report::BarChart("Retrieval: gold-file recall@k (BM25 hits)", bins, "#5e35b1", "%.3f"));
  }
  // Comparison of two runs.
  if (runs.size() == 2) {
    bool by_resolved = tallies[0].judged && tallies[1].judged;
    int64_t only_a = 0, only_b = 0, both = 0, neither = 0;
    for (const auto& row : data["rows"]) {
      auto good = [&](const Record& x) {
        return by_resolved ? x.value("resolved", Record(false)) == true : x.contains("applies_with") && x["applies_with"].is_string();
      };
      bool a = good(row["runs"][0]), b = good(row["runs"][1]);
      (a && b ? both : a ? only_a : b ? only_b : neither) += 1;
    }
    std::string what = by_resolved ? "resolved" : "patch applies";
    auto esc = [](const std::string& s) { return report::EscapeXml(s); };
    page.comparison_html = "<table class=\"compare\"><thead><tr><th>" + esc(what) + "</th><th>instances</th></tr></thead><tbody>" +
                           "<tr><td>only " + esc(runs[0].name) + "</td><td>" + std::to_string(only_a) + "</td></tr>" +
                           "<tr><td>only " + esc(runs[1].name) + "</td><td>" + std::to_string(only_b) + "</td></tr>" +
                           "<tr><td>both</td><td>" + std::to_string(both) + "</td></tr><tr><td>neither</td><td>" +
                           std::to_string(neither) + "</td></tr></tbody></table>" +
                           "<p class=\"muted\">Filter the table with \"runs disagree\" to see the instances one run fixed and the other broke.</p>";
  }
  page.data = std::move(data);
  std::string html = report::RenderReportHtml(page);
  std::string tmp = o.output + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error("cannot write " + o.output);
    out << html;
    if (!out.flush()) throw Error("cannot write " + o.output);
  }
  fs::rename(tmp, o.output);
  ReportSummary summary;
  summary.output_file = o.output;
  summary.instances = shown.size();
  for (const auto& t : tallies) summary.predictions += static_cast<size_t>(t.predictions);
  return summary;
}

}  // namespace sweinfer::pipelines
