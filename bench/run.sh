#!/usr/bin/env bash
# The benchmark: pull and push against the emulator on this machine, each beside references
# measured in the same run: curl downloading the same bodies from the emulator and, the
# physical floor, from nginx serving them as static files (clevertim-sync reads them from nginx
# too, so that one ratio is its own cost alone); a do-it-yourself Python sync (bench/diy_sync.py)
# doing the same pull; the emulator's own request rate for the push.
#   bash bench/run.sh [--quick | --large] [--build DIR] [--out DIR]
# --large adds a fourth account of about 1M elements (350 MB of bodies; several minutes more).
# Prints a table and writes results.json. Loopback only; everything started is stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build
out=build/bench
sizes=(2800 14000 70000)          # --sample N: about 10k, 50k and 250k elements
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) sizes=(2800) ;;
    --large) sizes+=(280000) ;;
    --build) build=$2; shift ;;
    --out) out=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
bash scripts/install-deps.sh
command -v /usr/bin/time >/dev/null || apt-get install -y -qq time >/dev/null
command -v nginx >/dev/null || apt-get install -y -qq nginx-light >/dev/null
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j2 --target clevertim-sync clevertim-emulator >/dev/null
mkdir -p "$out"
sync_bin=$build/daemon/clevertim-sync
emu_bin=$build/emulator/clevertim-emulator

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
token=bench-$RANDOM$RANDOM
printf '%s\n' "$token" >"$work/token"
chmod 600 "$work/token"
printf 'user = "%s:X"\n' "$token" >"$work/curl.conf"

now() { date +%s.%N; }
elapsed() { python3 -c "print(f'{$2 - $1:.3f}')"; }
median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }

# --no-cache: the emulator serializes every read-all afresh, as a server does, so that curl and
# each sync pay the server the same (with its cache warm, the first download would pay for all).
start_emulator() {  # $1: sample size
  "$emu_bin" --port 0 --sample "$1" --no-cache --token-file "$work/token" --quiet >"$work/emu.out" 2>/dev/null &
  emu_pid=$!
  pids+=("$emu_pid")
  for _ in $(seq 200); do grep -q 'listening on' "$work/emu.out" && break; sleep 0.05; done
  url=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$work/emu.out")
}
stop_emulator() { kill "$emu_pid"; wait "$emu_pid" 2>/dev/null || true; }

# The floor: the emulator's own read-all bodies, saved once, served by nginx as static files on
# loopback (sendfile, no serializing at all); curl downloads them as it downloads from the
# emulator. Sets static_url.
start_static() {  # $1: a folder holding api/<resource> files; $2: the port (default: a free one)
  local port=${2:-}
  [ -n "$port" ] ||
    port=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
  static_port=$port
  mkdir -p "$work/nginx"
  cat >"$work/nginx/nginx.conf" <<NGINX
user root;
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 64; }
http {
  access_log off;
  sendfile on;
  default_type application/json;
  client_body_temp_path $work/nginx;
  proxy_temp_path $work/nginx;
  fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx;
  scgi_temp_path $work/nginx;
  server { listen 127.0.0.1:$port; root $1; }
}
NGINX
  nginx -c "$work/nginx/nginx.conf" &
  static_pid=$!
  pids+=("$static_pid")
  static_url="http://127.0.0.1:$port/api"
  for _ in $(seq 100); do curl -s -o /dev/null "$static_url/contact" && break; sleep 0.05; done
}
stop_static() { kill "$static_pid"; wait "$static_pid" 2>/dev/null || true; }

write_config() {  # $1: database, $2: the server's URL (the emulator's by default)
  cat >"$work/bench.toml" <<TOML
log_level = "warn"
[server]
url = "${2:-$url}"
token_file = "$work/token"
[storage]
database = "$1"
[sync]
interval = "1h"
TOML
}

# Runs clevertim-sync sync under /usr/bin/time; sets secs and rss_kb.
timed_sync() {
  local t0 t1
  t0=$(now)
  /usr/bin/time -f '%M' -o "$work/rss" "$sync_bin" --config "$work/bench.toml" sync "$@" >"$work/sync.out" 2>&1 || true
  t1=$(now)
  secs=$(elapsed "$t0" "$t1")
  rss_kb=$(tail -1 "$work/rss")
}

