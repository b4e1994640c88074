#include "integration_fixture.h"

#include <SQLiteCpp/Statement.h>
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>

namespace clevertim::testing {

SyncFixture::SyncFixture(std::vector<std::string> emulator_args, const std::string& extra_toml)
    : emulator(std::make_unique<EmulatorProcess>(std::move(emulator_args))),
      config(write_sync_config(dir, *emulator, extra_toml)) {}

int SyncFixture::sync(std::vector<std::string> args) {
  return run_clevertim_sync(config, args, &output);
}

void SyncFixture::shell(const std::string& sql) {
  const auto script = dir / "script.sql";
  // A writer waits for the daemon's short transactions, as any sensible client would.
  std::ofstream(script) << ".timeout 5000\n" << sql << "\n";
  const std::string command =
      "sqlite3 -bail '" + database().string() + "' < '" + script.string() + "' 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  std::string text;
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) text.append(buf, n);
  const int status = pclose(pipe);
  REQUIRE_MESSAGE(status == 0, sql << "\n" << text);
}

std::string SyncFixture::query(const std::string& sql) {
  SQLite::Database db(database().string(), SQLite::OPEN_READONLY);
  SQLite::Statement q(db, sql);
  if (!q.executeStep()) return "NO ROW";
  return q.getColumn(0).isNull() ? "NULL" : q.getColumn(0).getString();
}

boost::json::object SyncFixture::remote_state() {
  const HttpAnswer a = control(*emulator, "GET", "state");
  REQUIRE(a.status == 200);
  return a.json().as_object();
}

boost::json::object SyncFixture::remote_element(const std::string& resource, std::int64_t id) {
  const HttpAnswer a =
      http_request("GET", emulator->url() + "/" + resource + "/" + std::to_string(id));
  REQUIRE_MESSAGE(a.status == 200, a.body);
  return a.json().at("content").at(0).as_object();
}

void SyncFixture::next_fault(const std::string& fault, const std::string& method,
                             const std::string& path) {
  boost::json::object shot{{"fault", fault}};
  if (!method.empty()) shot["method"] = method;
  if (!path.empty()) shot["path"] = path;
  const HttpAnswer a =
      control(*emulator, "PUT", "faults",
              boost::json::serialize(boost::json::object{{"next", boost::json::array{shot}}}));
  REQUIRE_MESSAGE(a.status == 200, a.body);
}

HttpAnswer SyncFixture::web(const std::string& method, const std::string& what,
                            const std::string& body) {
  return control(*emulator, method, "web/" + what, body);
}

}  // namespace clevertim::testing
