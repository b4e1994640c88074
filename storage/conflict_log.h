// `conflicts`: one row per conflict the push met (the same field changed here and in the CRM,
// or an edit against a deletion), kept as history. A row whose `resolved_at` is NULL is open:
// it waits for a person (`clevertim-sync resolve`, or UPDATE conflicts SET resolution = ...),
// and a row of the mirror has at most one open conflict. A person's choice is applied by the
// next push (or by `resolve` at once), which then settles the conflict. Writes happen inside
// the caller's transaction (the push's WriteBatch, or the transaction applying a choice),
// except choose(), which is one statement of its own.
#pragma once

#include <SQLiteCpp/Database.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/statement_cache.h"

namespace clevertim::storage {

struct ConflictVersions {
  std::string fields;                 // "title,city": the API names, as `conflicts.fields` lists
  std::optional<std::string> base;    // the element as last synced
  std::string local;                  // the local row as an element
  std::optional<std::string> remote;  // the CRM's version; none when deleted there
};

// A person's choice on an open conflict, not applied to the row yet.
struct ConflictChoice {
  std::string endpoint;
  std::int64_t id = 0;
  bool keep_local = false;            // `local`; otherwise `remote`
  std::optional<std::string> remote;  // the CRM's version the conflict shows
};

class ConflictLog {
 public:
  explicit ConflictLog(StatementCache& statements);

  // A new conflict; `resolution` ("local" / "remote") settles it at once (a policy decided),
  // none leaves it open.
  void record(std::string_view endpoint, std::int64_t id, const ConflictVersions& versions,
              const std::string& outcome, std::optional<std::string_view> resolution);

  // Updates the row's open conflict with what was found now; false when it has none.
  bool update_open(std::string_view endpoint, std::int64_t id, const ConflictVersions& versions);

  // The CRM's version changed while the row's conflict is open: the conflict shows the new one.
  void refresh_open_remote(std::string_view endpoint, std::int64_t id, const std::string& remote);

  // Sets the side (`local` or `remote`) of an open conflict; false when there is no such one.
  bool choose(std::int64_t conflict_id, std::string_view side);
  // The open conflicts a person chose a side for.
  std::vector<std::int64_t> chosen();
  // The choice on an open conflict; none when it has none or is settled.
  std::optional<ConflictChoice> choice(std::int64_t conflict_id);
  // The choice was applied to the row: this conflict, and every other open one of the row
  // (mirrors written by earlier releases may hold several), are settled with it.
  void settle(std::int64_t conflict_id, std::string_view endpoint, std::int64_t id,
              bool keep_local);

 private:
  StatementCache& statements_;
};

}  // namespace clevertim::storage
