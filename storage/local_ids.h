// Giving a local row the CRM's id once its POST succeeded.
#pragma once

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace clevertim::model {
struct Resource;
}

namespace clevertim::storage {

// Replaces `old_id` by `new_id` everywhere, in one go (call inside an OwnWriteTransaction):
// the row itself, every column of every table that references this resource, custom field
// keys in `custom_fields` (for a new custom field), and outbox entries still waiting.
void replace_local_id(SQLite::Database& db, const model::Resource& resource, std::int64_t old_id,
                      std::int64_t new_id);

// The same, keeping its statements prepared between calls (a push re-keys thousands of rows).
class LocalIdRewriter {
 public:
  explicit LocalIdRewriter(SQLite::Database& db);
  ~LocalIdRewriter();
  LocalIdRewriter(const LocalIdRewriter&) = delete;
  LocalIdRewriter& operator=(const LocalIdRewriter&) = delete;

  void replace(const model::Resource& resource, std::int64_t old_id, std::int64_t new_id);

 private:
  SQLite::Statement& statement(const std::string& sql);

  SQLite::Database& db_;
  std::map<std::string, std::unique_ptr<SQLite::Statement>> statements_;
};

}  // namespace clevertim::storage
