#include "report/html_report.h"

#include <zlib.h>

#include "report/svg_charts.h"
#include "util/base64.h"
#include "util/error.h"

namespace sweinfer::report {
namespace {

const char* kStyle = R"CSS(
:root { --fg:#1d2430; --muted:#5b6676; --line:#d8dee7; --bg:#f6f8fb; --ok:#2e7d32; --warn:#b26a00; --bad:#c62828; --accent:#1f5fbf; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { padding: 18px 28px 8px; background: #fff; border-bottom: 1px solid var(--line); }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 22px 0 10px; }
main { padding: 8px 28px 40px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; min-width: 150px; }
.card .v { font-size: 22px; font-weight: 600; } .card .l { color: var(--muted); font-size: 12px; } .card .d { color: var(--muted); font-size: 12px; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
.charts svg { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 8px; }
.chart-title { font-weight: 600; font-size: 13px; fill: var(--fg); } .chart-label { font-size: 11px; fill: var(--muted); }
.chart-value { font-size: 10px; fill: var(--fg); } .chart-axis { stroke: var(--line); }
.controls { display: flex; gap: 10px; align-items: center; margin: 8px 0; flex-wrap: wrap; }
.controls input, .controls select { padding: 5px 8px; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); table-layout: fixed; }
td { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; } .details td { white-space: normal; }
th:first-child { width: 30%; } th:nth-child(2) { width: 16%; }
th, td { padding: 5px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { position: sticky; top: 0; background: #eef2f7; cursor: pointer; user-select: none; white-space: nowrap; }
th.sorted-asc::after { content: " \25B2"; } th.sorted-desc::after { content: " \25BC"; }
tr.row { cursor: pointer; } tr.row:hover { background: #f0f5ff; }
.badge { display: inline-block; padding: 0 6px; border-radius: 10px; font-size: 12px; border: 1px solid var(--line); white-space: nowrap; }
.b-git { background: #e6f4ea; color: var(--ok); } .b-reject { background: #fff4e0; color: var(--warn); }
.b-patch { background: #fff8e1; color: var(--warn); } .b-none { background: #fdecea; color: var(--bad); }
.b-empty { background: #eceff1; color: var(--muted); } .b-error { background: #f3e5f5; color: #6a1b9a; }
.b-resolved { background: #e6f4ea; color: var(--ok); } .b-unresolved { background: #fdecea; color: var(--bad); }
.details td { background: #fbfcfe; }
.detail-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 12px; }
.panel h3 { font-size: 13px; margin: 6px 0; }
pre { margin: 0; padding: 8px; background: #fff; border: 1px solid var(--line); border-radius: 6px; overflow: auto; max-height: 480px; font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; white-space: pre; }
pre.issue { white-space: pre-wrap; max-height: 300px; }
.d-add { background: #e6ffec; display: block; } .d-del { background: #ffebe9; display: block; }
.d-hunk { color: #6f42c1; display: block; background: #f5f0ff; } .d-file { font-weight: 600; display: block; }
.d-rejected { outline: 2px solid var(--bad); outline-offset: -2px; display: block; }
.d-note { display: block; color: var(--bad); font-style: italic; } .d-note.ok { color: var(--warn); }
.muted { color: var(--muted); } .count { color: var(--muted); margin-left: 6px; }
.compare td, .compare th { text-align: right; } .compare td:first-child, .compare th:first-child { text-align: left; }
)CSS";

const char* kScript = R"JS(
// The data is gzip + base64 (a quarter of the size to read and parse); DecompressionStream is built in.
async function loadReportData() {
  const el = document.getElementById("report-data");
  if (el.dataset.encoding !== "gzip+base64") return JSON.parse(el.textContent);
  let bytes;
  if (Uint8Array.fromBase64) {
    bytes = Uint8Array.fromBase64(el.textContent.trim());
  } else {
    const text = atob(el.textContent.trim());
    bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  }
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return JSON.parse(await new Response(stream).text());
}
const loadStarted = performance.now();
loadReportData().then(function (data) {
  document.body.dataset.loadMs = String(Math.round(performance.now() - loadStarted));
  "use strict";
  const runs = data.runs, rows = data.rows;
  rows.forEach((r, i) => { r._i = i; });
  const esc = (s) => String(s == null ? "" : s).replace(/[&<>"']/g, (c) => ({"&":"&amp;","<":"&lt;",">":"&gt;","\"":"&quot;","'":"&#39;"}[c]));
  const outcomeOf = (r) => r.category === "error" ? "error" : r.category === "empty" || r.category === "null" ? r.category : (r.applies_with || "not applied");
  const badgeClass = {"git apply": "b-git", "git apply --reject": "b-reject", "patch": "b-patch", "not applied": "b-none", "empty": "b-empty", "null": "b-empty", "error": "b-error", "unchecked": "b-empty"};
  const badge = (text, cls) => '<span class="badge ' + cls + '">' + esc(text) + "</span>";
  const resolvedBadge = (v) => v === true ? badge("resolved", "b-resolved") : v === false ? badge("unresolved", "b-unresolved") : '<span class="muted">-</span>';
  const num = (v, d) => v == null ? '<span class="muted">-</span>' : (d ? Number(v).toFixed(d) : String(v));

  // Controls.
  const repoSelect = document.getElementById("filter-repo"), outcomeSelect = document.getElementById("filter-outcome");
  const search = document.getElementById("filter-text"), tbody = document.getElementById("rows"), shown = document.getElementById("shown");
  [...new Set(rows.map((r) => r.repo))].sort().forEach((repo) => repoSelect.add(new Option(repo, repo)));
  const outcomes = new Set();
  rows.forEach((r) => r.runs.forEach((x) => outcomes.add(outcomeOf(x))));
  [...outcomes].sort().forEach((o) => outcomeSelect.add(new Option(o, o)));
  if (runs.length > 1) {
    outcomeSelect.add(new Option("runs disagree (applies)", "@diff-apply"));
    outcomeSelect.add(new Option("runs disagree (resolved)", "@diff-resolved"));
  }

  // Columns: [header, key for sorting, cell html].
  const columns = [["instance", (r) => r.id, (r) => esc(r.id)], ["repository", (r) => r.repo, (r) => esc(r.repo)]];
  runs.forEach((run, i) => {
    const tag = runs.length > 1 ? " " + "AB"[i] : "";
    columns.push(["apply" + tag, (r) => outcomeOf(r.runs[i]), (r) => badge(outcomeOf(r.runs[i]), badgeClass[outcomeOf(r.runs[i])] || "b-none")]);
    columns.push(["harness" + tag, (r) => r.runs[i].resolved == null ? -1 : +r.runs[i].resolved, (r) => resolvedBadge(r.runs[i].resolved)]);
    columns.push(["gold recall" + tag, (r) => r.runs[i].recall == null ? -1 : r.runs[i].recall, (r) => num(r.runs[i].recall, 2)]);
    columns.push(["+/-" + tag, (r) => (r.runs[i].added || 0) + (r.runs[i].removed || 0),
                  (r) => r.runs[i].added == null ? '<span class="muted">-</span>' : "+" + r.runs[i].added + " -" + r.runs[i].removed]);
    columns.push(["tokens" + tag, (r) => r.runs[i].tokens == null ? -1 : r.runs[i].tokens, (r) => num(r.runs[i].tokens)]);
  });
  const head = document.getElementById("head");
  head.innerHTML = "<tr>" + columns.map((c, i) => '<th data-col="' + i + '">' + esc(c[0]) + "</th>").join("") + "</tr>";
  let sortCol = 0, sortDir = 1, view = rows.slice();

  function matches(r) {
    if (repoSelect.value && r.repo !== repoSelect.value) return false;
    const o = outcomeSelect.value;
    if (o === "@diff-apply" && !(runs.length > 1 && !!r.runs[0].applies_with !== !!r.runs[1].applies_with)) return false;
    if (o === "@diff-resolved" && !(runs.length > 1 && r.runs[0].resolved !== r.runs[1].resolved)) return false;
    if (o && o[0] !== "@" && !r.runs.some((x) => outcomeOf(x) === o)) return false;
    const q = search.value.trim().toLowerCase();
    if (q && r.id.toLowerCase().indexOf(q) < 0 && (r.issue || "").toLowerCase().indexOf(q) < 0) return false;
    return true;
  }
  function render() {
    view = rows.filter(matches);
    const key = columns[sortCol][1];
    view.sort((a, b) => { const x = key(a), y = key(b); return (x < y ? -1 : x > y ? 1 : 0) * sortDir; });
    const html = [];
    for (let i = 0; i < view.length; i++) {
      const r = view[i];
      html.push('<tr class="row" data-i="' + r._i + '">' + columns.map((c) => "<td>" + c[2](r) + "</td>").join("") + "</tr>");
    }
    tbody.innerHTML = html.join("");
    shown.textContent = view.length + " of " + rows.length + " instances";
    head.querySelectorAll("th").forEach((th, i) => { th.className = i === sortCol ? (sortDir > 0 ? "sorted-asc" : "sorted-desc") : ""; });
  }

  // A patch as a diff, its hunks marked with what the harness's tools did to them.
  function renderDiff(text, hunks) {
    if (text == null) return '<span class="muted">(no patch)</span>';
    const byKey = {};
    (hunks || []).forEach((h) => { byKey[h.file + "#" + h.hunk] = h; });
    const lines = text.split("\n");
    let file = "", hunkNo = 0, out = [], open = false;
    const close = () => { if (open) { out.push("</span>"); open = false; } };
    for (const line of lines) {
      if (line.startsWith("diff --git ") || (line.startsWith("--- ") ) || line.startsWith("+++ ")) {
        close();
        if (line.startsWith("+++ ")) { file = line.slice(4).replace(/^b\//, "").split("\t")[0]; hunkNo = 0; }
        if (line.startsWith("--- ") && !file) { file = line.slice(4).replace(/^a\//, "").split("\t")[0]; }
        if (line.startsWith("diff --git ")) { file = ""; }
        out.push('<span class="d-file">' + esc(line) + "</span>");
      } else if (line.startsWith("@@")) {
        close();
        hunkNo++;
        const h = byKey[file + "#" + hunkNo];
        const rejected = h && h.outcome === "rejected";
        out.push('<span class="' + (rejected ? "d-rejected" : "") + '" data-hunk="' + hunkNo + '">');
        open = true;
        out.push('<span class="d-hunk">' + esc(line) + "</span>");
        if (h && h.outcome !== "applied") {
          const what = rejected ? "rejected: " + (h.reason || "") : h.outcome === "fuzz" ? "applied with fuzz " + h.fuzz + (h.offset ? ", offset " + h.offset : "") : "applied at offset " + h.offset;
          out.push('<span class="d-note' + (rejected ? "" : " ok") + '">' + esc(what) + "</span>");
        }
      } else if (line.startsWith("+")) out.push('<span class="d-add">' + esc(line) + "</span>");
      else if (line.startsWith("-")) out.push('<span class="d-del">' + esc(line) + "</span>");
      else out.push(esc(line) + "\n");
    }
    close();
    return out.join("");
  }
  function details(r) {
    let html = '<div class="detail-grid"><div class="panel"><h3>Issue</h3><pre class="issue">' + esc(r.issue) + "</pre></div>";
    r.runs.forEach((x, i) => {
      const name = runs.length > 1 ? " " + "AB"[i] + " (" + esc(runs[i].name) + ")" : "";
      let outcome = badge(outcomeOf(x), badgeClass[outcomeOf(x)] || "b-none") + " " + resolvedBadge(x.resolved);
      if (x.parse_error) outcome += ' <span class="muted">' + esc(x.parse_error) + "</span>";
      if (x.syntax_ok === false) outcome += ' <span class="badge b-none">syntax error after patch</span>';
      if (x.harness_detail) outcome += ' <span class="muted">' + esc(x.harness_detail) + "</span>";
      html += '<div class="panel"><h3>Model patch' + name + " " + outcome + "</h3><pre class=\"diff\">" + renderDiff(x.patch, x.hunks) + "</pre></div>";
    });
    html += '<div class="panel"><h3>Gold patch</h3><pre class="diff">' + renderDiff(r.gold, []) + "</pre></div></div>";
    return html;
  }
  tbody.addEventListener("click", (e) => {
    const tr = e.target.closest("tr.row");
    if (!tr) return;
    const next = tr.nextElementSibling;
    if (next && next.classList.contains("details")) { next.remove(); return; }
    const d = document.createElement("tr");
    d.className = "details";
    d.innerHTML = '<td colspan="' + columns.length + '">' + details(rows[+tr.dataset.i]) + "</td>";
    tr.after(d);
  });
  head.addEventListener("click", (e) => {
    const th = e.target.closest("th");
    if (!th) return;
    const c = +th.dataset.col;
    sortDir = c === sortCol ? -sortDir : 1;
    sortCol = c;
    render();
  });
  [repoSelect, outcomeSelect].forEach((el) => el.addEventListener("change", render));
  search.addEventListener("input", render);
  const t0 = performance.now();
  render();
  document.body.dataset.runs = String(runs.length);
  document.body.dataset.renderMs = String(Math.round(performance.now() - t0));
  document.body.dataset.readyAt = String(Math.round(performance.now()));
  document.body.dataset.ready = "1";
}).catch(function (e) {
  document.getElementById("shown").textContent = "cannot read the report data: " + e;
  throw e;
});
)JS";

std::string Gzip(const std::string& data) {
  z_stream zs{};
  if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) throw Error("zlib: deflateInit2 failed");
  std::string out(deflateBound(&zs, data.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw Error("zlib: deflate failed");
  return out;
}

// JSON inside <script>: "</" could close the element early.
std::string ScriptSafeJson(const nlohmann::ordered_json& data) {
  std::string json = data.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  std::string out;
  out.reserve(json.size() + 64);
  for (size_t i = 0; i < json.size(); ++i) {
    if (json[i] == '<' && i + 1 < json.size() && (json[i + 1] == '/' || json[i + 1] == '!')) {
      out += "\\u003c";
    } else {
      out += json[i];
    }
  }
  return out;
}

}  // namespace

std::string RenderReportHtml(const ReportPage& page) {
  std::string html = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  html += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n";
  html += "<title>" + EscapeXml(page.title) + "</title>\n<style>" + std::string(kStyle) + "</style></head>\n<body>\n";
  html += "<header><h1>" + EscapeXml(page.title) + "</h1><div class=\"muted\">sweinfer report";
  const auto& runs = page.data["runs"];
  for (size_t i = 0; i < runs.size(); ++i) {
    html += " &middot; " + std::string(runs.size() > 1 ? (i == 0 ? "A: " : "B: ") : "") + EscapeXml(runs[i].value("name", std::string()));
  }
  html += "</div></header>\n<main>\n<section class=\"cards\" id=\"headline\">";
  for (const auto& card : page.headline) {
    html += "<div class=\"card\"><div class=\"l\">" + EscapeXml(card.value("label", std::string())) + "</div><div class=\"v\">" +
            EscapeXml(card.value("value", std::string())) + "</div><div class=\"d\">" + EscapeXml(card.value("detail", std::string())) +
            "</div></div>";
  }
  html += "</section>\n<h2>Charts</h2>\n<section class=\"charts\" id=\"charts\">";
  for (const auto& svg : page.charts_svg) html += svg;
  html += "</section>\n";
  if (!page.comparison_html.empty()) html += "<h2>Comparison</h2>\n<section id=\"comparison\">" + page.comparison_html + "</section>\n";
  html += "<h2>Instances</h2>\n<div class=\"controls\"><input id=\"filter-text\" type=\"search\" placeholder=\"search id or issue text\">"
          "<select id=\"filter-repo\"><option value=\"\">all repositories</option></select>"
          "<select id=\"filter-outcome\"><option value=\"\">all outcomes</option></select><span id=\"shown\" class=\"count\"></span></div>\n";
  html += "<table id=\"instances\"><thead id=\"head\"></thead><tbody id=\"rows\"></tbody></table>\n</main>\n";
  html += "<script type=\"application/octet-stream\" id=\"report-data\" data-encoding=\"gzip+base64\">" +
          Base64Encode(Gzip(ScriptSafeJson(page.data))) + "</script>\n";
  html += "<script>" + std::string(kScript) + "</script>\n</body></html>\n";
  return html;
}

}  // namespace sweinfer::report
