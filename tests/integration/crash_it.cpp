// Beaten up: the daemon killed with SIGKILL at random moments, and cycles against a faulty CRM
// while both sides change. At the end the two sides agree and every change arrived once.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <thread>

#include "integration_fixture.h"
#include "sync_runner.h"

using namespace clevertim::testing;
namespace json = boost::json;

namespace {

pid_t start_daemon(const std::filesystem::path& config) {
  const pid_t pid = fork();
  if (pid == 0) {
    freopen("/dev/null", "w", stderr);
    const std::string binary = clevertim_sync_binary();
    execl(binary.c_str(), binary.c_str(), "--config", config.c_str(), "run", nullptr);
    _exit(127);
  }
  return pid;
}

// Syncs until everything is pushed (a few cycles may be needed after crashes).
void converge(SyncFixture& f) {
  for (int i = 0; i < 6 && f.sync() != 0; ++i) {
  }
  REQUIRE_MESSAGE(f.sync() == 0, f.output);
}

std::map<std::int64_t, json::object> by_id(const json::array& list) {
  std::map<std::int64_t, json::object> out;
  for (const auto& e : list) out[e.at("id").as_int64()] = e.as_object();
  return out;
}

// The mirror holds as many contacts, companies and notes as the CRM, all synced.
void check_mirror_holds(SyncFixture& f, const json::object& state) {
  for (auto [resource, table] : std::initializer_list<std::pair<const char*, const char*>>{
           {"contact", "contacts"}, {"company", "companies"}, {"note", "notes"}}) {
    CHECK(f.number(std::string("SELECT count(*) FROM ") + table) ==
          static_cast<long long>(state.at(resource).as_array().size()));
    CHECK(f.number(std::string("SELECT count(*) FROM ") + table +
                   " WHERE id < 0 OR sync_state <> 'synced'") == 0);
  }
}

// How many rounds: CI's short run by default; bench/long.sh asks for many more.
int rounds_from_environment(const char* variable, int fallback) {
  const char* text = std::getenv(variable);
  if (text == nullptr || *text == '\0') return fallback;
  const int n = std::atoi(text);
  REQUIRE_MESSAGE(n > 0, variable << " must be a positive number of rounds, not '" << text << "'");
  return n;
}

}  // namespace

TEST_CASE("SIGKILL at 50 random moments loses nothing and duplicates nothing") {
  SyncFixture f({"--sample", "30", "--latency-ms", "15"}, "interval = \"300ms\"\n");
  REQUIRE(f.sync() == 0);
  std::mt19937 rng(20261128);
  const json::array contacts = f.remote("contact");
  std::map<std::int64_t, std::string> last_city;
  int notes = 0;
  int interrupted = 0;  // kills that left work undone: proof the kills landed mid-cycle
  const int kills = rounds_from_environment("CLEVERTIM_CRASH_ROUNDS", 50);
  for (int round = 0; round < kills; ++round) {
    const pid_t daemon = start_daemon(f.config);
    // Local changes while the daemon starts, pulls, pushes and rewrites ids.
    const auto contact = contacts[rng() % contacts.size()].at("id").as_int64();
    const std::string city = "K" + std::to_string(round);
    std::string sql =
        "UPDATE contacts SET city = '" + city + "' WHERE id = " + std::to_string(contact) + ";";
    last_city[contact] = city;
    // Chosen ids 10 apart: the five notes inserted without an id take the ones just below, and
    // a negative id can name only one row of the file.
    const std::string company = "-100000 - 10 * " + std::to_string(round);
    sql += "INSERT INTO companies (id, name) VALUES (" + company + ", 'crash co " +
           std::to_string(round) + "');";
    sql += "INSERT INTO notes (description, customer_id) VALUES ('crash note " +
           std::to_string(round) + "', " + company + ");";
    for (int extra = 0; extra < 4; ++extra)
      sql += "INSERT INTO notes (description) VALUES ('crash extra " + std::to_string(round) + "." +
             std::to_string(extra) + "');";
    ++notes;
    f.shell(sql);
    // Timing on purpose, not a condition: the daemon runs for a random while (0-400 ms) so
    // that the SIGKILL lands at a random point of its start, pull, push or id rewriting.
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 400));
    kill(daemon, SIGKILL);
    int status = 0;
    waitpid(daemon, &status, 0);
    if (f.number("SELECT count(*) FROM outbox") > 0) ++interrupted;
  }
  MESSAGE(interrupted << " of " << kills << " kills interrupted pending work");
  CHECK(interrupted >= kills / 10);
  converge(f);
  CHECK(f.query("PRAGMA integrity_check") == "ok");

  const json::object state = f.remote_state();
  std::map<std::string, int> seen;
  for (const auto& n : state.at("note").as_array()) seen[std::string(n.at("desc").as_string())]++;
  for (int round = 0; round < notes; ++round) {
    CHECK_MESSAGE(seen["crash note " + std::to_string(round)] == 1, round);
    for (int extra = 0; extra < 4; ++extra)
      CHECK_MESSAGE(
          seen["crash extra " + std::to_string(round) + "." + std::to_string(extra)] == 1,
          "extra " << round << "." << extra << " seen "
                   << seen["crash extra " + std::to_string(round) + "." + std::to_string(extra)]);
  }
  std::map<std::string, int> companies;
  for (const auto& c : state.at("company").as_array())
    companies[std::string(c.at("cn").as_string())]++;
  for (int round = 0; round < notes; ++round)
    CHECK_MESSAGE(companies["crash co " + std::to_string(round)] == 1, round);
  const auto remote_contacts = by_id(state.at("contact").as_array());
  for (const auto& [id, city] : last_city)
    CHECK(remote_contacts.at(id).at("city") == json::value(city));
  check_mirror_holds(f, state);
}

