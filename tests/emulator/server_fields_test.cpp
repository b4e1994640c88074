// What the server computes: ids, time stamps, the creator, is_company, and the read-only link
// lists (the model's Backlinks), kept consistent through creates, updates and deletes.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <regex>
#include <set>
#include <thread>

#include "helpers.h"

using namespace clevertim::testing;

namespace {

bool is_utc_stamp(const json::value& v) {
  static const std::regex iso(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)");
  return v.is_string() && std::regex_match(std::string(v.as_string()), iso);
}

bool contains(const json::value& list, std::int64_t id) {
  const auto v = ids(list);
  return std::find(v.begin(), v.end(), id) != v.end();
}

std::string s(std::int64_t id) {
  return std::to_string(id);
}

}  // namespace

TEST_CASE("one id sequence across all resources above the sample's ids") {
  EmulatorProcess emulator({"--sample", "10"});
  std::int64_t highest = 0;
  for (const auto& [resource, list] : state(emulator))
    if (list.is_array())
      for (const auto& e : list.as_array()) highest = std::max(highest, e.at("id").as_int64());
  const auto company = create(emulator, "company", R"({"cn":"Acme"})");
  const auto contact = create(emulator, "contact", R"({"fn":"Ann"})");
  const auto field = create(emulator, "customfield", R"({"name":"F","elemType":"input"})");
  CHECK(company > highest);
  CHECK(contact == company + 1);
  CHECK(field == contact + 1);
  // A deleted id is never handed out again.
  REQUIRE(http_request("DELETE", emulator.url() + "/customfield/" + s(field)).status == 200);
  CHECK(create(emulator, "case", R"({"name":"c"})") == field + 1);
}

TEST_CASE("ao and lm are UTC ISO-8601 stamps and lm moves only when a write changes something") {
  EmulatorProcess emulator;
  const auto id = create(emulator, "contact", R"({"fn":"Ann"})");
  const json::object created = get_one(emulator, "contact", id);
  CHECK(is_utc_stamp(created.at("ao")));
  CHECK(created.at("lm") == created.at("ao"));
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  const std::string url = emulator.url() + "/contact/" + s(id);
  const json::object same = only_element(http_request("PUT", url, R"({"fn":"Ann"})"));
  CHECK(same.at("lm") == created.at("lm"));
  const json::object changed = only_element(http_request("PUT", url, R"({"fn":"Bo"})"));
  CHECK(is_utc_stamp(changed.at("lm")));
  CHECK(changed.at("lm").as_string() > created.at("lm").as_string());
  CHECK(changed.at("ao") == created.at("ao"));
}

TEST_CASE("the creator is the token's user - is_company is the server's - files start empty") {
  EmulatorProcess emulator({"--sample", "5"});
  std::int64_t owner = 0;
  const json::object st = state(emulator);
  for (const auto& u : st.at("user").as_array())
    if (u.at("is_owner") == true) owner = u.at("id").as_int64();
  REQUIRE(owner != 0);
  const auto deal = create(emulator, "opportunity", R"({"name":"Deal","userId":12345})");
  CHECK(get_one(emulator, "opportunity", deal).at("userId") == owner);
  const auto task = create(emulator, "task", R"({"name":"t"})");
  CHECK(get_one(emulator, "task", task).at("userId") == owner);

  const json::object contact =
      get_one(emulator, "contact", create(emulator, "contact", R"({"fn":"A","is_company":true})"));
  CHECK(contact.at("is_company") == false);
  CHECK(contact.at("files") == json::array{});
  CHECK(contact.at("lfiles") == json::array{});
  const json::object company =
      get_one(emulator, "company", create(emulator, "company", R"({"cn":"C"})"));
  CHECK(company.at("is_company") == true);
}

TEST_CASE(
    "read-only fields and a body's id are ignored (not refused) and unknown fields are kept") {
  EmulatorProcess emulator;
  const HttpAnswer a = http_request(
      "POST", emulator.url() + "/contact",
      R"({"id":77,"fn":"Ann","notes":[1,2],"lc":"2001-01-01T00:00:00Z","ao":"x","linkedin_rank":3,"x":{"deep":[1,{"y":null}]}})");
  const json::object c = only_element(a);
  CHECK(c.at("id") != 77);
  CHECK(c.at("notes") == json::array{});
  CHECK(c.if_contains("lc") == nullptr);
  CHECK(c.at("ao") != "x");
  CHECK(c.at("linkedin_rank") == 3);
  CHECK(c.at("x") == json::parse(R"({"deep":[1,{"y":null}]})"));
  const auto id = c.at("id").as_int64();

  // A PUT whose body names another id changes the URL's element.
  const auto other = create(emulator, "contact", R"({"fn":"Other"})");
  const json::object put =
      only_element(http_request("PUT", emulator.url() + "/contact/" + s(id),
                                R"({"id":)" + s(other) + R"(,"fn":"Changed","rank2":"x"})"));
  CHECK(put.at("id") == id);
  CHECK(put.at("fn") == "Changed");
  CHECK(put.at("linkedin_rank") == 3);
  CHECK(put.at("rank2") == "x");
  CHECK(get_one(emulator, "contact", other).at("fn") == "Other");
}

