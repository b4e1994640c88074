#include "config/config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <utility>

namespace clevertim::config {
namespace {

// "file:line:column: " for a node that has a source position.
std::string where(const std::string& file, const toml::source_region& source) {
  return file + ":" + std::to_string(source.begin.line) + ":" +
         std::to_string(source.begin.column) + ": ";
}

class Reader {
 public:
  Reader(const toml::table& root, std::string file) : root_(root), file_(std::move(file)) {}

  // Refuses keys that are not in `known`, naming each one and its line.
  void only_keys(const toml::table& table, std::string_view prefix,
                 std::initializer_list<std::string_view> known) {
    for (const auto& [key, node] : table) {
      if (std::find(known.begin(), known.end(), key.str()) != known.end()) continue;
      std::string list;
      for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
      throw ConfigError(where(file_, node.source()) + "unknown key '" + std::string(prefix) +
                        std::string(key.str()) + "'; the keys allowed here are: " + list);
    }
  }

  const toml::table* section(std::string_view name) {
    const toml::node* node = root_.get(name);
    if (node == nullptr) return nullptr;
    if (!node->is_table())
      throw ConfigError(where(file_, node->source()) + "'" + std::string(name) +
                        "' must be a section ([" + std::string(name) + "])");
    return node->as_table();
  }

  template <class T>
  void read(const toml::table* table, std::string_view section, std::string_view key, T& out) {
    if (table == nullptr) return;
    const toml::node* node = table->get(key);
    if (node == nullptr) return;
    const std::string name = qualified(section, key);
    if constexpr (std::is_same_v<T, std::string>) {
      if (!node->is_string()) wrong_type(*node, name, "a string in quotes");
      out = node->as_string()->get();
    } else if constexpr (std::is_same_v<T, bool>) {
      if (!node->is_boolean()) wrong_type(*node, name, "true or false");
      out = node->as_boolean()->get();
    } else if constexpr (std::is_same_v<T, double>) {
      if (node->is_integer())
        out = static_cast<double>(node->as_integer()->get());
      else if (node->is_floating_point())
        out = node->as_floating_point()->get();
      else
        wrong_type(*node, name, "a number");
      // TOML has nan and inf. NaN compares false with everything, so a range check written
      // as `x < low || x > high` lets it through, and it then switches off whatever it
      // bounds. No key means anything by them: refuse them here, for every number.
      if (!std::isfinite(out))
        throw ConfigError(where(file_, node->source()) + name + " = " + number_text(out) +
                          " is not a finite number");
    } else {
      if (!node->is_integer()) wrong_type(*node, name, "a whole number");
      // TOML integers are 64 bits: one beyond T would wrap (max_connections = 4294967297 read
      // as 1) and then pass the range checks. Refuse it instead.
      const std::int64_t value = node->as_integer()->get();
      if (!std::in_range<T>(value))
        wrong_type(*node, name,
                   "a whole number from " + std::to_string(std::numeric_limits<T>::min()) + " to " +
                       std::to_string(std::numeric_limits<T>::max()));
      out = static_cast<T>(value);
    }
  }

  void read_duration(const toml::table* table, std::string_view section, std::string_view key,
                     std::chrono::milliseconds& out) {
    std::string text;
    read(table, section, key, text);
    if (text.empty()) return;
    const auto d = parse_duration(text);
    if (!d)
      throw ConfigError(where(file_, table->get(key)->source()) + qualified(section, key) +
                        " = \"" + text +
                        "\" is not a duration; write it like \"500ms\", \"30s\", \"5m\" or "
                        "\"1h30m\"");
    out = *d;
  }

  void read_size(const toml::table* table, std::string_view section, std::string_view key,
                 std::uint64_t& out) {
    std::string text;
    read(table, section, key, text);
    if (text.empty()) return;
    const auto n = parse_size(text);
    if (!n)
      throw ConfigError(where(file_, table->get(key)->source()) + qualified(section, key) +
                        " = \"" + text +
                        "\" is not a size from 1KiB to 1GiB; write it like \"512KiB\", "
                        "\"16MiB\" or \"1GiB\"");
    out = *n;
  }

  void read_list(const toml::table* table, std::string_view section, std::string_view key,
                 std::vector<std::string>& out) {
    if (table == nullptr) return;
    const toml::node* node = table->get(key);
    if (node == nullptr) return;
    const std::string name = qualified(section, key);
    if (!node->is_array()) wrong_type(*node, name, "a list of strings, e.g. [\"contact\"]");
    out.clear();
    for (const toml::node& item : *node->as_array()) {
      if (!item.is_string()) wrong_type(item, name, "a list of strings");
      out.push_back(item.as_string()->get());
    }
  }

  [[noreturn]] void fail(std::string_view section, std::string_view key,
                         const std::string& message) {
    const toml::node* node = root_.at_path(qualified(section, key)).node();
    throw ConfigError((node ? where(file_, node->source()) : file_ + ": ") + message);
  }

