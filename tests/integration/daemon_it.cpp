// `clevertim-sync run` as a real process (issue: daemon).
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include "integration_fixture.h"

using namespace clevertim::testing;
using namespace std::chrono_literals;

namespace {

// The daemon, started with `run`, stopped with SIGTERM; stderr goes to a file.
struct Daemon {
  pid_t pid = -1;
  std::filesystem::path log;
  Daemon(const std::filesystem::path& config, const std::filesystem::path& log_file,
         const std::string& notify_socket = "")
      : log(log_file) {
    pid = fork();
    if (pid == 0) {
      const int fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(fd, STDERR_FILENO);
      dup2(fd, STDOUT_FILENO);
      if (!notify_socket.empty()) {
        setenv("NOTIFY_SOCKET", notify_socket.c_str(), 1);
        setenv("WATCHDOG_USEC", "1000000", 1);
        setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
      }
      const std::string binary = clevertim_sync_binary();
      execl(binary.c_str(), binary.c_str(), "--config", config.c_str(), "run", nullptr);
      _exit(127);
    }
  }
  int stop(int signal = SIGTERM) {
    if (pid <= 0) return -1;
    kill(pid, signal);
    int status = 0;
    waitpid(pid, &status, 0);
    pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  // The exit code once the daemon ended by itself within `limit`; nullopt if it still runs.
  std::optional<int> exit_within(std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (pid > 0) {
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      if (std::chrono::steady_clock::now() >= end) return std::nullopt;
      std::this_thread::sleep_for(20ms);
    }
    return std::nullopt;
  }
  std::string output() const {
    std::ifstream in(log);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  ~Daemon() { stop(SIGKILL); }
};

// Polls `check` every 20 ms until it holds or `limit` passes.
template <class Check>
bool eventually(Check check, std::chrono::milliseconds limit = 10s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (check()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return check();
}

}  // namespace

TEST_CASE_FIXTURE(SyncFixture, "the daemon pushes a local write within about a second") {
  REQUIRE(sync() == 0);  // the mirror exists and is current
  std::ofstream(config, std::ios::app) << "interval = \"1h\"\n";
  Daemon daemon(config, dir / "daemon.log");
  REQUIRE(eventually([&] { return daemon.output().find("sync:") != std::string::npos; }));
  const auto id = std::to_string(remote("contact")[0].as_object().at("id").as_int64());
  const auto start = std::chrono::steady_clock::now();
  shell("UPDATE contacts SET city = 'Instant' WHERE id = " + id + ";");
  CHECK(eventually(
      [&] { return remote_element("contact", std::stoll(id)).at("city") == "Instant"; }, 2s));
  const auto took = std::chrono::steady_clock::now() - start;
  MESSAGE(
      "local write -> CRM: " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                             << " ms");
  CHECK(daemon.stop() == 0);
}

TEST_CASE("the daemon picks up a remote change within one interval") {
  SyncFixture f({"--sample", "10"}, "interval = \"1s\"\n");
  Daemon daemon(f.config, f.dir / "daemon.log");
  REQUIRE(eventually([&] {
    try {
      return f.query("SELECT count(*) FROM sync_runs WHERE ended_at IS NOT NULL") != "0";
    } catch (const std::exception&) {
      return false;  // not created yet
    }
  }));
  const auto id = std::to_string(f.remote("contact")[0].as_object().at("id").as_int64());
  REQUIRE(f.web("PUT", "contact/" + id, R"({"city": "Remote"})").status == 200);
  CHECK(eventually(
      [&] { return f.query("SELECT city FROM contacts WHERE id = " + id) == "Remote"; }, 5s));
  CHECK(daemon.stop(SIGINT) == 0);
}

TEST_CASE("SIGHUP reloads the configuration, a bad one is reported and the old one kept") {
  SyncFixture f({"--sample", "5"}, "interval = \"1h\"\n");
  Daemon daemon(f.config, f.dir / "daemon.log");
  REQUIRE(eventually([&] { return daemon.output().find("sync:") != std::string::npos; }));
  // A bad line: the daemon says so and keeps running on the old configuration.
  std::ofstream(f.config, std::ios::app) << "colour = \"blue\"\n";
  kill(daemon.pid, SIGHUP);
  CHECK(eventually([&] { return daemon.output().find("reload failed") != std::string::npos; }));
  CHECK(daemon.output().find("unknown key 'sync.colour'") != std::string::npos);
  // Fixed: the reload goes through.
  f.config = write_sync_config(f.dir, *f.emulator, "interval = \"1h\"\n");
  kill(daemon.pid, SIGHUP);
  CHECK(eventually(
      [&] { return daemon.output().find("configuration reloaded") != std::string::npos; }));
  CHECK(daemon.stop() == 0);
}

TEST_CASE("a second daemon on the same mirror is refused, naming the first") {
  SyncFixture f({"--sample", "5"}, "interval = \"1h\"\n");
  Daemon first(f.config, f.dir / "first.log");
  REQUIRE(eventually([&] { return first.output().find("sync:") != std::string::npos; }));
  std::string out;
  CHECK(run_clevertim_sync(f.config, {"run"}, &out) == 4);
  CHECK(out.find("pid " + std::to_string(first.pid)) != std::string::npos);
  CHECK(run_clevertim_sync(f.config, {"sync"}, &out) == 4);
  CHECK(first.stop() == 0);
}

TEST_CASE("SIGTERM in the middle of a push loses nothing") {
  SyncFixture f({"--sample", "20", "--latency-ms", "30"}, "interval = \"1h\"\n");
  REQUIRE(f.sync() == 0);
  std::string sql = "BEGIN;";
  for (int i = 0; i < 60; ++i)
    sql += "INSERT INTO notes (description) VALUES ('n" + std::to_string(i) + "');";
  sql += "COMMIT;";
  // How many of the 60 notes the CRM holds.
  const auto remote_new = [&f] {
    long long count = 0;
    for (const auto& n : f.remote("note")) {
      const std::string d(n.as_object().at("desc").as_string());
      if (d.starts_with("n") && d.size() <= 3 && std::isdigit(static_cast<unsigned char>(d[1])))
        ++count;
    }
    return count;
  };
  Daemon daemon(f.config, f.dir / "daemon.log");
  REQUIRE(eventually([&] { return daemon.output().find("sync:") != std::string::npos; }));
  f.shell(sql);
  // SIGTERM once the push is under way: the first notes reached the CRM.
  REQUIRE(eventually([&] { return remote_new() > 0; }));
  CHECK(daemon.stop() == 0);
  MESSAGE(remote_new() << " of 60 notes had reached the CRM when the daemon stopped");
  CHECK(f.query("PRAGMA integrity_check") == "ok");
  // Whatever was not pushed is still pending; the next sync finishes the job, exactly once.
  CHECK(f.sync() == 0);
  CHECK(remote_new() == 60);
  CHECK(f.number("SELECT count(*) FROM notes WHERE id < 0") == 0);
}

TEST_CASE("READY, STATUS and WATCHDOG reach the NOTIFY_SOCKET") {
  SyncFixture f({"--sample", "5"}, "interval = \"1h\"\n");
  const std::string socket_path = (f.dir / "notify.sock").string();
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket_path.c_str());
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  Daemon daemon(f.config, f.dir / "daemon.log", socket_path);
  std::vector<std::string> messages;
  bool ready = false, status = false, watchdog = false;
  for (int i = 0; i < 50 && !(ready && status && watchdog); ++i) {
    char buf[1024] = {};
    const ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
    if (n <= 0) break;
    const std::string m(buf, static_cast<size_t>(n));
    ready = ready || m == "READY=1";
    status = status || m.starts_with("STATUS=last sync");
    watchdog = watchdog || m == "WATCHDOG=1";
  }
  CHECK(ready);
  CHECK(status);
  CHECK(watchdog);
  CHECK(daemon.stop() == 0);
  close(fd);
}

// An immediate push happens minutes after the last pull: it must not merge with that stale
// version of the element (issue 12, item 1). Under every policy that keeps the CRM's edit, a
// same-field CRM edit made since the pull survives and a conflict says so.
TEST_CASE("run: an immediate push never overwrites a CRM edit made since the last pull") {
  for (const char* policy : {"manual", "remote-wins"}) {
    CAPTURE(policy);
    SyncFixture f({"--sample", "10"},
                  std::string("interval = \"20s\"\nconflict_policy = \"") + policy + "\"\n");
    REQUIRE(f.sync() == 0);
    const auto id = std::to_string(f.remote("contact")[0].at("id").as_int64());
    Daemon daemon(f.config, f.dir / "daemon.log");
    REQUIRE(eventually([&] { return daemon.output().find("sync:") != std::string::npos; }));
    REQUIRE(f.web("PUT", "contact/" + id, R"({"title": "Set in the CRM"})").status == 200);
    f.shell("UPDATE contacts SET title = 'Set here' WHERE id = " + id + ";");
    // The push happened (nothing left in the outbox, or the row waits for a person).
    REQUIRE(eventually([&] {
      return f.number("SELECT count(*) FROM conflicts WHERE record_id = " + id) > 0 ||
             f.number("SELECT count(*) FROM outbox") == 0;
    }));
    daemon.stop();
    CHECK(f.remote_element("contact", std::stoll(id)).at("title") == "Set in the CRM");
    CHECK(f.number("SELECT count(*) FROM conflicts WHERE record_id = " + id) == 1);
    CHECK(f.query("SELECT remote FROM conflicts WHERE record_id = " + id).find("Set in the CRM") !=
          std::string::npos);
  }
}

namespace {

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

// Issue 12, item 17: the mirror (or its WAL) deleted or replaced under `run`. The daemon must
// not go on syncing a file nobody can see any more: it stops within a cycle or two, exit 5,
// naming the path and the way out.
TEST_CASE("run: a mirror or WAL deleted or replaced under the daemon stops it with exit 5") {
  for (const std::string what : {"mirror deleted", "wal deleted", "mirror replaced"}) {
    CAPTURE(what);
    SyncFixture f({"--sample", "5"}, "interval = \"300ms\"\n");
    REQUIRE(f.sync() == 0);
    const std::string db = f.database().string();
    Daemon daemon(f.config, f.dir / "daemon.log");
    REQUIRE(eventually([&] { return count_of(daemon.output(), "sync:") >= 2; }));
    REQUIRE(std::filesystem::exists(db + "-wal"));  // the daemon's connection keeps it
    if (what == "mirror deleted") {
      std::filesystem::remove(db);
    } else if (what == "wal deleted") {
      std::filesystem::remove(db + "-wal");
    } else {
      std::filesystem::copy_file(db, db + ".copy");
      std::filesystem::rename(db + ".copy", db);
    }
    const std::size_t cycles_before = count_of(daemon.output(), "sync:");
    const std::optional<int> code = daemon.exit_within(10s);
    REQUIRE_MESSAGE(code.has_value(), daemon.output());
    CHECK(*code == 5);
    const std::string log = daemon.output();
    CHECK(count_of(log, "sync:") <= cycles_before + 1);
    const std::string path = what == "wal deleted" ? db + "-wal" : db;
    CHECK_MESSAGE(log.find(path + " was deleted or replaced") != std::string::npos, log);
    CHECK(log.find("restore") != std::string::npos);
    CHECK(log.find("full pull") != std::string::npos);
  }
}

// Issue 13, items 13-14: what `status` tells about holds and the daemon that runs.
TEST_CASE("status shows held pull deletions, and the running daemon's own interval") {
  SyncFixture f({"--sample", "30"});
  REQUIRE(f.sync() == 0);
  const auto contacts = f.remote("contact");
  for (std::size_t i = 0; i < 20; ++i)
    REQUIRE(f.web("DELETE", "contact/" + std::to_string(contacts[i].at("id").as_int64())).status ==
            200);
  CHECK(f.sync() == 3);
  REQUIRE(f.sync({"status", "--json"}) == 0);
  const auto status = boost::json::parse(f.output).as_object();
  // The contacts, and the notes the CRM deleted with them.
  std::int64_t total = 0, contact_holds = 0;
  for (const auto& h : status.at("held_deletions").as_array()) {
    total += h.at("count").as_int64();
    CHECK(h.at("direction") == "pull");
    if (h.at("resource") == "contact") contact_holds = h.at("count").as_int64();
  }
  CHECK(contact_holds == 20);
  CHECK(status.at("held").as_int64() == total);
  REQUIRE(f.sync({"status"}) == 0);
  CHECK_MESSAGE(f.output.find("held: 20 contact deletions (missing from the CRM's list)") !=
                    std::string::npos,
                f.output);
  REQUIRE(f.sync({"sync", "--allow-mass-delete"}) == 0);
  REQUIRE(f.sync({"status", "--json"}) == 0);
  CHECK(boost::json::parse(f.output).at("held").as_int64() == 0);

  // A daemon started with --interval 10s: status says so, not the configured 300 s.
  pid_t pid = fork();
  if (pid == 0) {
    freopen("/dev/null", "w", stderr);
    const std::string binary = clevertim_sync_binary();
    execl(binary.c_str(), binary.c_str(), "--config", f.config.c_str(), "--interval", "10s", "run",
          nullptr);
    _exit(127);
  }
  CHECK(eventually([&] {
    f.sync({"status"});
    return f.output.find("10 s after the last one (the running daemon's interval)") !=
           std::string::npos;
  }));
  CHECK(f.output.find("last success: ") != std::string::npos);
  kill(pid, SIGTERM);
  int st = 0;
  waitpid(pid, &st, 0);
}
