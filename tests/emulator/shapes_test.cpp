// Answer shapes (--shape-seed, PUT /_emulator/shapes): every shape the docs and the vendor's
// client allow shows up for some seed, a seed always writes an element the same way, the
// account behind the shapes is the one stored, shapes off is the canonical answer, every
// shape is accepted back, and a task deleted by `is_deleted: true` is gone.
#include <doctest/doctest.h>

#include <chrono>
#include <ctime>
#include <map>
#include <set>
#include <thread>

#include "helpers.h"

using namespace clevertim::testing;

namespace {

const std::vector<std::string> kResources = {"contact", "company", "case",    "opportunity",
                                             "task",    "note",    "comment", "customfield",
                                             "user",    "group"};

// Fields holding one id or a list of them, across all resources.
const std::set<std::string> kIdFields = {
    "id",    "companyId", "cust",     "case",    "opp",      "opportunity", "nid",
    "tid",   "userId",    "leadUser", "aUserId", "puser",    "notes",       "opportunities",
    "tasks", "cases",     "files",    "lfiles",  "comments", "users"};

std::string s(std::int64_t id) {
  return std::to_string(id);
}

std::int64_t id_of(const json::value& v) {
  if (v.is_string()) return std::stoll(std::string(v.as_string()));
  return v.as_int64();
}

// "2026-11-28T19:30:05Z", "2026-11-28 19:30:05" or "2026-11-28T14:30:05-05:00" as seconds since
// the epoch, and which of the three it was ("Z", " ", "offset"); "" when none.
std::pair<std::time_t, std::string> instant(const std::string& text) {
  std::tm tm{};
  char sep = 0;
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%c%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &sep, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 7)
    return {0, ""};
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  const std::time_t t = timegm(&tm);
  const std::string rest = text.substr(static_cast<std::size_t>(consumed));
  if (sep == 'T' && rest == "Z") return {t, "Z"};
  if (sep == ' ' && rest.empty()) return {t, " "};
  int h = 0, m = 0;
  if (sep == 'T' && rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') &&
      std::sscanf(rest.c_str() + 1, "%2d:%2d", &h, &m) == 2) {
    const int offset = (h * 60 + m) * (rest[0] == '-' ? -1 : 1);
    return {t - offset * 60, "offset"};
  }
  return {0, ""};
}

// Checks that `shaped` is the stored element `stored` of `resource` written in some shape, and
// adds the shapes it used to `seen` ("id-string", "cust-list", "stamp-offset", ...).
void same_element(const std::string& resource, const json::object& stored,
                  const json::object& shaped, std::set<std::string>& seen) {
  for (const auto& [key, v] : shaped) CHECK_MESSAGE(stored.contains(key), resource << "." << key);
  for (const auto& [key_view, want] : stored) {
    const std::string key(key_view);
    const std::string where = resource + " " + json::serialize(stored.at("id")) + " " + key;
    const json::value* got = shaped.if_contains(key);
    if (want.is_null()) {
      CHECK_MESSAGE(key != "id", where);
      seen.insert(got == nullptr ? "null-absent" : "null-kept");
      if (got != nullptr) CHECK_MESSAGE(got->is_null(), where);
      continue;
    }
    REQUIRE_MESSAGE(got != nullptr, where);
    if (resource == "note" && key == "cust" && (!want.is_array() || want.as_array().size() == 1)) {
      const json::value& w = want.is_array() ? want.as_array()[0] : want;
      const json::value& g = got->is_array() ? got->as_array()[0] : *got;
      if (got->is_array()) CHECK_MESSAGE(got->as_array().size() == 1, where);
      seen.insert(got->is_array() ? "cust-list" : "cust-int");
      CHECK_MESSAGE(id_of(g) == id_of(w), where);
      seen.insert(g.is_string() ? "id-string" : "id-number");
      continue;
    }
    if (kIdFields.contains(key)) {
      if (want.is_array()) {
        REQUIRE_MESSAGE(got->is_array(), where);
        REQUIRE_MESSAGE(got->as_array().size() == want.as_array().size(), where);
        for (std::size_t i = 0; i < want.as_array().size(); ++i) {
          CHECK_MESSAGE(id_of(got->as_array()[i]) == id_of(want.as_array()[i]), where);
          seen.insert(got->as_array()[i].is_string() ? "list-id-string" : "list-id-number");
        }
      } else {
        CHECK_MESSAGE(id_of(*got) == id_of(want), where);
        const std::string kind = key == "id" ? "id" : "ref";
        seen.insert(kind + (got->is_string() ? "-string" : "-number"));
      }
      continue;
    }
    if ((key == "ao" || key == "lm") && want.is_string()) {
      const auto [t, form] = instant(std::string(got->as_string()));
      CHECK_MESSAGE(t == instant(std::string(want.as_string())).first, where << " " << *got);
      seen.insert("stamp" + form);
      continue;
    }
    CHECK_MESSAGE(*got == want, where);
  }
}

