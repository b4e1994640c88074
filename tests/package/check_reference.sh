#!/usr/bin/env bash
# The man pages and the bash completion against what they describe (packaging/reference.cmake
# makes them):
#   check_reference.sh CLEVERTIM_SYNC REFERENCE_DIR EXAMPLE_CONFIG SOURCE_DIR
# - every command and every flag of every command that `clevertim-sync --help-all` (CLI11's
#   own help) lists is in clevertim-sync(1), in that command's section, and is completed by
#   bash for that command; every exit code of its --help is in EXIT STATUS;
# - every key of the example configuration is in clevertim-sync.toml(5);
# - every environment variable the sources read (getenv) is in clevertim-sync(1);
# - both pages format without a warning (as lintian runs man);
# - the completion offers undelete's resources and, for resolve, the ids that
#   `clevertim-sync conflicts` prints (a stub stands for the program, so no mirror is needed),
#   passing it the --config and --database already typed.
set -uo pipefail

bin=${1:?usage: check_reference.sh CLEVERTIM_SYNC REFERENCE_DIR EXAMPLE_CONFIG SOURCE_DIR}
ref=${2:?the folder of the generated pages}
example=${3:?the example configuration}
src=${4:?the source folder}
page1=$ref/clevertim-sync.1
page5=$ref/clevertim-sync.toml.5
completion=$ref/clevertim-sync
failed=0
fail() { echo "FAIL: $*"; failed=1; }

for f in "$page1" "$page5" "$completion"; do
  [ -s "$f" ] || { echo "FAIL: $f was not generated (build the clevertim-reference target)"; exit 1; }
done

# "command flag" pairs from --help-all; "_" stands for the global flags.
pairs=$("$bin" --help-all | awk '
  /^Subcommands:/ { sub_ = 1; next }
  !sub_ && /^  -/ { n = split($1, names, ","); for (i = 1; i <= n; i++) print "_", names[i] }
  sub_ && /^[a-z][a-z0-9-]*$/ { cmd = $1; print cmd, ""; next }
  sub_ && /^    -/ { n = split($1, names, ","); for (i = 1; i <= n; i++) print cmd, names[i] }' |
  sed 's/[=:].*//')
[ -n "$pairs" ] || { echo "FAIL: no command read from $bin --help-all"; exit 1; }
commands=$(printf '%s\n' "$pairs" | awk '$1 != "_" { print $1 }' | sort -u)
echo "commands: $(echo $commands)"

# The roff text of one section: a command's (.SS "cmd ...") or the global flags.
section() {
  if [ "$1" = _ ]; then
    awk '/^\.SH GLOBAL FLAGS/ { on = 1; next } /^\.SH/ { on = 0 } on' "$page1"
  else
    awk -v c="$1" '$0 ~ "^\\.SS \"" c "( |\")" { on = 1; next } /^\.S[SH]/ { on = 0 } on' "$page1"
  fi
}
roff() { printf '%s' "$1" | sed 's/-/\\-/g'; }

source "$completion" || fail "$completion does not load in bash"
complete -p clevertim-sync >/dev/null 2>&1 || fail "the completion does not register for clevertim-sync"
complete_words() {  # complete_words WORD... : what Tab offers for the last word
  COMP_WORDS=(clevertim-sync "$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMPREPLY=()
  _clevertim_sync
  printf ' %s ' "${COMPREPLY[@]}"
}

checked=0
while read -r cmd flag; do
  if [ -z "$flag" ]; then
    section "$cmd" | grep -q . || fail "clevertim-sync(1) has no section for the command $cmd"
    [[ $(complete_words "") == *" $cmd "* ]] || fail "bash does not complete the command $cmd"
    continue
  fi
  [[ $flag == --help || $flag == -h || $flag == --help-all ]] && [ "$cmd" != _ ] && continue
  section "$cmd" | grep -qF "\\fB$(roff "$flag")\\fR" ||
    fail "clevertim-sync(1) does not document $flag of ${cmd/#_/the global flags}"
  if [ "$cmd" = _ ]; then
    [[ $(complete_words "$flag") == *" $flag "* ]] || fail "bash does not complete the global flag $flag"
  else
    [[ $(complete_words "$cmd" "$flag") == *" $flag "* ]] || fail "bash does not complete $flag after $cmd"
  fi
  checked=$((checked + 1))
done <<< "$pairs"
echo "flags checked in clevertim-sync(1) and the completion: $checked"

# Every exit code of --help's table, in EXIT STATUS.
codes=$("$bin" --help | sed -n 's/^  \([0-9][0-9]*\)  .*/\1/p')
[ -n "$codes" ] || fail "no exit code read from $bin --help"
exit_status=$(awk '/^\.SH EXIT STATUS/ { on = 1; next } /^\.SH/ { on = 0 } on' "$page1")
for code in $codes; do
  grep -qxF "\\fB$code\\fR" <<<"$exit_status" || fail "clevertim-sync(1) does not document exit code $code"
done
echo "exit codes checked in clevertim-sync(1): $(echo $codes)"

# Every key of the example, as SECTION.KEY.
keys=$(awk '/^\[[A-Za-z0-9_.-]+\]/ { s = substr($1, 2, length($1) - 2) "."; next }
            /^[A-Za-z0-9_]+[ \t]*=/ { k = $1; sub(/=.*/, "", k); print s k }' "$example")
for key in $keys; do
  grep -qF "\\fB$(roff "$key")\\fR" "$page5" || fail "clevertim-sync.toml(5) does not document $key"
done
echo "keys checked in clevertim-sync.toml(5): $(echo "$keys" | wc -w)"

for name in $(grep -rhoE 'getenv\("[A-Z_]+"\)' "$src"/config "$src"/daemon "$src"/sync "$src"/storage |
              sed 's/getenv("\(.*\)")/\1/' | sort -u); do
  grep -qF "$(roff "$name")" "$page1" || fail "clevertim-sync(1) does not name the environment variable $name"
done

for page in "$page1" "$page5"; do
  out=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 >/dev/null)
  [ -z "$out" ] || fail "$page: man --warnings: $out"
done

# Dynamic values: undelete's resources, resolve's conflict ids from a stub of the program.
[[ $(complete_words undelete co) == " contact  company  comment " ]] ||
  fail "undelete co completes to '$(complete_words undelete co)', not contact company comment"
stub=$(mktemp -d) || exit 1
trap 'rm -rf "$stub"' EXIT
cat > "$stub/clevertim-sync" <<'STUB'
#!/bin/sh
echo "$*" > "$(dirname "$0")/args"
printf '#7 contact 73 [city], detected 2026-12-01\n    city: base a, here b, CRM c\n#12 company 4 [name], detected 2026-12-01\n'
STUB
chmod +x "$stub/clevertim-sync"
ids=$(PATH="$stub:$PATH" complete_words --config /x.toml resolve "")
[ "$ids" = " 7  12 " ] || fail "resolve completes to '$ids', not the ids 7 and 12"
[ "$(cat "$stub/args" 2>/dev/null)" = "--config /x.toml conflicts" ] ||
  fail "the completion ran '$(cat "$stub/args" 2>/dev/null)', not '--config /x.toml conflicts'"
[[ $(complete_words resolve 7 "") == " local  remote " ]] || fail "resolve ID does not complete to local remote"

[ $failed -eq 0 ] && echo "OK: every command, flag, key and variable is documented and completed"
exit $failed
