#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what is missing, builds,
# and runs every test with ctest. This is exactly what CI runs (.ci/run).
#   CLEVERTIM_SANITIZE=0 skips the AddressSanitizer + UBSan pass; CLEVERTIM_TIDY=0 clang-tidy;
#   CLEVERTIM_TSAN=0 the ThreadSanitizer pass; CLEVERTIM_FUZZ=0 the short fuzzing run.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

# Each stage says when it starts, in seconds since this script began: where CI's time goes.
stage() { echo "== [${SECONDS}s] $*"; }

jobs=${JOBS:-2}
build=${BUILD_DIR:-build}

stage "build ($build)"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCLEVERTIM_WERROR=ON >/dev/null
cmake --build "$build" -j"$jobs"
stage "test ($build)"
ctest --test-dir "$build" --output-on-failure -j"$jobs" --timeout 300

if [ "${CLEVERTIM_TIDY:-1}" = 1 ]; then
  stage "clang-tidy"
  BUILD_DIR="$build" bash scripts/tidy.sh
fi

if [ "${CLEVERTIM_SANITIZE:-1}" = 1 ]; then
  stage "build with AddressSanitizer + UBSan ($build-asan)"
  cmake -S . -B "$build-asan" -DCMAKE_BUILD_TYPE=Debug -DCLEVERTIM_SANITIZE=ON >/dev/null
  cmake --build "$build-asan" -j"$jobs"
  stage "test with AddressSanitizer + UBSan"
  # The convergence checker runs its 100 histories in the first pass, the crash tests their 50
  # kills; under the sanitizers (several times slower), 10 histories of each kind and 20 kills
  # are enough to put every path of the binaries under ASan and UBSan, within the tests'
  # timeouts on a slow machine.
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 CLEVERTIM_CONVERGENCE_SEEDS=10 \
    CLEVERTIM_CRASH_ROUNDS=20 \
    ctest --test-dir "$build-asan" --output-on-failure -j"$jobs" --timeout 600 -LE no-sanitize
fi

if [ "${CLEVERTIM_TSAN:-1}" = 1 ]; then
  stage "ThreadSanitizer (threaded and asynchronous tests)"
  bash scripts/tsan.sh
fi

if [ "${CLEVERTIM_FUZZ:-1}" = 1 ]; then
  stage "libFuzzer (short run of each target; longer runs: tests/fuzz/README.md)"
  bash scripts/fuzz.sh "${CLEVERTIM_FUZZ_SECONDS:-20}"
fi
stage "all passed"
