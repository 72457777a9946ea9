#!/usr/bin/env bash
# run-llama engine benchmark: a random Llama of TinyLlama-1.1B's shape in bf16 (written once to
# LLAMA_BENCH_DIR), prefill of a PROMPT-token prompt (default 2000) and greedy decoding of DECODE
# tokens (default 32), at each of THREADS (default 1,2), against the memory-bandwidth bound of
# decoding and against llama.cpp (the npm package node-llama-cpp, installed on demand into
# tools/llama-js) on the same weights as GGUF F16.
# Goals: decode >= 80% of the bandwidth bound and >= llama.cpp; prefill >= 0.8x llama.cpp.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${BUILD:-$here/build/release}
dir=${LLAMA_BENCH_DIR:-${TMPDIR:-/tmp}/sweinfer-llama-bench}
prompt=${PROMPT:-2000}
decode=${DECODE:-32}
threads=${THREADS:-1,2}
[ -f "$dir/hf/model.safetensors" ] && [ -f "$dir/model-f16.gguf" ] || "$bin/llama_bench" write "$dir"
ours=$("$bin/llama_bench" run "$dir" --prompt "$prompt" --decode "$decode" --threads "$threads" ${QUANTIZE:+--quantize $QUANTIZE})
echo "$ours"
js="$here/tools/llama-js"
if [ ! -d "$js/node_modules/node-llama-cpp" ] && command -v npm >/dev/null; then
  (cd "$js" && npm install --no-audit --no-fund >/dev/null 2>&1) || true
fi
if [ ! -d "$js/node_modules/node-llama-cpp" ]; then
  echo "(node-llama-cpp could not be installed: no llama.cpp comparison)"
  exit 0
fi
for t in ${threads//,/ }; do
  theirs=$(LLAMA_JS_DIR="$js" node "$here/bench/llama_bench.mjs" "$dir/model-f16.gguf" "$dir/prompt_ids.txt" "$t" "$decode" 2>/dev/null | grep '^llama.cpp')
  echo "$theirs"
  mine=$(grep "^result threads=$t " <<<"$ours")
  field() { sed -E "s/.* $1=([0-9.]+).*/\1/" <<<"$2"; }
  awk -v t="$t" -v op="$(field prefill_tok_s "$mine")" -v tp="$(field prefill_tok_s "$theirs")" \
      -v od="$(field decode_tok_s "$mine")" -v td="$(field decode_tok_s "$theirs")" -v ob="$(field of_bound "$mine")" \
    'BEGIN { printf "ratio threads=%s: prefill sweinfer/llama.cpp = %.2fx (goal 0.8x); decode sweinfer/llama.cpp = %.2fx (goal 1x); decode at %s%% of the bandwidth bound (goal 80%%)\n", t, op / tp, od / td, ob }'
done
