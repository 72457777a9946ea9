#!/usr/bin/env bash
# AArch64 checks without an AArch64 machine: builds the kernel tests (every table against the
# portable one, NEON included) and an end-to-end stories260K run with Debian's cross compiler
# (g++-aarch64-linux-gnu) and runs them under qemu-user (qemu-aarch64 -L /usr/aarch64-linux-gnu).
# Prints a skip line and exits 0 when the cross compiler or qemu is not installed.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
shared=${SWEINFER_SHARED_DIR:-$here/../shared}
cxx=aarch64-linux-gnu-g++
if ! command -v "$cxx" >/dev/null 2>&1 || ! command -v qemu-aarch64 >/dev/null 2>&1; then
  echo "aarch64: skipped (install g++-aarch64-linux-gnu and qemu-user to run the NEON kernels under qemu)"
  exit 0
fi
out=$here/build/aarch64
mkdir -p "$out/include"
# nlohmann/json is header-only and the same on every architecture: only it, not all of /usr/include.
ln -sfn /usr/include/nlohmann "$out/include/nlohmann"
gtest=/usr/src/googletest/googletest
flags=(-std=c++20 -O2 -Wall -Wextra -I "$here/src" -I "$out/include")
if [ ! -f "$out/gtest-all.o" ]; then
  "$cxx" "${flags[@]}" -I "$gtest/include" -I "$gtest" -c "$gtest/src/gtest-all.cc" -o "$out/gtest-all.o"
  "$cxx" "${flags[@]}" -I "$gtest/include" -c "$gtest/src/gtest_main.cc" -o "$out/gtest_main.o"
fi
engine=(src/llm/cpu_kernels.cc src/llm/cpu_kernels_neon.cc src/llm/tensor.cc src/llm/weights.cc src/llm/llama.cc
        src/llm/model_files.cc src/llm/quants.cc src/llm/cpu_backend.cc src/llm/speculative.cc
        src/torch/checkpoint.cc src/torch/pickle.cc src/torch/zip_archive.cc src/util/thread_pool.cc src/dataset/jsonl.cc)
objs=()
for f in "${engine[@]}"; do
  o="$out/$(basename "${f%.cc}").o"
  # Rebuilt when the source or any header of the project changed since (headers are not tracked
  # one by one: a few seconds of recompiling beat a stale object).
  if [ ! -f "$o" ] || [ "$here/$f" -nt "$o" ] || [ -n "$(find "$here/src" -name '*.h' -newer "$o" -print -quit)" ]; then
    extra=()
    # Quantization rounds the same on every CPU (as in CMakeLists.txt).
    [ "$f" = src/llm/quants.cc ] && extra=(-ffp-contract=off)
    "$cxx" "${flags[@]}" "${extra[@]}" -c "$here/$f" -o "$o"
  fi
  objs+=("$o")
done
"$cxx" "${flags[@]}" -I "$gtest/include" "$here/src/llm/cpu_kernels_test.cc" "${objs[@]}" "$out/gtest-all.o" "$out/gtest_main.o" \
  -lpthread -o "$out/cpu_kernels_test"
"$cxx" "${flags[@]}" "$here/tests/aarch64/stories_smoke.cc" "${objs[@]}" -lpthread -o "$out/stories_smoke"
run() { qemu-aarch64 -L /usr/aarch64-linux-gnu "$@"; }
run "$out/cpu_kernels_test" --gtest_brief=1
if [ -f "$shared/models/stories260K/stories260K.gguf" ]; then
  run "$out/stories_smoke" "$shared/models/stories260K/stories260K.gguf" "$shared/models/stories260K/expected_greedy.json"
else
  echo "aarch64: stories260K end-to-end run skipped (../shared is absent)"
fi
