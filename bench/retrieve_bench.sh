#!/usr/bin/env bash
# Retrieval benchmark: sweinfer retrieve against the reference pipeline (the shared Lucene oracle's
# retrieve.py: checkout, documents, a JVM to index and one to search, per instance) on the shared
# instances of the shared repositories, cold cache and warm cache, in seconds per instance.
# The reference runs live when java, Debian's Lucene 8 jars and python3 are present; otherwise its
# recorded per-instance timings (conformance/retrieval/reference_timings.csv, same machine size) are used.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
shared=${SWEINFER_SHARED_DIR:-$here/../shared}
bin=${BUILD:-$here/build/release}/sweinfer
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$shared" "$work/visible.jsonl" <<'PY'
import json, sys
shared, out = sys.argv[1], sys.argv[2]
seen, lines = set(), []
for name in ("lite_test.jsonl", "verified_test.jsonl"):
    for line in open(f"{shared}/swebench/{name}"):
        r = json.loads(line)
        if r["repo"] in ("psf/requests", "pallets/flask", "mwaskom/seaborn", "pytest-dev/pytest") and r["instance_id"] not in seen:
            seen.add(r["instance_id"]); lines.append(line)
open(out, "w").writelines(lines)
PY
n=$(wc -l <"$work/visible.jsonl")
seconds() { local s; s=$(date +%s%N); "$@" >/dev/null 2>&1; echo $(( ($(date +%s%N) - s) / 1000 )) | awk "{ print \$1 / 1e6 }"; }
cold=$(seconds "$bin" retrieve --dataset_name_or_path "$work/visible.jsonl" --splits test --output_dir "$work/out" \
  --repos_dir "$shared/repos" --quiet)
rm "$work/out/visible/file_name_and_contents.retrieval.jsonl"
warm=$(seconds "$bin" retrieve --dataset_name_or_path "$work/visible.jsonl" --splits test --output_dir "$work/out" \
  --repos_dir "$shared/repos" --quiet)
oracle="$shared/tools/lucene-oracle"
lucene=${LUCENE_DIR:-/usr/share/java}
if command -v java >/dev/null && command -v javac >/dev/null && [ -f "$lucene/lucene-core-8.7.0.jar" ] && [ "${LIVE_REFERENCE:-1}" = 1 ]; then
  mkdir -p "$work/oracle" && cp "$oracle"/*.java "$oracle/retrieve.py" "$work/oracle/"
  cp=$lucene/lucene-core-8.7.0.jar:$lucene/lucene-analyzers-common-8.7.0.jar
  javac -cp "$cp" -d "$work/oracle/build" "$work/oracle/Bm25Oracle.java"
  (cd "$work/oracle" && python3 retrieve.py --instances "$work/visible.jsonl" --repos-dir "$shared/repos" \
    --work-dir "$work/ref" --out "$work/ref.jsonl" --timings "$work/ref.csv" >/dev/null 2>&1) || true
  timings="$work/ref.csv"
  source_note="measured now"
else
  timings="$shared/conformance/retrieval/reference_timings.csv"
  source_note="recorded timings"
fi
ref=$(python3 -c "
import csv,sys
rows=[r for r in csv.DictReader(open('$timings')) if not r['error']]
print(sum(float(r['checkout_s'])+float(r['documents_s'])+float(r['index_s'])+float(r['search_s']) for r in rows)/len(rows))")
awk -v n="$n" -v c="$cold" -v w="$warm" -v r="$ref" -v src="$source_note" 'BEGIN {
  printf "instances: %d\n", n
  printf "reference pipeline (%s): %.4f s/instance\n", src, r
  printf "sweinfer cold cache: %.2f s total, %.4f s/instance, %.0fx faster\n", c, c / n, r / (c / n)
  printf "sweinfer warm cache: %.2f s total, %.4f s/instance, %.0fx faster\n", w, w / n, r / (w / n)
}'
