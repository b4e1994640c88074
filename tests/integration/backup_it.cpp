// Backup, export, restore and undelete against the emulator (issue: backup and restore).
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <SQLiteCpp/Database.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "integration_fixture.h"

using namespace clevertim::testing;
namespace json = boost::json;

namespace {

json::value read_json(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  return json::parse(s.str());
}

constexpr const char* kResources[] = {"customfield", "company", "contact", "case",
                                      "opportunity", "task",    "note",    "comment"};

}  // namespace

TEST_CASE_FIXTURE(SyncFixture, "an export equals what the CRM holds, field for field") {
  REQUIRE(sync() == 0);
  REQUIRE(sync({"export", (dir / "export").string(), "--history"}) == 0);
  const json::object state = remote_state();
  for (const char* r : kResources) {
    const json::array exported = read_json(dir / "export" / (std::string(r) + ".json")).as_array();
    CHECK_MESSAGE(exported == state.at(r).as_array(), r);
  }
  const json::object manifest = read_json(dir / "export" / "manifest.json").as_object();
  CHECK(manifest.at("counts").at("contact").as_int64() ==
        static_cast<std::int64_t>(state.at("contact").as_array().size()));
}

TEST_CASE("a backup taken while the daemon writes is consistent") {
  SyncFixture f({"--sample", "100"}, "interval = \"1h\"\n");
  REQUIRE(f.sync() == 0);
  pid_t daemon = fork();
  if (daemon == 0) {
    const std::string binary = clevertim_sync_binary();
    freopen("/dev/null", "w", stderr);
    execl(binary.c_str(), binary.c_str(), "--config", f.config.c_str(), "run", nullptr);
    _exit(127);
  }
  // A writer commits pairs of notes (b<i>, b<i>+), one transaction each, and counts them; the
  // daemon pushes each and rewrites its id (writes of its own). A backup overlapped writes when
  // the count moved while it ran; its copy must hold a prefix of the pairs: whole pairs 0..n-1,
  // n between the counts before and after.
  std::atomic<bool> stop{false};
  std::atomic<int> committed{0};
  std::thread writer([&] {
    SQLite::Database db(f.database().string(), SQLite::OPEN_READWRITE);
    db.setBusyTimeout(5000);
    for (int i = 0; !stop && i < 5000; ++i) {
      const std::string n = std::to_string(i);
      db.exec("BEGIN IMMEDIATE");
      db.exec("INSERT INTO notes (description) VALUES ('b" + n + "')");
      db.exec("INSERT INTO notes (description) VALUES ('b" + n + "+')");
      db.exec("COMMIT");
      committed = i + 1;
      // Paced (timing on purpose): a steady stream for the daemon to push, not a flood.
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  const auto start = std::chrono::steady_clock::now();
  while (committed < 5 && std::chrono::steady_clock::now() - start < std::chrono::seconds(10))
    std::this_thread::yield();
  REQUIRE(committed >= 5);
  int overlapped = 0;
  for (int i = 0; i < 10 && overlapped < 3; ++i) {
    const bool compress = i == 0;  // one compressed copy, read back through gzip
    const auto copy = f.dir / ("backup" + std::to_string(i) + (compress ? ".db.gz" : ".db"));
    std::vector<std::string> args{"backup", copy.string()};
    if (compress) args.push_back("--compress");
    std::string out;
    const int before = committed;
    REQUIRE_MESSAGE(run_clevertim_sync(f.config, args, &out) == 0, out);
    const int after = committed;
    if (after > before) ++overlapped;
    CHECK(out.find("integrity ok") != std::string::npos);
    auto plain = copy;
    if (compress) {
      plain = f.dir / "backup0-plain.db";
      REQUIRE(std::system(
                  ("gzip -dc '" + copy.string() + "' > '" + plain.string() + "'").c_str()) == 0);
    }
    SQLite::Database db(plain.string(), SQLite::OPEN_READONLY);
    const auto count = [&](const std::string& sql) { return db.execAndGet(sql).getInt(); };
    const int pairs = count(
        "SELECT count(*) FROM notes WHERE description GLOB 'b[0-9]*' AND "
        "description NOT GLOB '*+'");
    CAPTURE(before);
    CAPTURE(after);
    CHECK(pairs >= before);
    CHECK(pairs <= after);
    CHECK(count("SELECT count(*) FROM notes WHERE description GLOB 'b[0-9]*+'") == pairs);
    // Exactly the first `pairs` pairs, none twice: a prefix of the writer's history.
    CHECK(count("SELECT count(DISTINCT description) FROM notes WHERE description GLOB "
                "'b[0-9]*' AND CAST(substr(description, 2) AS INTEGER) < " +
                std::to_string(pairs)) == 2 * pairs);
    CHECK(db.execAndGet("PRAGMA integrity_check").getString() == "ok");
  }
  stop = true;
  writer.join();
  kill(daemon, SIGTERM);
  int status = 0;
  waitpid(daemon, &status, 0);
  CHECK(WEXITSTATUS(status) == 0);
  // Writes happened while backups ran: otherwise this test proved nothing about them.
  CHECK(overlapped >= 1);
}

TEST_CASE("a restore into an empty account reproduces every element and relation") {
  SyncFixture source({"--sample", "20"});
  REQUIRE(source.sync() == 0);
  REQUIRE(source.sync({"export", (source.dir / "export").string()}) == 0);
  const json::object original = source.remote_state();

  SyncFixture target(std::vector<std::string>{});  // an empty account
  // The users must exist there (they cannot be created through the API).
  json::object users{{"user", original.at("user")}};
  REQUIRE(control(*target.emulator, "PUT", "state", json::serialize(users)).status == 200);

  // Interrupted half-way: a note's create is done but its answer lost.
  target.next_fault("drop_after_commit", "POST", "/api/note");
  std::string out;
  CHECK(run_clevertim_sync(target.config, {"restore", (source.dir / "export").string()}, &out) ==
        1);
  CHECK(out.find("run it again to resume") != std::string::npos);
  REQUIRE_MESSAGE(
      run_clevertim_sync(target.config, {"restore", (source.dir / "export").string()}, &out) == 0,
      out);
  CHECK(out.find("id mapping") != std::string::npos);

  const json::object restored = target.remote_state();
  for (const char* r : kResources)
    CHECK_MESSAGE(restored.at(r).as_array().size() == original.at(r).as_array().size(), r);
  // Relations: each restored note's customer has the same name as the original's.
  auto name_of = [](const json::object& state, std::int64_t id) -> std::string {
    for (const char* r : {"contact", "company"})
      for (const auto& e : state.at(r).as_array())
        if (e.at("id").as_int64() == id)
          return std::string(r == std::string("contact") ? e.at("fn").as_string()
                                                         : e.at("cn").as_string());
    return "?";
  };
  std::multiset<std::string> before, after;
  for (const auto& n : original.at("note").as_array())
    if (n.at("cust").is_int64())
      before.insert(std::string(n.at("desc").as_string()) + "@" +
                    name_of(original, n.at("cust").as_int64()));
  for (const auto& n : restored.at("note").as_array())
    if (n.at("cust").is_int64())
      after.insert(std::string(n.at("desc").as_string()) + "@" +
                   name_of(restored, n.at("cust").as_int64()));
  CHECK(before == after);
  // Comments still hang on notes/tasks with the same texts.
  CHECK(restored.at("comment").as_array().size() == original.at("comment").as_array().size());
}

TEST_CASE_FIXTURE(SyncFixture, "undelete brings back a deleted contact with its notes") {
  REQUIRE(sync() == 0);
  // A contact that has notes.
  const std::string contact = query(
      "SELECT customer_id FROM notes WHERE customer_id IN (SELECT id FROM contacts) GROUP BY "
      "customer_id ORDER BY count(*) DESC LIMIT 1");
  const long long notes = number("SELECT count(*) FROM notes WHERE customer_id = " + contact);
  REQUIRE(notes > 0);
  REQUIRE(web("DELETE", "contact/" + contact).status == 200);  // its notes go with it
  REQUIRE(sync() == 0);
  CHECK(number("SELECT count(*) FROM contacts WHERE id = " + contact) == 0);
  std::string out;
  REQUIRE_MESSAGE(
      run_clevertim_sync(config, {"undelete", "contact", contact, "--with-children"}, &out) == 0,
      out);
  REQUIRE(sync() == 0);
  const std::string back = query("SELECT max(id) FROM contacts");  // the newest element
  CHECK(back != contact);
  CHECK(number("SELECT count(*) FROM notes WHERE customer_id = " + back) == notes);
}

namespace {

bool gzip_magic(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  unsigned char m[2] = {};
  in.read(reinterpret_cast<char*>(m), 2);
  return m[0] == 0x1f && m[1] == 0x8b;
}

std::filesystem::perms mode_of(const std::filesystem::path& p) {
  return std::filesystem::status(p).permissions() & std::filesystem::perms::mask;
}

}  // namespace

// Issue 13, items 1-3 and 11: a backup or export that could hurt is refused before anything
// is written, with exit 2 and a message that says what to do.
TEST_CASE_FIXTURE(SyncFixture,
                  "backup refuses the mirror's own files, folders and existing files") {
  REQUIRE(sync() == 0);
  const std::string db = database().string();
  const auto inode = std::filesystem::hard_link_count(database());
  for (const std::string& target :
       {db, db + "-wal", db + "-shm", (dir / "." / "crm.db").string(), db + ".lock"}) {
    CAPTURE(target);
    CHECK(sync({"backup", target}) == 2);
    CHECK_MESSAGE(output.find("refusing to write the backup") != std::string::npos, output);
  }
  // Another spelling through a symbolic link is the same file.
  std::filesystem::create_directory_symlink(dir.path(), dir / "alias");
  CHECK(sync({"backup", (dir / "alias" / "crm.db").string()}) == 2);
  CHECK(std::filesystem::hard_link_count(database()) == inode);
  CHECK(query("PRAGMA integrity_check") == "ok");
  CHECK(sync({"status"}) == 0);

  std::filesystem::create_directory(dir / "backups");
  CHECK(sync({"backup", (dir / "backups").string()}) == 2);
  CHECK(output.find("it is a folder") != std::string::npos);

  const auto copy = dir / "backups" / "crm.db";
  REQUIRE(sync({"backup", copy.string()}) == 0);
  CHECK_FALSE(gzip_magic(copy));
  CHECK(mode_of(copy) ==
        (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
  const auto size = std::filesystem::file_size(copy);
  CHECK(sync({"backup", copy.string()}) == 2);
  CHECK(output.find("already exists; add --force") != std::string::npos);
  CHECK(std::filesystem::file_size(copy) == size);
  CHECK(sync({"backup", copy.string(), "--force"}) == 0);

  // The name decides the compression; a flag that contradicts it is refused.
  REQUIRE(sync({"backup", (dir / "backups" / "crm.db.gz").string()}) == 0);
  CHECK(gzip_magic(dir / "backups" / "crm.db.gz"));
  CHECK(sync({"backup", (dir / "backups" / "other.db").string(), "--compress"}) == 2);
  CHECK(output.find("does not end in .gz") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "backups" / "other.db"));
}

TEST_CASE_FIXTURE(SyncFixture,
                  "export files are the owner's only, and an export is not overwritten") {
  REQUIRE(sync() == 0);
  const auto out = dir / "export";
  REQUIRE(sync({"export", out.string()}) == 0);
  CHECK(mode_of(out / "contact.json") ==
        (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
  CHECK(mode_of(out / "manifest.json") ==
        (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
  CHECK(sync({"export", out.string()}) == 2);
  CHECK(output.find("already holds an export; add --force") != std::string::npos);
  CHECK(sync({"export", out.string(), "--force"}) == 0);
  CHECK(sync({"export", database().string()}) == 2);
}

TEST_CASE_FIXTURE(SyncFixture, "backup and export of a mirror that does not exist create nothing") {
  const auto missing = dir / "typo.db";
  CHECK(sync({"--database", missing.string(), "backup", (dir / "b.db").string()}) == 5);
  CHECK(output.find("there is no mirror at") != std::string::npos);
  CHECK(sync({"--database", missing.string(), "export", (dir / "e").string()}) == 5);
  CHECK_FALSE(std::filesystem::exists(missing));
  CHECK_FALSE(std::filesystem::exists(missing.string() + ".lock"));
  CHECK_FALSE(std::filesystem::exists(dir / "b.db"));
  CHECK_FALSE(std::filesystem::exists(dir / "e"));
}

// Issue 13, item 4: an undeleted element keeps its references to elements the account still
// holds (its company, its custom fields), not only to those it brings back itself.
TEST_CASE_FIXTURE(SyncFixture, "undelete keeps references to what the account still holds") {
  REQUIRE(sync() == 0);
  const std::string contact = query(
      "SELECT id FROM contacts WHERE company_id IS NOT NULL AND custom_fields IS NOT NULL AND "
      "custom_fields NOT IN ('{}', 'null') ORDER BY id LIMIT 1");
  REQUIRE(contact != "NO ROW");
  const std::string company = query("SELECT company_id FROM contacts WHERE id = " + contact);
  const std::string keys = query(
      "SELECT group_concat(key) FROM (SELECT key FROM contacts, json_each(custom_fields) WHERE "
      "contacts.id = " +
      contact + " ORDER BY key)");
  REQUIRE(web("DELETE", "contact/" + contact).status == 200);
  REQUIRE(sync() == 0);
  REQUIRE_MESSAGE(sync({"undelete", "contact", contact, "--with-children"}) == 0, output);
  CHECK(output.find("left empty") == std::string::npos);
  CHECK(output.find("left out") == std::string::npos);
  REQUIRE(sync() == 0);
  const std::string back = query("SELECT max(id) FROM contacts");
  REQUIRE(back != contact);
  CHECK(query("SELECT company_id FROM contacts WHERE id = " + back) == company);
  CHECK(query("SELECT group_concat(key) FROM (SELECT key FROM contacts, json_each(custom_fields) "
              "WHERE contacts.id = " +
              back + " ORDER BY key)") == keys);
}

// Issue 13, items 5 and 6: a restore into the account it came from makes no copies, and its
// dry run says so; a dry run into an empty account prints what the real run sends.
TEST_CASE("restore: the same account gets no copies - a dry run shows exactly what is sent") {
  SyncFixture f({"--sample", "10"});
  REQUIRE(f.sync() == 0);
  const auto backup = f.dir / "before.db";
  REQUIRE(f.sync({"backup", backup.string()}) == 0);
  const json::object before = f.remote_state();
  CHECK_MESSAGE(f.sync({"restore", backup.string(), "--dry-run"}) == 0, f.output);
  CHECK(f.output.find("POST ") == std::string::npos);
  CHECK(f.output.find("already in the account") != std::string::npos);
  CHECK_MESSAGE(f.sync({"restore", backup.string()}) == 0, f.output);
  const json::object after = f.remote_state();
  for (const char* r : kResources)
    CHECK_MESSAGE(after.at(r).as_array().size() == before.at(r).as_array().size(), r);

  SyncFixture empty(std::vector<std::string>{});
  REQUIRE(control(*empty.emulator, "PUT", "state",
                  json::serialize(json::object{{"user", before.at("user")}}))
              .status == 200);
  REQUIRE(empty.sync() == 0);
  CHECK_MESSAGE(empty.sync({"restore", backup.string(), "--dry-run"}) == 0, empty.output);
  const std::string plan = empty.output;
  CHECK(plan.find("is not in the source") == std::string::npos);
  CHECK(plan.find("\"cf\":{") != std::string::npos);
  CHECK(plan.find("\"companyId\":-") != std::string::npos);
  CHECK(empty.remote("contact").empty());
  const std::string contacts =
      "contact: " + std::to_string(before.at("contact").as_array().size()) + " in the source, " +
      std::to_string(before.at("contact").as_array().size()) + " to create";
  CHECK_MESSAGE(plan.find(contacts) != std::string::npos, plan);
}

// Issue 13, item 7: old backups do not pile up; only the series' files are pruned.
TEST_CASE_FIXTURE(SyncFixture,
                  "backup --keep N keeps the newest N of the series and nothing else") {
  REQUIRE(sync() == 0);
  const auto folder = dir / "backups";
  std::filesystem::create_directory(folder);
  std::ofstream(folder / "notes-2026-01-01.txt") << "not a backup\n";
  std::ofstream(folder / "crm-2026-01-09.db.gz") << "not a backup either, same series name\n";
  std::vector<std::filesystem::path> written;
  for (int day = 1; day <= 5; ++day) {
    const auto file = folder / ("crm-2026-01-0" + std::to_string(day) + ".db.gz");
    REQUIRE_MESSAGE(sync({"backup", file.string(), "--keep", "3"}) == 0, output);
    // Distinct modification times in the past, newest last, whatever the file system's
    // resolution: the next backup (written now) is then the newest.
    std::filesystem::last_write_time(
        file, std::filesystem::file_time_type::clock::now() - std::chrono::minutes(10 - day));
    written.push_back(file);
  }
  CHECK_FALSE(std::filesystem::exists(written[0]));
  CHECK_FALSE(std::filesystem::exists(written[1]));
  for (int i = 2; i < 5; ++i) CHECK(std::filesystem::exists(written[i]));
  CHECK(std::filesystem::exists(folder / "notes-2026-01-01.txt"));
  CHECK(std::filesystem::exists(folder / "crm-2026-01-09.db.gz"));
  CHECK(output.find("old backup deleted") != std::string::npos);
  CHECK(sync({"backup", (folder / "crm-x.db").string(), "--keep", "0"}) == 2);
}