# The short figures (the floor, re-syncs, the sync after a change) are each the median of five
# runs: one run of a tenth of a second on a shared 2-core virtual machine can be 30% off, and a
# median of three still moved a ratio across its target between two runs.
short_runs=5
timed_sync_median() {  # as timed_sync, short_runs times: secs the median, rss_kb the largest
  local runs=() peak=0
  for _ in $(seq "$short_runs"); do
    timed_sync "$@"
    runs+=("$secs")
    [ "$rss_kb" -gt "$peak" ] && peak=$rss_kb
  done
  secs=$(median "${runs[@]}")
  rss_kb=$peak
}
timed_curl_median() {  # curl's arguments; secs the median of short_runs downloads, got_bytes their size
  local runs=() t0 t1
  for _ in $(seq "$short_runs"); do
    t0=$(now)
    got_bytes=$(curl -s -w '%{size_download}\n' "$@" | awk '{s+=$1} END {print s}')
    t1=$(now)
    runs+=("$(elapsed "$t0" "$t1")")
  done
  secs=$(median "${runs[@]}")
}

count_elements() {  # $1: a mirror
  sqlite3 "$1" "SELECT (SELECT count(*) FROM contacts)+(SELECT count(*) FROM companies)+(SELECT count(*) FROM cases)+(SELECT count(*) FROM opportunities)+(SELECT count(*) FROM tasks)+(SELECT count(*) FROM notes)+(SELECT count(*) FROM comments)+(SELECT count(*) FROM custom_fields)+(SELECT count(*) FROM users)+(SELECT count(*) FROM groups)"
}

resources=(contact company case opportunity task note comment customfield user group)
json="["
# Columns: the account; curl from the emulator and from nginx; clevertim-sync from the emulator
# (first sync, unchanged re-sync; x curl from the emulator) and from nginx (x curl from nginx,
# the floor); a sync after 1% of the contacts changed, from the emulator and from nginx (x the
# floor); the peak RSS of all of them; the DIY script.
printf '%-9s %9s %8s %8s %9s %8s %9s %8s %9s %8s %9s %8s %9s %9s %8s %8s %9s %9s %8s %8s\n' elements bytes curl_s static_s \
  full_s xcurl resync_s xcurl ng_full_s xstatic ng_resync xstatic changed_s ng_chang xstatic rss_MiB rows_resync py_full_s py_resync py_rss
