// The report page: one self-contained HTML file (inline CSS, inline SVG charts, inline script and
// data; nothing fetched, opens from disk). The data goes in as JSON (see ReportPage) and the page
// renders the instance table from it in the browser, so 2,294 rows stay fast: sorting, filtering
// by repository, outcome and text, and rows that expand to the issue, each run's patch as a diff
// with its rejected hunks marked, the gold patch, and the harness outcome.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sweinfer::report {

struct ReportPage {
  std::string title;
  // {"label", "value", "detail"} cards shown at the top.
  std::vector<nlohmann::ordered_json> headline;
  std::vector<std::string> charts_svg;  // inline <svg> elements (svg_charts.h)
  std::string comparison_html;          // a prepared fragment, empty when one run
  // {"runs": [{"name"}], "rows": [{"id", "repo", "issue", "gold", "runs": [{...}]}]}
  nlohmann::ordered_json data;
};

std::string RenderReportHtml(const ReportPage& page);

}  // namespace sweinfer::report
