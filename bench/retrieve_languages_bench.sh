#!/usr/bin/env bash
# Retrieval speed per document file, JavaScript against Python: `sweinfer retrieve`, cold cache,
# 1 worker, on the 14 marked tasks of SWE-bench Multimodal (markedjs/marked) and on the shared
# Python instances (requests, flask, seaborn, pytest). Prints microseconds per indexed document
# (documents summed over instances, from --verbose) and per analysed blob, and the ratio.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
shared=${SWEINFER_SHARED_DIR:-$here/../shared}
bin=${BUILD:-$here/build/release}/sweinfer
[ -d "$shared/swebench" ] || { echo "retrieve_languages_bench: ../shared is absent; nothing to measure"; exit 0; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$shared" "$work" <<'PY'
import json, sys
shared, work = sys.argv[1], sys.argv[2]
js = [l for l in open(f"{shared}/swebench/multimodal_dev.jsonl") if json.loads(l)["repo"] == "markedjs/marked"]
seen, py = set(), []
for name in ("lite_test.jsonl", "verified_test.jsonl"):
    for l in open(f"{shared}/swebench/{name}"):
        r = json.loads(l)
        if r["repo"] in ("psf/requests", "pallets/flask", "mwaskom/seaborn", "pytest-dev/pytest") and r["instance_id"] not in seen:
            seen.add(r["instance_id"]); py.append(l)
open(f"{work}/javascript.jsonl", "w").writelines(js)
open(f"{work}/python.jsonl", "w").writelines(py)
PY
measure() {  # name -> "seconds documents blobs"
  local t; t=$(date +%s%N)
  "$bin" retrieve --dataset_name_or_path "$work/$1.jsonl" --splits test --output_dir "$work/out-$1" \
    --repos_dir "$shared/repos" --num_workers 1 --verbose 2>"$work/$1.log" >/dev/null
  local s; s=$(echo "$(( $(date +%s%N) - t ))" | awk '{ print $1 / 1e9 }')
  local docs; docs=$(grep -o '[0-9]* documents' "$work/$1.log" | awk '{ n += $1 } END { print n }')
  local blobs; blobs=$(grep -o '[0-9]* blobs analysed' "$work/$1.log" | awk '{ print $1 }')
  local bytes; bytes=$(grep -o '([0-9]* bytes)' "$work/$1.log" | tr -d '(' | awk '{ print $1 }')
  echo "$s $docs $blobs $bytes"
}
# Fixed costs (process start, library and repository set-up) are no per-file cost: each set is
# also run on its first instance alone, and the figures are the difference between the two runs.
head -1 "$work/javascript.jsonl" >"$work/javascript1.jsonl"
head -1 "$work/python.jsonl" >"$work/python1.jsonl"
read -r js_s js_docs js_blobs js_bytes <<<"$(measure javascript)"
read -r js1_s js1_docs js1_blobs js1_bytes <<<"$(measure javascript1)"
read -r py_s py_docs py_blobs py_bytes <<<"$(measure python)"
read -r py1_s py1_docs py1_blobs py1_bytes <<<"$(measure python1)"
fixed="$js1_s / $py1_s"
js_s=$(awk -v a="$js_s" -v b="$js1_s" 'BEGIN { print a - b }'); js_docs=$((js_docs - js1_docs)); js_blobs=$((js_blobs - js1_blobs)); js_bytes=$((js_bytes - js1_bytes))
py_s=$(awk -v a="$py_s" -v b="$py1_s" 'BEGIN { print a - b }'); py_docs=$((py_docs - py1_docs)); py_blobs=$((py_blobs - py1_blobs)); py_bytes=$((py_bytes - py1_bytes))
awk -v fixed="$fixed" -v js="$js_s" -v jd="$js_docs" -v jb="$js_blobs" -v jy="$js_bytes" -v py="$py_s" -v pd="$py_docs" -v pb="$py_blobs" -v py_b="$py_bytes" 'BEGIN {
  printf "retrieve, cold cache, 1 worker; all instances minus the first alone (%s s)\n", fixed
  printf "  JavaScript (marked, 13 tasks):  %6.3f s, %6d documents, %5d blobs analysed: %7.1f us/document, %7.1f us/blob\n", js, jd, jb, js * 1e6 / jd, js * 1e6 / jb
  printf "  Python (4 repos, 56 tasks):     %6.3f s, %6d documents, %5d blobs analysed: %7.1f us/document, %7.1f us/blob\n", py, pd, pb, py * 1e6 / pd, py * 1e6 / pb
  printf "  analysed: JavaScript %.1f KB per blob at %.2f MB/s; Python %.1f KB per blob at %.2f MB/s\n", jy / jb / 1024, jy / js / 1e6, py_b / pb / 1024, py_b / py / 1e6
  printf "  JavaScript / Python time per document: %.2f, per byte analysed: %.2f (goal: <= 1.0, as fast per file)\n", (js / jd) / (py / pd), (js / jy) / (py / py_b)
}'
