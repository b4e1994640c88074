// Every status code of API.md and each reason for a 400, as the emulator answers them.
#include <doctest/doctest.h>

#include "helpers.h"

using namespace clevertim::testing;

namespace {

struct Account {
  EmulatorProcess emulator;
  std::int64_t company, contact, note, task, field;
  Account()
      : company(create(emulator, "company", R"({"cn":"Acme"})")),
        contact(create(emulator, "contact", R"({"fn":"Ann"})")),
        note(create(emulator, "note", R"({"desc":"hi","cust":)" + std::to_string(contact) + "}")),
        task(create(emulator, "task", R"({"name":"call"})")),
        field(create(emulator, "customfield", R"({"name":"Tier","elemType":"select"})")) {}
  HttpAnswer post(const std::string& resource, const std::string& body) {
    return http_request("POST", emulator.url() + "/" + resource, body);
  }
  std::string s(std::int64_t id) const { return std::to_string(id); }
};

}  // namespace

TEST_CASE("401: no Authorization header or an unknown token - with the error envelope") {
  EmulatorProcess emulator({"--sample", "3"});
  for (const std::string token : {"", "wrong-token"}) {
    const HttpAnswer a = http_request("GET", emulator.url() + "/contact", "", token);
    CHECK(a.status == 401);
    CHECK(!error_of(a).empty());
  }
  CHECK(http_request("GET", emulator.url() + "/contact", "", kTestToken).status == 200);
}

TEST_CASE("403: the read-only token reads and every write fails with the envelope") {
  EmulatorProcess emulator({"--sample", "3"});
  const std::string url = emulator.url();
  CHECK(http_request("GET", url + "/contact", "", kReadOnlyToken).status == 200);
  const auto id =
      std::to_string(all_elements(http_request("GET", url + "/contact"))[0].at("id").as_int64());
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"POST", "/contact"}, {"PUT", "/contact/" + id}, {"DELETE", "/contact/" + id}}) {
    const HttpAnswer a = http_request(method, url + path, R"({"fn":"X"})", kReadOnlyToken);
    CHECK_MESSAGE(a.status == 403, method);
    CHECK(!error_of(a).empty());
  }
  CHECK(get_one(emulator, "contact", std::stoll(id)).at("fn") != "X");
}

TEST_CASE("404: unknown ids for GET PUT and DELETE and unknown resources") {
  EmulatorProcess emulator;
  const std::string url = emulator.url();
  for (const std::string method : {"GET", "PUT", "DELETE"}) {
    const HttpAnswer a = http_request(method, url + "/contact/424242", R"({"fn":"A"})");
    CHECK_MESSAGE(a.status == 404, method);
    CHECK(error_of(a).find("424242") != std::string::npos);
  }
  for (const std::string path : {"/nothing", "/contacts", "/contact/abc", "/contact/1/notes"}) {
    const HttpAnswer a = http_request("GET", url + path);
    CHECK_MESSAGE(a.status == 404, path);
    CHECK(!error_of(a).empty());
  }
  // An id of another resource is not found either: ids name one element of one resource.
  const auto company = create(emulator, "company", R"({"cn":"Acme"})");
  CHECK(http_request("GET", url + "/contact/" + std::to_string(company)).status == 404);
}

TEST_CASE("500: a POST or PUT body that is not JSON (a DELETE's body is ignored)") {
  EmulatorProcess emulator;
  const auto id = create(emulator, "contact", R"({"fn":"Ann"})");
  const std::string url = emulator.url() + "/contact";
  for (const std::string body : {"{\"fn\": ", "{'fn': 'single quotes'}", "", "{\"a\":1,}"}) {
    const HttpAnswer a = http_request("POST", url, body);
    CHECK_MESSAGE(a.status == 500, body);
    CHECK(!error_of(a).empty());
    CHECK(http_request("PUT", url + "/" + std::to_string(id), body).status == 500);
  }
  CHECK(http_request("DELETE", url + "/" + std::to_string(id), "not json").status == 200);
}