// Every element of every read-all checked against the stored account; the shapes seen.
std::set<std::string> check_account(const EmulatorProcess& e) {
  const json::object st = state(e);
  std::set<std::string> seen;
  for (const std::string& r : kResources) {
    const json::array shaped = all_elements(http_request("GET", e.url() + "/" + r));
    const json::array& stored = st.at(r).as_array();
    REQUIRE(shaped.size() == stored.size());
    for (std::size_t i = 0; i < stored.size(); ++i)
      same_element(r, stored[i].as_object(), shaped[i].as_object(), seen);
  }
  return seen;
}

std::map<std::string, std::string> read_alls(const EmulatorProcess& e) {
  std::map<std::string, std::string> out;
  for (const std::string& r : kResources) out[r] = http_request("GET", e.url() + "/" + r).body;
  return out;
}

std::string set_shapes(const EmulatorProcess& e, const std::string& body) {
  const HttpAnswer a = control(e, "PUT", "shapes", body);
  REQUIRE_MESSAGE(a.status == 200, a.body);
  return a.body;
}

}  // namespace

TEST_CASE("shapes: every shape appears for some seed and the account behind them is the same") {
  EmulatorProcess emulator({"--sample", "60"});
  std::set<std::string> seen;
  for (const std::string seed : {"1", "2", "3"}) {
    set_shapes(emulator, R"({"seed":)" + seed + "}");
    const std::set<std::string> now = check_account(emulator);
    seen.insert(now.begin(), now.end());
  }
  for (const std::string shape :
       {"null-absent", "null-kept", "cust-list", "cust-int", "id-string", "id-number", "ref-string",
        "ref-number", "list-id-string", "list-id-number", "stampZ", "stamp ", "stampoffset"})
    CHECK_MESSAGE(seen.contains(shape), shape);
  // Read-one, create and update answers are shaped too.
  set_shapes(emulator, R"({"seed":1})");
  std::set<std::string> single;
  const json::object st = state(emulator);
  for (const auto& note : st.at("note").as_array()) {
    const std::int64_t id = note.at("id").as_int64();
    same_element("note", note.as_object(), get_one(emulator, "note", id), single);
  }
  CHECK(single.contains("cust-list"));
  CHECK(single.contains("cust-int"));
  CHECK(single.contains("id-string"));
  CHECK(single.contains("id-number"));
}

TEST_CASE("shapes: a seed writes each element the same way in every answer") {
  const std::vector<std::string> args = {"--sample", "30", "--shape-seed", "7"};
  EmulatorProcess one(args);
  EmulatorProcess two(args);
  const auto first = read_alls(one);
  CHECK(first == read_alls(one));  // again
  CHECK(first == read_alls(two));  // another process, same seed
  // Read-one writes the element as the read-all did.
  for (const std::string r : {"contact", "note", "task"})
    for (const json::value& e : all_elements(http_request("GET", one.url() + "/" + r)))
      CHECK(only_element(http_request("GET", one.url() + "/" + r + "/" + s(id_of(e.at("id"))))) ==
            e);
  // A write changes its element's values, not its shapes, and no other element.
  const json::array contacts = all_elements(http_request("GET", one.url() + "/contact"));
  const std::int64_t id = id_of(contacts[0].at("id"));
  const json::object changed =
      only_element(http_request("PUT", one.url() + "/contact/" + s(id), R"({"city":"Turku"})"));
  CHECK(changed.at("id") == contacts[0].at("id"));
  const json::array after = all_elements(http_request("GET", one.url() + "/contact"));
  CHECK(after[0].at("id") == contacts[0].at("id"));
  CHECK(after[0].at("city") == "Turku");
  for (std::size_t i = 1; i < contacts.size(); ++i) CHECK(after[i] == contacts[i]);
  // Another seed, other shapes.
  set_shapes(two, R"({"seed":8})");
  CHECK(first != read_alls(two));
}

