// Giving a local row the CRM's id once its POST succeeded.
#pragma once

#include <SQLiteCpp/Database.h>

#include <cstdint>

namespace clevertim::model {
struct Resource;
}

namespace clevertim::storage {

// Replaces `old_id` by `new_id` everywhere, in one go (call inside an OwnWriteTransaction):
// the row itself, every column of every table that references this resource, custom field
// keys in `custom_fields` (for a new custom field), and outbox entries still waiting.
void replace_local_id(SQLite::Database& db, const model::Resource& resource, std::int64_t old_id,
                      std::int64_t new_id);

}  // namespace clevertim::storage
