// The control API under /_emulator/: log, faults, state, save and edits from the web app.
#include <doctest/doctest.h>

#include "helpers.h"

using namespace clevertim::testing;

TEST_CASE("the control API needs the read-write token") {
  EmulatorProcess emulator;
  for (const std::string token : {"", kReadOnlyToken, "nope"})
    CHECK(http_request("GET", emulator.root() + "/_emulator/state", "", token).status == 401);
  CHECK(control(emulator, "GET", "nothing").status == 404);
  CHECK(control(emulator, "POST", "log").status == 405);
}

TEST_CASE("the log lists API requests (method path body status) and DELETE clears it") {
  EmulatorProcess emulator;
  const auto id = create(emulator, "contact", R"({"fn":"Ann"})");
  http_request("PUT", emulator.url() + "/contact/" + std::to_string(id), R"({"city":"Oslo"})");
  http_request("GET", emulator.url() + "/contact/999999");
  http_request("GET", emulator.url() + "/contact", "", "bad-token");
  control(emulator, "GET", "state");  // control requests are not logged
  const json::array log = control(emulator, "GET", "log").json().at("requests").as_array();
  REQUIRE(log.size() == 4);
  CHECK(
      log[0] ==
      json::parse(
          R"({"method":"POST","path":"/api/contact","body":"{\"fn\":\"Ann\"}","status":200,"fault":""})"));
  CHECK(log[1].at("method") == "PUT");
  CHECK(log[1].at("path") == json::value("/api/contact/" + std::to_string(id)));
  CHECK(log[1].at("body") == R"({"city":"Oslo"})");
  CHECK(log[2].at("status") == 404);
  CHECK(log[3].at("status") == 401);
  CHECK(control(emulator, "DELETE", "log").status == 200);
  CHECK(control(emulator, "GET", "log").json().at("requests").as_array().empty());
}

TEST_CASE("faults: GET shows the settings and PUT changes them all or nothing") {
  EmulatorProcess emulator({"--fault-429", "0.25", "--retry-after", "3", "--fault-seed", "9"});
  json::object f = control(emulator, "GET", "faults").json().as_object();
  CHECK(f.at("429") == 0.25);
  CHECK(f.at("retry_after") == 3);
  CHECK(f.at("seed") == 9);
  CHECK(f.at("5xx") == 0.0);
  const HttpAnswer set = control(
      emulator, "PUT", "faults",
      R"({"5xx":0.5,"429":0,"503":0.1,"retry_after":2,"latency_ms":5,"reset":0.01,"truncate":0.02,"empty":0.03,"drop_after_commit":0.04,"seed":7})");
  REQUIRE_MESSAGE(set.status == 200, set.body);
  f = control(emulator, "GET", "faults").json().as_object();
  CHECK(f.at("5xx") == 0.5);
  CHECK(f.at("429") == 0.0);
  CHECK(f.at("drop_after_commit") == 0.04);
  CHECK(f.at("latency_ms") == 5);
  for (const std::string bad :
       {R"({"5xx":2})", R"({"typo":1})", R"({"next":[{"fault":"boom"}]})", R"({"latency_ms":-1})",
        R"([1])", "not json", R"({"5xx":0.9,"bogus":true})"}) {
    const HttpAnswer a = control(emulator, "PUT", "faults", bad);
    CHECK_MESSAGE(a.status == 400, bad);
    CHECK(!error_of(a).empty());
  }
  CHECK(control(emulator, "GET", "faults").json().at("5xx") == 0.5);  // unchanged
  // Back to no faults at all.
  REQUIRE(
      control(
          emulator, "PUT", "faults",
          R"({"5xx":0,"503":0,"reset":0,"truncate":0,"empty":0,"drop_after_commit":0,"latency_ms":0})")
          .status == 200);
  for (int i = 0; i < 20; ++i)
    CHECK(http_request("GET", emulator.url() + "/contact").status == 200);
}

TEST_CASE("web edits: the API's rules as another user - not logged - may add users") {
  EmulatorProcess emulator({"--sample", "5"});
  const json::object st = state(emulator);
  std::int64_t owner = 0;
  for (const auto& u : st.at("user").as_array())
    if (u.at("is_owner") == true) owner = u.at("id").as_int64();

  const HttpAnswer made =
      control(emulator, "POST", "web/opportunity", R"({"name":"From the web"})");
  const json::object deal = only_element(made);
  CHECK(deal.at("userId").as_int64() != owner);
  const std::string id = std::to_string(deal.at("id").as_int64());
  CHECK(only_element(control(emulator, "PUT", "web/opportunity/" + id, R"({"value":"10"})"))
            .at("value") == "10");
  CHECK(control(emulator, "POST", "web/opportunity", R"({"description":"no name"})").status == 400);
  CHECK(control(emulator, "PUT", "web/opportunity/999999", R"({"value":"1"})").status == 404);
  CHECK(control(emulator, "POST", "web/opportunity", "{").status == 500);
  CHECK(control(emulator, "DELETE", "web/opportunity/" + id).status == 200);
  CHECK(control(emulator, "GET", "log").json().at("requests").as_array().empty());

  const json::object user =
      only_element(control(emulator, "POST", "web/user",
                           R"({"user":"New Person","email":"n@example.com","is_owner":false})"));
  CHECK(user.at("user") == "New Person");
  CHECK(create(emulator, "case",
               R"({"name":"c","leadUser":)" + std::to_string(user.at("id").as_int64()) + "}") > 0);
}

TEST_CASE("state: GET is the whole account - PUT replaces it - {} empties it") {
  EmulatorProcess emulator({"--sample", "10"});
  const json::object before = state(emulator);
  for (const std::string r : {"contact", "company", "case", "opportunity", "task", "note",
                              "comment", "customfield", "user", "group"})
    CHECK_MESSAGE(before.at(r).is_array(), r);
  const std::int64_t next = before.at("next_id").as_int64();

  REQUIRE(control(emulator, "PUT", "state", "{}").status == 200);
  const json::object empty = state(emulator);
  for (const auto& [key, v] : empty)
    if (v.is_array()) CHECK_MESSAGE(v.as_array().empty(), key);
  CHECK(all_elements(http_request("GET", emulator.url() + "/contact")).empty());
  CHECK(create(emulator, "contact", R"({"fn":"First"})") == 1);

  // A state with some elements: ids go on above the highest present, link lists are derived.
  REQUIRE(control(emulator, "PUT", "state", R"({"contact":[{"id":40,"fn":"Ann","notes":[1,2,3]}],
      "note":[{"id":41,"desc":"n","cust":40,"odd":true}]})")
              .status == 200);
  CHECK(ids(get_one(emulator, "contact", 40).at("notes")) == std::vector<std::int64_t>{41});
  CHECK(get_one(emulator, "note", 41).at("odd") == true);
  CHECK(create(emulator, "case", R"({"name":"c"})") == 42);

  // What GET gave, PUT takes back, ids sequence included.
  REQUIRE(control(emulator, "PUT", "state", json::serialize(before)).status == 200);
  CHECK(state(emulator) == before);
  CHECK(create(emulator, "case", R"({"name":"c"})") == next);

  for (const std::string bad :
       {R"({"contacts":[]})", R"({"contact":{}})", R"({"contact":[{"fn":"no id"}]})",
        R"({"contact":[{"id":1}],"company":[{"id":1}]})", "[]"}) {
    CHECK_MESSAGE(control(emulator, "PUT", "state", bad).status == 400, bad);
  }
  CHECK(state(emulator).at("contact").as_array().size() == before.at("contact").as_array().size());
}

TEST_CASE("save without --state is refused") {
  EmulatorProcess emulator;
  const HttpAnswer a = control(emulator, "POST", "save");
  CHECK(a.status == 400);
  CHECK(error_of(a).find("--state") != std::string::npos);
}
