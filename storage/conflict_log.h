// `conflicts`: one row per conflict the push met (the same field changed here and in the CRM,
// or an edit against a deletion), kept as history. A row whose `resolved_at` is NULL is open:
// it waits for a person (`clevertim-sync resolve`, or UPDATE conflicts SET resolution = ...),
// and a row of the mirror has at most one open conflict. Writes happen inside the caller's
// transaction (the push's WriteBatch).
#pragma once

#include <SQLiteCpp/Database.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "storage/statement_cache.h"

namespace clevertim::storage {

struct ConflictVersions {
  std::string fields;                 // "title,city": the API names, as `conflicts.fields` lists
  std::optional<std::string> base;    // the element as last synced
  std::string local;                  // the local row as an element
  std::optional<std::string> remote;  // the CRM's version; none when deleted there
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

 private:
  StatementCache& statements_;
};

}  // namespace clevertim::storage
