#!/usr/bin/env bash
# clang-tidy over the project's own sources (not tests), with the checked-in .clang-tidy.
# Exits non-zero on any finding. Needs a configured build dir with compile_commands.json.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
[ -f "$build/compile_commands.json" ] || cmake -S . -B "$build" >/dev/null
files=$(git ls-files 'model/*.cpp' 'storage/*.cpp' 'report/*.cpp' 'sync/*.cpp' 'http/*.cpp' 'config/*.cpp' 'daemon/*.cpp' 'emulator/*.cpp' | grep -v asio_impl.cpp)
out=$(mktemp)
printf '%s\n' $files | xargs -P "${JOBS:-2}" -n 4 clang-tidy -p "$build" --quiet 2>/dev/null >"$out" || true
if grep -E "warning:|error:" "$out"; then
  echo "clang-tidy: findings above" >&2
  rm -f "$out"
  exit 1
fi
rm -f "$out"
echo "clang-tidy: clean"
