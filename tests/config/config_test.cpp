#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "config/config.h"

using namespace clevertim::config;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

std::string error_of(std::string_view text) {
  try {
    parse_config(text, "/etc/cs.toml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

struct TokenDir {
  fs::path path;
  TokenDir() {
    std::string p = (fs::temp_directory_path() / "clevertim-token-XXXXXX").string();
    path = mkdtemp(p.data());
    unsetenv("CREDENTIALS_DIRECTORY");
    unsetenv("CLEVERTIM_TOKEN");
  }
  ~TokenDir() {
    fs::remove_all(path);
    unsetenv("CREDENTIALS_DIRECTORY");
    unsetenv("CLEVERTIM_TOKEN");
  }
  fs::path write(const std::string& name, const std::string& text, mode_t mode) {
    fs::path f = path / name;
    std::ofstream(f) << text;
    chmod(f.c_str(), mode);
    return f;
  }
};

constexpr const char* kSecret = "s3cr3t-T0KEN-value";

}  // namespace

TEST_CASE("an empty file gives the defaults") {
  const Config c = parse_config("", "empty.toml");
  CHECK(c.server.url == "https://www.clevertim.com/api");
  CHECK(c.storage.database == "/var/lib/clevertim-sync/crm.db");
  CHECK(c.sync.interval == 5min);
  CHECK(c.sync.conflict_policy == "newest");
  CHECK(c.sync.resources.empty());
}

TEST_CASE("every key is read") {
  const Config c = parse_config(R"(
log_level = "debug"
[server]
url = "http://127.0.0.1:9/api"
token_file = "/run/t"
ca_file = "/etc/ca.pem"
allow_insecure_http = true
connect_timeout = "3s"
request_timeout = "1m30s"
max_connections = 8
[storage]
database = "/tmp/x.db"
report_group = "adm"
[sync]
interval = "90s"
resources = ["contact", "note"]
conflict_policy = "manual"
mass_delete_share = 0.25
mass_delete_min = 10
retry_base = "100ms"
retry_cap = "2m"
retry_attempts = 3
)",
                                "full.toml");
  CHECK(c.log_level == "debug");
  CHECK(c.server.url == "http://127.0.0.1:9/api");
  CHECK(c.server.allow_insecure_http);
  CHECK(c.server.request_timeout == 90s);
  CHECK(c.server.max_connections == 8);
  CHECK(c.storage.report_group == "adm");
  CHECK(c.sync.interval == 90s);
  CHECK(c.sync.resources == std::vector<std::string>{"contact", "note"});
  CHECK(c.sync.mass_delete_share == doctest::Approx(0.25));
  CHECK(c.sync.retry_cap == 2min);
  CHECK(c.sync.retry_attempts == 3);
}

TEST_CASE("durations") {
  CHECK(parse_duration("250ms") == 250ms);
  CHECK(parse_duration("1h30m") == 90min);
  CHECK_FALSE(parse_duration("5 minutes"));
  CHECK_FALSE(parse_duration("0s"));
  CHECK_FALSE(parse_duration("-1s"));
  CHECK_FALSE(parse_duration("10"));
  CHECK(error_of("[sync]\ninterval = \"soon\"") ==
        "/etc/cs.toml:2:12: sync.interval = \"soon\" is not a duration; write it like "
        "\"500ms\", \"30s\", \"5m\" or \"1h30m\"");
}

// Regression (tests/fuzz/corpus/fuzz_config/regression-duration-overflow): the sum used to
// overflow, undefined behaviour that could even come out negative.
TEST_CASE("durations beyond a year are refused, never overflow") {
  CHECK(parse_duration("365d") == 24h * 365);
  CHECK(parse_duration("364d24h") == 24h * 365);
  CHECK_FALSE(parse_duration("365d1ms"));
  CHECK_FALSE(parse_duration("444444444444444440h"));
  CHECK_FALSE(parse_duration("9223372036854775807ms"));
  CHECK_FALSE(parse_duration("8760h8760h"));
  CHECK(error_of("[sync]\ninterval = \"99999999999999d\"").find("is not a duration") !=
        std::string::npos);
}

TEST_CASE("a whole number too large for its key is refused, not wrapped") {
  // 2^32 + 1 used to wrap to 1 and pass the range check.
  CHECK(error_of("[server]\nmax_connections = 4294967297")
            .find("server.max_connections must be a whole number from -2147483648 to "
                  "2147483647") != std::string::npos);
  CHECK(error_of("[sync]\nretry_attempts = -4294967295").find("sync.retry_attempts must be") !=
        std::string::npos);
  CHECK(parse_config("[sync]\nmass_delete_min = 9223372036854775807", "x.toml")
            .sync.mass_delete_min == INT64_MAX);
}

TEST_CASE("an unknown key is named with its file and line") {
  const std::string e = error_of("[sync]\ninterval = \"5m\"\nintervall = \"6m\"\n");
  CHECK(e.find("/etc/cs.toml:3:") == 0);
  CHECK(e.find("unknown key 'sync.intervall'") != std::string::npos);
  CHECK(error_of("colour = 1").find("unknown key 'colour'") != std::string::npos);
}

TEST_CASE("a TOML syntax error shows line and column") {
  const std::string e = error_of("[server]\nurl = \"http://x\n");
  CHECK(e.find("/etc/cs.toml:2:") == 0);
}

TEST_CASE("wrong types and bad values name the key") {
  CHECK(error_of("[server]\nmax_connections = \"four\"")
            .find("server.max_connections must be a whole number") != std::string::npos);
  CHECK(error_of("[sync]\nconflict_policy = \"mine\"").find("not one of newest") !=
        std::string::npos);
  CHECK(error_of("[sync]\nresources = [\"contact\", \"deal\"]").find("'deal'") !=
        std::string::npos);
  CHECK(error_of("sync = 3").find("must be a section") != std::string::npos);
  CHECK(error_of("log_level = \"loud\"").find("log_level") != std::string::npos);
}

TEST_CASE("command line overrides win over the file") {
  Config c = parse_config("[sync]\ninterval = \"5m\"", "x.toml");
  apply_overrides(c, {"/tmp/o.db", std::nullopt, "30s", "warn"});
  CHECK(c.storage.database == "/tmp/o.db");
  CHECK(c.sync.interval == 30s);
  CHECK(c.log_level == "warn");
  CHECK_THROWS_AS(apply_overrides(c, {std::nullopt, std::nullopt, "often", std::nullopt}),
                  ConfigError);
}

TEST_CASE("the token comes from the file, then the credentials folder, then the environment") {
  TokenDir dir;
  Config c;
  setenv("CLEVERTIM_TOKEN", "from-env\n", 1);
  CHECK(load_token(c) == "from-env");
  dir.write("token", "from-credentials\n", 0644);  // systemd owns its modes
  setenv("CREDENTIALS_DIRECTORY", dir.path.c_str(), 1);
  CHECK(load_token(c) == "from-credentials");
  c.server.token_file = dir.write("mine", std::string(kSecret) + "\n", 0600).string();
  CHECK(load_token(c) == kSecret);
}

TEST_CASE("a missing token names the three places") {
  TokenDir dir;
  try {
    load_token(Config{});
    FAIL("a token appeared from nowhere");
  } catch (const ConfigError& e) {
    const std::string m = e.what();
    CHECK(m.find("server.token_file") != std::string::npos);
    CHECK(m.find("CREDENTIALS_DIRECTORY") != std::string::npos);
    CHECK(m.find("CLEVERTIM_TOKEN") != std::string::npos);
  }
}

TEST_CASE("a token file others can read is refused with the fix, never showing the token") {
  TokenDir dir;
  Config c;
  c.server.token_file = dir.write("token", kSecret, 0644).string();
  try {
    load_token(c);
    FAIL("a readable token file was accepted");
  } catch (const ConfigError& e) {
    const std::string m = e.what();
    CHECK(m.find("chmod 600 " + c.server.token_file) != std::string::npos);
    CHECK(m.find(kSecret) == std::string::npos);
  }
  c.server.token_file = dir.write("empty", "\n", 0600).string();
  CHECK_THROWS_WITH(load_token(c), doctest::Contains("is empty"));
}

TEST_CASE("the example configuration loads as it is") {
  const Config c = load_config(CLEVERTIM_EXAMPLE_CONFIG);
  CHECK(c.sync.interval == 5min);
  CHECK(c.server.token_file.empty());
}

// The example says "the values shown are the defaults", and README documents the guard's 50%
// and 5 rows: a default changed in config.h alone (say a share of 0.05, holding almost every
// push) must not pass unnoticed.
TEST_CASE("an empty file gives the defaults the example configuration shows") {
  const Config d = parse_config("", "empty.toml");
  const Config e = load_config(CLEVERTIM_EXAMPLE_CONFIG);
  CHECK(d.log_level == e.log_level);
  CHECK(d.server.url == e.server.url);
  CHECK(d.server.token_file == e.server.token_file);
  CHECK(d.server.ca_file == e.server.ca_file);
  CHECK(d.server.allow_insecure_http == e.server.allow_insecure_http);
  CHECK(d.server.connect_timeout == e.server.connect_timeout);
  CHECK(d.server.request_timeout == e.server.request_timeout);
  CHECK(d.server.max_connections == e.server.max_connections);
  CHECK(d.storage.database == e.storage.database);
  CHECK(d.storage.report_group == e.storage.report_group);
  CHECK(d.sync.interval == e.sync.interval);
  CHECK(d.sync.resources == e.sync.resources);
  CHECK(d.sync.conflict_policy == e.sync.conflict_policy);
  CHECK(d.sync.mass_delete_share == e.sync.mass_delete_share);
  CHECK(d.sync.mass_delete_min == e.sync.mass_delete_min);
  CHECK(d.sync.retry_base == e.sync.retry_base);
  CHECK(d.sync.retry_cap == e.sync.retry_cap);
  CHECK(d.sync.retry_attempts == e.sync.retry_attempts);
  // README's figures.
  CHECK(d.sync.mass_delete_share == 0.5);
  CHECK(d.sync.mass_delete_min == 5);
  CHECK(d.sync.conflict_policy == "newest");
}

// NaN compares false with everything, so `share < 0 || share > 1` let it through, and then
// `deletions > share * rows` was never true: both mass-deletion guards were off.
TEST_CASE("mass_delete_share must be a finite share from 0 to 1") {
  for (const char* bad :
       {"nan", "+nan", "-nan", "inf", "+inf", "-inf", "-0.1", "1.5", "1.0000001", "2", "-1"}) {
    INFO(std::string(bad));
    CHECK(error_of(std::string("[sync]\nmass_delete_share = ") + bad)
              .find("sync.mass_delete_share") != std::string::npos);
  }
  for (const char* good : {"0", "0.0", "0.25", "1", "1.0"}) {
    INFO(std::string(good));
    CHECK(error_of(std::string("[sync]\nmass_delete_share = ") + good).empty());
  }
  CHECK(error_of("[sync]\nmass_delete_share = nan") ==
        "/etc/cs.toml:2:21: sync.mass_delete_share = nan is not a finite number");
  CHECK(error_of("[sync]\nmass_delete_share = 1.5")
            .find("/etc/cs.toml:2:21: sync.mass_delete_share = 1.5 is not a share from 0 to 1") ==
        0);
}

// The same class for every other number of the file: each is refused, with its key, when it
// is not a number, not finite, or out of its range.
TEST_CASE("every numeric key refuses values outside its range") {
  const std::pair<const char*, const char*> bad[] = {
      {"[sync]\nmass_delete_min = -1", "sync.mass_delete_min"},
      {"[sync]\nmass_delete_min = nan", "sync.mass_delete_min"},
      {"[sync]\nmass_delete_min = 2.5", "sync.mass_delete_min"},
      {"[sync]\nretry_attempts = 0", "sync.retry_attempts"},
      {"[sync]\nretry_attempts = nan", "sync.retry_attempts"},
      {"[sync]\nretry_attempts = 1000000", "sync.retry_attempts"},
      {"[sync]\nretry_base = nan", "sync.retry_base"},
      {"[sync]\nretry_base = \"nan\"", "sync.retry_base"},
      {"[sync]\nretry_base = \"infs\"", "sync.retry_base"},
      {"[sync]\nretry_cap = \"-5s\"", "sync.retry_cap"},
      {"[sync]\nretry_base = \"1m\"\nretry_cap = \"1s\"", "sync.retry_cap"},
      {"[sync]\ninterval = inf", "sync.interval"},
      {"[sync]\ninterval = \"0ms\"", "sync.interval"},
      {"[server]\nconnect_timeout = nan", "server.connect_timeout"},
      {"[server]\nconnect_timeout = \"0s\"", "server.connect_timeout"},
      {"[server]\nrequest_timeout = -inf", "server.request_timeout"},
      {"[server]\nrequest_timeout = \"1e9s\"", "server.request_timeout"},
      {"[server]\nmax_connections = nan", "server.max_connections"},
      {"[server]\nmax_connections = 0", "server.max_connections"},
      {"[server]\nmax_connections = 65", "server.max_connections"},
      {"[sync]\ncycle_timeout = \"0s\"", "sync.cycle_timeout"},
      {"[sync]\nmax_element_size = \"16\"", "sync.max_element_size"},
      {"[sync]\nmax_element_size = \"2GiB\"", "sync.max_element_size"},
      {"[sync]\nmax_element_size = 16", "sync.max_element_size"},
  };
  for (const auto& [text, key] : bad) {
    INFO(std::string(text));
    CHECK(error_of(text).find(key) != std::string::npos);
  }
  CHECK(parse_config("[sync]\nretry_base = \"1s\"\nretry_cap = \"1s\"", "x.toml").sync.retry_cap ==
        1s);
  const Config limits =
      parse_config("[sync]\ncycle_timeout = \"20m\"\nmax_element_size = \"512KiB\"", "x.toml");
  CHECK(limits.sync.cycle_timeout == 20min);
  CHECK(limits.sync.max_element_size == 512u * 1024);
  CHECK(Config{}.sync.cycle_timeout == 10min);
  CHECK(Config{}.sync.max_element_size == 16u << 20);
}

TEST_CASE("--interval refuses what the file refuses") {
  Config c;
  for (const char* bad : {"nan", "inf", "0s", "-1s", "nans"}) {
    INFO(std::string(bad));
    CHECK_THROWS_AS(apply_overrides(c, {std::nullopt, std::nullopt, bad, std::nullopt}),
                    ConfigError);
  }
}