TEST_CASE("shapes: off is today's canonical answer, byte for byte") {
  EmulatorProcess plain({"--sample", "30"});
  EmulatorProcess zero({"--sample", "30", "--shape-seed", "0"});
  const auto before = read_alls(plain);
  CHECK(before == read_alls(zero));
  CHECK(json::parse(control(plain, "GET", "shapes").body) ==
        json::parse(R"({"seed":0,"per_request":false,"soft_delete_tasks":false})"));
  // The read-all is exactly the stored elements, as before shapes existed.
  const json::object st = state(plain);
  for (const std::string& r : kResources)
    CHECK(json::parse(before.at(r)).at("content") == st.at(r));
  set_shapes(plain, R"({"seed":99})");
  CHECK(before != read_alls(plain));
  set_shapes(plain, R"({"seed":0})");
  CHECK(before == read_alls(plain));
}

TEST_CASE("shapes: per_request draws every answer afresh") {
  EmulatorProcess emulator({"--sample", "30", "--shape-seed", "5", "--shape-per-request"});
  const std::string a = http_request("GET", emulator.url() + "/contact").body;
  const std::string b = http_request("GET", emulator.url() + "/contact").body;
  CHECK(a != b);
  CHECK(json::parse(control(emulator, "GET", "shapes").body).at("per_request") == true);
  std::set<std::string> seen = check_account(emulator);  // still the same account
  CHECK(seen.contains("id-string"));
}

TEST_CASE("shapes: the control API sets them all or nothing") {
  EmulatorProcess emulator;
  CHECK(json::parse(
            set_shapes(emulator, R"({"seed":3,"per_request":true,"soft_delete_tasks":true})")) ==
        json::parse(R"({"seed":3,"per_request":true,"soft_delete_tasks":true})"));
  for (const std::string bad : {R"({"seed":-1})", R"({"seed":"3"})", R"({"per_request":1})",
                                R"({"seed":4,"typo":true})", "[]", "nope"}) {
    const HttpAnswer a = control(emulator, "PUT", "shapes", bad);
    CHECK_MESSAGE(a.status == 400, bad);
    CHECK(!error_of(a).empty());
  }
  CHECK(json::parse(control(emulator, "GET", "shapes").body).at("seed") == 3);
  CHECK(control(emulator, "POST", "shapes").status == 405);
}

TEST_CASE("shapes: every shape is accepted back, and naming the same ids changes nothing") {
  EmulatorProcess emulator({"--shape-seed", "11"});
  const std::string url = emulator.url();
  const auto company = create(emulator, "company", R"({"cn":"Acme"})");
  const auto other = create(emulator, "company", R"({"cn":"Other"})");
  const auto person =
      create(emulator, "contact", R"({"fn":"Ann","companyId":")" + s(company) + R"("})");
  const auto deal = create(emulator, "opportunity", R"({"name":"D","cust":")" + s(person) + "\"}");
  const auto kase = create(emulator, "case", R"({"name":"C","cust":)" + s(company) + "}");
  const auto task =
      create(emulator, "task", R"({"name":"T","case":")" + s(kase) + R"(","opp":)" + s(deal) + "}");
  std::vector<std::int64_t> notes;
  for (const std::string& cust :
       {s(person), "\"" + s(person) + "\"", "[" + s(person) + "]", "[\"" + s(person) + "\"]",
        "[" + s(person) + ",\"" + s(company) + "\"]"})
    notes.push_back(create(emulator, "note", R"({"desc":"n","cust":)" + cust + "}"));
  const auto comment =
      create(emulator, "comment", R"({"comment":"c","nid":")" + s(notes[0]) + R"(","tid":null})");
  const auto on_task = create(emulator, "comment", R"({"comment":"c","tid":")" + s(task) + "\"}");
  CHECK(comment > 0);
  CHECK(on_task > 0);

  // Stored as numbers whatever the shape sent; a note's list stays a list.
  json::object st = state(emulator);
  auto stored = [&](const std::string& r, std::int64_t id) {
    for (const auto& e : st.at(r).as_array())
      if (e.at("id") == id) return e.as_object();
    FAIL("missing " << r << " " << id);
    return json::object{};
  };
  CHECK(stored("contact", person).at("companyId") == company);
  CHECK(stored("task", task).at("case") == kase);
  CHECK(stored("note", notes[1]).at("cust") == person);
  CHECK(stored("note", notes[3]).at("cust") == json::array{person});
  CHECK(stored("note", notes[4]).at("cust") == (json::array{person, company}));
  CHECK(get_one(emulator, "contact", person).at("notes").as_array().size() == 5);

  // Every element PUT back exactly as an answer showed it (the vendor client sends the whole
  // element) is accepted and changes nothing: lm stays, the stored form stays.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  const json::object before = state(emulator);
  for (const std::string r : {"company", "contact", "opportunity", "case", "task", "note"})
    for (const json::value& e : all_elements(http_request("GET", url + "/" + r))) {
      const std::string path = url + "/" + r + "/" + s(id_of(e.at("id")));
      const HttpAnswer a = http_request("PUT", path, json::serialize(e));
      CHECK_MESSAGE(a.status == 200, r << " " << a.body);
    }
  CHECK(state(emulator) == before);

  // Shapes that name other ids do change them: a note moves from a list of one to a company.
  const json::object moved = only_element(
      http_request("PUT", url + "/note/" + s(notes[2]), R"({"cust":")" + s(other) + R"("})"));
  CHECK(id_of(moved.at("cust").is_array() ? moved.at("cust").as_array()[0] : moved.at("cust")) ==
        other);
  st = state(emulator);
  CHECK(stored("note", notes[2]).at("cust") == other);
  // Still refused: what is not an id in any shape.
  CHECK(http_request("PUT", url + "/note/" + s(notes[2]), R"({"cust":["abc"]})").status == 400);
  CHECK(http_request("PUT", url + "/task/" + s(task), R"({"cust":[)" + s(person) + "]}").status ==
        400);
}

