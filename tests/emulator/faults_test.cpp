// Each fault flag, shown happening; one-shot faults; determinism under --fault-seed.
#include <doctest/doctest.h>

#include <algorithm>
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

namespace {

std::vector<std::int64_t> id_list(const json::array& elements) {
  std::vector<std::int64_t> out;
  for (const json::value& e : elements) out.push_back(e.at("id").as_int64());
  return out;
}

// The faults named in the log, in order.
std::vector<std::string> logged_faults(const EmulatorProcess& e) {
  std::vector<std::string> out;
  const json::value log = control(e, "GET", "log").json();  // outlives the loop
  for (const json::value& r : log.at("requests").as_array())
    out.emplace_back(r.at("fault").as_string());
  return out;
}

}  // namespace

TEST_CASE("--fault-short: a read-all leaves out a random non-empty subset, the rest in order") {
  EmulatorProcess emulator({"--sample", "20", "--fault-short", "1"});
  const std::vector<std::int64_t> all = id_list(state(emulator).at("contact").as_array());
  REQUIRE(all.size() > 5);
  std::set<std::size_t> sizes;
  for (int i = 0; i < 60; ++i) {
    const std::vector<std::int64_t> got =
        id_list(all_elements(http_request("GET", emulator.url() + "/contact")));
    CHECK(got.size() < all.size());
    CHECK(std::includes(all.begin(), all.end(), got.begin(), got.end()));  // a subset, in order
    sizes.insert(got.size());
  }
  CHECK(sizes.size() > 3);  // how much is missing varies
  // The elements it does show are whole; reading one is not a read-all; nothing is lost.
  CHECK(get_one(emulator, "contact", all[0]).at("id") == all[0]);
  CHECK(id_list(state(emulator).at("contact").as_array()) == all);
  const std::vector<std::string> faults = logged_faults(emulator);
  CHECK(std::count(faults.begin(), faults.end(), "short") == 60);
  CHECK(faults.back().empty());
  // An empty list stays empty.
  CHECK(http_request("GET", emulator.url() + "/group").status == 200);
  REQUIRE(control(emulator, "PUT", "state", "{}").status == 200);
  CHECK(http_request("GET", emulator.url() + "/contact").body == R"({"status":"OK","content":[]})");
}

TEST_CASE("--fault-short drops every element sometimes, and the same seed drops the same ones") {
  auto run = [](const std::string& seed) {
    EmulatorProcess emulator({"--sample", "5", "--fault-short", "0.5", "--fault-seed", seed});
    std::vector<std::string> bodies;
    for (int i = 0; i < 40; ++i)
      bodies.push_back(http_request("GET", emulator.url() + "/contact").body);
    return bodies;
  };
  const auto first = run("3");
  CHECK(first == run("3"));
  CHECK(std::count(first.begin(), first.end(), R"({"status":"OK","content":[]})") > 0);
  CHECK(std::set<std::string>(first.begin(), first.end()).size() > 2);
}

TEST_CASE("--fault-bad-id: one element's id is unusable, in each documented way") {
  EmulatorProcess emulator({"--sample", "10", "--fault-bad-id", "1"});
  const json::array stored = state(emulator).at("company").as_array();
  REQUIRE(stored.size() > 1);
  std::set<std::string> kinds;
  for (int i = 0; i < 120; ++i) {
    const HttpAnswer a = http_request("GET", emulator.url() + "/company");
    const json::array got = all_elements(a);
    REQUIRE(got.size() == stored.size());
    int spoiled = 0;
    for (std::size_t k = 0; k < got.size(); ++k) {
      const json::value* id = got[k].as_object().if_contains("id");
      const std::int64_t own = stored[k].at("id").as_int64();
      if (id != nullptr && id->is_int64() && id->as_int64() == own) {
        CHECK(got[k] == stored[k]);
        continue;
      }
      ++spoiled;
      // Everything but the id is as stored.
      json::object rest = got[k].as_object();
      json::object want = stored[k].as_object();
      rest.erase("id");
      want.erase("id");
      CHECK(rest == want);
      const std::string o = std::to_string(own);
      const std::string exp = o.substr(0, 1) + (o.size() > 1 ? "." + o.substr(1) : "") + "e" +
                              std::to_string(o.size() - 1);
      if (id == nullptr)
        kinds.insert("absent");
      else if (id->is_null())
        kinds.insert("null");
      else if (*id == "abc")
        kinds.insert("abc");
      else if (*id == -5 || *id == 0)
        kinds.insert(json::serialize(*id));
      else if (a.body.find(R"("id":18446744073709551616,)") != std::string::npos)
        kinds.insert("2^64");
      else if (a.body.find(R"("id":)" + o + ".0,") != std::string::npos)
        kinds.insert("float");
      else if (a.body.find(R"("id":)" + exp + ",") != std::string::npos)
        kinds.insert("exponent");
      else
        FAIL("unexpected id " << *id);
    }
    CHECK(spoiled == 1);
  }
  CHECK(kinds ==
        std::set<std::string>{"absent", "null", "abc", "-5", "0", "2^64", "float", "exponent"});
  // The account keeps its ids; reading one is untouched.
  CHECK(state(emulator).at("company").as_array() == stored);
  CHECK(get_one(emulator, "company", stored[0].at("id").as_int64()) == stored[0]);
  const std::vector<std::string> faults = logged_faults(emulator);
  CHECK(std::count(faults.begin(), faults.end(), "bad_id") == 120);
}

TEST_CASE("short and bad_id one-shots wait for a read-all - fire once - show in settings") {
  EmulatorProcess emulator({"--sample", "10"});
  const std::string url = emulator.url();
  const json::array contacts = state(emulator).at("contact").as_array();
  const HttpAnswer set = control(emulator, "PUT", "faults", R"({"next":[
      {"fault":"short","path":"/api/contact"},{"fault":"bad_id","method":"GET","path":"/api/company"}]})");
  REQUIRE_MESSAGE(set.status == 200, set.body);
  // Not read-alls: the one-shots wait.
  const std::int64_t first = contacts[0].at("id").as_int64();
  CHECK(get_one(emulator, "contact", first).at("id") == first);
  CHECK(
      http_request("PUT", url + "/contact/" + std::to_string(first), R"({"city":"Oslo"})").status ==
      200);
  CHECK(all_elements(http_request("GET", url + "/contact")).size() < contacts.size());
  CHECK(all_elements(http_request("GET", url + "/contact")).size() == contacts.size());
  const json::array spoiled = all_elements(http_request("GET", url + "/company"));
  // 104.0, 1.04e2 and 2^64 parse as doubles: not int64 either.
  CHECK(std::count_if(spoiled.begin(), spoiled.end(), [](const json::value& e) {
          const json::value* id = e.as_object().if_contains("id");
          return id == nullptr || !id->is_int64() || id->as_int64() <= 0;
        }) == 1);
  CHECK(control(emulator, "GET", "faults").json().at("next").as_array().empty());
  const std::vector<std::string> faults = logged_faults(emulator);
  CHECK(faults == std::vector<std::string>{"", "", "short", "", "bad_id"});

  REQUIRE(control(emulator, "PUT", "faults", R"({"short":0.25,"bad_id":0.5})").status == 200);
  const json::value f = control(emulator, "GET", "faults").json();
  CHECK(f.at("short") == 0.25);
  CHECK(f.at("bad_id") == 0.5);
  CHECK(control(emulator, "PUT", "faults", R"({"short":2})").status == 400);
  CHECK(control(emulator, "PUT", "faults", R"({"next":[{"fault":"bad-id"}]})").status == 400);
}