TEST_CASE("501: PUT on a comment and writes to the read-only user and group") {
  Account acc;
  const auto comment =
      create(acc.emulator, "comment", R"({"comment":"c","nid":)" + acc.s(acc.note) + "}");
  const HttpAnswer a = http_request("PUT", acc.emulator.url() + "/comment/" + acc.s(comment),
                                    R"({"comment":"edited"})");
  CHECK(a.status == 501);
  CHECK(!error_of(a).empty());
  CHECK(get_one(acc.emulator, "comment", comment).at("comment") == "c");
  // Deleting and re-creating is the way to edit a comment.
  CHECK(http_request("DELETE", acc.emulator.url() + "/comment/" + acc.s(comment)).status == 200);
  for (const std::string r : {"user", "group"}) {
    CHECK(http_request("GET", acc.emulator.url() + "/" + r).status == 200);
    CHECK(acc.post(r, R"({"name":"x"})").status == 501);
  }
}

TEST_CASE("400: what a create must carry (the model's CreateRule)") {
  Account acc;
  const std::vector<std::pair<std::string, std::string>> refused = {
      {"contact", R"({"title":"no name"})"}, {"contact", R"({"fn":"","ln":""})"},
      {"company", R"({"email":["a@b.c"]})"}, {"case", R"({"description":"no name"})"},
      {"opportunity", R"({"name":""})"},     {"task", R"({"location":"x"})"},
      {"note", R"({"type":"N"})"},           {"comment", R"({"nid":)" + acc.s(acc.note) + "}"},
      {"customfield", R"({"name":"x"})"},    {"contact", "[1,2]"},
  };
  for (const auto& [resource, body] : refused) {
    const HttpAnswer a = acc.post(resource, body);
    CHECK_MESSAGE(a.status == 400, resource << " " << body);
    CHECK(!error_of(a).empty());
  }
  CHECK(acc.post("contact", R"({"ln":"Only a last name"})").status == 200);
}

TEST_CASE("400: a comment on both a note and a task or on neither") {
  Account acc;
  CHECK(acc.post("comment", R"({"comment":"c"})").status == 400);
  CHECK(acc.post("comment", R"({"comment":"c","nid":null,"tid":null})").status == 400);
  const HttpAnswer both = acc.post("comment", R"({"comment":"c","nid":)" + acc.s(acc.note) +
                                                  R"(,"tid":)" + acc.s(acc.task) + "}");
  CHECK(both.status == 400);
  CHECK(error_of(both).find("exactly one") != std::string::npos);
  CHECK(acc.post("comment", R"({"comment":"c","tid":)" + acc.s(acc.task) + "}").status == 200);
}

TEST_CASE("400: wrong JSON types for a field per the model's FieldType") {
  Account acc;
  const std::vector<std::pair<std::string, std::string>> refused = {
      {"contact", R"({"fn":["Ann"]})"},                      // text
      {"contact", R"({"fn":"A","email":"a@b.c"})"},          // [str]
      {"contact", R"({"fn":"A","email":[1]})"},              // [str]
      {"contact", R"({"fn":"A","phones":["0087"]})"},        // [obj]
      {"contact", R"({"fn":"A","is_private":"yes"})"},       // bool
      {"contact", R"({"fn":"A","cf":[1]})"},                 // obj
      {"contact", R"({"fn":"A","companyId":"acme"})"},       // int
      {"task", R"({"name":"t","startDate":"2026-01-02"})"},  // date object
      {"task", R"({"name":"t","startDate":{"y":2026}})"},
      {"task", R"({"name":"t","recevery":"often"})"},
      {"task", R"({"name":"t","recopts":"weekday"})"},
  };
  for (const auto& [resource, body] : refused) {
    const HttpAnswer a = acc.post(resource, body);
    CHECK_MESSAGE(a.status == 400, resource << " " << body);
    CHECK(!error_of(a).empty());
  }
  // The same checks hold for an update, and refuse it whole.
  const std::string url = acc.emulator.url() + "/contact/" + acc.s(acc.contact);
  CHECK(http_request("PUT", url, R"({"city":"Oslo","email":"a@b.c"})").status == 400);
  CHECK(get_one(acc.emulator, "contact", acc.contact).if_contains("city") == nullptr);
  // What the model accepts: numeric strings for ids, numbers for text, all-day dates.
  CHECK(acc.post("contact", R"({"fn":"A","companyId":")" + acc.s(acc.company) + R"("})").status ==
        200);
  CHECK(acc.post("opportunity", R"({"name":"o","value":4500})").status == 200);
  CHECK(acc.post("task", R"({"name":"t","startDate":{"y":2026,"mo":1,"d":2}})").status == 200);
}

