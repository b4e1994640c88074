#include "storage/traffic.h"

#include <SQLiteCpp/Statement.h>

#include <string_view>

namespace clevertim::storage {
namespace {

constexpr std::string_view kAttempts = "traffic:attempts:";
constexpr std::string_view kRetries = "traffic:retries";
constexpr std::string_view kPulledBytes = "traffic:pulled_bytes";

void add(SQLite::Database& db, const std::string& key, std::int64_t n) {
  if (n == 0) return;
  SQLite::Statement q(db,
                      "INSERT INTO sync_meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO "
                      "UPDATE SET value = CAST(value AS INTEGER) + ?2");
  q.bind(1, key);
  q.bind(2, n);
  q.exec();
}

}  // namespace

void add_traffic(Mirror& mirror, const Traffic& delta) {
  if (delta.empty()) return;
  SQLite::Database& db = mirror.db();
  OwnWriteTransaction tx(db);
  for (const auto& [outcome, n] : delta.attempts) add(db, std::string(kAttempts) + outcome, n);
  add(db, std::string(kRetries), delta.retries);
  add(db, std::string(kPulledBytes), delta.pulled_bytes);
  tx.commit();
}

Traffic read_traffic(Mirror& mirror) {
  Traffic t;
  SQLite::Statement q(mirror.db(),
                      "SELECT key, CAST(value AS INTEGER) FROM sync_meta WHERE key LIKE "
                      "'traffic:%' ORDER BY key");
  while (q.executeStep()) {
    const std::string key = q.getColumn(0).getString();
    const std::int64_t n = q.getColumn(1).getInt64();
    if (key.starts_with(kAttempts))
      t.attempts[key.substr(kAttempts.size())] = n;
    else if (key == kRetries)
      t.retries = n;
    else if (key == kPulledBytes)
      t.pulled_bytes = n;
  }
  return t;
}

}  // namespace clevertim::storage
