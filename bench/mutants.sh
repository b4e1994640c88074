#!/usr/bin/env bash
# The mutation run: does the test suite notice a bug? Each patch in bench/mutants/ is one small,
# realistic bug (an off-by-one, a flipped comparison, a dropped statement, a wrong default) in
# the merge, the push, the pull, the capture triggers, local ids, retry or config. One at a
# time, it is applied to a scratch copy of the tree, built in that copy's own build directory,
# and the whole suite is run (ctest -j2 --timeout 180, 20 convergence seeds per half, stopping
# at the first failure). A mutant is KILLED when a test fails, and fails again when run once
# more (so that one flaky failure is not taken for a kill); it SURVIVED when the suite passes.
#
#   bash bench/mutants.sh [--work DIR] [--jobs N] [--seeds N] [--no-baseline] [NAME...]
#
# NAME selects the mutants whose file name contains it (default: all). The scratch copy lives
# in DIR (default build-mutants/, ignored by git); the working tree is never modified. The
# first run builds the copy from scratch (several minutes); each mutant then rebuilds what
# its file touches. Not run by CI: the whole run took 45 minutes on 2 cores (about a minute a mutant).
# Prints one verdict per mutant and the kill rate; writes them to DIR/results.txt too.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=$repo/build-mutants
jobs=2
seeds=20
baseline=1
names=()
while [ $# -gt 0 ]; do
  case "$1" in
    --work) work=$2; shift ;;
    --jobs) jobs=$2; shift ;;
    --seeds) seeds=$2; shift ;;
    --no-baseline) baseline=0 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) names+=("$1") ;;
  esac
  shift
done
mkdir -p "$work"
work=$(cd "$work" && pwd)
src=$work/src
build=$work/build
logs=$work/logs
results=$work/results.txt
mkdir -p "$src" "$logs"

mutants=()
for p in "$repo"/bench/mutants/*.patch; do
  base=$(basename "$p" .patch)
  if [ ${#names[@]} -eq 0 ]; then
    mutants+=("$p")
  else
    for n in "${names[@]}"; do
      if [[ $base == *"$n"* ]]; then mutants+=("$p"); break; fi
    done
  fi
done
[ ${#mutants[@]} -gt 0 ] || { echo "no mutant matches ${names[*]}" >&2; exit 2; }

# git apply, as a patch tool on the copy: never looking for a repository above it.
patch_copy() { (cd "$src" && GIT_CEILING_DIRECTORIES=$work git apply "$@"); }

applied=""
restore() {
  if [ -n "$applied" ]; then
    patch_copy -R "$applied" || echo "could not revert $applied in $src: delete $work" >&2
    applied=""
  fi
}
trap restore EXIT
trap 'exit 130' INT TERM

echo "mutation run of $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!build-mutants' || echo ' + uncommitted changes'), $(date -u '+%F %H:%M') UTC; ${#mutants[@]} mutants; scratch copy in $work"

# The copy: the tracked and untracked (not ignored) files of the working tree, as they are now.
# A file is copied only when its content differs, and then with a new time, so that exactly
# what changed is rebuilt (a file copied with its own older time would look older than its
# object and be skipped). The files the mutants touch are touched, so that a mutant compiled
# by an interrupted run is never left in the build.
stage=$work/stage
rm -rf "$stage"
mkdir -p "$stage"
git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C "$stage"
(cd "$stage" && find . -type f -print0) | while IFS= read -r -d '' f; do
  if ! cmp -s "$stage/$f" "$src/$f"; then
    mkdir -p "$(dirname "$src/$f")"
    cp "$stage/$f" "$src/$f"
  fi
done
rm -rf "$stage"
for p in "$repo"/bench/mutants/*.patch; do
  sed -n 's|^+++ b/||p' "$p" | while read -r f; do touch "$src/$f"; done
done

build_copy() {  # $1: log file
  cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCLEVERTIM_WERROR=ON >"$1" 2>&1 &&
    cmake --build "$build" -j"$jobs" >>"$1" 2>&1
}

# Runs the suite; prints the names of the tests that failed (nothing when all passed).
run_suite() {  # $1: log file, then extra ctest arguments
  local log=$1
  shift
  rm -f "$build/Testing/Temporary/LastTestsFailed.log"
  # -LE package: the Debian package's tests (tests/package) install it on this machine and
  # check packaging, not behaviour; no mutant here touches them.
  (cd "$build" && CLEVERTIM_CONVERGENCE_SEEDS=$seeds ctest -j"$jobs" --timeout 180 -LE package "$@") \
    >"$log" 2>&1 || true
  if [ -f "$build/Testing/Temporary/LastTestsFailed.log" ]; then
    sed 's/^[0-9]*://' "$build/Testing/Temporary/LastTestsFailed.log"
  fi
}

now() { date +%s; }

if [ "$baseline" = 1 ]; then
  echo "baseline: building the unmutated copy in $build"
  build_copy "$logs/baseline-build.log" || { echo "the unmutated tree does not build: see $logs/baseline-build.log" >&2; exit 1; }
  t0=$(now)
  failed=$(run_suite "$logs/baseline-tests.log")
  if [ -n "$failed" ]; then
    echo "the unmutated tree fails tests (every mutant would look killed):" >&2
    echo "$failed" >&2
    exit 1
  fi
  echo "baseline: the suite passes ($(( $(now) - t0 )) s)"
fi

: >"$results"
killed=0 survived=0 unbuilt=0 flaky=0 total=0
survivors=()
for p in "${mutants[@]}"; do
  name=$(basename "$p" .patch)
  total=$((total + 1))
  patch_copy "$p"
  applied=$p
  t0=$(now)
  if ! build_copy "$logs/$name-build.log"; then
    verdict="DID NOT BUILD (see $logs/$name-build.log)"
    unbuilt=$((unbuilt + 1))
  else
    t1=$(now)
    failed=$(run_suite "$logs/$name-tests.log" --stop-on-failure)
    if [ -z "$failed" ]; then
      verdict="SURVIVED"
      survived=$((survived + 1))
      survivors+=("$name")
    else
      again=$(run_suite "$logs/$name-rerun.log" --rerun-failed)
      if [ -n "$again" ]; then
        verdict="KILLED by $(echo "$again" | paste -sd ';' | sed 's/;/; /g')"
        killed=$((killed + 1))
      else
        verdict="FLAKY? ($(echo "$failed" | paste -sd ';') failed once, passed when run again; not counted as killed)"
        flaky=$((flaky + 1))
        survivors+=("$name")
      fi
    fi
    verdict="$verdict [build $((t1 - t0)) s, tests $(( $(now) - t1 )) s]"
  fi
  restore
  line="$name: $verdict"
  echo "$line" | tee -a "$results"
done

built=$((total - unbuilt))
rate="n/a"
if [ "$built" -gt 0 ]; then rate="$((100 * killed / built))%"; fi
{
  echo "----"
  echo "mutants: $total; killed $killed of $built built ($rate); survived $survived; flaky $flaky; did not build $unbuilt"
  if [ ${#survivors[@]} -gt 0 ]; then echo "not killed: ${survivors[*]}"; fi
} | tee -a "$results"
