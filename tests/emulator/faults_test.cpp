// Each fault flag, shown happening; one-shot faults; determinism under --fault-seed.
#include <doctest/doctest.h>

#include <chrono>
#include <set>

#include "helpers.h"

using namespace clevertim::testing;

namespace {

bool is_json(const std::string& text) {
  boost::system::error_code ec;
  json::parse(text, ec);
  return !ec;
}

}  // namespace

TEST_CASE("--fault-5xx: 500 or 502 or 503 with bodies that are not JSON") {
  EmulatorProcess emulator({"--sample", "3", "--fault-5xx", "1"});
  std::set<int> seen;
  for (int i = 0; i < 30; ++i) {
    const HttpAnswer a = http_request("GET", emulator.url() + "/contact");
    CHECK((a.status == 500 || a.status == 502 || a.status == 503));
    CHECK(a.header("Retry-After").empty());
    // Crash pages: a 500 *with* an envelope means "your body was not JSON" (API.md).
    CHECK(!is_json(a.body));
    seen.insert(a.status);
  }
  CHECK(seen.size() == 3);
  // Not carried out: a faulted create leaves nothing behind.
  CHECK(http_request("POST", emulator.url() + "/contact", R"({"fn":"Ghost"})").status >= 500);
  CHECK(json::serialize(state(emulator)).find("Ghost") == std::string::npos);
}

TEST_CASE("--fault-5xx-statuses and 5xx_statuses choose the statuses of injected 5xx") {
  EmulatorProcess emulator({"--fault-5xx", "1", "--fault-5xx-statuses", "502,504"});
  std::set<int> seen;
  for (int i = 0; i < 20; ++i) seen.insert(http_request("GET", emulator.url() + "/task").status);
  CHECK(seen == std::set<int>{502, 504});
  REQUIRE(control(emulator, "PUT", "faults", R"({"5xx_statuses":[503]})").status == 200);
  CHECK(http_request("GET", emulator.url() + "/task").status == 503);
  CHECK(control(emulator, "GET", "faults").json().at("5xx_statuses") == json::array{503});
  for (const std::string bad :
       {R"({"5xx_statuses":[]})", R"({"5xx_statuses":[404]})", R"({"5xx_statuses":"502"})"})
    CHECK_MESSAGE(control(emulator, "PUT", "faults", bad).status == 400, bad);
}

TEST_CASE("--fault-429 and --fault-503: the envelope and Retry-After from --retry-after") {
  for (const std::string code : {"429", "503"}) {
    EmulatorProcess emulator({"--fault-" + code, "1", "--retry-after", "7"});
    const HttpAnswer a = http_request("GET", emulator.url() + "/contact");
    CHECK(a.status == std::stoi(code));
    CHECK(a.header("Retry-After") == "7");
    CHECK(!error_of(a).empty());
  }
}

TEST_CASE("--latency-ms delays every API answer but no control answer") {
  EmulatorProcess emulator({"--latency-ms", "300"});
  const auto start = std::chrono::steady_clock::now();
  CHECK(http_request("GET", emulator.url() + "/contact").status == 200);
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(300));
  const auto control_start = std::chrono::steady_clock::now();
  CHECK(control(emulator, "GET", "faults").json().at("latency_ms") == 300);
  CHECK(std::chrono::steady_clock::now() - control_start < std::chrono::milliseconds(300));
}

TEST_CASE(
    "--fault-reset: the full Content-Length then part of the body then the connection closes") {
  EmulatorProcess emulator({"--sample", "10", "--fault-reset", "1"});
  const HttpAnswer a = http_request("GET", emulator.url() + "/contact");
  CHECK(a.status == 200);
  CHECK(!a.error.empty());
  REQUIRE(!a.header("Content-Length").empty());
  CHECK(a.body.size() < std::stoul(a.header("Content-Length")));
  CHECK(a.body.size() > 0);
}

TEST_CASE("--fault-truncate: a complete HTTP 200 whose JSON is cut short") {
  EmulatorProcess emulator({"--sample", "10", "--fault-truncate", "1"});
  const HttpAnswer a = http_request("GET", emulator.url() + "/contact");
  CHECK(a.complete());
  CHECK(a.status == 200);
  CHECK(std::stoul(a.header("Content-Length")) == a.body.size());
  CHECK(a.body.starts_with(R"({"status":"OK","content":[)"));
  CHECK(!is_json(a.body));
}

