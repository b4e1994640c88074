// daemon/settings.cpp: every configuration key reaches the option struct of the layer that uses
// it (issue 15, item 7): the one place a key is handed on, checked against a file that sets
// every key to something other than its default.
#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "daemon/command_line.h"
#include "sync/merge.h"

using namespace clevertim;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

struct TempFolder {
  fs::path path;
  TempFolder() {
    std::string pattern = (fs::temp_directory_path() / "clevertim-settings-XXXXXX").string();
    path = mkdtemp(pattern.data());
  }
  ~TempFolder() { fs::remove_all(path); }
};

daemon::CommandLine with_config(const fs::path& file, const std::string& text) {
  std::ofstream(file) << text;
  daemon::CommandLine cl;
  cl.config_file = file.string();
  cl.config_given = true;
  return cl;
}

// Every key but server.token_file and storage.report_group (those need a file and a group of
// this machine), none at its default.
std::string every_key(const fs::path& dir) {
  return "log_level = \"debug\"\n"
         "[server]\n"
         "url = \"https://crm.example.com/api\"\n"
         "ca_file = \"/etc/ssl/private-ca.pem\"\n"
         "allow_insecure_http = true\n"
         "connect_timeout = \"3s\"\n"
         "request_timeout = \"7s\"\n"
         "max_connections = 9\n"
         "[storage]\n"
         "database = \"" +
         (dir / "m.db").string() +
         "\"\n"
         "[sync]\n"
         "interval = \"2m\"\n"
         "resources = [\"contact\", \"note\"]\n"
         "conflict_policy = \"manual\"\n"
         "mass_delete_share = 0.25\n"
         "mass_delete_min = 11\n"
         "retry_base = \"1s\"\n"
         "retry_cap = \"9s\"\n"
         "retry_attempts = 3\n"
         "cycle_timeout = \"4m\"\n"
         "max_element_size = \"2MiB\"\n"
         "[metrics]\n"
         "textfile = \"" +
         (dir / "m.prom").string() + "\"\n";
}

}  // namespace

TEST_CASE("settings: every configuration key reaches the options of the layer that uses it") {
  TempFolder dir;
  const auto s = daemon::load_settings(with_config(dir.path / "c.toml", every_key(dir.path)),
                                       /*need_token=*/false);
  // The daemon's own.
  CHECK(s.config_file == dir.path / "c.toml");
  CHECK(s.database == dir.path / "m.db");
  CHECK_FALSE(s.report_group.has_value());
  CHECK(s.interval == 2min);
  CHECK(s.log_level == "debug");
  CHECK(s.metrics_file == dir.path / "m.prom");
  // The HTTP client's.
  CHECK(s.client.base_url == "https://crm.example.com/api");
  CHECK(s.client.token.empty());  // not asked for
  CHECK(s.client.ca_file == "/etc/ssl/private-ca.pem");
  CHECK(s.client.allow_insecure_http);
  CHECK(s.client.connect_timeout == 3s);
  CHECK(s.client.request_timeout == 7s);
  CHECK(s.client.max_connections == 9);
  CHECK(s.client.max_element_size == 2u << 20);
  // The retries'.
  CHECK(s.retry.base == 1s);
  CHECK(s.retry.cap == 9s);
  CHECK(s.retry.attempts == 3);
  // The cycle's, its pull's and its push's.
  CHECK(s.cycle.resources == std::vector<std::string>{"contact", "note"});
  REQUIRE(s.cycle.account.has_value());
  CHECK(s.cycle.account->url == "https://crm.example.com/api");
  CHECK_FALSE(s.cycle.account->adopt);
  CHECK(s.cycle.timeout == 4min);
  CHECK(s.cycle.pull.mass_delete_share == doctest::Approx(0.25));
  CHECK(s.cycle.pull.mass_delete_min == 11);
  CHECK_FALSE(s.cycle.pull.allow_mass_delete);
  CHECK(s.cycle.push.policy == sync::ConflictPolicy::kManual);
  CHECK(s.cycle.push.mass_delete_share == doctest::Approx(0.25));
  CHECK(s.cycle.push.mass_delete_min == 11);
  CHECK(s.cycle.push.concurrency == 9);
  CHECK_FALSE(s.cycle.push.allow_mass_delete);
  // Per run, not configuration.
  CHECK(s.cycle.pull_enabled);
  CHECK(s.cycle.push_enabled);
  CHECK(s.cycle.stop_requested == nullptr);
  CHECK_FALSE(s.cycle.progress);
}

TEST_CASE("settings: the command line wins, and the token is read only when asked for") {
  TempFolder dir;
  const fs::path token = dir.path / "token";
  std::ofstream(token) << "s3cret-token\n";
  REQUIRE(chmod(token.c_str(), 0600) == 0);
  auto cl = with_config(
      dir.path / "c.toml",
      "[server]\nurl = \"https://a.example.com/api\"\ntoken_file = \"" + token.string() + "\"\n");
  cl.url = "https://b.example.com/api";
  cl.interval = "90s";
  const auto s = daemon::load_settings(cl, /*need_token=*/true);
  CHECK(s.client.token == "s3cret-token");
  // The URL the client uses and the one the account check compares are the same.
  CHECK(s.client.base_url == "https://b.example.com/api");
  REQUIRE(s.cycle.account.has_value());
  CHECK(s.cycle.account->url == "https://b.example.com/api");
  CHECK(s.interval == 90s);
  CHECK(daemon::load_settings(cl, /*need_token=*/false).client.token.empty());
}

TEST_CASE("settings: a URL that cannot be used is a configuration error") {
  TempFolder dir;
  auto cl = with_config(dir.path / "c.toml", "");
  cl.url = "ftp://crm.example.com";
  CHECK_THROWS_WITH_AS(daemon::load_settings(cl, false),
                       doctest::Contains("server.url (or --url) cannot be used"),
                       std::runtime_error);
}
