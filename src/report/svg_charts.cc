#include "report/svg_charts.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace sweinfer::report {
namespace {

std::string Num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", v);
  return b;
}

std::string Format(const std::string& format, double v) {
  char b[64];
  std::snprintf(b, sizeof b, format.c_str(), v);
  return b;
}

}  // namespace

std::string EscapeXml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string StackedBarChart(const std::string& title, const std::vector<Series>& series, const std::vector<StackedRow>& rows) {
  const double label_w = 190, bar_w = 420, row_h = 22, top = 34, legend_h = 22;
  const double height = top + rows.size() * row_h + legend_h + 10;
  double max_total = 1;
  for (const auto& r : rows) {
    double t = 0;
    for (double v : r.values) t += v;
    max_total = std::max(max_total, t);
  }
  std::string svg = "<svg class=\"chart\" role=\"img\" width=\"" + Num(label_w + bar_w + 60) +
                    "\" height=\"" + Num(height) + "\" viewBox=\"0 0 " + Num(label_w + bar_w + 60) + " " + Num(height) + "\">";
  svg += "<title>" + EscapeXml(title) + "</title>";
  svg += "<text x=\"0\" y=\"18\" class=\"chart-title\">" + EscapeXml(title) + "</text>";
  for (size_t i = 0; i < rows.size(); ++i) {
    double y = top + i * row_h;
    svg += "<text x=\"" + Num(label_w - 6) + "\" y=\"" + Num(y + 15) + "\" text-anchor=\"end\" class=\"chart-label\">" +
           EscapeXml(rows[i].label) + "</text>";
    double x = label_w, total = 0;
    for (size_t j = 0; j < rows[i].values.size() && j < series.size(); ++j) {
      double w = rows[i].values[j] / max_total * bar_w;
      total += rows[i].values[j];
      if (w <= 0) continue;
      svg += "<rect x=\"" + Num(x) + "\" y=\"" + Num(y + 3) + "\" width=\"" + Num(w) + "\" height=\"" + Num(row_h - 6) +
             "\" fill=\"" + series[j].color + "\"><title>" + EscapeXml(rows[i].label + ": " + series[j].name + " " +
                                                                        Format("%.0f", rows[i].values[j])) +
             "</title></rect>";
      x += w;
    }
    svg += "<text x=\"" + Num(x + 4) + "\" y=\"" + Num(y + 15) + "\" class=\"chart-value\">" + Format("%.0f", total) + "</text>";
  }
  double lx = 0, ly = top + rows.size() * row_h + 14;
  for (const auto& s : series) {
    svg += "<rect x=\"" + Num(lx) + "\" y=\"" + Num(ly - 9) + "\" width=\"10\" height=\"10\" fill=\"" + s.color + "\"/>";
    svg += "<text x=\"" + Num(lx + 14) + "\" y=\"" + Num(ly) + "\" class=\"chart-label\">" + EscapeXml(s.name) + "</text>";
    lx += 20 + 7.0 * s.name.size();
  }
  return svg + "</svg>";
}

std::string BarChart(const std::string& title, const std::vector<Bin>& bins, const std::string& color, const std::string& value_format) {
  const double width = 520, height = 230, left = 40, bottom = 50, top = 30;
  const double plot_w = width - left - 10, plot_h = height - top - bottom;
  double max_v = 0;
  for (const auto& b : bins) max_v = std::max(max_v, b.value);
  if (max_v <= 0) max_v = 1;
  std::string svg = "<svg class=\"chart\" role=\"img\" width=\"" + Num(width) + "\" height=\"" +
                    Num(height) + "\" viewBox=\"0 0 " + Num(width) + " " + Num(height) + "\">";
  svg += "<title>" + EscapeXml(title) + "</title>";
  svg += "<text x=\"0\" y=\"18\" class=\"chart-title\">" + EscapeXml(title) + "</text>";
  svg += "<line x1=\"" + Num(left) + "\" y1=\"" + Num(top + plot_h) + "\" x2=\"" + Num(left + plot_w) + "\" y2=\"" + Num(top + plot_h) +
         "\" class=\"chart-axis\"/>";
  const double slot = bins.empty() ? plot_w : plot_w / bins.size();
  for (size_t i = 0; i < bins.size(); ++i) {
    double h = bins[i].value / max_v * plot_h;
    double x = left + i * slot + slot * 0.1;
    svg += "<rect x=\"" + Num(x) + "\" y=\"" + Num(top + plot_h - h) + "\" width=\"" + Num(slot * 0.8) + "\" height=\"" + Num(h) +
           "\" fill=\"" + color + "\"><title>" + EscapeXml(bins[i].label + ": " + Format(value_format, bins[i].value)) + "</title></rect>";
    svg += "<text x=\"" + Num(x + slot * 0.4) + "\" y=\"" + Num(top + plot_h - h - 3) + "\" text-anchor=\"middle\" class=\"chart-value\">" +
           EscapeXml(Format(value_format, bins[i].value)) + "</text>";
    svg += "<text transform=\"translate(" + Num(x + slot * 0.4) + "," + Num(top + plot_h + 12) + ") rotate(30)\" class=\"chart-label\">" +
           EscapeXml(bins[i].label) + "</text>";
  }
  return svg + "</svg>";
}

std::vector<Bin> Histogram(const std::vector<double>& values, double lo, double hi, int bins, const std::string& unit) {
  std::vector<Bin> out(static_cast<size_t>(std::max(1, bins)));
  const double step = (hi - lo) / out.size();
  for (size_t i = 0; i < out.size(); ++i) {
    double a = lo + i * step, b = a + step;
    char label[64];
    if (step >= 10) std::snprintf(label, sizeof label, "%.0f-%.0f%s", a, b, unit.c_str());
    else std::snprintf(label, sizeof label, "%.2g-%.2g%s", a, b, unit.c_str());
    out[i].label = label;
  }
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    long i = static_cast<long>(std::floor((v - lo) / step));
    i = std::clamp<long>(i, 0, static_cast<long>(out.size()) - 1);
    out[static_cast<size_t>(i)].value += 1;
  }
  return out;
}

}  // namespace sweinfer::report
