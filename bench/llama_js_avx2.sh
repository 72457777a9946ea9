#!/usr/bin/env bash
# Prints the folder of a copy of tools/llama-js whose llama.cpp (npm node-llama-cpp) keeps only its
# CPU builds without AVX-512 and AVX-VNNI, made on first use under DIR: on an AVX-512 machine
# llama.cpp picks its AVX-512 build, and this copy makes it run as on an AVX2 machine such as an
# EPYC before Zen 4 (its "haswell" build: AVX2, FMA, F16C), for an
# AVX2-to-AVX2 comparison (SWEINFER_KERNELS=avx2 on sweinfer's side) or a control of llama.cpp
# against itself. Prints nothing when the CPU has no AVX-512 or the package is not installed.
# usage: bash bench/llama_js_avx2.sh DIR
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
js="$here/tools/llama-js"
out="${1:?usage: llama_js_avx2.sh DIR}/llama-js-avx2"
bins="$js/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64"
grep -qw avx512f /proc/cpuinfo 2>/dev/null && [ -d "$bins" ] || exit 0
if [ -f "$out/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/libggml-cpu-alderlake.so" ]; then
  rm -rf "$out"  # made by an earlier version that kept the AVX-VNNI build
fi
if [ ! -d "$out/node_modules/@node-llama-cpp/linux-x64" ]; then
  rm -rf "$out" && mkdir -p "$out/node_modules/@node-llama-cpp"
  for entry in "$js"/node_modules/* "$js"/node_modules/.bin; do
    [ "$(basename "$entry")" = @node-llama-cpp ] || cp -r "$entry" "$out/node_modules/"
  done
  cp -r "$js/node_modules/@node-llama-cpp/linux-x64" "$out/node_modules/@node-llama-cpp/"
  for variant in zen4 sapphirerapids icelake cooperlake cascadelake cannonlake skylakex alderlake; do
    rm -f "$out/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/libggml-cpu-$variant.so"
  done
fi
echo "$out"
