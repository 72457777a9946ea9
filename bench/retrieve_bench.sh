#!/usr/bin/env bash
# Retrieval benchmark: sweinfer retrieve against the reference pipeline (the shared Lucene oracle's
# retrieve.py: checkout, documents, a JVM to index and one to search, per instance), in one run:
#  1. the shared instances of the four small shared repositories, cold and warm cache;
#  2. the shared sympy instances (Lite/Verified rows whose base commit the shared repository holds),
#     cold and warm, with sweinfer's peak RSS and its analysis cache's size on disk (goals: >= 50x
#     the reference cold, >= 100x warm);
#  3. the analysis chain alone: sweinfer's analyzer against Lucene's `index` of the oracle on the
#     same documents file (one sympy tree), its JVM start-up subtracted (goals: >= 3x, >= 50 MB/s).
# The reference runs live when java, Debian's Lucene 8 jars and python3 are present; otherwise part 1
# uses its recorded timings (conformance/retrieval/reference_timings.csv) and parts 2-3 are skipped.
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
  printf "== small repositories (requests, flask, seaborn, pytest)\n"
  printf "instances: %d\n", n
  printf "reference pipeline (%s): %.4f s/instance\n", src, r
  printf "sweinfer cold cache: %.2f s total, %.4f s/instance, %.0fx faster\n", c, c / n, r / (c / n)
  printf "sweinfer warm cache: %.2f s total, %.4f s/instance, %.0fx faster\n", w, w / n, r / (w / n)
}'
[ "$source_note" = "measured now" ] || { echo "(java/Lucene absent: the sympy and analyzer parts need them)"; exit 0; }

# ---- 2. sympy. The shared repository has no refs/ folder (git's CLI wants one): a shadow
# repository beside it shares its objects.
mkdir -p "$work/repos/sympy__sympy.git/refs"
for f in HEAD config packed-refs shallow; do
  [ -e "$shared/repos/sympy__sympy.git/$f" ] && cp "$shared/repos/sympy__sympy.git/$f" "$work/repos/sympy__sympy.git/"
done
ln -s "$shared/repos/sympy__sympy.git/objects" "$work/repos/sympy__sympy.git/objects"
python3 - "$shared" "$work/sympy.jsonl" "$work/repos/sympy__sympy.git" <<'PY'
import json, subprocess, sys
shared, out, repo = sys.argv[1:]
seen, lines = set(), []
for name in ("lite_test.jsonl", "verified_test.jsonl"):
    for line in open(f"{shared}/swebench/{name}"):
        r = json.loads(line)
        if r["repo"] != "sympy/sympy" or r["instance_id"] in seen:
            continue
        if subprocess.run(["git", "-C", repo, "cat-file", "-e", r["base_commit"] + "^{commit}"], stderr=subprocess.DEVNULL).returncode == 0:
            seen.add(r["instance_id"]); lines.append(line)
open(out, "w").writelines(lines)
PY
ns=$(wc -l <"$work/sympy.jsonl")
timed() { /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" >/dev/null 2>&1; cat "$work/time.txt"; }
read -r scold srss < <(timed "$bin" retrieve --dataset_name_or_path "$work/sympy.jsonl" --splits test --output_dir "$work/sout" \
  --repos_dir "$work/repos" --num_workers 2 --leave_indexes True --quiet)
cache_bytes=$(stat -c %s "$work/sout/sympy/file_name_and_contents_indexes/sympy__sympy.analysis.bin")
rm "$work/sout/sympy/file_name_and_contents.retrieval.jsonl"
read -r swarm swrss < <(timed "$bin" retrieve --dataset_name_or_path "$work/sympy.jsonl" --splits test --output_dir "$work/sout" \
  --repos_dir "$work/repos" --num_workers 2 --leave_indexes True --quiet)
(cd "$work/oracle" && python3 retrieve.py --instances "$work/sympy.jsonl" --repos-dir "$work/repos" \
  --work-dir "$work/sref" --out "$work/sref.jsonl" --timings "$work/sref.csv" >/dev/null 2>&1) || true
python3 - "$work/sref.csv" "$work/sref.jsonl" "$work/sout/sympy/file_name_and_contents.retrieval.jsonl" "$ns" "$scold" "$swarm" "$srss" "$swrss" "$cache_bytes" <<'PY'
import csv, json, statistics, sys
timings, ref_out, ours_out, n, cold, warm, rss, wrss, cache = sys.argv[1:]
n, cold, warm, cache = int(n), float(cold), float(warm), int(cache)
rows = [r for r in csv.DictReader(open(timings)) if not r["error"]]
per = [sum(float(r[k]) for k in ("checkout_s", "documents_s", "index_s", "search_s")) for r in rows]
ref = {json.loads(l)["instance_id"]: json.loads(l)["hits"] for l in open(ref_out)}
ours = {json.loads(l)["instance_id"]: json.loads(l)["hits"] for l in open(ours_out)}
same = sum(1 for k in ref if ours.get(k) == ref[k])
total = sum(per)
print("== sympy (%d instances of Lite/Verified whose base commit the shared repository holds)" % n)
print("reference pipeline (measured now): %.1f s total, median %.2f s/instance, mean %.2f s/instance (%d ran)" % (total, statistics.median(per), total / len(per), len(per)))
print("hits equal to the reference: %d/%d instances" % (same, len(ref)))
print("sweinfer cold cache: %.2f s total, %.3f s/instance, %.0fx faster (goal >= 50x: %s)" % (cold, cold / n, total / cold, "met" if total / cold >= 50 else "missed"))
print("sweinfer warm cache: %.2f s total, %.3f s/instance, %.0fx faster (goal >= 100x: %s)" % (warm, warm / n, total / warm, "met" if total / warm >= 100 else "missed"))
print("sweinfer peak RSS: %.0f MB cold, %.0f MB warm; analysis cache on disk: %.1f MB for sympy__sympy" % (int(rss) / 1024, int(wrss) / 1024, cache / 1e6))
PY

# ---- 3. the analysis chain: sweinfer's analyzer against Lucene's index of the same documents.
analyzer_bench=${BUILD:-$here/build/release}/analyzer_bench
"$analyzer_bench" --write-documents "$work/docs.jsonl" 2>/dev/null
: >"$work/empty.jsonl"
best() { local b=999999 t; for i in 1 2 3; do rm -rf "$work/idx"; t=$(seconds java -cp "$work/oracle/build:$cp" Bm25Oracle index "$1" "$work/idx"); b=$(awk -v a="$b" -v t="$t" 'BEGIN { print (t < a ? t : a) }'); done; echo "$b"; }
lucene_full=$(best "$work/docs.jsonl")
lucene_empty=$(best "$work/empty.jsonl")
"$analyzer_bench" "$work/docs.jsonl" >"$work/analyzer.txt"
awk -v full="$lucene_full" -v empty="$lucene_empty" '
  $1 == "bytes" { bytes = $2 } $1 == "mb_per_s" { ours = $2 } $1 == "documents" { docs = $2 }
  END {
    lucene = bytes / 1e6 / (full - empty)
    printf "== analysis chain (%d documents, %.1f MB of one sympy tree, one core)\n", docs, bytes / 1e6
    printf "Lucene 8.7 (oracle index, %.2f s minus %.2f s JVM start-up): %.1f MB/s\n", full, empty, lucene
    printf "sweinfer analyzer: %.1f MB/s, %.1fx Lucene (goal >= 3x: %s; >= 50 MB/s: %s)\n", ours, ours / lucene,
      ((ours / lucene >= 3) ? "met" : "missed"), ((ours >= 50) ? "met" : "missed")
  }' "$work/analyzer.txt"