for n in "${sizes[@]}"; do
  start_emulator "$n"
  # The static copy of this account, and curl's time against it.
  mkdir -p "$work/static-$n/api"
  for r in "${resources[@]}"; do curl -s -K "$work/curl.conf" -o "$work/static-$n/api/$r" "$url/$r"; done
  start_static "$work/static-$n"
  sargs=()
  for r in "${resources[@]}"; do sargs+=("$static_url/$r" -o /dev/null); done
  curl -s "${sargs[@]}"  # once to warm the page cache, as the emulator's data is warm in memory
  timed_curl_median "${sargs[@]}"
  static_s=$secs
  static_bytes=$got_bytes
  # The sync from the same static files (a fresh mirror, then again unchanged): the same server
  # as the floor, so that the ratio is the client's own cost.
  write_config "$work/static-$n.db" "$static_url"
  timed_sync
  ng_full_s=$secs
  ng_full_rss=$rss_kb
  timed_sync_median
  ng_resync_s=$secs
  ng_resync_rss=$rss_kb
  sqlite3 "$work/static-$n.db" ".backup '$work/static-$n.unchanged.db'"
  unchanged_port=$static_port
  stop_static
  # Reference: curl downloading every collection, one connection, as the pull does.
  args=()
  for r in "${resources[@]}"; do args+=("$url/$r" -o /dev/null); done
  timed_curl_median -K "$work/curl.conf" "${args[@]}"
  curl_s=$secs
  bytes=$got_bytes
  db="$work/crm-$n.db"
  write_config "$db"
  timed_sync
  full_s=$secs
  full_rss=$rss_kb
  elements=$(count_elements "$db")
  [ "$(count_elements "$work/static-$n.db")" = "$elements" ] ||
    { echo "the sync from nginx stored $(count_elements "$work/static-$n.db") elements, from the emulator $elements" >&2; exit 1; }
  timed_sync_median
  resync_s=$secs
  resync_rss=$rss_kb
  resync_rows=$(sqlite3 "$db" "SELECT pulled FROM sync_runs ORDER BY id DESC LIMIT 1")
  # 1% of the contacts changed "in the web app".
  changes=$(( n / 100 ))
  for id in $(sqlite3 "$db" "SELECT id FROM contacts ORDER BY id LIMIT $changes"); do
    curl -s -K "$work/curl.conf" -X PUT -d '{"city":"Bench"}' -o /dev/null \
      "${url%/api}/_emulator/web/contact/$id"
  done
  timed_sync
  changed_s=$secs
  changed_rss=$rss_kb
  # The same change from nginx: the changed account's bodies saved as files, and the mirror
  # synced from the unchanged files brought up to date from them (the client's own cost again),
  # at the same address (the mirror knows its account by it).
  mkdir -p "$work/changed-$n/api"
  for r in "${resources[@]}"; do curl -s -K "$work/curl.conf" -o "$work/changed-$n/api/$r" "$url/$r"; done
  start_static "$work/changed-$n" "$unchanged_port"
  write_config "$work/static-$n.db" "$static_url"
  runs=()
  for _ in $(seq "$short_runs"); do  # each time from the unchanged mirror
    rm -f "$work/static-$n.db-wal" "$work/static-$n.db-shm"
    cp "$work/static-$n.unchanged.db" "$work/static-$n.db"
    sync  # the copy on disk now: else the sync's own checkpoint flushes it (80 ms of 200)
    timed_sync
    runs+=("$secs")
    ng_changed_rows=$(sqlite3 "$work/static-$n.db" "SELECT pulled FROM sync_runs ORDER BY id DESC LIMIT 1")
    [ "$ng_changed_rows" = "$changes" ] ||
      { echo "the sync from nginx after 1% changed wrote $ng_changed_rows rows, not $changes:" >&2; cat "$work/sync.out" >&2; exit 1; }
  done
  ng_changed_s=$(median "${runs[@]}")
  stop_static
  peak_kb=$(printf '%s\n' "$full_rss" "$resync_rss" "$changed_rss" "$rss_kb" "$ng_full_rss" "$ng_resync_rss" | sort -n | tail -1)
  [ "$static_bytes" = "$bytes" ] || { echo "nginx served $static_bytes bytes, the emulator $bytes" >&2; exit 1; }
  # What a user would write instead, against the same emulator: a first pull and a second.
  py_db="$work/diy-$n.db"
  t0=$(now)
  /usr/bin/time -f '%M' -o "$work/py_rss" python3 bench/diy_sync.py "$url" "$work/token" "$py_db" >"$work/py.out"
  t1=$(now)
  py_full_s=$(elapsed "$t0" "$t1")
  t0=$(now)
  /usr/bin/time -f '%M' -o "$work/py_rss2" python3 bench/diy_sync.py "$url" "$work/token" "$py_db" >/dev/null
  t1=$(now)
  py_resync_s=$(elapsed "$t0" "$t1")
  py_kb=$(printf '%s\n' "$(tail -1 "$work/py_rss")" "$(tail -1 "$work/py_rss2")" | sort -n | tail -1)
  [ "$(cat "$work/py.out")" = "$elements" ] || { echo "the Python sync stored $(cat "$work/py.out") elements, clevertim-sync $elements" >&2; exit 1; }
  ratio() { python3 -c "print(f'{$1/$2:.1f}x')"; }
  printf '%-9s %9s %8s %8s %9s %8s %9s %8s %9s %8s %9s %8s %9s %9s %8s %8s %9s %9s %8s %8s\n' "$elements" "$bytes" "$curl_s" "$static_s" \
    "$full_s" "$(ratio "$full_s" "$curl_s")" "$resync_s" "$(ratio "$resync_s" "$curl_s")" \
    "$ng_full_s" "$(ratio "$ng_full_s" "$static_s")" "$ng_resync_s" "$(ratio "$ng_resync_s" "$static_s")" \
    "$changed_s" "$ng_changed_s" "$(ratio "$ng_changed_s" "$static_s")" "$(python3 -c "print(f'{$peak_kb/1024:.0f}')")" "$resync_rows" "$py_full_s" "$py_resync_s" \
    "$(python3 -c "print(f'{$py_kb/1024:.0f}')")"
  json+="{\"sample\":$n,\"elements\":$elements,\"bytes\":$bytes,\"curl_s\":$curl_s,\"curl_static_s\":$static_s,\"full_sync_s\":$full_s,\"resync_s\":$resync_s,\"static_full_sync_s\":$ng_full_s,\"static_resync_s\":$ng_resync_s,\"resync_rows_written\":$resync_rows,\"sync_after_1pct_s\":$changed_s,\"static_sync_after_1pct_s\":$ng_changed_s,\"peak_rss_kib\":$peak_kb,\"diy_python_full_s\":$py_full_s,\"diy_python_resync_s\":$py_resync_s,\"diy_python_peak_rss_kib\":$py_kb},"
  last_db=$db
  stop_emulator
