#include "checker.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "integration_fixture.h"
#include "oracle.h"

namespace clevertim::testing::convergence {
namespace {

namespace json = boost::json;

constexpr TrackedField kFields[] = {
    {"contacts", "contact", "title", "title"}, {"contacts", "contact", "city", "city"},
    {"companies", "company", "city", "city"},  {"companies", "company", "region", "region"},
    {"notes", "note", "type", "type"},         {"tasks", "task", "location", "location"},
};

constexpr const char* kPolicies[] = {"newest", "remote-wins", "local-wins", "manual"};

// The faults a one-shot may be, and the requests it may hit.
constexpr const char* kFaults[] = {
    "5xx", "429", "503", "reset", "truncate", "empty", "drop_after_commit"};
constexpr const char* kMethods[] = {"", "GET", "POST", "PUT", "DELETE"};

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

pid_t start_daemon(const std::filesystem::path& config) {
  std::fflush(nullptr);  // or the child's freopen writes the parent's buffered output again
  const pid_t pid = fork();
  if (pid == 0) {
    std::freopen("/dev/null", "w", stderr);
    std::freopen("/dev/null", "w", stdout);
    const std::string binary = clevertim_sync_binary();
    execl(binary.c_str(), binary.c_str(), "--config", config.c_str(), "run", nullptr);
    _exit(127);
  }
  return pid;
}

// Steps that run on two threads at once (two local writers) draw from their own generator and
// mark their values with their own number, so a history stays deterministic in what it asks.
thread_local std::mt19937_64* thread_rng = nullptr;
thread_local int thread_number = 0;

class Generator {
 public:
  Generator(const Options& options, SyncFixture& f)
      : options_(options), f_(f), rng_(options.seed * 7919 + 17) {
    history_.seed = options.seed;
    history_.policy = kPolicies[options.seed % 4];
    history_.daemon = options.daemon;
  }

  History run() {
    f_.sync();
    for (int step = 1; step <= options_.steps; ++step) {
      // Each step draws from its own generator: leaving steps out (shrinking) keeps what the
      // others ask for.
      rng_.seed(options_.seed * 7919 + static_cast<std::uint64_t>(step) * 104729);
      if (!options_.skip.contains(step)) one_step(step);
    }
    return std::move(history_);
  }

 private:
  std::uint64_t pick(std::uint64_t n) {
    std::mt19937_64& rng = thread_rng != nullptr ? *thread_rng : rng_;
    return n == 0 ? 0 : rng() % n;
  }
  bool chance(int percent) { return pick(100) < static_cast<std::uint64_t>(percent); }
  std::string marker(char side, int step, int sub = thread_number) {
    return std::string(1, side) + std::to_string(options_.seed) + "_" + std::to_string(step) +
           (sub ? "_" + std::to_string(sub) : "");
  }
  void say(int step, const std::string& line) {
    const std::lock_guard lock(mutex_);
    history_.steps.push_back("step " + std::to_string(step) +
                             (thread_number ? "." + std::to_string(thread_number) : "") + ": " +
                             line);
  }