TEST_CASE("400: references to elements that do not exist") {
  Account acc;
  const std::string missing = "999999";
  const std::vector<std::pair<std::string, std::string>> refused = {
      {"contact", R"({"fn":"A","companyId":)" + missing + "}"},
      {"contact",
       R"({"fn":"A","companyId":)" + acc.s(acc.contact) + "}"},  // a contact, not a company
      {"case", R"({"name":"c","cust":)" + missing + "}"},
      {"case", R"({"name":"c","leadUser":)" + missing + "}"},
      {"opportunity", R"({"name":"o","cust":)" + acc.s(acc.note) + "}"},  // a note is no customer
      {"task", R"({"name":"t","case":)" + missing + "}"},
      {"task", R"({"name":"t","opp":)" + missing + "}"},
      {"task", R"({"name":"t","aUserId":)" + missing + "}"},
      {"note", R"({"desc":"d","opportunity":)" + missing + "}"},
      {"note", R"({"desc":"d","cust":[)" + acc.s(acc.contact) + "," + missing + "]}"},
      {"comment", R"({"comment":"c","nid":)" + missing + "}"},
      {"comment", R"({"comment":"c","tid":)" + acc.s(acc.note) + "}"},
      {"contact", R"({"fn":"A","puser":)" + missing + "}"},
  };
  for (const auto& [resource, body] : refused) {
    const HttpAnswer a = acc.post(resource, body);
    CHECK_MESSAGE(a.status == 400, resource << " " << body);
    CHECK(!error_of(a).empty());
  }
  // Existing targets pass: a company or a contact as `cust`, a list of them on a note.
  CHECK(acc.post("case", R"({"name":"c","cust":)" + acc.s(acc.company) + "}").status == 200);
  CHECK(acc.post("case", R"({"name":"c","cust":)" + acc.s(acc.contact) + "}").status == 200);
  CHECK(acc.post("note",
                 R"({"desc":"d","cust":[)" + acc.s(acc.contact) + "," + acc.s(acc.company) + "]}")
            .status == 200);
}

TEST_CASE("400: cf keys must be existing custom field ids and elemType a known type") {
  Account acc;
  CHECK(acc.post("contact", R"({"fn":"A","cf":{"999999":"gold"}})").status == 400);
  CHECK(acc.post("contact", R"({"fn":"A","cf":{"tier":"gold"}})").status == 400);
  CHECK(acc.post("contact", R"({"fn":"A","cf":{")" + acc.s(acc.field) + R"(":{"x":1}}})").status ==
        400);
  const json::object ok = only_element(
      acc.post("contact", R"({"fn":"A","cf":{")" + acc.s(acc.field) + R"(":["a","b"]}})"));
  CHECK(ok.at("cf").at(acc.s(acc.field)) == json::array{"a", "b"});
  const HttpAnswer bad = acc.post("customfield", R"({"name":"x","elemType":"slider"})");
  CHECK(bad.status == 400);
  CHECK(error_of(bad).find("elemType") != std::string::npos);
  CHECK(acc.post("customfield", R"({"name":"x","elemType":"date"})").status == 200);
}

TEST_CASE("405: a verb the URL does not take") {
  EmulatorProcess emulator;
  CHECK(http_request("POST", emulator.url() + "/contact/5", R"({"fn":"A"})").status == 405);
  CHECK(http_request("PUT", emulator.url() + "/contact", R"({"fn":"A"})").status == 405);
  CHECK(http_request("DELETE", emulator.url() + "/contact").status == 405);
}