done

# The store's floor: SQLite alone copying the rows of the largest account (INSERT ... SELECT from
# the synced mirror, one transaction, no triggers, page cache warm) into an empty file with the
# mirror's tables: "full" with its indexes and generated date columns, "bare" without them. No
# download, no parsing, no binding: what storing these rows costs SQLite by itself.
store_floor() {  # $1: the synced mirror, $2: full or bare; prints seconds
  local floor=$work/floor.db
  rm -f "$floor" "$floor-wal" "$floor-shm"
  sqlite3 "$1" .schema | python3 -c '
import re, sys
keep = []
for stmt in re.split(r";\n(?=CREATE )", sys.stdin.read()):
    if stmt.startswith("CREATE TABLE") and "sqlite_sequence" not in stmt:
        if sys.argv[1] == "bare":
            stmt = re.sub(r",\s*\"[a-z_]+\" DATETIME GENERATED ALWAYS AS \(.*?\) VIRTUAL(?=[,)])", "", stmt, flags=re.S)
        keep.append(stmt.rstrip(";\n"))
    elif stmt.startswith("CREATE INDEX") and sys.argv[1] == "full":
        keep.append(stmt.rstrip(";\n"))
print("PRAGMA journal_mode = WAL;\n" + ";\n".join(keep) + ";")' "$2" | sqlite3 "$floor" >/dev/null
  local copy="PRAGMA synchronous = NORMAL; ATTACH '$1' AS s; BEGIN;" t cols
  for t in contacts companies cases opportunities tasks notes comments custom_fields users groups; do
    cols=$(sqlite3 "$1" "SELECT group_concat('\"' || name || '\"', ', ') FROM pragma_table_xinfo('$t') WHERE hidden = 0")
    copy+=" INSERT INTO main.$t ($cols) SELECT $cols FROM s.$t;"
  done
  local t0 t1
  t0=$(now)
  sqlite3 "$floor" "$copy COMMIT;"
  t1=$(now)
  elapsed "$t0" "$t1"
}
floor_full=$(store_floor "$last_db" full)
floor_bare=$(store_floor "$last_db" bare)
copied=$(sqlite3 "$work/floor.db" "SELECT (SELECT count(*) FROM contacts) + (SELECT count(*) FROM notes)")
[ "$copied" = "$(sqlite3 "$last_db" "SELECT (SELECT count(*) FROM contacts) + (SELECT count(*) FROM notes)")" ] ||
  { echo "the store's floor copied $copied rows, not the mirror's" >&2; exit 1; }
echo
printf "store's floor, SQLite copying the %s elements: %s s with the mirror's indexes and date columns, %s s without\n" \
  "$elements" "$floor_full" "$floor_bare"
json+="{\"store_floor_elements\":$elements,\"store_floor_full_s\":$floor_full,\"store_floor_bare_s\":$floor_bare},"

# Push: 10k updates and 2k inserts, beside the emulator's own rate for the same PUTs.
start_emulator 14000
db="$work/push.db"
write_config "$db"
timed_sync
# Three rounds, the median reported: on a shared 2-core machine one run can be 30% off.
push_runs=()
for round in 1 2 3; do
  sqlite3 "$db" "BEGIN; UPDATE contacts SET city = 'Pushed $round' WHERE id IN (SELECT id FROM contacts ORDER BY id LIMIT 10000);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 2000)
    INSERT INTO notes (description) SELECT 'bench note $round.' || i FROM n; COMMIT;"
  timed_sync
  push_total=$secs
  grep -q "pushed 2000 created, 10000 updated" "$work/sync.out" ||
    { echo "push round $round did not send the 12000 changes:" >&2; cat "$work/sync.out" >&2; exit 1; }
  timed_sync
  nochange=$secs
  push_runs+=("$(python3 -c "print(f'{max($push_total-$nochange, 0.001):.3f}')")")
