// A fresh emulator, a configuration pointing at it, and a mirror path, for each test.
#pragma once

#include <SQLiteCpp/Database.h>

#include <boost/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "emulator_process.h"

namespace clevertim::testing {

struct SyncFixture {
  TempDir dir;
  std::unique_ptr<EmulatorProcess> emulator;
  std::filesystem::path config;
  std::string output;  // of the last clevertim-sync run

  explicit SyncFixture(std::vector<std::string> emulator_args = {"--sample", "30"},
                       const std::string& extra_toml = "");

  std::filesystem::path database() const { return dir / "crm.db"; }
  int sync(std::vector<std::string> args = {"sync"});
  // Runs SQL with the sqlite3 shell (another process, as a user would).
  void shell(const std::string& sql);
  // One value from the mirror, as text ("NULL" for NULL).
  std::string query(const std::string& sql);
  long long number(const std::string& sql) { return std::stoll(query(sql)); }
  // The emulator's whole account.
  boost::json::object remote_state();
  boost::json::array remote(const std::string& resource) {
    return remote_state().at(resource).as_array();
  }
  boost::json::object remote_element(const std::string& resource, std::int64_t id);
  // A one-shot fault on the next matching request.
  void next_fault(const std::string& fault, const std::string& method, const std::string& path);
  // An edit "from the web app".
  HttpAnswer web(const std::string& method, const std::string& what, const std::string& body = "");
};

}  // namespace clevertim::testing
