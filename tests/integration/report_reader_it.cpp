// A report reader (issue 13, item 20): a member of storage.report_group, not root and not the
// service's user, reads the mirror with the sqlite3 shell, the daemon stopped and running.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "integration_fixture.h"

using namespace clevertim::testing;

namespace {

constexpr const char* kGroup = "clevertim-test-readers";
constexpr const char* kReader = "clevertim-test-reader";

std::string run_shell(const std::string& command, int* status) {
  std::string out;
  *status = run_command(command, &out);
  return out;
}

// `sql` run by the reader: a member of the report group only, with no other privilege.
std::string as_reader(const std::string& database, const std::string& sql, int* status) {
  return run_shell(std::string("setpriv --reuid=") + kReader + " --regid=" + kGroup +
                       " --clear-groups sqlite3 -readonly '" + database + "' \"" + sql + "\"",
                   status);
}

}  // namespace

TEST_CASE("a member of storage.report_group reads the mirror, daemon stopped or running") {
  if (geteuid() != 0) {
    MESSAGE("skipped: making a test user and group needs root (CI runs as root)");
    return;
  }
  int status = 0;
  run_shell(std::string("getent group ") + kGroup + " || groupadd " + kGroup, &status);
  REQUIRE(status == 0);
  run_shell(std::string("id ") + kReader + " || useradd -M -N -g " + kGroup + " " + kReader,
            &status);
  REQUIRE(status == 0);

  SyncFixture f({"--sample", "10"});
  // The folder the service keeps the mirror in: its group may enter, not write.
  chmod(f.dir.path().c_str(), 0750);
  run_shell("chgrp " + std::string(kGroup) + " '" + f.dir.path().string() + "'", &status);
  REQUIRE(status == 0);
  std::stringstream config;
  config << std::ifstream(f.config).rdbuf();
  std::string text = config.str();
  const auto at = text.find("[storage]\n");
  REQUIRE(at != std::string::npos);
  text.insert(at + 10, "report_group = \"" + std::string(kGroup) + "\"\n");
  std::ofstream(f.config) << text;
  REQUIRE_MESSAGE(f.sync() == 0, f.output);
  const std::string db = f.database().string();
  const std::string rows = f.query("SELECT count(*) FROM contacts");

  // Stopped: no process has the mirror open.
  CHECK_MESSAGE(as_reader(db, "SELECT count(*) FROM contacts", &status) == rows + "\n", db);
  CHECK(status == 0);
  CHECK(as_reader("file:" + db + "?mode=ro", "SELECT count(*) FROM contacts", &status) ==
        rows + "\n");
  // The reader cannot write, and has not made the mirror's folder writable by trying.
  as_reader(db, "UPDATE contacts SET city = 'x'", &status);
  CHECK(status != 0);

  // Running.
  const pid_t daemon = fork();
  if (daemon == 0) {
    std::freopen("/dev/null", "w", stderr);
    const std::string binary = clevertim_sync_binary();
    execl(binary.c_str(), binary.c_str(), "--config", f.config.c_str(), "run", nullptr);
    _exit(127);
  }
  bool read_while_running = false;
  for (int i = 0; i < 50 && !read_while_running; ++i) {
    read_while_running = as_reader(db, "SELECT count(*) FROM contacts", &status) == rows + "\n";
    if (!read_while_running) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(read_while_running);
  kill(daemon, SIGTERM);
  int st = 0;
  waitpid(daemon, &st, 0);
  CHECK(as_reader(db, "SELECT count(*) FROM contacts", &status) == rows + "\n");
}
