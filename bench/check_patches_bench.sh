#!/usr/bin/env bash
# check-patches benchmark. Anchor: what one does without sweinfer to learn whether a patch applies,
# per instance: check out the base commit in a work tree (`git checkout -f` + `git clean -fdxq`, a
# persistent clone per repository, which is cheaper than the harness's fresh container), then
# `git apply --check` and `patch --dry-run --batch --fuzz=5 -p1`. Against it: `sweinfer
# check-patches` (which also hashes the results, diffs against gold and parses the Python files)
# with 1 and 2 workers, on every shared instance of the shared repositories (SWE-Llama's patch where
# it has one, else the gold patch). Prints instances per second and the ratios.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
shared=${SWEINFER_SHARED_DIR:-$here/../shared}
bin=${BUILD:-$here/build/release}/sweinfer
[ -d "$shared/swebench" ] || { echo "check_patches_bench: ../shared is absent; nothing to measure"; exit 0; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$shared" "$work" <<'PY'
import json, os, subprocess, sys
shared, work = sys.argv[1], sys.argv[2]
preds = {}
for name in os.listdir(f"{shared}/predictions"):
    for line in open(f"{shared}/predictions/{name}"):
        r = json.loads(line)
        preds[r["instance_id"]] = r["model_patch"]
seen, rows, out = set(), [], []
for name in ("lite_test.jsonl", "verified_test.jsonl"):
    for line in open(f"{shared}/swebench/{name}"):
        r = json.loads(line)
        repo = f"{shared}/repos/" + r["repo"].replace("/", "__") + ".git"
        if r["instance_id"] in seen or not os.path.isdir(f"{repo}/refs"):
            continue
        if subprocess.run(["git", "-C", repo, "cat-file", "-e", r["base_commit"] + "^{commit}"], capture_output=True).returncode:
            continue
        seen.add(r["instance_id"])
        rows.append(line)
        out.append(json.dumps({"instance_id": r["instance_id"], "model_patch": preds.get(r["instance_id"], r["patch"]),
                               "model_name_or_path": "bench"}) + "\n")
open(f"{work}/instances.jsonl", "w").writelines(rows)
open(f"{work}/preds.jsonl", "w").writelines(out)
PY
n=$(wc -l <"$work/preds.jsonl")
now() { date +%s%N; }
# The anchor.
python3 - "$shared" "$work" <<'PY' >"$work/baseline.txt"
import json, os, subprocess, sys, time
shared, work = sys.argv[1], sys.argv[2]
instances = {json.loads(l)["instance_id"]: json.loads(l) for l in open(f"{work}/instances.jsonl")}
preds = [json.loads(l) for l in open(f"{work}/preds.jsonl")]
clones = {}
for r in instances.values():
    if r["repo"] not in clones:
        d = f"{work}/clone-" + r["repo"].replace("/", "__")
        subprocess.run(["git", "clone", "-q", f"{shared}/repos/" + r["repo"].replace("/", "__") + ".git", d], check=True, capture_output=True)
        clones[r["repo"]] = d
start = time.time()
applied = 0
for p in preds:
    r = instances[p["instance_id"]]
    d = clones[r["repo"]]
    subprocess.run(["git", "-C", d, "checkout", "-q", "-f", r["base_commit"]], check=True, capture_output=True)
    subprocess.run(["git", "-C", d, "clean", "-fdxq"], check=True, capture_output=True)
    pf = f"{work}/p.diff"
    open(pf, "w").write(p["model_patch"] or "")
    g = subprocess.run(["git", "apply", "--check", pf], cwd=d, capture_output=True).returncode
    q = subprocess.run(["patch", "--dry-run", "--batch", "--fuzz=5", "-p1", "-i", pf], cwd=d, capture_output=True).returncode
    applied += g == 0 or q == 0
print(time.time() - start, applied)
PY
read -r base_s base_applied <"$work/baseline.txt"
run() {  # workers, extra flags...; prints seconds
  local w=$1; shift; rm -f "$work/c.jsonl"; local t; t=$(now)
  "$bin" check-patches --predictions "$work/preds.jsonl" --dataset_name_or_path "$work/instances.jsonl" \
    --repos_dir "$shared/repos" --output "$work/c.jsonl" --num_workers "$w" --quiet "$@"
  echo "$(( $(now) - t ))" | awk '{ print $1 / 1e9 }'
}
one_s=$(run 1); cp "$work/c.jsonl" "$work/c1.jsonl"
two_s=$(run 2)
v_one_s=$(run 1 --syntax_check false)
v_two_s=$(run 2 --syntax_check false)
ours_applied=$(python3 -c "import json,sys; print(sum(1 for l in open(sys.argv[1]) if json.loads(l)['applies_with']))" "$work/c1.jsonl")
awk -v n="$n" -v b="$base_s" -v o="$one_s" -v w="$two_s" -v vo="$v_one_s" -v vw="$v_two_s" -v ba="$base_applied" -v oa="$ours_applied" 'BEGIN {
  printf "check-patches on %d shared instances (SWE-Llama or gold patches), whole process runs\n", n
  printf "  anchor: checkout + git apply --check + patch --dry-run       %7.3f s  %8.1f inst/s  (%d apply)\n", b, n / b, ba
  printf "  sweinfer, harness verdict + hunks + hashes + gold, 1 worker   %7.3f s  %8.1f inst/s  %6.1fx\n", vo, n / vo, b / vo
  printf "  sweinfer, the same, 2 workers                                 %7.3f s  %8.1f inst/s  %6.1fx\n", vw, n / vw, b / vw
  printf "  sweinfer, all checks incl. CPython parse of edited files, 1 w %7.3f s  %8.1f inst/s  %6.1fx  (%d apply)\n", o, n / o, b / o, oa
  printf "  sweinfer, all checks, 2 workers                               %7.3f s  %8.1f inst/s  %6.1fx\n", w, n / w, b / w
  printf "  goal >= 50x on the anchor'"'"'s work (verdicts, 2 workers): %s; with the Python parse: %.1fx\n", (b / vw >= 50 ? "met" : "missed"), b / w
}'