done
push_s=$(printf '%s\n' "${push_runs[@]}" | sort -n | sed -n 2p)
push_rate=$(python3 -c "print(f'{12000/$push_s:.0f}')")
# Reference: the same 10k PUTs from curl. Each request is its own
# `next` section of the config (options do not carry over), checked for a 200.
for id in $(sqlite3 "$db" "SELECT id FROM contacts ORDER BY id LIMIT 10000"); do
  printf 'next\nsilent\nuser = "%s:X"\nurl = "%s/contact/%s"\nrequest = "PUT"\n' "$token" "$url" "$id"
  printf 'data = "{\\"city\\": \\"Curl\\"}"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n'
done | tail -n +2 >"$work/puts.conf"
# The emulator's maximum: the best of 4 and 16 connections at once.
emu_rate=0
for connections in 4 16; do
  t0=$(now)
  ok=$(curl --parallel --parallel-max "$connections" -K "$work/puts.conf" 2>/dev/null | grep -c '^200$' || true)
  t1=$(now)
  [ "$ok" = 10000 ] || { echo "only $ok of the 10000 reference PUTs were answered 200" >&2; exit 1; }
  rate=$(python3 -c "print(round(10000/($t1-$t0)))")
  [ "$connections" = 4 ] && emu_rate_4=$rate  # the push's own concurrency
  emu_rate=$(python3 -c "print(max($emu_rate, $rate))")
done
curl_city=$(curl -s -K "$work/curl.conf" "$url/contact/$(sqlite3 "$db" "SELECT min(id) FROM contacts")" | python3 -c "import json,sys; print(json.load(sys.stdin)['content'][0]['city'])")
[ "$curl_city" = Curl ] || { echo "the reference PUTs did not reach the emulator" >&2; exit 1; }

# Daemon push latency: a local write, until the CRM has it. The daemon notices writes to the
# mirror by itself (inotify), so nothing but the write starts the push.
timed_sync  # take the reference's edits in first
"$sync_bin" --config "$work/bench.toml" run >"$work/daemon.out" 2>&1 &
daemon_pid=$!
pids+=("$daemon_pid")
runs=$(sqlite3 "$db" "SELECT count(*) FROM sync_runs WHERE ended_at IS NOT NULL")
# Its first cycle (at start) done:
until [ "$(sqlite3 "$db" "SELECT count(*) FROM sync_runs WHERE ended_at IS NOT NULL")" -gt "$runs" ]; do sleep 0.1; done
target=$(sqlite3 "$db" "SELECT min(id) FROM contacts")
latencies=()
for k in $(seq 30); do
  sleep 0.4  # an isolated write: the daemon idle, not still settling the previous one
  t0=$(now)
  sqlite3 "$db" "UPDATE contacts SET city = 'Latency $k' WHERE id = $target"
  until curl -s -K "$work/curl.conf" "$url/contact/$target" | grep -q "\"Latency $k\""; do sleep 0.005; done
  t1=$(now)
  latencies+=("$(elapsed "$t0" "$t1")")
done
kill "$daemon_pid"; wait "$daemon_pid" 2>/dev/null || true
read -r p50 p95 < <(printf '%s\n' "${latencies[@]}" | python3 -c "
import sys, statistics
v = sorted(float(x) for x in sys.stdin)
q = statistics.quantiles(v, n=20, method='inclusive')
print(f'{statistics.median(v)*1000:.0f} {q[18]*1000:.0f}')")
stop_emulator
echo
printf 'push: 12000 changes in %s s, the median of %s (%s requests/s); the same PUTs from curl, best of 4 and 16 connections: %s requests/s (%s); 4 connections: %s requests/s (%s)\n' \
  "$push_s" "${push_runs[*]}" "$push_rate" "$emu_rate" "$(python3 -c "print(f'{$push_rate/$emu_rate*100:.0f}%')")" \
  "$emu_rate_4" "$(python3 -c "print(f'{$push_rate/$emu_rate_4*100:.0f}%')")"
printf 'daemon push latency (local write -> CRM, 30 writes): p50 %s ms, p95 %s ms\n' "$p50" "$p95"
json+="{\"push_changes\":12000,\"push_s\":$push_s,\"push_runs_s\":[$(IFS=,; echo "${push_runs[*]}")],\"push_rate\":$push_rate,\"emulator_put_rate\":$emu_rate,\"emulator_put_rate_4_connections\":$emu_rate_4,\"push_latency_p50_ms\":$p50,\"push_latency_p95_ms\":$p95}]"
echo "$json" | python3 -m json.tool >"$out/results.json"
echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
echo "written: $out/results.json"
