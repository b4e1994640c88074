// The public documentation's own examples (seed-clevertim-api-README.txt), run with curl exactly
// as written there, only the host changed: reads with /api, writes without it.
#include <doctest/doctest.h>

#include "helpers.h"

using namespace clevertim::testing;

namespace {

// `curl -u TOKEN:X ARGS URL`, answering the body; the HTTP status goes into `status`.
std::string curl(const std::string& args, const std::string& url, int* status) {
  std::string out;
  const int code = shell("curl -s -u " + std::string(kTestToken) + ":X " + args +
                             " -w '\\n%{http_code}' '" + url + "'",
                         &out);
  REQUIRE_MESSAGE(code == 0, out);
  const auto nl = out.rfind('\n');
  *status = std::stoi(out.substr(nl + 1));
  return out.substr(0, nl);
}

json::value parse(const std::string& text) {
  return json::parse(text);
}

}  // namespace

TEST_CASE(
    "the docs' case walk-through (add then edit then delete with a body) via BASE without /api") {
  EmulatorProcess emulator;
  const std::string root = emulator.root();
  int status = 0;

  const auto added =
      parse(curl(R"(-H "Content-Type: application/json" -X POST -d '{"name":"New case"}')",
                 root + "/case", &status));
  REQUIRE(status == 200);
  CHECK(added.at("status") == "OK");
  REQUIRE(added.at("content").as_array().size() == 1);
  const auto id = added.at("content").at(0).at("id").as_int64();
  CHECK(added.at("content").at(0).at("name") == "New case");

  const std::string element = root + "/case/" + std::to_string(id);
  const auto edited =
      parse(curl(R"(-H "Content-Type: application/json" -X PUT -d '{"name":"New case 2"}')",
                 element, &status));
  REQUIRE(status == 200);
  CHECK(edited.at("content").at(0).at("name") == "New case 2");
  CHECK(edited.at("content").at(0).at("id") == id);

  const std::string deleted = curl(R"(-X DELETE -d '{"name":"New case 2"}')", element, &status);
  CHECK(status == 200);
  CHECK(parse(deleted) == json::parse(R"({"status":"OK"})"));
  curl("", emulator.url() + "/case/" + std::to_string(id), &status);
  CHECK(status == 404);
}

TEST_CASE("the docs' reads: all companies and one company under /api") {
  EmulatorProcess emulator({"--sample", "20"});
  int status = 0;
  const auto all = parse(curl("", emulator.url() + "/company", &status));
  REQUIRE(status == 200);
  CHECK(all.as_object().size() == 2);
  CHECK(all.at("status") == "OK");
  const json::array companies = all.at("content").as_array();
  REQUIRE(companies.size() == 4);
  const auto id = companies.at(1).at("id").as_int64();
  const auto one = parse(curl("", emulator.url() + "/company/" + std::to_string(id), &status));
  REQUIRE(status == 200);
  REQUIRE(one.at("content").as_array().size() == 1);
  CHECK(one.at("content").at(0) == companies.at(1));
}

TEST_CASE("bodies are compact JSON with Content-Type application/json") {
  EmulatorProcess emulator({"--sample", "5"});
  for (const std::string path : {"/contact", "/contact/999999", "/nothing"}) {
    const HttpAnswer a = http_request("GET", emulator.url() + path);
    CHECK(a.header("Content-Type") == "application/json");
    CHECK(json::serialize(a.json()) == a.body);  // no spaces, no newlines
  }
}

TEST_CASE("the vendor client's style: every verb under /api and DELETE without a body") {
  EmulatorProcess emulator;
  const auto id = create(emulator, "contact", R"({"fn":"Ann","ln":"Lee"})");
  const std::string url = emulator.url() + "/contact/" + std::to_string(id);
  CHECK(only_element(http_request("PUT", url, R"({"title":"CEO"})")).at("title") == "CEO");
  const HttpAnswer gone = http_request("DELETE", url);
  CHECK(gone.status == 200);
  CHECK(gone.body == R"({"status":"OK"})");
  CHECK(http_request("GET", url).status == 404);
}

TEST_CASE("a partial PUT changes only what it sends and a whole-element PUT works the same") {
  EmulatorProcess emulator;
  const auto id =
      create(emulator, "contact",
             R"({"fn":"Ann","ln":"Lee","city":"Oslo","tags":["a"],"email":["a@x.io"]})");
  const std::string url = emulator.url() + "/contact/" + std::to_string(id);

  SUBCASE("partial, as the docs do it (the changed fields plus id)") {
    const json::object after = only_element(
        http_request("PUT", url, R"({"id":)" + std::to_string(id) + R"(,"city":"Bergen"})"));
    CHECK(after.at("city") == "Bergen");
    CHECK(after.at("fn") == "Ann");
    CHECK(after.at("tags") == json::array{"a"});
  }
  SUBCASE("whole element, as the vendor client does it (read-only fields included)") {
    json::object whole = get_one(emulator, "contact", id);
    whole["city"] = "Bergen";
    whole["ln"] = "Li";
    whole["notes"] = json::array{1, 2, 3};  // read-only: ignored
    whole["ao"] = "1999-01-01T00:00:00Z";   // read-only: ignored
    const json::object after = only_element(http_request("PUT", url, json::serialize(whole)));
    CHECK(after.at("city") == "Bergen");
    CHECK(after.at("ln") == "Li");
    CHECK(after.at("notes") == json::array{});
    CHECK(after.at("ao") != "1999-01-01T00:00:00Z");
  }
  SUBCASE("null clears a field") {
    const json::object after = only_element(http_request("PUT", url, R"({"city":null})"));
    CHECK(after.at("city").is_null());
  }
}
