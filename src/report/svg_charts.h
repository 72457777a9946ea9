// Charts drawn as inline SVG text, for pages that must open from disk with nothing fetched: a
// histogram, horizontal stacked bars (one per category, segments per series), and plain bars.
// Every text is XML-escaped; sizes are in CSS pixels; colours are the caller's.
#pragma once

#include <string>
#include <vector>

namespace sweinfer::report {

std::string EscapeXml(std::string_view text);

struct Series {
  std::string name, color;
};

// rows[i].values[j] is series j of category rows[i].label.
struct StackedRow {
  std::string label;
  std::vector<double> values;
};

std::string StackedBarChart(const std::string& title, const std::vector<Series>& series, const std::vector<StackedRow>& rows);

struct Bin {
  std::string label;
  double value = 0;
};

// Vertical bars, one per bin (a histogram when the bins are ranges).
std::string BarChart(const std::string& title, const std::vector<Bin>& bins, const std::string& color,
                     const std::string& value_format = "%.0f");

// Bins `values` into `bins` equal ranges over [lo, hi] (values outside go to the end bins).
std::vector<Bin> Histogram(const std::vector<double>& values, double lo, double hi, int bins, const std::string& unit = "");

}  // namespace sweinfer::report
