#!/usr/bin/env bash
# Installs every Debian 12 package the build, the tests and the demo need.
# Idempotent and quiet when everything is already there. Extra package names given as
# arguments are installed too (scripts/fuzz.sh: clang and its sanitizer runtimes).
set -euo pipefail

packages=(
  build-essential cmake pkg-config git ca-certificates curl sqlite3 openssl
  libboost1.81-dev libboost-json1.81-dev
  libsqlitecpp-dev libsqlite3-dev libspdlog-dev libfmt-dev doctest-dev libcli11-dev
  libtomlplusplus-dev libsystemd-dev systemd libssl-dev zlib1g-dev
  python3 clang-tidy tmux chromium
  dpkg-dev file lintian man-db bash-completion
  "$@"
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