TEST_CASE("a faulty CRM, both sides editing: the sides converge, every edit accounted for") {
  SyncFixture f(
      {"--sample", "20", "--fault-5xx", "0.2", "--fault-reset", "0.05", "--fault-truncate", "0.02",
       "--fault-429", "0.05", "--retry-after", "0", "--latency-ms", "1", "--fault-seed", "7"},
      "retry_attempts = 8\n");
  for (int i = 0; i < 4 && f.sync() != 0; ++i) {
  }
  std::mt19937 rng(7);
  const json::array contacts = f.remote("contact");
  std::map<std::int64_t, std::string> local_city, remote_title;
  const int rounds = rounds_from_environment("CLEVERTIM_SOAK_ROUNDS", 20);
  for (int round = 0; round < rounds; ++round) {
    const auto a = contacts[rng() % contacts.size()].at("id").as_int64();
    const auto b = contacts[rng() % contacts.size()].at("id").as_int64();
    f.shell("UPDATE contacts SET city = 'L" + std::to_string(round) +
            "' WHERE id = " + std::to_string(a) +
            ";"
            "INSERT INTO notes (description) VALUES ('soak " +
            std::to_string(round) + "');");
    local_city[a] = "L" + std::to_string(round);
    if (f.web("PUT", "contact/" + std::to_string(b),
              "{\"title\": \"R" + std::to_string(round) + "\"}")
            .status == 200)
      remote_title[b] = "R" + std::to_string(round);
    f.sync();  // may fail: faults
  }
  REQUIRE(
      control(*f.emulator, "PUT", "faults", R"({"5xx": 0, "reset": 0, "truncate": 0, "429": 0})")
          .status == 200);
  converge(f);
  const json::object state = f.remote_state();
  const auto remote = by_id(state.at("contact").as_array());
  for (const auto& [id, city] : local_city) CHECK(remote.at(id).at("city") == json::value(city));
  for (const auto& [id, title] : remote_title) {
    CHECK(remote.at(id).at("title") == json::value(title));
    CHECK(f.query("SELECT title FROM contacts WHERE id = " + std::to_string(id)) == title);
  }
  std::map<std::string, int> seen;
  for (const auto& n : state.at("note").as_array()) seen[std::string(n.at("desc").as_string())]++;
  for (int round = 0; round < rounds; ++round) CHECK(seen["soak " + std::to_string(round)] == 1);
  CHECK(f.number("SELECT count(*) FROM contacts WHERE sync_state <> 'synced'") == 0);
}

// A first fill is written while each list arrives, in one transaction per list that commits only
// once the list is whole (sync/cycle.cpp, apply_early; the daemon does it from 5000 elements,
// here from the first). Killed at random moments of first fills, with a local write landing
// meanwhile, and the lists cut short now and then (each cut restarts a list): the next sync
// leaves the mirror whole, equal to the CRM, with the local write pushed once.
TEST_CASE("first fills written as they arrive, killed at random moments, end whole") {
  setenv("CLEVERTIM_EARLY_APPLY_FROM", "1", 1);
  SyncFixture f(
      {"--sample", "2000", "--latency-ms", "2", "--fault-seed", "7", "--fault-truncate", "0.1"},
      "interval = \"1h\"\n");
  std::mt19937 rng(20261201);
  // How long a whole first sync takes in this build (a sanitizer's is several times slower):
  // the kills land anywhere in it.
  const auto began = std::chrono::steady_clock::now();
  REQUIRE_MESSAGE(f.sync() == 0, f.output);
  const auto first_sync_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::steady_clock::now() - began)
                                 .count();
  const int rounds = rounds_from_environment("CLEVERTIM_CRASH_ROUNDS", 50) * 2 / 5;
  int partial = 0;  // kills that left a first fill unfinished: proof they landed mid-fill
  for (int round = 0; round < rounds; ++round) {
    for (const char* suffix : {"", "-wal", "-shm"})
      std::filesystem::remove(f.database().string() + suffix);
    const pid_t daemon = start_daemon(f.config);
    // Timing on purpose, not a condition: the SIGKILL lands at a random point of a first sync.
    std::this_thread::sleep_for(
        std::chrono::milliseconds(rng() % static_cast<unsigned>(first_sync_ms + 1)));
    kill(daemon, SIGKILL);
    int status = 0;
    waitpid(daemon, &status, 0);
    if (std::filesystem::exists(f.database()) &&
        f.query("SELECT count(*) FROM sqlite_schema WHERE name = 'contacts'") == "1") {
      const long long rows =
          f.number("SELECT (SELECT count(*) FROM contacts) + (SELECT count(*) FROM notes)");
      if (rows < static_cast<long long>(f.remote("contact").size() + f.remote("note").size()))
        ++partial;
      f.shell("INSERT INTO notes (description) VALUES ('first fill note " + std::to_string(round) +
              "');");
    }
    converge(f);
    CHECK(f.query("PRAGMA integrity_check") == "ok");
    CHECK_MESSAGE(run_clevertim_sync(f.config, {"verify"}, &f.output) == 0, f.output);
  }
  unsetenv("CLEVERTIM_EARLY_APPLY_FROM");
  MESSAGE(partial << " of " << rounds << " kills left a first fill unfinished");
  CHECK(partial >= 1);
  const json::object state = f.remote_state();
  std::map<std::string, int> seen;
  for (const auto& n : state.at("note").as_array()) seen[std::string(n.at("desc").as_string())]++;
  for (const auto& [desc, count] : seen)
    if (desc.rfind("first fill note", 0) == 0) CHECK_MESSAGE(count == 1, desc);
  check_mirror_holds(f, state);
}