  void one_step(int step) {
    if (options_.pauses && history_.policy == "newest" && pick(100) < 5) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2100));
      say(step, "pause 2.1 s");
    }
    const auto kind = pick(100);
    if (kind < 19)
      local_update(step);
    else if (kind < 24)
      concurrent_local_writes(step);
    else if (kind < 36)
      local_insert(step);
    else if (kind < 42)
      local_delete(step);
    else if (kind < 58)
      remote_update(step);
    else if (kind < 63)
      remote_create(step);
    else if (kind < 66)
      remote_delete(step);
    else if (kind < 68)
      remote_soft_delete_task(step);
    else if (kind < 78 && options_.faults)
      fault(step);
    else if (kind < 90 || !options_.daemon)
      sync(step);
    else
      daemon_phase(step);
  }

  template <class Change>
  void record(Change change) {
    const std::lock_guard lock(mutex_);
    change(history_);
  }

  // Two writers at the same instant, each on its own connection, as a person in a GUI and a
  // script do: one waits for the other's write lock (or gives up, which is then recorded).
  void concurrent_local_writes(int step) {
    std::mt19937_64 first(rng_()), second(rng_());
    auto writer = [&](std::mt19937_64* rng, int number) {
      thread_rng = rng;
      thread_number = number;
      const auto kind = pick(3);
      if (kind == 0)
        local_update(step);
      else if (kind == 1)
        local_insert(step);
      else
        local_delete(step);
      thread_rng = nullptr;
      thread_number = 0;
    };
    std::thread other(writer, &second, 2);
    writer(&first, 1);
    other.join();
  }

  // ---- local side: SQL from another process's point of view (own connections) ----------

  SQLite::Database open() {
    SQLite::Database db(f_.database().string(), SQLite::OPEN_READWRITE, 5000);
    return db;
  }

  std::vector<std::int64_t> ids(SQLite::Database& db, const char* table) {
    std::vector<std::int64_t> out;
    SQLite::Statement q(db, std::string("SELECT id FROM ") + table + " ORDER BY id");
    while (q.executeStep()) out.push_back(q.getColumn(0).getInt64());
    return out;
  }

  static std::string text_of(SQLite::Database& db, const std::string& sql, std::int64_t id) {
    SQLite::Statement q(db, sql);
    q.bind(1, id);
    if (!q.executeStep() || q.getColumn(0).isNull()) return "";
    return q.getColumn(0).getString();
  }

  // Conflicts need both sides on one field of one element: often, an edit goes where the other
  // side's last edit went (when that element still has a positive id on this side).
  std::optional<std::pair<const TrackedField*, std::int64_t>> where_the_other_side_wrote(
      const std::vector<Write>& theirs) {
    std::lock_guard lock(mutex_);
    if (theirs.empty() || pick(100) >= 40) return std::nullopt;
    const Write& w = theirs.back();
    for (const TrackedField& f : kFields)
      if (w.resource == f.resource && w.api == f.api && w.id > 0) return std::make_pair(&f, w.id);
    return std::nullopt;
  }

  void local_update(int step) {
    const auto target = where_the_other_side_wrote(history_.remote_writes);
    const TrackedField& field = target ? *target->first : kFields[pick(std::size(kFields))];
    try {
      SQLite::Database db = open();
      SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
      const auto all = ids(db, field.table);
      if (all.empty()) return;
      const std::int64_t id = target ? target->second : all[pick(all.size())];
      Write w{step, field.resource, id, field.api, field.column, marker('L', step), "", 0};
      w.seen = text_of(
          db, std::string("SELECT ") + field.column + " FROM " + field.table + " WHERE id = ?", id);
      SQLite::Statement u(
          db, std::string("UPDATE ") + field.table + " SET " + field.column + " = ? WHERE id = ?");
      u.bind(1, w.value);
      u.bind(2, id);
      w.at_ms = now_ms();
      const int changed = u.exec();
      tx.commit();
      if (changed == 0) {  // another writer deleted it meanwhile
        say(step, "local UPDATE " + std::string(field.table) + " " + std::to_string(id) +
                      " matched no row");
        return;
      }
      say(step, "local UPDATE " + std::string(field.table) + " " + std::to_string(id) + " " +
                    field.column + " = " + w.value + " (saw '" + w.seen + "')");
      record([&](History& h) { h.local_writes.push_back(std::move(w)); });
    } catch (const std::exception& e) {
      say(step, std::string("local UPDATE refused: ") + e.what());
    }
  }

  // A new company and a contact linked to it by a chosen negative id, or a new note on an
  // existing customer, or a plain new contact: in one transaction, as a script writes them.
  void local_insert(int step) {
    try {
      SQLite::Database db = open();
      SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
      const auto shape = pick(3);
      if (shape == 0) {
        const std::int64_t local_id = -(1000000 + static_cast<std::int64_t>(options_.seed) * 1000 +
                                        step + 100 * thread_number);
        const std::string company = marker('C', step), person = marker('P', step);
        SQLite::Statement c(db, "INSERT INTO companies (id, name) VALUES (?, ?)");
        c.bind(1, local_id);
        c.bind(2, company);
        c.exec();
        SQLite::Statement p(db, "INSERT INTO contacts (first_name, company_id) VALUES (?, ?)");
        p.bind(1, person);
        p.bind(2, local_id);
        p.exec();
        tx.commit();
        record([&](History& h) {
          h.creates.push_back({step, "company", "cn", company, true});
          h.creates.push_back({step, "contact", "fn", person, true});
        });
        say(step, "local INSERT company " + company + " (id " + std::to_string(local_id) +
                      ") and contact " + person + " linked to it");
      } else if (shape == 1) {
        const auto customers = ids(db, "contacts");
        const std::string note = marker('N', step);
        SQLite::Statement n(db, "INSERT INTO notes (description, customer_id) VALUES (?, ?)");
        n.bind(1, note);
        if (customers.empty())
          n.bind(2);
        else
          n.bind(2, customers[pick(customers.size())]);
        n.exec();
        tx.commit();
        record([&](History& h) { h.creates.push_back({step, "note", "desc", note, true}); });
        say(step, "local INSERT note " + note);
      } else {
        const std::string person = marker('P', step);
        SQLite::Statement p(db, "INSERT INTO contacts (first_name) VALUES (?)");
        p.bind(1, person);
        p.exec();
        tx.commit();
        record([&](History& h) { h.creates.push_back({step, "contact", "fn", person, true}); });
        say(step, "local INSERT contact " + person);
      }
    } catch (const std::exception& e) {
      say(step, std::string("local INSERT refused: ") + e.what());
    }
  }

  void local_delete(int step) {
    const TrackedField& field = kFields[pick(std::size(kFields))];
    try {
      SQLite::Database db = open();
      SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
      const auto all = ids(db, field.table);
      if (all.empty()) return;
      const std::int64_t id = all[pick(all.size())];
      Delete d{step, field.resource, id, true, "", {}};
      for (const TrackedField& t : kFields)
        if (std::string(t.table) == field.table)
          d.seen[t.api] = text_of(
              db, std::string("SELECT ") + t.column + " FROM " + t.table + " WHERE id = ?", id);
      const std::string table = field.table;
      const char* naming = table == "companies"  ? "name"
                           : table == "contacts" ? "first_name"
                           : table == "tasks"    ? "name"
                                                 : "description";
      d.marker = text_of(
          db, std::string("SELECT ") + naming + " FROM " + field.table + " WHERE id = ?", id);
      SQLite::Statement q(db, std::string("DELETE FROM ") + field.table + " WHERE id = ?");
      q.bind(1, id);
      q.exec();
      tx.commit();
      say(step, "local DELETE " + std::string(field.table) + " " + std::to_string(id));
      record([&](History& h) { h.deletes.push_back(std::move(d)); });
    } catch (const std::exception& e) {
      say(step, std::string("local DELETE refused: ") + e.what());
    }
  }

  // ---- the CRM's side: edits "from the web app" ------------------------------------------

  std::vector<json::object> remote_elements(const std::string& resource) {
    std::vector<json::object> out;
    for (const auto& e : f_.remote(resource)) out.push_back(e.as_object());
    return out;
  }

  void remote_update(int step) {
    const auto target = where_the_other_side_wrote(history_.local_writes);
    const TrackedField& field = target ? *target->first : kFields[pick(std::size(kFields))];
    const auto all = remote_elements(field.resource);
    if (all.empty()) return;
    const std::int64_t id =
        target ? target->second : all[pick(all.size())].at("id").to_number<std::int64_t>();
    Write w{step, field.resource, id, field.api, field.column, marker('R', step), "", 0};
    w.at_ms = now_ms();
    const HttpAnswer a = f_.web("PUT", std::string(field.resource) + "/" + std::to_string(id),
                                json::serialize(json::object{{field.api, w.value}}));
    say(step, "CRM PUT " + std::string(field.resource) + " " + std::to_string(id) + " " +
                  field.api + " = " + w.value + " -> " + std::to_string(a.status));
    if (a.status == 200) history_.remote_writes.push_back(std::move(w));
  }

  void remote_create(int step) {
    const auto which = pick(3);
    const char* resource = which == 0 ? "company" : which == 1 ? "contact" : "note";
    const char* api = which == 0 ? "cn" : which == 1 ? "fn" : "desc";
    const std::string m = marker('W', step);
    const HttpAnswer a = f_.web("POST", resource, json::serialize(json::object{{api, m}}));
    say(step, "CRM POST " + std::string(resource) + " " + m + " -> " + std::to_string(a.status));
    if (a.status == 200) history_.creates.push_back({step, resource, api, m, false});
    history_.remote_events_ms.push_back(now_ms());
  }

  void remote_delete(int step) {
    const auto which = pick(3);
    const char* resource = which == 0 ? "company" : which == 1 ? "contact" : "note";
    const char* api = which == 0 ? "cn" : which == 1 ? "fn" : "desc";
    const auto all = remote_elements(resource);
    if (all.empty()) return;
    const json::object& e = all[pick(all.size())];
    const std::int64_t id = e.at("id").to_number<std::int64_t>();
    Delete d{step, resource, id, false, "", {}};
    if (const auto* m = e.if_contains(api); m && m->is_string()) d.marker = m->as_string();
    const HttpAnswer a = f_.web("DELETE", std::string(resource) + "/" + std::to_string(id));
    say(step, "CRM DELETE " + std::string(resource) + " " + std::to_string(id) + " -> " +
                  std::to_string(a.status));
    if (a.status == 200) history_.deletes.push_back(std::move(d));
    history_.remote_events_ms.push_back(now_ms());
  }

  // API.md names `PUT is_deleted: true` as a way to delete a task; the CRM then drops it
  // from its lists (the emulator does so with shapes on).
  void remote_soft_delete_task(int step) {
    const auto all = remote_elements("task");
    if (all.empty()) return;
    const std::int64_t id = all[pick(all.size())].at("id").to_number<std::int64_t>();
    const HttpAnswer a = f_.web("PUT", "task/" + std::to_string(id), R"({"is_deleted": true})");
    say(step,
        "CRM PUT task " + std::to_string(id) + " is_deleted = true -> " + std::to_string(a.status));
    if (a.status == 200) history_.deletes.push_back({step, "task", id, false, "", {}});
    history_.remote_events_ms.push_back(now_ms());
  }

  // ---- faults, syncs, the daemon -------------------------------------------------------

  void fault(int step) {
    const std::string name = kFaults[pick(std::size(kFaults))];
    const std::string method = kMethods[pick(std::size(kMethods))];
    f_.next_fault(name, method, "");
    say(step, "fault " + name + " on the next " + (method.empty() ? "request" : method));
  }

  void sync(int step) {
    const int code = f_.sync();
    // CLEVERTIM_CONVERGENCE_VERBOSE=2 keeps what every sync of the history printed.
    const char* verbose = std::getenv("CLEVERTIM_CONVERGENCE_VERBOSE");
    say(step, "sync -> " + std::to_string(code) +
                  (verbose != nullptr && std::string(verbose) == "2" ? "\n" + f_.output : ""));
  }

  // The daemon runs while a local write lands (its immediate push), then is killed.
  void daemon_phase(int step) {
    const pid_t pid = start_daemon(f_.config);
    std::this_thread::sleep_for(std::chrono::milliseconds(50 + pick(250)));
    if (chance(60)) local_update(step);
    std::this_thread::sleep_for(std::chrono::milliseconds(pick(400)));
    const bool hard = chance(70);
    kill(pid, hard ? SIGKILL : SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    say(step, std::string("daemon ran, then ") + (hard ? "SIGKILL" : "SIGTERM"));
  }

  const Options& options_;
  SyncFixture& f_;
  std::mt19937_64 rng_;
  std::mutex mutex_;  // history_ while two local writers run
  History history_;
};