TEST_CASE("shapes off: ids as numeric strings and a note's cust as a list are accepted too") {
  EmulatorProcess emulator;
  const auto company = create(emulator, "company", R"({"cn":"Acme"})");
  const auto person =
      create(emulator, "contact", R"({"fn":"Ann","companyId":")" + s(company) + R"("})");
  CHECK(create(emulator, "note", R"({"desc":"n","cust":[")" + s(person) + R"("]})") > 0);
  CHECK(create(emulator, "task", R"({"name":"t","cust":")" + s(person) + R"("})") > 0);
  CHECK(ids(get_one(emulator, "contact", person).at("notes")).size() == 1);
  CHECK(ids(get_one(emulator, "contact", person).at("tasks")).size() == 1);
}

TEST_CASE("is_deleted: true deletes a task with --soft-delete-tasks or shapes, not otherwise") {
  const std::vector<std::vector<std::string>> configs = {
      {"--soft-delete-tasks"}, {"--shape-seed", "4"}, {}};
  for (const auto& args : configs) {
    CAPTURE(args.size());
    EmulatorProcess emulator(args);
    const std::string url = emulator.url();
    const auto person = create(emulator, "contact", R"({"fn":"Ann"})");
    const auto task = create(emulator, "task", R"({"name":"t","cust":)" + s(person) + "}");
    const auto kept = create(emulator, "task", R"({"name":"kept","is_deleted":false})");
    const auto comment = create(emulator, "comment", R"({"comment":"c","tid":)" + s(task) + "}");
    const HttpAnswer put = http_request("PUT", url + "/task/" + s(task), R"({"is_deleted":true})");
    const json::object last = only_element(put);
    CHECK(id_of(last.at("id")) == task);
    CHECK(last.at("is_deleted") == true);
    const bool deletes = !args.empty();
    CHECK(http_request("GET", url + "/task/" + s(task)).status == (deletes ? 404 : 200));
    std::set<std::int64_t> listed;
    for (const json::value& t : all_elements(http_request("GET", url + "/task")))
      listed.insert(id_of(t.at("id")));
    CHECK(listed.contains(kept));
    CHECK(listed.contains(task) == !deletes);
    // Gone as DELETE removes it: from its customer's link list, with its comments.
    json::array tasks = get_one(emulator, "contact", person).at("tasks").as_array();
    CHECK(tasks.empty() == deletes);
    CHECK(http_request("GET", url + "/comment/" + s(comment)).status == (deletes ? 404 : 200));
    CHECK(http_request("DELETE", url + "/task/" + s(task)).status == (deletes ? 404 : 200));
  }
  // The control API switches it on its own.
  EmulatorProcess emulator;
  set_shapes(emulator, R"({"soft_delete_tasks":true})");
  const auto task = create(emulator, "task", R"({"name":"t"})");
  REQUIRE(
      http_request("PUT", emulator.url() + "/task/" + s(task), R"({"is_deleted":true})").status ==
      200);
  CHECK(http_request("GET", emulator.url() + "/task/" + s(task)).status == 404);
  CHECK(all_elements(http_request("GET", emulator.url() + "/task")).empty());
}
