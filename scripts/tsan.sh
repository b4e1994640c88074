#!/usr/bin/env bash
# The tests of the threaded and asynchronous parts under ThreadSanitizer (gcc), in build-tsan:
# the HTTP client against its scripted server thread (http_client_tests), the client's pure
# parts and retry timers (http_tests), backup while a writer thread writes (backup_tests), the
# daemon's parts (daemon_parts_tests: local write watch, lock, notify), and push and the sync
# cycle over Asio (push_tests). Any report fails the run (halt_on_error).
#   TSAN_BUILD_DIR=... overrides build-tsan (not BUILD_DIR, which scripts/test.sh uses for
#   its own build); JOBS=N the parallelism (2).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

jobs=${JOBS:-2}
build=${TSAN_BUILD_DIR:-build-tsan}
targets=(http_tests http_client_tests backup_tests daemon_parts_tests push_tests)

echo "== build with ThreadSanitizer ($build): ${targets[*]}"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCLEVERTIM_TSAN=ON \
  -DCLEVERTIM_WERROR=ON >/dev/null
cmake --build "$build" -j"$jobs" --target "${targets[@]}"

echo "== test with ThreadSanitizer"
# Each suppression is explained in tests/tsan/suppressions.txt.
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/tests/tsan/suppressions.txt"
ctest --test-dir "$build" --output-on-failure -j"$jobs" --timeout 600 \
  -R '^(http|backup|daemon|push):'
