#!/usr/bin/env bash
# `make run`: builds a small offline sample (toy Python repositories created as real git repos,
# each with an issue and a gold patch), then runs sweinfer's main job on it: make-dataset
# (oracle and none file sources, two prompt styles), extract-diff on a model-style answer, run-api
# against a local mock model, check-patches on its predictions and a report page.
set -euo pipefail
bin=${1:?usage: demo.sh path/to/sweinfer}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
scripts=$(cd "$(dirname "$0")" && pwd)
out=${DEMO_OUT:-demo-out}
rm -rf "$out" && mkdir -p "$out/repos" "$out/work"
out=$(cd "$out" && pwd)
export GIT_AUTHOR_NAME=demo GIT_AUTHOR_EMAIL=demo@example.invalid GIT_COMMITTER_NAME=demo \
       GIT_COMMITTER_EMAIL=demo@example.invalid GIT_AUTHOR_DATE=2024-01-01T00:00:00Z \
       GIT_COMMITTER_DATE=2024-01-01T00:00:00Z

# make_repo NAME FILE CONTENT ISSUE OLD NEW: a repo with README + FILE, and an instance whose
# gold patch replaces line OLD with NEW in FILE.
instances="$out/instances.jsonl"
: >"$instances"
make_repo() {
  local name=$1 file=$2 content=$3 issue=$4 old=$5 new=$6
  local work="$out/work/$name"
  git init -q "$work"
  printf '# %s\n\nA toy project for the sweinfer demo.\n' "$name" >"$work/README.md"
  mkdir -p "$work/$(dirname "$file")"
  printf '%s' "$content" >"$work/$file"
  git -C "$work" add -A && git -C "$work" commit -qm "initial"
  local base; base=$(git -C "$work" rev-parse HEAD)
  sed -i "s/$old/$new/" "$work/$file"
  local patch; patch=$(git -C "$work" diff)
  git -C "$work" checkout -q -- .
  git clone -q --bare "$work" "$out/repos/demo__$name.git"
  node -e 'const [id, repo, base, patch, issue] = process.argv.slice(1);
    console.log(JSON.stringify({repo, instance_id: id, base_commit: base, patch: patch + "\n", test_patch: "",
      problem_statement: issue, hints_text: "", created_at: "2024-01-01T00:00:00Z", version: "0.1",
      FAIL_TO_PASS: "[]", PASS_TO_PASS: "[]", environment_setup_commit: base}))' \
    "demo__$name-1" "demo/$name" "$base" "$patch" "$issue" >>"$instances"
}
make_repo calc calc/ops.py $'def add(a, b):\n    return a - b\n\n\ndef mul(a, b):\n    return a * b\n' \
  $'add() subtracts\nCalling add(2, 3) returns -1 instead of 5.' 'return a - b' 'return a + b'
make_repo greet greet/hello.py $'def greet(name):\n    return "Helo, " + name\n' \
  $'Typo in greeting\ngreet("Ann") says "Helo, Ann".' 'Helo' 'Hello'
make_repo stats stats/mean.py $'def mean(xs):\n    return sum(xs) / (len(xs) + 1)\n' \
  $'mean() is off by one\nmean([2, 4]) returns 2.0, expected 3.0.' '(len(xs) + 1)' 'len(xs)'

cd "$out"  # the output name embeds the dataset path, as the reference's does
for style in style-3 style-2-edits-only; do
  "$bin" make-dataset --dataset_name_or_path instances.jsonl --splits test --output_dir datasets \
    --prompt_style "$style" --file_source oracle --repos_dir repos --output_format jsonl --quiet
done
"$bin" make-dataset --dataset-name-or-path instances.jsonl --splits test --output-dir datasets \
  --prompt-style style-3 --file-source none --repos-dir repos --quiet  # save_to_disk layout

answer=$'Here is the fix.\n```diff\n--- a/calc/ops.py\n+++ b/calc/ops.py\n@@ -1,3 +1,3 @@\n def add(a, b):\n-    return a - b\n+    return a + b\n \n```\n'
printf '%s' "$answer" | "$bin" extract-diff >"$out/extracted.patch"
git -C "$out/work/calc" apply --check "$out/extracted.patch"

# A mock model behind an OpenAI-compatible API on this machine answers the prompts; then what the
# harness would do with its patches, and a report page.
node "$scripts/mock_model.mjs" >"$out/mock.port" &
mock=$!
trap 'kill $mock 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -s "$out/mock.port" ] && break; sleep 0.1; done
OPENAI_API_KEY=demo-key "$bin" run-api --dataset_name_or_path datasets/instances.jsonl__style-3__fs-oracle \
  --split test --model_name_or_path demo-model --base_url "http://127.0.0.1:$(cat "$out/mock.port")/v1" \
  --output_dir predictions --quiet
kill $mock 2>/dev/null || true
preds=$(ls predictions/*.jsonl | grep -v errors | head -1)
"$bin" check-patches --predictions "$preds" --dataset_name_or_path instances.jsonl --repos_dir repos \
  --output checks.jsonl --quiet
"$bin" report --predictions "$preds" --dataset_name_or_path instances.jsonl --checks checks.jsonl \
  --output report.html --title "sweinfer demo: a mock model on three toy repositories" >/dev/null

echo "sweinfer demo outputs in $out:"
find "$out/datasets" -name '*.jsonl' | sort | while read -r f; do
  printf '  %s (%s rows)\n' "$f" "$(wc -l <"$f")"
done
for d in "$out"/datasets/*/dataset_dict.json; do
  printf '  %s (save_to_disk layout)\n' "$(dirname "$d")"
  "$bin" dataset-info "$(dirname "$d")" | sed 's/^/    /'
done
echo "  $out/extracted.patch (applies cleanly to demo/calc)"
echo "  $out/$preds (run-api against a mock model)"
echo "  $out/checks.jsonl (check-patches: what the harness will do with each patch):"
node -e 'for (const l of require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n")) {
  const r = JSON.parse(l); console.log("    " + r.instance_id + ": " + (r.applies_with || r.category) +
  (r.hunks.length ? " (" + r.hunks.map((h) => h.outcome + (h.fuzz ? " " + h.fuzz : "")).join(", ") + ")" : "")); }' checks.jsonl
echo "report: $out/report.html"
