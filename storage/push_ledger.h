// The push's ledger beside the outbox, one table each (their life: HACKING.md):
//   remote_versions  the CRM's version (or deletion) of a row with local changes, written by
//                    the pull (ElementTable::record_remote_version) instead of the row;
//                    read and dropped by the push once it merged the two.
//   push_intents     a POST about to be sent; dropped when its answer is recorded. One left
//                    over means the answer was lost: the next pull looks for the element.
//   sent_updates     a PUT about to be sent; dropped when its answer is recorded. One left
//                    over tells our own values apart from an edit made in the CRM.
// A push usually finds all three empty: load() notes which rows have entries, and lookups and
// deletions for other rows cost nothing. Writes happen inside the caller's transaction (the
// push's WriteBatch); only forget_answered_updates() opens one of its own.
#pragma once

#include <SQLiteCpp/Database.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/statement_cache.h"

namespace clevertim::storage {

struct RemoteVersion {
  std::optional<std::string> raw;  // none when deleted
  bool deleted = false;
};

// A POST whose answer was never recorded.
struct UnansweredCreate {
  std::string endpoint;
  std::int64_t id = 0;
  std::string payload;  // the JSON text that was sent
};

class PushLedger {
 public:
  PushLedger(SQLite::Database& db, StatementCache& statements);

  // Notes which rows have an entry in any of the three tables (call once, before reading).
  void load();

  std::optional<RemoteVersion> remote_version(std::string_view endpoint, std::int64_t id);
  // A remote version was just recorded for this row (by the pull's ElementTable).
  void note_remote_version(std::string_view endpoint, std::int64_t id);
  void drop_remote_version(std::string_view endpoint, std::int64_t id);

  // `payload`: the JSON text of what is about to be sent.
  void add_intent(std::string_view endpoint, std::int64_t id, const std::string& payload);
  void drop_intent(std::string_view endpoint, std::int64_t id);
  // Every intent left over: a POST whose answer was lost (or is on its way in another run).
  std::vector<UnansweredCreate> unanswered_creates();

  void add_sent_update(std::string_view endpoint, std::int64_t id, const std::string& payload);
  bool may_have_sent_update(std::string_view endpoint, std::int64_t id) const;
  // The payload of the row's PUT whose answer was never recorded, if any.
  std::optional<std::string> sent_update(std::string_view endpoint, std::int64_t id);
  void drop_sent_update(std::string_view endpoint, std::int64_t id);
  // Drops the sent updates whose row has nothing left in the outbox (their answer was
  // recorded); one statement for the whole push, in a transaction of its own when needed.
  void forget_answered_updates();

 private:
  using RowKeys = std::set<std::pair<std::string, std::int64_t>>;
  void note_rows(const char* select, RowKeys& keys);
  void add_payload(const char* insert, std::string_view endpoint, std::int64_t id,
                   const std::string& payload);
  void drop(const char* del, const RowKeys& keys, std::string_view endpoint, std::int64_t id);
  static bool has(const RowKeys& keys, std::string_view endpoint, std::int64_t id) {
    return keys.contains({std::string(endpoint), id});
  }

  SQLite::Database& db_;
  StatementCache& statements_;
  // Supersets: an entry is noted when it is added, never forgotten when dropped.
  RowKeys remote_versions_, intents_, sent_updates_;
};

}  // namespace clevertim::storage
