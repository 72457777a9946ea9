// Opens a sweinfer report in a real (headless) Chromium and checks what a person would do with it:
// the page loads from disk with no console errors and no network requests, the charts are there,
// the table filters, sorts and expands. Prints one JSON line with the figures and any failures.
// usage: node report_browser_check.mjs REPORT.html SCREENSHOT.png [CHROMIUM]
import puppeteer from "puppeteer-core";

const [, , html, shot, chromium = "/usr/bin/chromium"] = process.argv;
const failures = [];
const browser = await puppeteer.launch({
  executablePath: chromium,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 1000 });
  page.on("console", (m) => { if (m.type() === "error") failures.push("console error: " + m.text()); });
  page.on("pageerror", (e) => failures.push("page error: " + e));
  page.on("request", (r) => {
    const url = r.url();
    if (!url.startsWith("file:") && !url.startsWith("data:")) failures.push("network request: " + url);
  });
  const started = Date.now();
  await page.goto("file://" + html, { waitUntil: "load" });
  await page.waitForFunction(() => document.body.dataset.ready === "1", { timeout: 30000 });
  const loadMs = Date.now() - started;
  const timing = await page.evaluate(() => ({ readyAt: +document.body.dataset.readyAt, dataMs: +document.body.dataset.loadMs,
                                             tableMs: +document.body.dataset.renderMs }));
  const count = () => page.$$eval("#rows tr.row", (r) => r.length);
  const total = await count();
  const charts = await page.$$eval("#charts svg", (s) => s.length);
  const runs = await page.evaluate(() => +document.body.dataset.runs);

  // Filter by outcome: every row left shows it.
  const outcomes = await page.$$eval("#filter-outcome option", (o) => o.map((x) => x.value).filter((v) => v && v[0] !== "@"));
  const outcome = outcomes.includes("patch") ? "patch" : outcomes[0];
  await page.select("#filter-outcome", outcome);
  const filtered = await count();
  const allMatch = await page.$$eval("#rows tr.row", (rows, o) => rows.every((r) => [...r.querySelectorAll(".badge")].some((b) => b.textContent === o)), outcome);
  if (!(filtered > 0 && filtered < total && allMatch)) failures.push(`outcome filter '${outcome}': ${filtered} of ${total} rows, all match: ${allMatch}`);
  await page.select("#filter-outcome", "");

  // Filter by repository.
  const repos = await page.$$eval("#filter-repo option", (o) => o.map((x) => x.value).filter(Boolean));
  await page.select("#filter-repo", repos[0]);
  const repoRows = await page.$$eval("#rows tr.row", (rows, r) => rows.every((x) => x.children[1].textContent === r), repos[0]);
  if (!repoRows) failures.push("repository filter shows other repositories");
  await page.select("#filter-repo", "");

  // Sort by the repository column, descending on a second click.
  await page.click("#head th:nth-child(2)");
  await page.click("#head th:nth-child(2)");
  const sorted = await page.$$eval("#rows tr.row td:nth-child(2)", (c) => c.map((x) => x.textContent));
  if (sorted.some((v, i) => i > 0 && sorted[i - 1] < v)) failures.push("sorting by repository is not descending");

  // Expand a row whose patch was checked: the issue, the diff and the gold patch appear.
  await page.select("#filter-outcome", outcome);
  await page.click("#rows tr.row");
  const details = await page.evaluate(() => {
    const d = document.querySelector("#rows tr.details");
    if (!d) return null;
    return { panels: d.querySelectorAll(".panel").length, diffs: d.querySelectorAll("pre.diff").length,
             added: d.querySelectorAll(".d-add").length, notes: d.querySelectorAll(".d-note").length };
  });
  if (!details || details.diffs < 2 || details.added === 0) failures.push("expanding a row: " + JSON.stringify(details));
  await page.screenshot({ path: shot, fullPage: false });
  // Collapses on a second click.
  await page.click("#rows tr.row");
  if (await page.$("#rows tr.details")) failures.push("a second click does not collapse the row");
  console.log(JSON.stringify({ total, charts, runs, loadMs, ...timing, filtered, outcome, details, failures }));
} finally {
  await browser.close();
}