 private:
  static std::string qualified(std::string_view section, std::string_view key) {
    return section.empty() ? std::string(key) : std::string(section) + "." + std::string(key);
  }
  static std::string number_text(double value) {
    if (std::isnan(value)) return "nan";
    if (std::isinf(value)) return value < 0 ? "-inf" : "inf";
    std::ostringstream text;
    text << value;
    return text.str();
  }
  [[noreturn]] void wrong_type(const toml::node& node, const std::string& name,
                               std::string_view expected) {
    throw ConfigError(where(file_, node.source()) + name + " must be " + std::string(expected));
  }

  const toml::table& root_;
  std::string file_;
};

// A failing request is retried at most this often: with the waits capped at sync.retry_cap
// (30 s by default), more would keep one request going for most of an hour.
constexpr int kMostRetryAttempts = 100;

}  // namespace

std::string one_of(std::span<const std::string_view> values) {
  std::string out;
  for (std::string_view v : values) out += (out.empty() ? "" : ", ") + std::string(v);
  return out;
}

namespace {

void check_values(Config& c, Reader& reader) {
  if (std::find(std::begin(kLogLevels), std::end(kLogLevels), c.log_level) == std::end(kLogLevels))
    reader.fail("", "log_level",
                "log_level = \"" + c.log_level + "\" is not one of " + one_of(kLogLevels));
  if (std::find(std::begin(kConflictPolicies), std::end(kConflictPolicies),
                c.sync.conflict_policy) == std::end(kConflictPolicies))
    reader.fail("sync", "conflict_policy",
                "sync.conflict_policy = \"" + c.sync.conflict_policy + "\" is not one of " +
                    one_of(kConflictPolicies));
  for (const std::string& r : c.sync.resources)
    if (std::find(std::begin(kKnownResources), std::end(kKnownResources), r) ==
        std::end(kKnownResources))
      reader.fail("sync", "resources",
                  "sync.resources names '" + r +
                      "', which is not a Clevertim resource; use contact, company, case, "
                      "opportunity, task, note, comment, customfield, user, group");
  // Every range is written as "not inside", so that a value no comparison holds for (NaN)
  // is refused too, should one ever get past the reader.
  if (!(c.sync.mass_delete_share >= 0 && c.sync.mass_delete_share <= 1)) {
    std::ostringstream value;
    value << c.sync.mass_delete_share;
    reader.fail("sync", "mass_delete_share",
                "sync.mass_delete_share = " + value.str() +
                    " is not a share from 0 to 1; e.g. 0.5 holds a deletion of more than half "
                    "of a resource's rows (and more than sync.mass_delete_min rows)");
  }
  if (!(c.sync.mass_delete_min >= 0))
    reader.fail("sync", "mass_delete_min", "sync.mass_delete_min must not be negative");
  if (!(c.sync.retry_attempts >= 1 && c.sync.retry_attempts <= kMostRetryAttempts))
    reader.fail("sync", "retry_attempts",
                "sync.retry_attempts must be from 1 to " + std::to_string(kMostRetryAttempts) +
                    " (attempts of one request, waits between them up to sync.retry_cap)");
  if (!(c.sync.retry_cap >= c.sync.retry_base))
    reader.fail("sync", "retry_cap",
                "sync.retry_cap must not be shorter than sync.retry_base (the cap bounds the "
                "growing wait between retries, which starts at the base)");
  if (!(c.server.max_connections >= 1 && c.server.max_connections <= 64))
    reader.fail("server", "max_connections", "server.max_connections must be between 1 and 64");
  if (c.storage.database.empty())
    reader.fail("storage", "database", "storage.database must name the mirror file");
}

}  // namespace

std::optional<std::uint64_t> parse_size(std::string_view text) {
  std::uint64_t n = 0;
  std::size_t i = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    if (n > (std::uint64_t{1} << 40)) return std::nullopt;
    n = n * 10 + static_cast<std::uint64_t>(text[i] - '0');
  }
  if (i == 0) return std::nullopt;
  const std::string_view unit = text.substr(i);
  int shift = 0;
  if (unit == "KiB")
    shift = 10;
  else if (unit == "MiB")
    shift = 20;
  else if (unit == "GiB")
    shift = 30;
  else
    return std::nullopt;
  if (n > (std::uint64_t{1} << 30)) return std::nullopt;
  n <<= shift;
  if (n < 1024 || n > (std::uint64_t{1} << 30)) return std::nullopt;
  return n;
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  using namespace std::chrono;
  // Found by fuzzing: "999999999999h" overflowed the sum (undefined behaviour) into some
  // arbitrary, even negative, duration. Nothing here needs more than a year, and that bound
  // also keeps the deadlines the daemon computes from these (in nanoseconds) from overflowing.
  constexpr milliseconds kLongest = hours(24 * 365);
  milliseconds total{0};
  size_t i = 0;
  if (text.empty()) return std::nullopt;
  while (i < text.size()) {
    long long value = 0;
    auto [ptr, ec] = std::from_chars(text.data() + i, text.data() + text.size(), value);
    if (ec != std::errc() || ptr == text.data() + i || value < 0) return std::nullopt;
    i = static_cast<size_t>(ptr - text.data());
    size_t unit_end = i;
    while (unit_end < text.size() && std::isalpha(static_cast<unsigned char>(text[unit_end])))
      ++unit_end;
    const std::string_view unit = text.substr(i, unit_end - i);
    i = unit_end;
    milliseconds one{0};
    if (unit == "ms")
      one = milliseconds(1);
    else if (unit == "s")
      one = seconds(1);
    else if (unit == "m")
      one = minutes(1);
    else if (unit == "h")
      one = hours(1);
    else if (unit == "d")
      one = hours(24);
    else
      return std::nullopt;
    if (value > (kLongest - total) / one) return std::nullopt;
    total += one * value;
  }
  if (total.count() == 0) return std::nullopt;
  return total;
}