// Syncs until nothing is left to do (or a person is needed), faults consumed; then once more:
// what a push did to other elements (a derived link list, references cleared and notes deleted
// with a deleted customer) reaches the mirror with the next pull.
int quiesce(SyncFixture& f) {
  int code = -1;
  for (int i = 0; i < 8; ++i) {
    code = f.sync();
    if (code == 0) break;
  }
  return f.sync();
}

}  // namespace

std::string replay_command(const Options& options) {
  std::string skip;
  for (int step : options.skip) skip += (skip.empty() ? "" : ",") + std::to_string(step);
  return "CLEVERTIM_CONVERGENCE_SEED=" + std::to_string(options.seed) +
         (options.daemon ? "" : " CLEVERTIM_CONVERGENCE_DAEMON=0") +
         (skip.empty() ? "" : " CLEVERTIM_CONVERGENCE_SKIP=" + skip) +
         " build/tests/convergence/convergence_tests -tc='one seed'";
}

Outcome shrink(const Options& failing) {
  Options best = failing;
  Outcome outcome = run_history(best);
  if (outcome.violations.empty()) return outcome;  // did not fail again (timing): nothing to do
  for (int step = 1; step <= failing.steps; ++step) {
    if (best.skip.contains(step)) continue;
    Options fewer = best;
    fewer.skip.insert(step);
    Outcome tried = run_history(fewer);
    if (!tried.violations.empty()) {
      best = fewer;
      outcome = std::move(tried);
    }
  }
  outcome.history.steps.insert(outcome.history.steps.begin(),
                               "(shrunk: " + std::to_string(failing.steps - best.skip.size()) +
                                   " of " + std::to_string(failing.steps) +
                                   " steps; replay: " + replay_command(best) + ")");
  return outcome;
}

Outcome run_history(const Options& options) {
  const std::string policy = kPolicies[options.seed % 4];
  // The tables here are a few rows each: read a page of one to seven rows at a time, a pull's
  // comparison of each list with its table crosses pages as a large account's does.
  setenv("CLEVERTIM_ROWS_PER_PAGE", std::to_string(1 + options.seed % 7).c_str(), 1);
  SyncFixture f(
      {"--sample", "6", "--retry-after", "0", "--fault-seed", std::to_string(options.seed)},
      "conflict_policy = \"" + policy + "\"\nretry_attempts = 3\ninterval = \"300ms\"\n");
  Outcome outcome;
  outcome.history = Generator(options, f).run();
  const int last = quiesce(f);
  outcome.details = "last sync exited " + std::to_string(last) + ":\n" + f.output;
  outcome.violations = check(f, outcome.history, last);
  std::string verify_output;
  const int code = run_clevertim_sync(f.config, {"verify"}, &verify_output);
  outcome.details += "verify:\n" + verify_output;
  if (code != 0)
    outcome.violations.push_back("verify exited " + std::to_string(code) +
                                 " (the mirror and the CRM differ; see its output)");
  return outcome;
}

}  // namespace clevertim::testing::convergence
