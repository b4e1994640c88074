// The configuration file (TOML) and the API token.
//
//   Config config = load_config("/etc/clevertim-sync/clevertim-sync.toml");
//   apply_overrides(config, overrides);           // command line flags win over the file
//   std::string token = load_token(config);       // never logged, never in argv
//
// Every error is a ConfigError whose message names the file, the line and column, the key,
// and what to do. Unknown keys are errors, so a typo never silently means "the default".
// config/ is a leaf: it depends on no other project library.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace clevertim::config {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The resources clevertim-sync knows (API endpoint names).
inline constexpr std::string_view kKnownResources[] = {
    "contact", "company", "case",        "opportunity", "task",
    "note",    "comment", "customfield", "user",        "group"};

// The values `log_level` and `sync.conflict_policy` accept: the one list the configuration, the
// command line and their messages use (sync/merge.h maps the policies to its enum).
inline constexpr std::string_view kLogLevels[] = {"trace", "debug", "info", "warn", "error"};
inline constexpr std::string_view kConflictPolicies[] = {"newest", "remote-wins", "local-wins",
                                                         "manual"};

// "trace, debug, info, warn, error": a list above, for messages.
std::string one_of(std::span<const std::string_view> values);

struct Config {
  std::filesystem::path file;  // where it was read from; empty for defaults only
  std::string log_level = "info";

  struct Server {
    std::string url = "https://www.clevertim.com/api";
    std::string token_file;  // empty: $CREDENTIALS_DIRECTORY/token, then $CLEVERTIM_TOKEN
    std::string ca_file;     // empty: the system store
    bool allow_insecure_http = false;
    std::chrono::milliseconds connect_timeout{10000};
    std::chrono::milliseconds request_timeout{60000};
    int max_connections = 4;
  } server;

  struct Storage {
    std::filesystem::path database = "/var/lib/clevertim-sync/crm.db";
    std::string report_group;  // empty: the mirror is 0600
  } storage;

  struct Sync {
    std::chrono::milliseconds interval{300000};
    std::vector<std::string> resources;  // empty: all
    std::string conflict_policy = "newest";
    double mass_delete_share = 0.5;
    std::int64_t mass_delete_min = 5;
    std::chrono::milliseconds retry_base{500};
    std::chrono::milliseconds retry_cap{30000};
    int retry_attempts = 5;
    // A whole cycle's limit: what it did not get to waits for the next cycle.
    std::chrono::milliseconds cycle_timeout{600000};
    // An element of the CRM larger than this (its JSON text) is skipped, not held in memory.
    std::uint64_t max_element_size = std::uint64_t{16} << 20;
  } sync;

  struct Metrics {
    // Rewritten after every cycle in Prometheus' text format (node_exporter's textfile
    // collector); empty: none.
    std::filesystem::path textfile;
  } metrics;
};

// Reads and checks a configuration file. Throws ConfigError.
Config load_config(const std::filesystem::path& file);

// Parses a TOML document (for tests and for load_config); `name` is used in messages.
Config parse_config(std::string_view text, const std::string& name);

struct Overrides {
  std::optional<std::string> database;
  std::optional<std::string> url;
  std::optional<std::string> interval;
  std::optional<std::string> log_level;
};

// Command line flags win over the file. Throws ConfigError for a bad value.
void apply_overrides(Config& config, const Overrides& overrides);

// "250ms", "10s", "5m", "1h", "1h30m" -> milliseconds; nullopt when malformed, zero, or
// longer than 365 days.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// "64KiB", "16MiB", "1GiB" -> bytes; nullopt when malformed, under 1 KiB or over 1 GiB.
std::optional<std::uint64_t> parse_size(std::string_view text);

// The token: from server.token_file, else $CREDENTIALS_DIRECTORY/token (systemd
// LoadCredential=), else $CLEVERTIM_TOKEN. Trailing white space is trimmed. A token file that
// group or others can read is refused, with the chmod that fixes it. Throws ConfigError; the
// token itself never appears in a message.
std::string load_token(const Config& config);

}  // namespace clevertim::config
