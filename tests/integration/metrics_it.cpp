// Issue 14, metrics: each cycle writes metrics.textfile in Prometheus' text format, and
// `status --prometheus` prints the same; the figures are the mirror's and the traffic's.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>

#include "integration_fixture.h"

using namespace clevertim::testing;

namespace {

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every line of the text format: a comment (# HELP / # TYPE) or `name{labels} value`. Returns
// the samples by "name{labels}"; fails the test on a line of any other shape.
std::map<std::string, double> samples_of(const std::string& text) {
  static const std::regex comment(R"(# (HELP|TYPE) [a-z_]+ .+)");
  static const std::regex sample(
      R"(([a-z_]+(\{[a-z_]+="[a-z_]+"(,[a-z_]+="[a-z_]+")*\})?) (-?[0-9.e+]+))");
  std::map<std::string, double> out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    CAPTURE(line);
    std::smatch m;
    if (std::regex_match(line, comment)) continue;
    REQUIRE(std::regex_match(line, m, sample));
    CHECK_FALSE(out.contains(m[1].str()));  // one sample per series
    out[m[1].str()] = std::stod(m[4].str());
  }
  return out;
}

}  // namespace

TEST_CASE("metrics: the text file after each cycle, and status --prometheus, say the same") {
  TempDir d;
  const auto prom = d / "clevertim-sync.prom";
  SyncFixture f({"--sample", "20"}, "");
  {
    std::ofstream(f.config, std::ios::app) << "[metrics]\ntextfile = \"" << prom.string() << "\"\n";
  }
  f.next_fault("503", "GET", "/api/company");  // retried once
  REQUIRE_MESSAGE(f.sync() == 0, f.output);
  REQUIRE(std::filesystem::exists(prom));
  CHECK((std::filesystem::status(prom).permissions() & std::filesystem::perms::others_read) !=
        std::filesystem::perms::none);  // node_exporter runs as another user
  auto m = samples_of(read_text(prom));
  CHECK(m["clevertim_sync_rows{resource=\"contact\"}"] ==
        static_cast<double>(f.number("SELECT count(*) FROM contacts")));
  CHECK(m["clevertim_sync_rows{resource=\"company\"}"] ==
        static_cast<double>(f.number("SELECT count(*) FROM companies")));
  CHECK(m["clevertim_sync_requests_total{outcome=\"server_error\"}"] == 1);
  CHECK(m["clevertim_sync_retries_total"] == 1);
  CHECK(m["clevertim_sync_requests_total{outcome=\"ok\"}"] >= 9);  // user + 8 lists at least
  CHECK(m["clevertim_sync_pulled_bytes_total"] > 1000);
  CHECK(m["clevertim_sync_last_success_timestamp_seconds"] > 1.7e9);
  CHECK(m["clevertim_sync_last_run_duration_seconds"] >= 0);
  CHECK(m["clevertim_sync_open_conflicts"] == 0);
  CHECK(m["clevertim_sync_held_deletions{resource=\"contact\",direction=\"pull\"}"] == 0);
  CHECK(m["clevertim_sync_pending_rows{resource=\"contact\"}"] == 0);

  std::string printed;
  REQUIRE(run_clevertim_sync(f.config, {"status", "--prometheus"}, &printed) == 0);
  CHECK(printed == read_text(prom));

  // Counters add up across cycles; gauges follow the mirror.
  f.shell("UPDATE contacts SET city = 'Metric' WHERE id = (SELECT min(id) FROM contacts);");
  REQUIRE(run_clevertim_sync(f.config, {"status", "--prometheus"}, &printed) == 0);
  CHECK(samples_of(printed)["clevertim_sync_pending_rows{resource=\"contact\"}"] == 1);
  REQUIRE_MESSAGE(f.sync() == 0, f.output);
  const auto again = samples_of(read_text(prom));
  CHECK(again.at("clevertim_sync_requests_total{outcome=\"ok\"}") >
        m["clevertim_sync_requests_total{outcome=\"ok\"}"]);
  CHECK(again.at("clevertim_sync_requests_total{outcome=\"server_error\"}") == 1);
  CHECK(again.at("clevertim_sync_pending_rows{resource=\"contact\"}") == 0);
}

TEST_CASE("metrics: a text file that cannot be written is a warning, not a failed sync") {
  SyncFixture f({"--sample", "5"}, "");
  { std::ofstream(f.config, std::ios::app) << "[metrics]\ntextfile = \"/nonexistent/x.prom\"\n"; }
  REQUIRE_MESSAGE(f.sync() == 0, f.output);
  CHECK(f.output.find("could not record the metrics (/nonexistent/x.prom)") != std::string::npos);
  CHECK(f.output.find("metrics.textfile") != std::string::npos);
}
