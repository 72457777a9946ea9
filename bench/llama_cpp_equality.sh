#!/usr/bin/env bash
# Equality to llama.cpp, measured: the same GGUF files run through llama.cpp (npm node-llama-cpp)
# and through sweinfer give the same greedy ids? Two models:
#  - a random model of TinyLlama-1.1B's shape (written by bench/llama_bench as an F16 GGUF), then
#    written by sweinfer convert-model as F16, Q8_0 and Q4_K_M GGUFs; prompts of 32 random ids;
#  - llama.cpp's own stories260K.gguf from ../shared (a trained model), as stored and written by
#    convert-model as Q8_0, Q4_K_M and Q4_0; prompts of 32 random ids of its vocabulary.
# 5 prompts, 64 greedy tokens each. Per file: how many prompts agree on all 64 ids and where the
# others first differ.
#
# Control: on a CPU with AVX-512, llama.cpp picks its AVX-512 build; the same files are also run
# through its AVX2 build (a copy of the npm package without the AVX-512 libraries), and the script
# prints how often llama.cpp agrees with itself. With 8-bit activations a last-bit difference in any
# float sum can flip an int8 in the next layer; on a model whose top logits lie close together
# (a random model's do) that changes the greedy path, for llama.cpp against itself as much as for
# two engines: the control tells how much agreement a faithful but not bit-identical engine can get.
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

# llama.cpp's AVX2 build alone, when this CPU would pick an AVX-512 one.
control=$(bash "$here/bench/llama_js_avx2.sh" "$dir")

first_difference() {  # $1, $2: id lists; prints the 1-based index of the first difference, or nothing
  paste <(tr ' ' '\n' <<<"$1") <(tr ' ' '\n' <<<"$2") | awk '$1 != $2 { print NR; exit }'
}
prompts() {  # $1: vocabulary size; writes p1..p5.txt of 32 ids (BOS first)
  for p in 1 2 3 4 5; do
    awk -v seed="$p" -v vocab="$1" 'BEGIN { srand(seed); print 1; for (i = 1; i < 32; ++i) print 3 + int(rand() * (vocab - 3)) }' >"$dir/p$p.txt"
  done
}
compare() {  # $1: model file, $2: label
  local same=0 notes="" self=0 self_notes=""
  for p in 1 2 3 4 5; do
    ours=$("$bin/llama_bench" greedy "$1" "$dir/p$p.txt" --decode "$n" --threads "$threads" | xargs)
    theirs=$(LLAMA_JS_DIR="$js" node "$here/bench/llama_greedy.mjs" "$1" "$dir/p$p.txt" "$n" "$threads" 2>/dev/null | tail -1 | xargs)
    first=$(first_difference "$ours" "$theirs")
    if [ -z "$first" ] && [ -n "$ours" ]; then same=$((same + 1)); else notes="$notes $p:${first:-?}"; fi
    if [ -n "$control" ]; then
      avx2=$(LLAMA_JS_DIR="$control" node "$here/bench/llama_greedy.mjs" "$1" "$dir/p$p.txt" "$n" "$threads" 2>/dev/null | tail -1 | xargs)
      first=$(first_difference "$avx2" "$theirs")
      if [ -z "$first" ] && [ -n "$avx2" ]; then self=$((self + 1)); else self_notes="$self_notes $p:${first:-?}"; fi
    fi
  done
  echo "equality $2: sweinfer = llama.cpp on $same of 5 prompts (first differences, prompt:token:${notes:- none})"
  if [ -n "$control" ]; then
    echo "  control: llama.cpp AVX2 build = its AVX-512 build on $self of 5 (${self_notes:- none})"
  fi
}

[ -f "$dir/model-f16.gguf" ] || "$bin/llama_bench" write "$dir" --shape tinyllama --q8 0 >/dev/null
for type in f16 q8_0 q4_k_m; do
  [ -f "$dir/cm-$type.gguf" ] || "$bin/sweinfer" --quiet convert-model "$dir/model-f16.gguf" "$dir/cm-$type.gguf" --to gguf --type "$type"
done
prompts 32000
for type in f16 q8_0 q4_k_m; do compare "$dir/cm-$type.gguf" "TinyLlama-shape random model, $type GGUF written by convert-model"; done

stories="$here/../shared/models/fixtures/stories260K.llamacpp.gguf"
if [ -f "$stories" ]; then
  prompts 512
  compare "$stories" "stories260K.gguf (llama.cpp's own file, F32)"
  for type in q8_0 q4_k_m q4_0; do
    [ -f "$dir/stories-$type.gguf" ] || "$bin/sweinfer" --quiet convert-model "$stories" "$dir/stories-$type.gguf" --to gguf --type "$type"
    compare "$dir/stories-$type.gguf" "stories260K as $type written by convert-model"
  done
else
  echo "stories260K: ../shared is absent, skipped"
fi