TEST_CASE("field order is stable: as created - server fields after - link lists last") {
  EmulatorProcess emulator;
  const json::object c =
      get_one(emulator, "contact", create(emulator, "contact", R"({"zz":1,"fn":"A","aa":2})"));
  std::vector<std::string> keys;
  for (const auto& kv : c) keys.emplace_back(kv.key());
  REQUIRE(keys.size() >= 4);
  CHECK(keys[0] == "id");
  CHECK(keys[1] == "zz");
  CHECK(keys[2] == "fn");
  CHECK(keys[3] == "aa");
  CHECK(keys.back() == "cases");
  // A read-all shows each element exactly as a read-one does.
  CHECK(http_request("GET", emulator.url() + "/contact").body.find(json::serialize(c)) !=
        std::string::npos);
}

TEST_CASE("link lists follow the other side through create - move - unlink - delete") {
  EmulatorProcess emulator;
  const auto company = create(emulator, "company", R"({"cn":"Acme"})");
  const auto ann = create(emulator, "contact", R"({"fn":"Ann","companyId":)" + s(company) + "}");
  const auto bo = create(emulator, "contact", R"({"fn":"Bo"})");
  const auto kase = create(emulator, "case", R"({"name":"c","cust":)" + s(ann) + "}");
  const auto deal = create(emulator, "opportunity", R"({"name":"o","cust":)" + s(company) + "}");
  const auto task = create(
      emulator, "task",
      R"({"name":"t","cust":)" + s(ann) + R"(,"case":)" + s(kase) + R"(,"opp":)" + s(deal) + "}");
  const auto note = create(emulator, "note",
                           R"({"desc":"n","cust":)" + s(ann) + R"(,"case":)" + s(kase) +
                               R"(,"opportunity":)" + s(deal) + "}");
  const auto on_note = create(emulator, "comment", R"({"comment":"c","nid":)" + s(note) + "}");
  const auto on_task = create(emulator, "comment", R"({"comment":"c","tid":)" + s(task) + "}");

  json::object a = get_one(emulator, "contact", ann);
  CHECK(ids(a.at("notes")) == std::vector<std::int64_t>{note});
  CHECK(ids(a.at("tasks")) == std::vector<std::int64_t>{task});
  CHECK(ids(a.at("cases")) == std::vector<std::int64_t>{kase});
  CHECK(ids(a.at("opportunities")).empty());
  CHECK(ids(get_one(emulator, "company", company).at("opportunities")) ==
        std::vector<std::int64_t>{deal});
  CHECK(ids(get_one(emulator, "case", kase).at("tasks")) == std::vector<std::int64_t>{task});
  CHECK(ids(get_one(emulator, "case", kase).at("notes")) == std::vector<std::int64_t>{note});
  CHECK(ids(get_one(emulator, "opportunity", deal).at("tasks")) == std::vector<std::int64_t>{task});
  CHECK(ids(get_one(emulator, "opportunity", deal).at("notes")) == std::vector<std::int64_t>{note});
  CHECK(ids(get_one(emulator, "note", note).at("comments")) == std::vector<std::int64_t>{on_note});
  CHECK(ids(get_one(emulator, "task", task).at("comments")) == std::vector<std::int64_t>{on_task});

  // Moving the note to Bo moves it in both lists, and in the cached read-all of contacts.
  REQUIRE(http_request("GET", emulator.url() + "/contact").status == 200);  // fills the cache
  REQUIRE(http_request("PUT", emulator.url() + "/note/" + s(note), R"({"cust":)" + s(bo) + "}")
              .status == 200);
  CHECK(ids(get_one(emulator, "contact", ann).at("notes")).empty());
  CHECK(ids(get_one(emulator, "contact", bo).at("notes")) == std::vector<std::int64_t>{note});
  for (const auto& c : all_elements(http_request("GET", emulator.url() + "/contact")))
    CHECK(contains(c.at("notes"), note) == (c.at("id") == bo));

  // Unlinking the task from the case empties the case's list.
  REQUIRE(http_request("PUT", emulator.url() + "/task/" + s(task), R"({"case":null})").status ==
          200);
  CHECK(ids(get_one(emulator, "case", kase).at("tasks")).empty());

  // A note on a list of customers shows on each of them.
  const auto shared =
      create(emulator, "note", R"({"desc":"both","cust":[)" + s(ann) + "," + s(company) + "]}");
  CHECK(contains(get_one(emulator, "contact", ann).at("notes"), shared));
  CHECK(contains(get_one(emulator, "company", company).at("notes"), shared));
}

