#!/usr/bin/env bash
# Tokenizer benchmark: sweinfer's BPE against the npm tiktoken (wasm) and js-tiktoken packages on
# the same documents: all shared instances' problem statements and patches, and a synthetic code
# corpus (default 100 MB; CORPUS_MB to change). Goal: at least 2x `tiktoken` on one core.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${BUILD:-$here/build/release}
corpus=${CORPUS_DIR:-$(mktemp -d)}
"$bin/tokenizer_bench" write-corpus "$corpus" "${CORPUS_MB:-100}"
for encoding in cl100k_base o200k_base; do
  for file in instances.jsonl code.jsonl; do
    ours=$("$bin/tokenizer_bench" run "$corpus/$file" "$encoding")
    echo "$ours"
    if command -v node >/dev/null && [ -d "$here/tools/js/node_modules/tiktoken" ]; then
      theirs=$(node "$here/bench/tokenizer_bench.mjs" "$corpus/$file" "$encoding" "${JS_TOKENIZERS:-both}")
      echo "$theirs"
      ours_rate=$(sed -E 's/.*1 thread ([0-9.]+) MB.*/\1/' <<<"$ours")
      wasm_rate=$(grep 'npm tiktoken' <<<"$theirs" | sed -E 's/.*1 thread ([0-9.]+) MB.*/\1/')
      ours_tokens=$(sed -E 's/.*MB, ([0-9]+) tokens.*/\1/' <<<"$ours")
      wasm_tokens=$(grep 'npm tiktoken' <<<"$theirs" | sed -E 's/.*MB, ([0-9]+) tokens.*/\1/')
      awk -v a="$ours_rate" -v b="$wasm_rate" -v t1="$ours_tokens" -v t2="$wasm_tokens" -v e="$encoding" -v f="$file" \
        'BEGIN { printf "ratio %s %s: sweinfer/tiktoken(wasm) one core = %.2fx (goal 2x); token counts %s\n", e, f, a / b, (t1 == t2 ? "equal" : "DIFFER") }'
    else
      echo "(node or tools/js/node_modules missing: run scripts/install-deps.sh for the npm anchors)"
    fi
  done
done
[ -n "${CORPUS_DIR:-}" ] || rm -rf "$corpus"
