#!/usr/bin/env bash
# The libFuzzer targets (tests/fuzz, see its README.md): builds them with clang in build-fuzz,
# runs each over its committed corpus and then for SECONDS (default 20) of fuzzing, the three
# side by side. New inputs go to a scratch folder, never into the repository. Exits non-zero on
# any crash, leak, timeout, out-of-memory or sanitizer report, naming the reproducer.
#   scripts/fuzz.sh [SECONDS]
#   FUZZ_WORK_DIR=DIR keeps the generated corpora and logs in DIR (reused by the next run).
#   FUZZ_TARGETS="fuzz_config" runs only some targets.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-20}
build=${FUZZ_BUILD_DIR:-build-fuzz}
targets=(${FUZZ_TARGETS:-fuzz_envelope fuzz_element fuzz_config})

# clang, and the runtimes of -fsanitize=fuzzer,address,undefined (only recommended by clang).
bash scripts/install-deps.sh clang libclang-rt-14-dev

echo "== build the fuzz targets ($build)"
CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCLEVERTIM_FUZZ=ON -DCLEVERTIM_WERROR=ON >/dev/null
cmake --build "$build" -j"${JOBS:-2}" --target fuzz_targets

if [ -n "${FUZZ_WORK_DIR:-}" ]; then
  work=$FUZZ_WORK_DIR
  mkdir -p "$work"
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/clevertim-fuzz.XXXXXX")
fi
echo "== fuzz ${targets[*]} for ${seconds}s each (scratch: $work)"

export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS=detect_leaks=1

pids=()
for t in "${targets[@]}"; do
  mkdir -p "$work/$t/corpus" "$work/$t/artifacts"
  # The first folder receives new inputs; the committed corpus is only read.
  "$build/tests/fuzz/$t" -dict="tests/fuzz/${t#fuzz_}.dict" -max_total_time="$seconds" \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/$t/artifacts/" "$work/$t/corpus" "tests/fuzz/corpus/$t" \
    >"$work/$t/log" 2>&1 &
  pids+=($!)
done

failed=0
for i in "${!targets[@]}"; do
  t=${targets[$i]}
  status=0
  wait "${pids[$i]}" || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t/log")
  # A report that did not end the run (none should: every check is fatal) also fails it.
  if [ "$status" -ne 0 ] || grep -qE '^==[0-9]+==ERROR|runtime error:|^SUMMARY: ' "$work/$t/log"; then
    failed=1
    echo "FAIL $t (exit $status); log: $work/$t/log"
    grep -E '^==[0-9]+==|runtime error:|^SUMMARY: |FUZZ_CHECK' "$work/$t/log" | head -5 | sed 's/^/  /'
    for a in "$work/$t/artifacts"/*; do
      [ -e "$a" ] || continue
      echo "  reproducer: $a"
      echo "  reproduce:  $build/tests/fuzz/$t $a"
    done
  else
    echo "ok   $t: ${runs:-?} runs"
  fi
done

if [ "$failed" -ne 0 ]; then
  echo "fuzz: failures above; add a fixed reproducer to tests/fuzz/corpus/<target>/" >&2
  exit 1
fi
[ -n "${FUZZ_WORK_DIR:-}" ] || rm -rf "$work"