TEST_CASE(
    "deleting an element: notes and comments go with their owner and other references clear") {
  EmulatorProcess emulator;
  const auto company = create(emulator, "company", R"({"cn":"Acme"})");
  const auto ann = create(emulator, "contact", R"({"fn":"Ann","companyId":)" + s(company) + "}");
  const auto bo = create(emulator, "contact", R"({"fn":"Bo"})");
  const auto task = create(emulator, "task", R"({"name":"t","cust":)" + s(ann) + "}");
  const auto kase = create(emulator, "case", R"({"name":"c","cust":)" + s(ann) + "}");
  const auto note =
      create(emulator, "note", R"({"desc":"n","cust":)" + s(ann) + R"(,"case":)" + s(kase) + "}");
  const auto both =
      create(emulator, "note", R"({"desc":"two","cust":[)" + s(ann) + "," + s(bo) + "]}");
  const auto comment = create(emulator, "comment", R"({"comment":"c","nid":)" + s(note) + "}");
  const auto task_comment = create(emulator, "comment", R"({"comment":"c","tid":)" + s(task) + "}");
  const std::string url = emulator.url();

  SUBCASE("a company: its people keep existing, their companyId becomes null") {
    REQUIRE(http_request("DELETE", url + "/company/" + s(company)).status == 200);
    CHECK(get_one(emulator, "contact", ann).at("companyId").is_null());
  }
  SUBCASE("a contact: its notes and their comments go; tasks and cases stay, unlinked") {
    REQUIRE(http_request("DELETE", url + "/contact/" + s(ann)).status == 200);
    CHECK(http_request("GET", url + "/note/" + s(note)).status == 404);
    CHECK(http_request("GET", url + "/comment/" + s(comment)).status == 404);
    CHECK(get_one(emulator, "task", task).at("cust").is_null());
    CHECK(get_one(emulator, "case", kase).at("cust").is_null());
    CHECK(ids(get_one(emulator, "case", kase).at("notes")).empty());
    // The note on two customers stays with the other one.
    CHECK(ids(get_one(emulator, "note", both).at("cust")) == std::vector<std::int64_t>{bo});
  }
  SUBCASE("a case: notes and tasks on it stay, unlinked") {
    REQUIRE(http_request("DELETE", url + "/case/" + s(kase)).status == 200);
    CHECK(get_one(emulator, "note", note).at("case").is_null());
    CHECK(ids(get_one(emulator, "contact", ann).at("cases")).empty());
  }
  SUBCASE("a task: its comments go") {
    REQUIRE(http_request("DELETE", url + "/task/" + s(task)).status == 200);
    CHECK(http_request("GET", url + "/comment/" + s(task_comment)).status == 404);
    CHECK(ids(get_one(emulator, "contact", ann).at("tasks")).empty());
  }
  SUBCASE("a custom field: its values leave every cf") {
    const auto field = create(emulator, "customfield", R"({"name":"F","elemType":"input"})");
    REQUIRE(http_request("PUT", url + "/contact/" + s(bo), R"({"cf":{")" + s(field) + R"(":"v"}})")
                .status == 200);
    REQUIRE(http_request("DELETE", url + "/customfield/" + s(field)).status == 200);
    CHECK(get_one(emulator, "contact", bo).at("cf") == json::object{});
  }
}

TEST_CASE("the sample account has the odd-but-valid values a real account has") {
  EmulatorProcess emulator({"--sample", "200"});
  const json::object st = state(emulator);
  const std::string text = json::serialize(st);
  for (const std::string needle :
       {"Zoë", "Łukasiewicz", "株式会社テスト", "🚀", "linkedin_rank", "pinned"})
    CHECK_MESSAGE(text.find(needle) != std::string::npos, needle);
  bool list_cust = false, all_day = false, multi_cf = false, empty_text = false;
  for (const auto& n : st.at("note").as_array()) list_cust = list_cust || n.at("cust").is_array();
  for (const auto& t : st.at("task").as_array())
    all_day = all_day || !t.at("startDate").as_object().contains("h");
  for (const auto& c : st.at("contact").as_array()) {
    for (const auto& kv : c.at("cf").as_object()) multi_cf = multi_cf || kv.value().is_array();
    empty_text = empty_text || c.at("address") == "";
  }
  CHECK(list_cust);
  CHECK(all_day);
  CHECK(multi_cf);
  CHECK(empty_text);
  for (const auto& o : st.at("opportunity").as_array()) CHECK(o.at("value").is_string());
  std::set<std::string> types;
  for (const auto& f : st.at("customfield").as_array()) {
    types.insert(std::string(f.at("elemType").as_string()) + (f.at("multiple") == true ? "*" : ""));
    if (f.at("elemType") == "select") CHECK(!f.at("values").as_array().empty());
  }
  CHECK(types == std::set<std::string>{"input", "select", "select*", "date"});
  CHECK(st.at("user").as_array().size() >= 3);
  CHECK(st.at("user").as_array().size() <= 5);
  CHECK(st.at("group").as_array().size() == 2);
}