Config parse_config(std::string_view text, const std::string& name) {
  toml::table root;
  try {
    root = toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    throw ConfigError(where(name, e.source()) + std::string(e.description()) +
                      " (TOML syntax; see the example configuration)");
  }
  Config c;
  c.file = name;
  Reader reader(root, name);
  reader.only_keys(root, "", {"log_level", "server", "storage", "sync", "metrics"});
  reader.read(&root, "", "log_level", c.log_level);
  for (char& ch : c.log_level)  // `Info` and `DEBUG` mean what they say
    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));

  const toml::table* server = reader.section("server");
  if (server) {
    reader.only_keys(*server, "server.",
                     {"url", "token_file", "ca_file", "allow_insecure_http", "connect_timeout",
                      "request_timeout", "max_connections"});
    reader.read(server, "server", "url", c.server.url);
    reader.read(server, "server", "token_file", c.server.token_file);
    reader.read(server, "server", "ca_file", c.server.ca_file);
    reader.read(server, "server", "allow_insecure_http", c.server.allow_insecure_http);
    reader.read_duration(server, "server", "connect_timeout", c.server.connect_timeout);
    reader.read_duration(server, "server", "request_timeout", c.server.request_timeout);
    reader.read(server, "server", "max_connections", c.server.max_connections);
  }
  const toml::table* storage = reader.section("storage");
  if (storage) {
    reader.only_keys(*storage, "storage.", {"database", "report_group"});
    std::string database = c.storage.database.string();
    reader.read(storage, "storage", "database", database);
    c.storage.database = database;
    reader.read(storage, "storage", "report_group", c.storage.report_group);
  }
  const toml::table* sync = reader.section("sync");
  if (sync) {
    reader.only_keys(
        *sync, "sync.",
        {"interval", "resources", "conflict_policy", "mass_delete_share", "mass_delete_min",
         "retry_base", "retry_cap", "retry_attempts", "cycle_timeout", "max_element_size"});
    reader.read_duration(sync, "sync", "interval", c.sync.interval);
    reader.read_list(sync, "sync", "resources", c.sync.resources);
    reader.read(sync, "sync", "conflict_policy", c.sync.conflict_policy);
    reader.read(sync, "sync", "mass_delete_share", c.sync.mass_delete_share);
    reader.read(sync, "sync", "mass_delete_min", c.sync.mass_delete_min);
    reader.read_duration(sync, "sync", "retry_base", c.sync.retry_base);
    reader.read_duration(sync, "sync", "retry_cap", c.sync.retry_cap);
    reader.read(sync, "sync", "retry_attempts", c.sync.retry_attempts);
    reader.read_duration(sync, "sync", "cycle_timeout", c.sync.cycle_timeout);
    reader.read_size(sync, "sync", "max_element_size", c.sync.max_element_size);
  }
  const toml::table* metrics = reader.section("metrics");
  if (metrics) {
    reader.only_keys(*metrics, "metrics.", {"textfile"});
    std::string textfile;
    reader.read(metrics, "metrics", "textfile", textfile);
    c.metrics.textfile = textfile;
  }
  check_values(c, reader);
  return c;
}

Config load_config(const std::filesystem::path& file) {
  // An ifstream opens a folder and reads nothing: `--config /etc` was an empty configuration.
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec))
    throw ConfigError("the configuration " + file.string() +
                      " is a folder; give the configuration file, such as " +
                      (file / "clevertim-sync.toml").string());
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw ConfigError("cannot read the configuration " + file.string() +
                      "; create it as a copy of /etc/clevertim-sync/clevertim-sync.toml (the "
                      "package's, every key at its default) or of the source's "
                      "config/clevertim-sync.toml.example, or pass another --config");
  std::stringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), file.string());
}

void apply_overrides(Config& c, const Overrides& o) {
  if (o.database) c.storage.database = *o.database;
  if (o.url) c.server.url = *o.url;
  if (o.interval) {
    const auto d = parse_duration(*o.interval);
    if (!d)
      throw ConfigError("--interval " + *o.interval +
                        " is not a duration; write it like 30s, 5m or 1h30m");
    c.sync.interval = *d;
  }
  if (o.log_level) {
    if (std::find(std::begin(kLogLevels), std::end(kLogLevels), *o.log_level) ==
        std::end(kLogLevels))
      throw ConfigError("--log-level " + *o.log_level + " is not one of " + one_of(kLogLevels));
    c.log_level = *o.log_level;
  }
}

}  // namespace clevertim::config
