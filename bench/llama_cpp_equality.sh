#!/usr/bin/env bash
# Equality to llama.cpp, measured: the same GGUF files run through llama.cpp (npm node-llama-cpp)
# and through sweinfer give the same greedy ids? A random model of TinyLlama-1.1B's shape is written
# by bench/llama_bench (F16 GGUF with a vocabulary), then sweinfer convert-model writes it as F16,
# Q8_0 and Q4_K_M GGUFs; 5 prompts of 32 random ids, 64 greedy tokens each, on both engines. Then
# llama.cpp's own stories260K.gguf from ../shared on 5 prompts. Prints per file how many prompts
# agree on all 64 ids and where the others first differ.
# usage: bash bench/llama_cpp_equality.sh [build dir]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$here/build/release}
dir=${LLAMA_EQUALITY_DIR:-${TMPDIR:-/tmp}/sweinfer-llama-equality}
js="$here/tools/llama-js"
n=${TOKENS:-64}
threads=${THREADS:-2}
if [ ! -d "$js/node_modules/node-llama-cpp" ] && command -v npm >/dev/null; then
  (cd "$js" && npm install --no-audit --no-fund >/dev/null 2>&1) || true
fi
[ -d "$js/node_modules/node-llama-cpp" ] || { echo "llama.cpp (npm node-llama-cpp) is not installed: nothing to compare"; exit 0; }
mkdir -p "$dir"
[ -f "$dir/model-f16.gguf" ] || "$bin/llama_bench" write "$dir" --shape tinyllama --q8 0 >/dev/null
for type in f16 q8_0 q4_k_m; do
  [ -f "$dir/cm-$type.gguf" ] || "$bin/sweinfer" --quiet convert-model "$dir/model-f16.gguf" "$dir/cm-$type.gguf" --to gguf --type "$type"
done
prompts() {  # $1: vocabulary size; writes p1..p5.txt of 32 ids (BOS first)
  for p in 1 2 3 4 5; do
    awk -v seed="$p" -v vocab="$1" 'BEGIN { srand(seed); print 1; for (i = 1; i < 32; ++i) print 3 + int(rand() * (vocab - 3)) }' >"$dir/p$p.txt"
  done
}
compare() {  # $1: model file, $2: label
  local same=0 notes=""
  for p in 1 2 3 4 5; do
    ours=$("$bin/llama_bench" greedy "$1" "$dir/p$p.txt" --decode "$n" --threads "$threads" | xargs)
    theirs=$(LLAMA_JS_DIR="$js" node "$here/bench/llama_greedy.mjs" "$1" "$dir/p$p.txt" "$n" "$threads" 2>/dev/null | tail -1 | xargs)
    if [ "$ours" = "$theirs" ]; then
      same=$((same + 1))
    else
      first=$(paste <(tr ' ' '\n' <<<"$ours") <(tr ' ' '\n' <<<"$theirs") | awk '$1 != $2 { print NR; exit }')
      notes="$notes prompt $p differs from token ${first:-?} (ours $(wc -w <<<"$ours") ids, llama.cpp $(wc -w <<<"$theirs"));"
    fi
  done
  echo "equality $2: $same of 5 prompts give the same $n greedy ids in sweinfer and llama.cpp;$notes"
}
prompts 32000
for type in f16 q8_0 q4_k_m; do compare "$dir/cm-$type.gguf" "TinyLlama-shape random model, $type GGUF written by convert-model"; done
stories="$here/../shared/models/fixtures/stories260K.llamacpp.gguf"
if [ -f "$stories" ]; then
  prompts 512
  compare "$stories" "stories260K.gguf (llama.cpp's own file)"
fi
