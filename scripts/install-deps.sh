#!/usr/bin/env bash
# Installs every Debian package that sweinfer's build, tests and benchmarks need.
# Idempotent: prints nothing and touches nothing when all packages are present.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config ccache git clang
  libgit2-dev libpcre2-dev libicu-dev nlohmann-json3-dev libcli11-dev
  libzstd-dev libsnappy-dev zlib1g-dev libgtest-dev libgmock-dev libbenchmark-dev
)
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
