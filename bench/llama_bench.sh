#!/usr/bin/env bash
# run-llama engine benchmark against llama.cpp, in one run on this machine: a random Llama in bf16
# (TinyLlama-1.1B's shape; `--shape 7b` for CodeLlama-7B's; `--shape 13b` for CodeLlama-13B's, run
# with --quantize q8 and without llama.cpp), written once to LLAMA_BENCH_DIR, with
# the same weights as GGUF F16, Q8_0 and Q4_K_M (written by sweinfer convert-model) for llama.cpp
# (the npm package node-llama-cpp, installed on demand into tools/llama-js); ONLY=hf|q8_0|q4_k_m
# runs one of them; KERNELS=avx2 runs both engines as on a CPU without AVX-512. At each of THREADS
# (default 1,2): prefill of a PROMPT-token prompt (default 2000; 256 for 7b) and greedy decoding
# of DECODE tokens (default 32) at that context, median and best of rounds of 8 tokens, beside the
# bandwidth bound from a read of the mapped weights just before. Then prompt-lookup decoding on
# the shared stories260K model.
# Goals (issue "fast on every common CPU"): prefill >= 1.2x llama.cpp; bf16 decoding >= 1.0x
# llama.cpp's F16; Q8_0 and Q4_K_M decoding >= 1.0x llama.cpp on the same GGUF; decoding >= 75% of
# the bound.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${BUILD:-$here/build/release}
shape=tinyllama
[ "${1:-}" = "--shape" ] && shape=${2:?--shape tinyllama|7b|13b}
dir=${LLAMA_BENCH_DIR:-${TMPDIR:-/tmp}/sweinfer-llama-bench-$shape}
if [ "$shape" = 7b ]; then prompt=${PROMPT:-256}; q8=${Q8:-0}; else prompt=${PROMPT:-2000}; q8=${Q8:-1}; fi
decode=${DECODE:-32}
threads=${THREADS:-1,2}
if [ "$shape" = 13b ]; then
  # CodeLlama-13B's shape (SWE-Llama-13b): 26 GB of bf16 does not fit a 24 GiB machine, so the
  # engine runs it with --quantize q8 at load (Q8_0, 13.8 GB). The disk holds one copy: no GGUF,
  # no llama.cpp run; load (with quantization) time, peak RSS, prefill and decoding are printed.
  [ -f "$dir/hf/model.safetensors" ] || "$bin/llama_bench" write "$dir" --shape 13b --gguf 0
  "$bin/llama_bench" run "$dir" --weights hf --quantize q8 --prompt "${PROMPT:-256}" --decode "${DECODE:-8}" --threads "$threads"
  exit 0
fi
want="$dir/model-f16.gguf"
[ "$q8" = 1 ] && want="$dir/model-q8_0.gguf"
[ -f "$dir/hf/model.safetensors" ] && [ -f "$want" ] || "$bin/llama_bench" write "$dir" --shape "$shape" --q8 "$q8"
js="$here/tools/llama-js"
if [ ! -d "$js/node_modules/node-llama-cpp" ] && command -v npm >/dev/null; then
  (cd "$js" && npm install --no-audit --no-fund >/dev/null 2>&1) || true
fi
have_llamacpp=1
[ -d "$js/node_modules/node-llama-cpp" ] || { have_llamacpp=0; echo "(node-llama-cpp could not be installed: no llama.cpp comparison)"; }
# KERNELS=avx2 on an AVX-512 machine: both engines as on an AVX2 one (sweinfer's AVX2 table,
# llama.cpp's build without AVX-512).
if [ "${KERNELS:-}" = avx2 ]; then
  export SWEINFER_KERNELS=avx2
  if [ "$have_llamacpp" = 1 ]; then
    avx2_js=$(bash "$here/bench/llama_js_avx2.sh" "$dir")
    [ -n "$avx2_js" ] && js=$avx2_js
  fi
fi
field() { sed -E "s/.* $1=\"?([^ \"]+)\"?.*/\1/" <<<"$2"; }
verdict() { awk -v v="$1" -v g="$2" 'BEGIN { print (v >= g ? "met" : "missed") }'; }
# weights: ours (llama_bench --weights), the GGUF llama.cpp runs, the goal for decoding
# Q4_K_M: the F16 GGUF quantized by sweinfer convert-model (llama.cpp's Q4_K_M mix and rounding).
if [ "$q8" = 1 ] && [ ! -f "$dir/model-q4_k_m.gguf" ]; then
  "$bin/sweinfer" --quiet convert-model "$dir/model-f16.gguf" "$dir/model-q4_k_m.gguf" --to gguf --type q4_k_m
fi
for pair in "hf f16" "q8_0 q8_0" "q4_k_m q4_k_m"; do
  set -- $pair
  [ "$1" != hf ] && [ "$q8" != 1 ] && continue
  [ -n "${ONLY:-}" ] && [ "$1" != "$ONLY" ] && continue
  ours=$("$bin/llama_bench" run "$dir" --weights "$1" --prompt "$prompt" --decode "$decode" --threads "$threads")
  echo "$ours"
  [ "$have_llamacpp" = 1 ] || continue
  for t in ${threads//,/ }; do
    theirs=$(LLAMA_JS_DIR="$js" node "$here/bench/llama_bench.mjs" "$dir/model-$2.gguf" "$dir/prompt_ids.txt" "$t" "$decode" 2>/dev/null | grep '^llama.cpp' || true)
    [ -n "$theirs" ] || { echo "llama.cpp failed on model-$2.gguf at $t threads"; continue; }
    echo "$theirs (model-$2.gguf)"
    mine=$(grep " threads=$t " <<<"$ours")
    op=$(field prefill_tok_s "$mine"); tp=$(field prefill_tok_s "$theirs")
    od=$(field decode_tok_s "$mine"); td=$(field decode_tok_s "$theirs")
    ob=$(field decode_best_tok_s "$mine"); tb=$(field decode_best_tok_s "$theirs")
    bound=$(field of_bound "$mine"); bound=${bound%\%}
    pr=$(awk -v a="$op" -v b="$tp" 'BEGIN { printf "%.2f", a / b }')
    dr=$(awk -v a="$od" -v b="$td" 'BEGIN { printf "%.2f", a / b }')
    br=$(awk -v a="$ob" -v b="$tb" 'BEGIN { printf "%.2f", a / b }')
    label=$([ "$1" = hf ] && echo "bf16 vs llama.cpp F16" || echo "${1^^}, same GGUF")
    echo "verdict $shape $label threads=$t: prefill ${pr}x llama.cpp (goal 1.2x: $(verdict "$pr" 1.2)); decoding ${dr}x median, ${br}x best (goal 1.0x: $(verdict "$dr" 1.0)); decoding at ${bound}% of the bandwidth bound (goal 75%: $(verdict "$bound" 75))"
  done
done
stories="${SWEINFER_SHARED_DIR:-$here/../shared}/models/stories260K/stories260K.gguf"
if [ -f "$stories" ]; then
  "$bin/llama_bench" speculate "$stories" --decode 200 --threads 1
fi
