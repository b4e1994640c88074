// Issue 13, item 8: every exit code the README documents, for every command that can give it,
// produced by a real run of the binary against the emulator. The table below is the
// documentation's claim; the test fails when a row is missing or a command gives another code.
#include <doctest/doctest.h>
#include <sys/file.h>

#include <SQLiteCpp/Database.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "integration_fixture.h"

using namespace clevertim::testing;

namespace {

// What each command may exit with (README "Exit codes"): 0 done, 1 not everything done,
// 2 bad command line / configuration / token, 3 mass deletion held, 4 another instance,
// 5 mirror cannot be opened or written, 6 a bug. Commands that do not take the instance lock
// (readers, and resolve / retry, which only mark rows) cannot give 4.
const std::map<std::string, std::set<int>> kDocumented = {
    {"version", {0, 2}},
    {"run", {0, 2, 4, 5, 6}},
    {"sync", {0, 1, 2, 3, 4, 5, 6}},
    {"status", {0, 2, 5, 6}},
    {"conflicts", {0, 2, 5, 6}},
    {"resolve", {0, 1, 2, 5, 6}},
    {"retry", {0, 2, 5, 6}},
    {"check-config", {0, 1, 2, 5, 6}},
    {"verify", {0, 1, 2, 5, 6}},
    {"backup", {0, 2, 5, 6}},
    {"export", {0, 2, 5, 6}},
    {"restore", {0, 1, 2, 4, 5, 6}},
    {"undelete", {0, 1, 2, 4, 5, 6}},
    {"report", {0, 2, 5, 6}},
    {"describe", {0, 2, 6}},
};

// Holds the instance lock of a mirror as a running clevertim-sync would.
class HeldLock {
 public:
  explicit HeldLock(const std::filesystem::path& database)
      : fd_(::open((database.string() + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    REQUIRE(fd_ >= 0);
    REQUIRE(::flock(fd_, LOCK_EX | LOCK_NB) == 0);
  }
  ~HeldLock() { ::close(fd_); }
  HeldLock(const HeldLock&) = delete;
  HeldLock& operator=(const HeldLock&) = delete;

 private:
  int fd_;
};

struct Table : SyncFixture {
  Table() : SyncFixture({"--sample", "30"}, "conflict_policy = \"manual\"\n") {}

  std::map<std::string, std::set<int>> produced;

  // Runs `clevertim-sync --config CONFIG COMMAND ARGS...`, expects `code` and `says` in the
  // output.
  void row(const std::string& command, const std::vector<std::string>& args, int code,
           const std::string& says = "") {
    row_with(config.string(), command, args, code, says);
  }
  void row_with(const std::string& conf, const std::string& command, std::vector<std::string> args,
                int code, const std::string& says = "") {
    std::string line = "--config " + conf + " " + command;
    for (const std::string& a : args) line += " " + a;
    CAPTURE(line);
    args.insert(args.begin(), command);
    const int got = run_clevertim_sync(conf, args, &output);
    CHECK_MESSAGE(got == code, output);
    if (!says.empty()) CHECK_MESSAGE(output.find(says) != std::string::npos, output);
    CHECK_MESSAGE(output.find("terminate called") == std::string::npos, output);
    CHECK(output.find(kTestToken) == std::string::npos);
    if (got == code) produced[command].insert(code);
  }

  // The same configuration with one more line (a key of [server] or [sync]).
  std::string config_with(const std::string& name, const std::string& from, const std::string& to) {
    std::ifstream in(config);
    std::stringstream text;
    text << in.rdbuf();
    std::string t = text.str();
    REQUIRE(t.find(from) != std::string::npos);
    t.replace(t.find(from), from.size(), to);
    const auto path = dir / name;
    std::ofstream(path) << t;
    return path.string();
  }
};

// Arms a failpoint for the runs made while it lives.
struct Failpoint {
  explicit Failpoint(const char* spec) { setenv("CLEVERTIM_FAILPOINT", spec, 1); }
  ~Failpoint() { unsetenv("CLEVERTIM_FAILPOINT"); }
  Failpoint(const Failpoint&) = delete;
  Failpoint& operator=(const Failpoint&) = delete;
};

}  // namespace

TEST_CASE_FIXTURE(Table, "every documented exit code of every command") {
  const std::string missing = (dir / "typo.db").string();
  const std::string no_folder = "/nonexistent/crm.db";
  const std::string bad_level = "--log-level=loud";  // refused before any work: exit 2
  std::string conflict = "1";
  std::string gone = "1";
  // Arguments with which each command would do its work.
  auto arguments_of = [&](const std::string& command) -> std::vector<std::string> {
    if (command == "resolve") return {conflict, "local"};
    if (command == "backup") return {(dir / "spare.db").string()};
    if (command == "export") return {(dir / "spare-export").string()};
    if (command == "restore") return {(dir / "b.db").string(), "--dry-run"};
    if (command == "undelete") return {"contact", gone};
    if (command == "report") return {"--out", (dir / "spare.html").string()};
    return {};
  };

  // 0, and what the later rows need: a mirror, a conflict, a deleted contact in history.
  row("version", {}, 0, "clevertim-sync ");
  row("version", {"--frobnicate"}, 2, "frobnicate");
  row("check-config", {}, 0, "ok");
  row("sync", {}, 0);
  const auto contacts = remote("contact");
  REQUIRE(contacts.size() >= 4);
  const auto first = std::to_string(contacts[0].as_object().at("id").as_int64());
  const auto third = std::to_string(contacts[2].as_object().at("id").as_int64());
  gone = std::to_string(contacts[1].as_object().at("id").as_int64());
  for (const std::string& id : {first, third}) {
    REQUIRE(web("PUT", "contact/" + id, R"({"title": "Remote"})").status == 200);
    shell("UPDATE contacts SET title = 'Local' WHERE id = " + id + ";");
  }
  REQUIRE(web("DELETE", "contact/" + gone).status < 300);
  row("sync", {}, 1, "conflicts wait");  // manual conflicts wait for a person
  conflict = query("SELECT id FROM conflicts WHERE record_id = " + first);
  const std::string other_conflict = query("SELECT id FROM conflicts WHERE record_id = " + third);
  row("status", {}, 0, "mirror:");
  row("conflicts", {}, 0, "contact " + first);
  {
    // 5: a SQLite client keeps a write transaction open past the busy timeout.
    SQLite::Database other(database().string(), SQLite::OPEN_READWRITE);
    other.exec("BEGIN IMMEDIATE");
    row("retry", {}, 5, "locked");
    row("resolve", {conflict, "local"}, 5, "locked");
    other.exec("ROLLBACK");
  }
  row("resolve", {conflict, "local"}, 0, "settled");
  row("resolve", {conflict, "local"}, 1, "no open conflict");
  row("resolve", {other_conflict, "remote"}, 0, "settled");
  row("retry", {}, 0);
  row("sync", {}, 0);
  row("verify", {}, 0, " 0 differences");
  row("backup", {(dir / "b.db").string()}, 0, "integrity ok");
  row("export", {(dir / "export").string()}, 0, "exported");
  row("restore", {(dir / "b.db").string(), "--dry-run"}, 0, "would create");
  row("undelete", {"contact", gone}, 0, "restored");
  row("undelete", {"contact", gone}, 0, "already restored");  // the same command twice
  row("undelete", {"contact", "999999"}, 1, "no deleted contact");
  row("report", {"--out", (dir / "report.html").string()}, 0);
  row("describe", {}, 0, "contacts");

  // 1: the CRM cannot be read (nothing listens on the port), or differs from the mirror.
  const std::string offline =
      config_with("offline.toml", emulator->url(), "http://127.0.0.1:1/api");
  row_with(offline, "sync", {}, 1, "not pulled");
  row_with(offline, "check-config", {}, 1, "FAILED");
  row_with(offline, "verify", {}, 1, "not verified");
  row_with(offline, "restore", {(dir / "b.db").string()}, 1, "cannot read the account");
  row("sync", {}, 0);
  const auto fourth = std::to_string(contacts[3].as_object().at("id").as_int64());
  REQUIRE(web("PUT", "contact/" + fourth, R"({"city": "Elsewhere"})").status == 200);
  row("verify", {}, 1, "CRM 'Elsewhere'");
  row("sync", {}, 0);

  // 2: a bad command line, configuration or token, for every command.
  for (const auto& [command, codes] : kDocumented)
    if (command != "version") {
      std::vector<std::string> args = arguments_of(command);
      args.push_back(bad_level);
      row(command, args, 2, "loud not in");
    }
  row("resolve", {conflict, "mine"}, 2, "mine not in");
  row("undelete", {"contakt", gone}, 2, "contakt not in");
  row("backup", {dir.path().string()}, 2, "folder");
  row("export", {(dir / "export").string()}, 2, "--force");
  row("restore", {(dir / "nothing-here.db").string()}, 2, "cannot read the restore source");
  row("check-config", {"--url", "not a url"}, 2, "cannot be used");
  row("report", {"--since", "last tuesday"}, 2, "last tuesday");
  row("report", {"--out", database().string()}, 2, "mirror");
  {
    std::ofstream(dir / "bad") << "not-the-token\n";
    std::filesystem::permissions(
        dir / "bad", std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }
  const std::string stranger =
      config_with("stranger.toml", (dir / "token").string(), (dir / "bad").string());
  for (const char* command : {"sync", "check-config", "verify"})
    row_with(stranger, command, {}, 2, "refused the API token");
  row_with(stranger, "restore", {(dir / "b.db").string()}, 2, "refused the API token");
  row_with(stranger, "undelete", {"contact", gone}, 2, "refused the API token");

  // 3: a mass deletion is held.
  for (const auto& c : remote("contact"))
    web("DELETE", "contact/" + std::to_string(c.as_object().at("id").as_int64()));
  row("sync", {}, 3, "--allow-mass-delete");
  row("sync", {"--allow-mass-delete"}, 0);

  // 4: another clevertim-sync holds the mirror.
  {
    HeldLock daemon(database());
    row("sync", {}, 4, "already running");
    row("run", {}, 4, "already running");
    row("restore", {(dir / "b.db").string(), "--dry-run"}, 4, "already running");
    row("undelete", {"contact", gone}, 4, "already running");
  }

  // 5: no mirror where one is named (no file is left behind), a folder that does not exist
  // (and, above, a mirror another program keeps locked past the busy timeout).
  for (const char* command : {"status", "conflicts", "retry", "verify"})
    row(command, {"--database", missing}, 5, "there is no mirror at");
  row("resolve", {"--database", missing, conflict, "local"}, 5, "there is no mirror at");
  row("backup", {"--database", missing, (dir / "c.db").string()}, 5, "there is no mirror at");
  row("export", {"--database", missing, (dir / "e2").string()}, 5, "there is no mirror at");
  row("report", {"--database", missing}, 5, "there is no mirror at");
  CHECK_FALSE(std::filesystem::exists(missing));
  for (const char* command : {"sync", "run", "check-config"})
    row(command, {"--database", no_folder}, 5, "/nonexistent");
  row("restore", {"--database", no_folder, (dir / "b.db").string()}, 5, "/nonexistent");
  row("undelete", {"--database", no_folder, "contact", gone}, 5, "/nonexistent");
  row("undelete", {"--database", missing, "contact", gone}, 5, "there is no mirror at");
  CHECK_FALSE(std::filesystem::exists(missing));

  // 6: a bug (an exception nobody expected) is reported as one, never std::terminate.
  {
    Failpoint bug("command:1:bug");
    for (const auto& [command, codes] : kDocumented)
      if (codes.contains(6)) row(command, arguments_of(command), 6, "This is a bug");
  }

  // 0 for `run`: stopped by SIGTERM.
  {
    std::string out;
    const int code = run_command("timeout --preserve-status -s TERM 3 " + clevertim_sync_binary() +
                                     " --config " + config.string() + " run 2>&1",
                                 &out);
    CHECK_MESSAGE(code == 0, out);
    if (code == 0) produced["run"].insert(0);
  }

  for (const auto& [command, codes] : kDocumented)
    for (int code : codes) {
      CAPTURE(command);
      CAPTURE(code);
      CHECK(produced[command].contains(code));
    }
}
