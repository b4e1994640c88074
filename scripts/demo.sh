#!/usr/bin/env bash
# The main job, end to end, on the embedded default: installs what is missing, builds, starts
# the emulator (the stand-in CRM) with a sample account, runs a full sync into a local mirror,
# makes local changes with the sqlite3 shell, lets the daemon push them, shows the CRM has them,
# prints a small report from the mirror's views, and stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
echo "== building (first time: a few minutes)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"${JOBS:-2}" --target clevertim-sync clevertim-emulator >/dev/null

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

token=demo-token-$RANDOM$RANDOM
printf '%s\n' "$token" >"$work/token"
chmod 600 "$work/token"
printf 'user = "%s:X"\n' "$token" >"$work/curl.conf"  # keeps the token out of argv

echo "== starting the emulator with a sample account of 200 contacts"
build/emulator/clevertim-emulator --port 0 --sample 200 --token-file "$work/token" \
  --quiet >"$work/emulator.out" 2>"$work/emulator.err" &
pids+=($!)
for _ in $(seq 50); do grep -q 'listening on' "$work/emulator.out" && break; sleep 0.1; done
url=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$work/emulator.out")
echo "   $url"

cat >"$work/clevertim-sync.toml" <<TOML
log_level = "warn"
[server]
url = "$url"
token_file = "$work/token"
[storage]
database = "$work/crm.db"
[sync]
interval = "1m"
TOML
sync_cmd=(build/daemon/clevertim-sync --config "$work/clevertim-sync.toml")

echo "== first full sync into $work/crm.db"
"${sync_cmd[@]}" sync
sqlite3 -box "$work/crm.db" "SELECT 'contacts' AS tbl, count(*) AS rows FROM contacts UNION ALL
  SELECT 'companies', count(*) FROM companies UNION ALL SELECT 'opportunities', count(*) FROM opportunities
  UNION ALL SELECT 'tasks', count(*) FROM tasks UNION ALL SELECT 'notes', count(*) FROM notes"

echo "== starting the daemon, then editing the mirror with the sqlite3 shell"
"${sync_cmd[@]}" run 2>"$work/daemon.log" &
pids+=($!)
sleep 1
id=$(sqlite3 "$work/crm.db" "SELECT min(id) FROM contacts")
sqlite3 -cmd ".timeout 5000" "$work/crm.db" "UPDATE contacts SET city = 'Paris', title = 'Head of Demos' WHERE id = $id;
  INSERT INTO companies (id, name) VALUES (-1, 'Demo Ltd');
  INSERT INTO contacts (first_name, last_name, company_id) VALUES ('Dee', 'Mo', -1);"
echo "   UPDATE contact $id, INSERT a company and a contact linked to it by id -1"
for _ in $(seq 50); do
  left=$(sqlite3 "$work/crm.db" "SELECT count(*) FROM outbox")
  [ "$left" = 0 ] && break
  sleep 0.1
done
sqlite3 -box "$work/crm.db" "SELECT id, first_name, last_name, city, company_id, sync_state
  FROM contacts WHERE id = $id OR last_name = 'Mo'"
echo "== the CRM's copy of contact $id, asked over HTTP:"
curl -s -K "$work/curl.conf" "$url/contact/$id" | python3 -c \
  'import json,sys; e=json.load(sys.stdin)["content"][0]; print("  ", e["fn"], e.get("ln",""), "-", e.get("title"), "in", e.get("city"))'

echo "== a small report from the views"
sqlite3 -box "$work/crm.db" "SELECT status, currency, count, round(total_value) AS total FROM pipeline ORDER BY total DESC LIMIT 5"
sqlite3 -box "$work/crm.db" "SELECT name, customer_name, assignee_name FROM open_tasks LIMIT 5"
"${sync_cmd[@]}" status
echo "== done; stopping the daemon and the emulator"
