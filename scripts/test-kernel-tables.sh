#!/usr/bin/env bash
# The engine's end-to-end tests (reference logits, KV cache against prefill, greedy decoding, LoRA,
# quantized models, stories260K, prompt lookup, run-llama) under every kernel table this CPU runs,
# not only the fastest one the rest of the suite uses: SWEINFER_KERNELS forces each in turn.
# usage: bash scripts/test-kernel-tables.sh path/to/sweinfer_tests
set -euo pipefail
tests=${1:?usage: test-kernel-tables.sh path/to/sweinfer_tests}
filter='Shapes/EngineVsReference.*:Llama.*:PromptLookup.*:RunLlama.*:RunLive.LocalModel*:ConvertModel.*'
for table in avx512-bf16 avx512 avx2 neon portable; do
  probe=$(SWEINFER_KERNELS=$table "$tests" --gtest_filter=CpuKernels.BestTableIsTheFastestThisCpuRuns 2>&1 || true)
  if grep -q "cannot run that table" <<<"$probe"; then
    echo "SWEINFER_KERNELS=$table: this CPU or build cannot run it, skipped"
    continue
  fi
  echo "== SWEINFER_KERNELS=$table"
  SWEINFER_KERNELS=$table "$tests" --gtest_filter="$filter" --gtest_brief=1
done
