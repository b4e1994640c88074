// `outbox`: one entry per local change a SQL client made (written by the capture triggers,
// which also mark the row `pending`), numbered by `seq` in the order they were made. Its life
// (HACKING.md, "The life of the push's tables"):
//   - the push reads it per row (pending_rows) and sends what each row's entries add up to;
//   - once the CRM's answer is recorded, the entries that answer covers are consumed: those up
//     to the `seq` the push read (consume). An entry added while the request was on its way
//     has a higher `seq` and stays (entries_after), so the row stays pending;
//   - `held` says why a change waits (the mass-deletion guard), `error` why the CRM refused it
//     for good: a row with an entry in `error` is left out until it is edited again (a new
//     entry, with no error) or `retry` clears the errors.
// Writes happen inside the caller's transaction (an OwnWriteTransaction or the push's
// WriteBatch), so the triggers never capture them; the outbox opens none of its own.
#pragma once

#include <SQLiteCpp/Database.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/statement_cache.h"

namespace clevertim::storage {

// What a row's entries that are not refused add up to.
struct PendingRow {
  std::string endpoint;  // `outbox.resource`
  std::int64_t id = 0;
  std::int64_t last_seq = 0;  // the entries up to this one are what a push of the row sends
  std::string last_edit;      // when the latest entry was captured (ISO 8601, UTC)
  bool has_insert = false;
  bool has_delete = false;
  std::optional<std::string> deleted_raw;  // the row's base when it was deleted
};

// One captured change of a row.
struct OutboxEntry {
  bool is_insert = false;
  std::optional<std::string> changed;  // "city,title": the columns an update changed, if named
  std::string created_at;              // when it was captured (ISO 8601, UTC)
};

class Outbox {
 public:
  Outbox(SQLite::Database& db, StatementCache& statements);

  // ---- reading ----

  // Every row with at least one entry not refused, in the order of their first entries.
  std::vector<PendingRow> pending_rows();
  // The row's entries up to `last_seq`, in no particular order.
  std::vector<OutboxEntry> entries_up_to(std::string_view endpoint, std::int64_t id,
                                         std::int64_t last_seq);
  // How many entries the row gained after `last_seq` (edits made while a request was sent).
  std::int64_t entries_after(std::string_view endpoint, std::int64_t id, std::int64_t last_seq);
  // The `seq` of the row's latest insert entry; 0 when it has none.
  std::int64_t last_insert_seq(std::string_view endpoint, std::int64_t id);

  // ---- writing (inside the caller's transaction) ----

  // The CRM's answer covering the row's entries up to `last_seq` is recorded: they are gone.
  void consume(std::string_view endpoint, std::int64_t id, std::int64_t last_seq);
  // Every entry of the row is gone, however recent (the row was settled another way).
  void clear(std::string_view endpoint, std::int64_t id);
  // Queues an update of the whole row (no columns named), as a trigger would.
  void queue_update(std::string_view endpoint, std::int64_t id);
  // The CRM refused the row's entries up to `last_seq` for good: they say why, and the row is
  // left out of pushes until it is edited again.
  void mark_refused(std::string_view endpoint, std::int64_t id, std::int64_t last_seq,
                    const std::string& why);
  // Sets why the deletions of a resource are held, on every one of its delete entries; none
  // releases them.
  void hold_deletions(std::string_view endpoint, const std::optional<std::string>& reason);
  // Every refused entry is pending again (`retry`); returns how many entries.
  std::int64_t clear_refusals();

 private:
  SQLite::Database& db_;
  StatementCache& statements_;
};

}  // namespace clevertim::storage
