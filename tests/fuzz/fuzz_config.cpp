// libFuzzer target: the configuration parser (config/config.h). The input is the text of a
// configuration file. Errors (ConfigError) are the expected answer to most inputs; crashes,
// other exceptions and sanitizer reports are bugs. A configuration that parses must satisfy
// the checks parse_config promises.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "config/config.h"
#include "fuzz_check.h"

using clevertim::config::Config;
using clevertim::config::ConfigError;
using namespace std::chrono_literals;

// parse_duration's bound.
constexpr std::chrono::milliseconds kLongest = 24h * 365;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const Config c = clevertim::config::parse_config(text, "fuzz.toml");
    FUZZ_CHECK(c.sync.mass_delete_share >= 0 && c.sync.mass_delete_share <= 1);
    FUZZ_CHECK(c.sync.mass_delete_min >= 0 && c.sync.retry_attempts >= 1);
    FUZZ_CHECK(c.server.max_connections >= 1 && c.server.max_connections <= 64);
    FUZZ_CHECK(!c.storage.database.empty());
    for (const auto d : {c.sync.interval, c.sync.retry_base, c.sync.retry_cap,
                         c.server.connect_timeout, c.server.request_timeout})
      FUZZ_CHECK(d.count() > 0 && d <= kLongest);
  } catch (const ConfigError& e) {
    // Every message names the file.
    FUZZ_CHECK(std::string_view(e.what()).find("fuzz.toml") != std::string_view::npos);
  }
  // The duration syntax on its own, as --interval takes it.
  if (const auto d = clevertim::config::parse_duration(text))
    FUZZ_CHECK(d->count() > 0 && *d <= kLongest);
  return 0;
}
