#!/usr/bin/env bash
# The Debian package, end to end, on this machine (CI runs as root):
#   check_package.sh BUILD_DIR SOURCE_DIR
#  1. builds it with the README's command (cmake --build BUILD_DIR --target package); every
#     package of its computed Depends: is named, with its licence, in packaging/copyright;
#  2. lintian: no error and no warning (none is overridden; README.md, "Install", says why
#     the informational tags that remain are kept);
#  3. the README's install section, tested on a staging install: `DESTDIR=stage cmake
#     --install BUILD_DIR`; every path the section names is there (or, for what the
#     administrator or systemd makes, its folder), and the .deb holds exactly the staged files;
#  4. dpkg -i (and again: an edit of the conffile survives); `clevertim-sync version`; `man -w` of both pages; the completion loads through
#     bash-completion's loader; systemd-analyze verify and security (at most 2.0) on the
#     installed units;
#  5. the one-shot service's ExecStart=, read from the installed unit and run as it is with the
#     installed configuration, against the emulator on loopback. Without systemd, the two
#     things it would provide are given by hand: the token as the credential file
#     $CREDENTIALS_DIRECTORY/token (what LoadCredential= makes), and, since no StateDirectory=
#     is made here, --database in a temporary folder; --url points at the emulator. Then
#     `verify` says the mirror equals the emulator's account;
#  5b. the backup service's ExecStartPre= and `sh -c` script (specifiers resolved as systemd
#     would) on that mirror, with 15 older backups in its folder: today's is made, 14 kept;
#  6. dpkg --purge, with a token file and `systemctl enable`'s links made first: the links go,
#     the token stays (README.md: purge keeps what the administrator made, and the state in
#     /var/lib), and nothing of the package is left.
# Exits 77 (skipped) when not root, when dpkg, lintian or systemd-analyze is missing, when the
# build folder was configured with another prefix than /usr (an old one), or when
# clevertim-sync is installed or /etc/clevertim-sync exists (the test would change a real setup).
set -uo pipefail

build=$(cd "${1:?usage: check_package.sh BUILD_DIR SOURCE_DIR}" && pwd) || exit 1
src=$(cd "${2:?the source folder}" && pwd) || exit 1

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "dpkg -i needs root (CI runs as root)"
for tool in dpkg dpkg-deb lintian systemd-analyze man; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (bash scripts/install-deps.sh)"
done
if dpkg-query -W -f='${Status}' clevertim-sync 2>/dev/null | grep -q 'install ok'; then
  skip "clevertim-sync is installed on this machine; the test would purge it"
fi
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
[ "$prefix" = /usr ] ||
  skip "$build installs into '$prefix', not /usr (the default of a new build folder since the package); reconfigure it with -DCMAKE_INSTALL_PREFIX=/usr"
[ -e /etc/clevertim-sync ] && skip "/etc/clevertim-sync exists (an installation by hand?); the test would change it"

failed=0
fail() { echo "FAIL: $*"; failed=1; }
step() { echo "== $*"; }
work=$(mktemp -d) || exit 1
emulator_pid=""
cleanup() {
  [ -n "$emulator_pid" ] && kill "$emulator_pid" 2>/dev/null
  # Never leave the package behind, whatever failed.
  dpkg-query -W -f='${Status}' clevertim-sync 2>/dev/null | grep -q 'installed' &&
    dpkg --purge clevertim-sync >/dev/null 2>&1
  rm -f /etc/clevertim-sync/token "${links[@]}"
  rmdir /etc/clevertim-sync "${made_dirs[@]}" 2>/dev/null
  rm -rf "$work"
}
links=()
made_dirs=()
trap cleanup EXIT