TEST_CASE("--fault-empty: read-alls answer an empty list and the account is intact") {
  EmulatorProcess emulator({"--sample", "10", "--fault-empty", "1"});
  const HttpAnswer a = http_request("GET", emulator.url() + "/contact");
  CHECK(a.status == 200);
  CHECK(a.body == R"({"status":"OK","content":[]})");
  const json::array contacts = state(emulator).at("contact").as_array();
  REQUIRE(!contacts.empty());
  // Reading one is not a read-all: unaffected.
  const auto id = contacts[0].at("id").as_int64();
  CHECK(get_one(emulator, "contact", id).at("id") == id);
}

TEST_CASE("--fault-drop-after-commit: the client sees no answer yet the write happened") {
  EmulatorProcess emulator({"--fault-drop-after-commit", "1"});
  const HttpAnswer a = http_request("POST", emulator.url() + "/contact", R"({"fn":"Ambiguous"})");
  CHECK(a.status == 0);
  CHECK(!a.error.empty());
  const json::array contacts = state(emulator).at("contact").as_array();
  REQUIRE(contacts.size() == 1);
  CHECK(contacts[0].at("fn") == "Ambiguous");
  // Reads are never dropped.
  CHECK(http_request("GET", emulator.url() + "/contact").status == 200);
  // The log shows what the server did.
  const json::array log = control(emulator, "GET", "log").json().at("requests").as_array();
  CHECK(log[0].at("fault") == "drop_after_commit");
  CHECK(log[0].at("status") == 200);
}

TEST_CASE("the same --fault-seed gives the same faults for the same requests") {
  auto run = [](const std::string& seed) {
    EmulatorProcess emulator({"--fault-5xx", "0.3", "--fault-429", "0.2", "--fault-seed", seed});
    std::vector<int> statuses;
    for (int i = 0; i < 40; ++i)
      statuses.push_back(http_request("GET", emulator.url() + "/case").status);
    return statuses;
  };
  const auto first = run("7");
  CHECK(first == run("7"));
  CHECK(first != run("8"));
  CHECK(std::count(first.begin(), first.end(), 200) > 0);
  CHECK(std::count(first.begin(), first.end(), 200) < 40);
}

TEST_CASE("one-shot faults fire once on the first request matching method and path") {
  EmulatorProcess emulator({"--sample", "5"});
  const std::string url = emulator.url();
  const std::size_t cases = state(emulator).at("case").as_array().size();
  const HttpAnswer set = control(emulator, "PUT", "faults", R"({"next":[
      {"fault":"503","method":"GET","path":"/api/note"},
      {"fault":"empty","path":"/api/contact"},
      {"fault":"drop_after_commit","method":"POST"},
      {"fault":"429"}]})");
  REQUIRE_MESSAGE(set.status == 200, set.body);
  CHECK(set.json().at("next").as_array().size() == 4);
  // GET /api/contact: "empty" matches first (503 wants /api/note).
  CHECK(http_request("GET", url + "/contact").body == R"({"status":"OK","content":[]})");
  // Anything else next takes the unfiltered 429.
  CHECK(http_request("GET", url + "/company").status == 429);
  CHECK(http_request("GET", url + "/note").status == 503);
  // A write without /api is the same URL for matching.
  CHECK(http_request("POST", emulator.root() + "/case", R"({"name":"c"})").status == 0);
  CHECK(control(emulator, "GET", "faults").json().at("next").as_array().empty());
  CHECK(http_request("GET", url + "/note").status == 200);
  CHECK(state(emulator).at("case").as_array().size() == cases + 1);  // committed
}

TEST_CASE("faults never hit the control API and the log records faulted requests") {
  EmulatorProcess emulator({"--fault-5xx", "1"});
  for (int i = 0; i < 5; ++i) CHECK(control(emulator, "GET", "state").status == 200);
  http_request("GET", emulator.url() + "/task");
  const json::array log = control(emulator, "GET", "log").json().at("requests").as_array();
  REQUIRE(log.size() == 1);
  CHECK(log[0].at("path") == "/api/task");
  CHECK(log[0].at("fault") == "5xx");
  CHECK(log[0].at("status").as_int64() >= 500);
}
