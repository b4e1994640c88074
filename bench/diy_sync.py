#!/usr/bin/env python3
"""What a user might write instead of clevertim-sync: a do-it-yourself pull in the standard
library (urllib, json, sqlite3), storing each element's JSON by id, one table per resource.
The benchmark's second reference (issue 16): clevertim-sync should beat it clearly.

    python3 bench/diy_sync.py URL TOKEN_FILE DATABASE
"""
import base64
import json
import sqlite3
import sys
import urllib.request

RESOURCES = ["contact", "company", "case", "opportunity", "task", "note", "comment",
             "customfield", "user", "group"]


def fetch(url, auth):
    request = urllib.request.Request(url, headers={"Authorization": auth,
                                                   "Accept": "application/json"})
    with urllib.request.urlopen(request) as answer:
        body = json.load(answer)
    if body.get("status") != "OK":
        raise SystemExit(f"{url}: {body.get('error', 'not OK')}")
    return body.get("content", [])


def main():
    url, token_file, database = sys.argv[1:4]
    with open(token_file) as f:
        token = f.read().strip()
    auth = "Basic " + base64.b64encode(f"{token}:X".encode()).decode()
    db = sqlite3.connect(database)
    db.execute("PRAGMA journal_mode = WAL")
    total = 0
    for resource in RESOURCES:
        elements = fetch(f"{url}/{resource}", auth)
        table = f'"{resource}"'
        db.execute(f"CREATE TABLE IF NOT EXISTS {table} (id INTEGER PRIMARY KEY, raw TEXT)")
        with db:
            # Every element written again: a do-it-yourself sync rarely diffs.
            db.execute(f"DELETE FROM {table} WHERE id NOT IN (SELECT value FROM json_each(?))",
                       (json.dumps([e["id"] for e in elements]),))
            db.executemany(f"INSERT OR REPLACE INTO {table} (id, raw) VALUES (?, ?)",
                           ((e["id"], json.dumps(e)) for e in elements))
        total += len(elements)
    db.close()
    print(total)


if __name__ == "__main__":
    main()
