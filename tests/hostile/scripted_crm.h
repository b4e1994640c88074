// clevertim-sync (the real binary) against a scripted loopback server that answers the
// contact list with crafted bodies, into a real mirror file.
//
//   ScriptedCrm crm;
//   CHECK(crm.sync_with(envelope(R"([{"id":1,"fn":"Ann"}])")) == 0);
//   CHECK(crm.text("SELECT first_name FROM contacts WHERE id = 1") == "Ann");
//
// Only `contact` is synced (sync.resources), so each sync sends exactly two GETs: the account's
// users (answered with one owner: every sync first confirms the account), then the contact
// list, answered by the body given; retries are off, so a refused answer is not followed by
// another request.
#pragma once

#include <SQLiteCpp/Database.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "script_server.h"
#include "temp_dir.h"

namespace clevertim::testing {

// {"status":"OK","content":CONTENT}
std::string envelope(const std::string& content);

struct ScriptedCrm {
  TempDir dir;
  testsrv::ScriptServer server;
  std::filesystem::path config;
  std::string output;  // of the last clevertim-sync run (its log)

  ScriptedCrm();

  std::filesystem::path database() const { return dir / "crm.db"; }
  // Runs `clevertim-sync sync` with `body` as the answer to GET /api/contact; its exit code.
  int sync_with(const std::string& body);
  int sync_with(testsrv::Reply reply);

  SQLite::Database open() const;
  std::string text(const std::string& sql) const;  // "NULL" for NULL, "NO ROW" for none
  long long number(const std::string& sql) const;
  // Every contact row: id, state, raw hash and raw, one per line; equal when nothing changed.
  std::string contacts_snapshot() const;
  // Rows of history, for "nothing was written".
  long long history_rows() const { return number("SELECT count(*) FROM history"); }
};

// The largest resident set of any child this process waited for so far, in KiB.
long max_child_rss_kib();

}  // namespace clevertim::testing
