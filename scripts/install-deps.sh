#!/usr/bin/env bash
# Installs every Debian package that sweinfer's build, tests and benchmarks need.
# Idempotent: prints nothing and touches nothing when all packages are present.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config ccache git clang
  libgit2-dev libpcre2-dev libicu-dev nlohmann-json3-dev libcli11-dev
  libzstd-dev libsnappy-dev zlib1g-dev libgtest-dev libgmock-dev libbenchmark-dev
  libcurl4-openssl-dev libcpp-httplib-dev libsentencepiece-dev libssl-dev
  libpython3.11-dev patch chromium g++-aarch64-linux-gnu qemu-user
  default-jdk-headless liblucene8-java
)
# Independent Parquet/Arrow readers for the tests (npm registry); tests skip without them.
here=$(cd "$(dirname "$0")/.." && pwd)
if command -v npm >/dev/null 2>&1 && { [ ! -d "$here/tools/js/node_modules/hyparquet" ] || [ ! -d "$here/tools/js/node_modules/js-tiktoken" ] || [ ! -d "$here/tools/js/node_modules/puppeteer-core" ]; }; then
  (cd "$here/tools/js" && timeout 300 npm install --no-audit --no-fund --loglevel=error >/dev/null 2>&1) ||
    echo "warning: npm install in tools/js failed; tests that use hyparquet/apache-arrow will skip" >&2
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}" >&2
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
