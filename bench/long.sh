#!/usr/bin/env bash
# The long versions of the crash, fault-soak and convergence tests that CI runs short:
#   bash bench/long.sh [--kills N] [--soak-rounds N] [--histories N] [--build DIR]
# Defaults: 500 SIGKILLs (CI: 50), 300 soak rounds against the faulty emulator (CI: 20), and
# 2,000 convergence histories (CI: 100), half with the daemon killed at random points.
# The same test code as CI, with more rounds; prints what each test printed and its verdict.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build
kills=500
soak=300
histories=2000
while [ $# -gt 0 ]; do
  case "$1" in
    --kills) kills=$2; shift ;;
    --soak-rounds) soak=$2; shift ;;
    --histories) histories=$2; shift ;;
    --build) build=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
bash scripts/install-deps.sh
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j2 >/dev/null
log=$build/bench-long.log
# The test binary itself, not ctest: ctest would stop these long runs at CI's 120 s timeout.
tests=$build/tests/integration/integration_tests
start=$(date +%s)
status=0
: >"$log"
for name in 'SIGKILL at*' 'a faulty CRM*'; do
  CLEVERTIM_CRASH_ROUNDS=$kills CLEVERTIM_SOAK_ROUNDS=$soak \
    "$tests" --test-case="$name" --success=false >>"$log" 2>&1 || status=$?
done
# Seeds other than CI's (100.., 1100..): new histories, each half on one core.
checker=$build/tests/convergence/convergence_tests
half=$(( histories / 2 ))
CLEVERTIM_CONVERGENCE_FIRST=5000 CLEVERTIM_CONVERGENCE_SEEDS=$half CLEVERTIM_CONVERGENCE_PAUSES=1 \
  "$checker" --test-case='fixed seeds: sync only' >"$log.sync" 2>&1 &
sync_pid=$!
CLEVERTIM_CONVERGENCE_FIRST=5000 CLEVERTIM_CONVERGENCE_SEEDS=$(( histories - half )) CLEVERTIM_CONVERGENCE_PAUSES=1 \
  "$checker" --test-case='fixed seeds: the daemon*' >"$log.daemon" 2>&1 || status=$?
wait $sync_pid || status=$?
cat "$log.sync" "$log.daemon" >>"$log"
grep -E 'kills interrupted|test cases:|histories from seed|ERROR|replay:' "$log" || true
echo "kills: $kills, soak rounds: $soak, histories: $histories," \
  "$(( $(date +%s) - start )) s on $(nproc) cores; log: $log"
exit $status
