// Giving a local row the CRM's id once its POST succeeded.
#pragma once

#include <SQLiteCpp/Database.h>

#include <cstdint>

#include "storage/statement_cache.h"

namespace clevertim::model {
struct Resource;
}

namespace clevertim::storage {

// Replaces local ids by the CRM's, keeping its statements prepared between calls (a push
// re-keys thousands of rows).
class LocalIdRewriter {
 public:
  explicit LocalIdRewriter(SQLite::Database& db) : db_(db), statements_(db) {}

  // Replaces `old_id` by `new_id` everywhere, in one go (call inside an OwnWriteTransaction):
  // the row itself, every column of every table that references this resource, custom field
  // keys in `custom_fields` (for a new custom field), and outbox entries still waiting.
  void replace(const model::Resource& resource, std::int64_t old_id, std::int64_t new_id);

 private:
  SQLite::Database& db_;
  StatementCache statements_;
};

}  // namespace clevertim::storage