step "1. cmake --build $build --target package"
rm -f "$build"/clevertim-sync_*.deb
cmake --build "$build" --target package >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log"; echo "FAIL: the package was not built"; exit 1; }
debs=("$build"/clevertim-sync_*.deb)
[ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || { echo "FAIL: no single .deb in $build"; exit 1; }
deb=${debs[0]}
echo "built $deb"
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
# Every library the package depends on has its licence stated in the copyright file.
for package in $(printf '%s\n' "$depends" | tr ',' '\n' | sed 's/(.*//; s/|.*//' | tr -d ' '); do
  grep -q -- "$package (" "$src/packaging/copyright" ||
    fail "packaging/copyright does not name $package, a dependency, with its licence"
done

step "2. lintian"
lintian --fail-on error,warning "$deb" 2>&1 | grep -v '^running with root privileges'
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "lintian found errors or warnings"

step "3. the README's install section against a staging install"
DESTDIR="$work/stage" cmake --install "$build" >/dev/null || fail "cmake --install to a staging directory"
section=$(awk '/^## Install/ { on = 1; next } /^## / { on = 0 } on' "$src/README.md")
[ -n "$section" ] || fail "README.md has no '## Install' section"
paths=$(printf '%s\n' "$section" | grep -oE '/(etc|usr|lib|var)/[A-Za-z0-9_.@%/-]*[A-Za-z0-9_@/]' | sort -u)
n=0
for path in $paths; do
  n=$((n + 1))
  case $path in
    /var/lib/*) continue ;;  # made by systemd (StateDirectory=) when a unit runs
    *ACCOUNT* | *acme* | /etc/clevertim-sync/token)
      # Made by the administrator: the folder it goes in must be the package's.
      [ -d "$work/stage$(dirname "$path")" ] ||
        fail "README names $path, whose folder $(dirname "$path") the package does not make" ;;
    *)
      [ -e "$work/stage$path" ] || fail "README names $path, which the package does not install" ;;
  esac
done
echo "paths named by the README's install section: $n"
named=$(printf '%s\n' "$section" | grep -oE 'apt install \./build/clevertim-sync_[^ ]*\.deb' | head -n 1)
[ "$named" = "apt install ./build/$(basename "$deb")" ] ||
  fail "README says '$named', but the package is build/$(basename "$deb")"
[ "$n" -ge 10 ] || fail "only $n paths found in the README's install section"
(cd "$work/stage" && find . -mindepth 1 ! -type d | sed 's|^\./|/|' | sort) >"$work/staged"
dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { print $6 }' | sed 's|^\./|/|' | sort >"$work/packaged"
diff -u "$work/staged" "$work/packaged" || fail "the .deb does not hold exactly the staged files"
grep -q emulator "$work/packaged" && fail "the emulator is in the package: $(grep emulator "$work/packaged")"

step "4. dpkg -i"
dpkg -i "$deb" || { echo "FAIL: dpkg -i"; exit 1; }
dpkg -L clevertim-sync | sort >"$work/files"
grep -qx /etc/clevertim-sync/clevertim-sync.toml /var/lib/dpkg/info/clevertim-sync.conffiles ||
  fail "/etc/clevertim-sync/clevertim-sync.toml is not a conffile"
# An administrator's edit survives installing the package again (an upgrade likewise).
echo '# edited by the administrator' >>/etc/clevertim-sync/clevertim-sync.toml
dpkg -i "$deb" >/dev/null || fail "dpkg -i a second time"
tail -n 1 /etc/clevertim-sync/clevertim-sync.toml | grep -qx '# edited by the administrator' ||
  fail "installing the package again lost the edit of the configuration"
sed -i '$d' /etc/clevertim-sync/clevertim-sync.toml
installed_version=$(/usr/bin/clevertim-sync version) || fail "clevertim-sync version"
[ "$installed_version" = "$("$build/daemon/clevertim-sync" version)" ] ||
  fail "the installed clevertim-sync says '$installed_version'"
echo "$installed_version"
[ "$(man -w clevertim-sync)" = /usr/share/man/man1/clevertim-sync.1.gz ] || fail "man -w clevertim-sync"
[ "$(man -w 5 clevertim-sync.toml)" = /usr/share/man/man5/clevertim-sync.toml.5.gz ] ||
  fail "man -w 5 clevertim-sync.toml"
if [ -f /usr/share/bash-completion/bash_completion ]; then
  bash -c 'source /usr/share/bash-completion/bash_completion; __load_completion clevertim-sync;
           complete -p clevertim-sync' || fail "bash-completion does not load the completion"
else
  fail "bash-completion is not installed (bash scripts/install-deps.sh)"
fi
units=(/lib/systemd/system/clevertim-sync.service /lib/systemd/system/clevertim-sync-once.service
       /lib/systemd/system/clevertim-sync-backup.service /lib/systemd/system/clevertim-sync-once.timer
       /lib/systemd/system/clevertim-sync-backup.timer)
export SYSTEMD_LOG_LEVEL=warning SYSTEMD_LOG_COLOR=0 SYSTEMD_PAGER=cat SYSTEMD_COLORS=0
# A template is verified as one of its instances (an instance name resolves to it).
out=$(systemd-analyze verify --man=no --recursive-errors=one "${units[@]}" clevertim-sync@check.service 2>&1)
rc=$?
[ $rc -eq 0 ] && [ -z "$out" ] || { printf '%s\n' "$out"; fail "systemd-analyze verify (exit $rc)"; }
for unit in clevertim-sync.service clevertim-sync-once.service clevertim-sync-backup.service \
            clevertim-sync@check.service; do
  out=$(systemd-analyze security --offline=true --threshold=20 "$unit" 2>&1)
  rc=$?
  score=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
  if [ $rc -ne 0 ] || [ -z "$score" ]; then
    printf '%s\n' "$out" | tail -3
    fail "$unit: exposure ${score:-unknown} (at most 2.0)"
  else
    echo "$unit: exposure $score"
  fi
done

step "5. clevertim-sync-once.service's ExecStart= against the emulator"
exec_start=$(sed -n 's/^ExecStart=//p' /lib/systemd/system/clevertim-sync-once.service)
echo "ExecStart=$exec_start"
"$build/emulator/clevertim-emulator" --sample 20 --port 0 --port-file "$work/port" --quiet \
  >"$work/emulator.log" 2>&1 &
emulator_pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { cat "$work/emulator.log"; echo "FAIL: the emulator did not start"; exit 1; }
url="http://127.0.0.1:$(cat "$work/port")/api"
mkdir -m 700 "$work/credentials" "$work/state"
(umask 077 && printf 'test-token\n' >"$work/credentials/token")
# The command line exactly as the unit has it (no quoting in it to honour), then the overrides.
read -ra command <<<"$exec_start"
CREDENTIALS_DIRECTORY="$work/credentials" "${command[@]}" --url "$url" \
  --database "$work/state/crm.db" >"$work/sync.log" 2>&1
rc=$?
[ $rc -eq 0 ] || { cat "$work/sync.log"; fail "the one-shot service's command exited $rc"; }
CREDENTIALS_DIRECTORY="$work/credentials" /usr/bin/clevertim-sync verify --url "$url" \
  --database "$work/state/crm.db" >"$work/verify.log" 2>&1 ||
  { cat "$work/verify.log"; fail "verify: the mirror differs from the emulator's account"; }
[ $rc -eq 0 ] && echo "sync exited 0, and verify finds the mirror equal to the account"
kill "$emulator_pid" && wait "$emulator_pid" 2>/dev/null
emulator_pid=""

step "5b. clevertim-sync-backup.service's ExecStart= on that mirror, 15 older backups there"
# Its `sh -c` script with the specifiers systemd would resolve (%S the state root, %% and $$
# a literal % and $), and the installed configuration swapped for a copy whose
# storage.database is the mirror of step 5.
script=$(sed -n "s/^ExecStart=\/bin\/sh -c '\(.*\)'$/\1/p" /lib/systemd/system/clevertim-sync-backup.service)
[ -n "$script" ] || fail "clevertim-sync-backup.service's ExecStart= is not /bin/sh -c '...'"
sed "s|^database = .*|database = \"$work/state/crm.db\"|" /etc/clevertim-sync/clevertim-sync.toml \
  >"$work/backup.toml"
script=${script//%S/$work/state}
script=${script//\/etc\/clevertim-sync\/clevertim-sync.toml/$work/backup.toml}
script=${script//%%/%}
script=${script//\$\$/\$}
mkdir -m 700 "$work/state/clevertim-sync"  # StateDirectory=
pre=$(sed -n 's/^ExecStartPre=//p' /lib/systemd/system/clevertim-sync-backup.service)
read -ra pre <<<"${pre//%S/$work/state}"
"${pre[@]}" || fail "the backup unit's ExecStartPre= failed: ${pre[*]}"
for day in $(seq -w 1 15); do
  gzip -c </dev/null >"$work/state/clevertim-sync/backups/crm-2026-01-$day.db.gz"
done
sh -c "$script" >"$work/backup.log" 2>&1 || { cat "$work/backup.log"; fail "the backup command failed"; }
today="$work/state/clevertim-sync/backups/crm-$(date +%F).db.gz"
[ -s "$today" ] || fail "no backup $today"
kept=$(find "$work/state/clevertim-sync/backups" -name 'crm-*.db.gz' | wc -l)
[ "$kept" -eq 14 ] || fail "$kept backups kept, not 14"
[ -s "$today" ] && [ "$kept" -eq 14 ] && echo "today's backup made, 14 kept of 16"

step "6. dpkg --purge"
# What an administrator adds, that the README says purge treats so: the token (kept) and the
# links of `systemctl enable` (removed; made here by hand, as no systemd runs).
(umask 077 && printf 'a token\n' >/etc/clevertim-sync/token)
for link in multi-user.target.wants/clevertim-sync.service:clevertim-sync.service \
            multi-user.target.wants/clevertim-sync@acme.service:clevertim-sync@.service \
            timers.target.wants/clevertim-sync-backup.timer:clevertim-sync-backup.timer; do
  dir=/etc/systemd/system/$(dirname "${link%%:*}")
  [ -d "$dir" ] || { mkdir -p "$dir" && made_dirs+=("$dir"); }
  ln -s "/lib/systemd/system/${link#*:}" "/etc/systemd/system/${link%%:*}"
  links+=("/etc/systemd/system/${link%%:*}")
done
dpkg --purge clevertim-sync || fail "dpkg --purge"
dpkg-query -W -f='${Status}\n' clevertim-sync 2>/dev/null | grep -q 'config-files\|installed' &&
  fail "dpkg still knows clevertim-sync after the purge"
for link in "${links[@]}"; do
  [ -L "$link" ] && fail "the purge left the link $link"
done
[ -f /etc/clevertim-sync/token ] || fail "the purge removed the administrator's token file"
rm -f /etc/clevertim-sync/token
left=0
while read -r path; do
  if [ -d "$path" ]; then
    # Folders shared with other packages (/usr/bin...) stay; the package's own must go.
    [[ $path == *clevertim-sync* ]] && [ "$path" != /etc/clevertim-sync ] && { echo "left: $path"; left=1; }
  elif [ -e "$path" ] || [ -L "$path" ]; then
    echo "left: $path"
    left=1
  fi
done <"$work/files"
[ $left -eq 0 ] || fail "the purge left files of the package"
rmdir /etc/clevertim-sync 2>/dev/null
[ ! -e /etc/clevertim-sync ] || fail "the purge left more than the token in /etc/clevertim-sync: $(ls -A /etc/clevertim-sync)"
[ $failed -eq 0 ] && echo "purged: the enable links went, the token stayed, nothing else is left"

[ $failed -eq 0 ] && echo "OK: the package builds, passes lintian, installs, runs and purges cleanly"
exit $failed
