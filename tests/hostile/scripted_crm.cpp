#include "scripted_crm.h"

#include <SQLiteCpp/Statement.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <fstream>

#include "sync_runner.h"
#include "tokens.h"

namespace clevertim::testing {

std::string envelope(const std::string& content) {
  return R"({"status":"OK","content":)" + content + "}";
}

ScriptedCrm::ScriptedCrm() {
  const auto token_file = dir / "token";
  std::ofstream(token_file) << kTestToken << "\n";
  chmod(token_file.c_str(), 0600);
  config = dir / "clevertim-sync.toml";
  std::ofstream(config) << "log_level = \"info\"\n[server]\nurl = \"" << server.base_url()
                        << "\"\ntoken_file = \"" << token_file.string() << "\"\n"
                        << "[storage]\ndatabase = \"" << database().string() << "\"\n"
                        << "[sync]\nresources = [\"contact\"]\nretry_attempts = 1\n";
}

int ScriptedCrm::sync_with(testsrv::Reply reply) {
  // Every sync first reads the account's users (which account is this? see sync/account.h).
  testsrv::Reply users;
  users.body = envelope(
      R"([{"id":1,"user":"Scripted Owner","email":"owner@scripted.example","is_owner":true}])");
  server.push(std::move(users));
  server.push(std::move(reply));
  return run_clevertim_sync(config, {"sync"}, &output);
}

int ScriptedCrm::sync_with(const std::string& body) {
  testsrv::Reply reply;
  reply.body = body;
  return sync_with(std::move(reply));
}

SQLite::Database ScriptedCrm::open() const {
  return SQLite::Database(database().string(), SQLite::OPEN_READONLY);
}

std::string ScriptedCrm::text(const std::string& sql) const {
  SQLite::Database db = open();
  SQLite::Statement q(db, sql);
  if (!q.executeStep()) return "NO ROW";
  return q.getColumn(0).isNull() ? "NULL" : q.getColumn(0).getString();
}

long long ScriptedCrm::number(const std::string& sql) const {
  SQLite::Database db = open();
  return db.execAndGet(sql).getInt64();
}

std::string ScriptedCrm::contacts_snapshot() const {
  SQLite::Database db = open();
  SQLite::Statement q(db, "SELECT id, sync_state, raw_hash, raw FROM contacts ORDER BY id");
  std::string out;
  while (q.executeStep())
    out += q.getColumn(0).getString() + " " + q.getColumn(1).getString() + " " +
           q.getColumn(2).getString() + " " + q.getColumn(3).getString() + "\n";
  return out;
}

long max_child_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_CHILDREN, &usage);
  return usage.ru_maxrss;
}

}  // namespace clevertim::testing
