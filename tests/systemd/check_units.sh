#!/bin/sh
# Checks the generated systemd units (see systemd/install.cmake):
#   check_units.sh verify   TEST_DIR INSTALL_DIR
#   check_units.sh security TEST_DIR [MAX_EXPOSURE_TENTHS]
# TEST_DIR holds the test copies (ExecStart= is the build's own binary), INSTALL_DIR the
# copies `cmake --install` installs. Exits 77 (ctest SKIP_RETURN_CODE) when systemd-analyze is
# not installed, 1 on any finding. $SYSTEMD_ANALYZE names another systemd-analyze to use.
#
# verify: `systemd-analyze verify` logs problems it can live with (an unknown key, a value it
# cannot parse) as warnings and still exits 0, so here any output at all is a failure: with
# these units and systemd 252 it prints nothing. The host's own units are loaded (the targets
# the units are ordered against, and sysinit.target every service depends on) but only their
# direct errors count (--recursive-errors=one), so an unrelated broken unit on the machine
# cannot fail the test. --man=no: no man page lookups. verify does not check that a timer's
# Unit= exists, so that is checked here.
#
# security: `--threshold=` takes an integer in tenths of the printed exposure (2.0 -> 20;
# "2.0" is rejected by systemd 252 as unparsable) and fails when a unit is above it.
set -u

mode=${1:?usage: check_units.sh verify|security TEST_DIR ...}
test_dir=${2:?the folder of the test units}

services="clevertim-sync.service clevertim-sync-once.service clevertim-sync-backup.service"
template="clevertim-sync@.service"
timers="clevertim-sync-once.timer clevertim-sync-backup.timer"

analyze=${SYSTEMD_ANALYZE:-systemd-analyze}
if ! command -v "$analyze" >/dev/null 2>&1; then
  echo "SKIP: $analyze is not installed (Debian: apt-get install systemd); units not checked"
  exit 77
fi
"$analyze" --version | head -n 1

# Deterministic output: warnings and errors only, no colours, no pager, to the console.
SYSTEMD_LOG_LEVEL=warning
SYSTEMD_LOG_COLOR=0
SYSTEMD_LOG_TARGET=console
SYSTEMD_PAGER=cat
SYSTEMD_COLORS=0
export SYSTEMD_LOG_LEVEL SYSTEMD_LOG_COLOR SYSTEMD_LOG_TARGET SYSTEMD_PAGER SYSTEMD_COLORS

absolute() { (cd "$1" && pwd); }
test_dir=$(absolute "$test_dir") || exit 1
if [ "$mode" = verify ]; then
  install_dir=$(absolute "${3:?the folder of the units to install}") || exit 1
fi
cd "$test_dir" || exit 1
for unit in $services $template $timers; do
  [ -f "$unit" ] || { echo "FAIL: $test_dir/$unit was not generated (re-run cmake)"; exit 1; }
done

case $mode in
verify)
  failed=0
  for unit in $services $template; do
    exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$unit")
    if [ ! -x "$exe" ]; then
      echo "FAIL: $unit: ExecStart=$exe does not exist; build the clevertim-sync target first"
      failed=1
    fi
    # The test copy must be the installed unit but for ExecStart='s binary.
    tmp=$(mktemp -d) || exit 1
    grep -v '^ExecStart=' "$install_dir/$unit" > "$tmp/installed" 2>/dev/null
    grep -v '^ExecStart=' "$unit" > "$tmp/test"
    if [ ! -s "$tmp/installed" ] || ! diff -u "$tmp/installed" "$tmp/test"; then
      echo "FAIL: $unit: the test copy differs from $install_dir/$unit beyond ExecStart="
      failed=1
    fi
    rm -rf "$tmp"
  done
  for timer in $timers; do
    target=$(sed -n 's/^Unit=//p' "$timer")
    if [ -z "$target" ] || [ ! -f "$target" ]; then
      echo "FAIL: $timer: Unit=$target is not one of the generated units"
      failed=1
    fi
  done
  [ $failed -eq 0 ] || exit 1

  # A template cannot be verified as such: an instance of it can (its own file, same text).
  instance_dir=$(mktemp -d) || exit 1
  trap 'rm -rf "$instance_dir"' EXIT
  cp "$template" "$instance_dir/clevertim-sync@check.service"
  echo "systemd-analyze verify --man=no --recursive-errors=one $services $timers clevertim-sync@check.service"
  out=$("$analyze" verify --man=no --recursive-errors=one $services $timers \
        "$instance_dir/clevertim-sync@check.service" 2>&1)
  rc=$?
  if [ $rc -ne 0 ] || [ -n "$out" ]; then
    printf '%s\n' "$out"
    echo "FAIL: systemd-analyze verify: exit code $rc, and it must print nothing"
    exit 1
  fi
  echo "OK: verify printed nothing and exited 0"
  ;;
security)
  max=${3:-20}
  failed=0
  instance_dir=$(mktemp -d) || exit 1
  trap 'rm -rf "$instance_dir"' EXIT
  cp "$template" "$instance_dir/clevertim-sync@check.service"
  for unit in $services "$instance_dir/clevertim-sync@check.service"; do
    out=$("$analyze" security --offline=true --threshold="$max" "$unit" 2>&1)
    rc=$?
    score=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
    if [ $rc -ne 0 ] || [ -z "$score" ]; then
      printf '%s\n' "$out"
      echo "FAIL: $unit: exposure ${score:-unknown}, above the limit of $max tenths (or not measured)"
      failed=1
    else
      # What keeps the exposure above 0 ("✗", or "-" in a non-UTF-8 locale).
      printf '%s\n' "$out" | grep -e '^✗' -e '^- ' || true
      echo "OK: $unit: exposure $score (limit: $max tenths)"
    fi
  done
  exit $failed
  ;;
*)
  echo "unknown mode $mode (verify or security)"
  exit 2
  ;;
esac
