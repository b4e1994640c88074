#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "model/resources.h"
#include "storage/element_mapping.h"

using namespace clevertim;
namespace json = boost::json;

namespace {

storage::MappedElement map(std::string_view endpoint, std::string_view text) {
  auto result = storage::map_element(*model::find_resource(endpoint), json::parse(text));
  REQUIRE(std::holds_alternative<storage::MappedElement>(result));
  return std::get<storage::MappedElement>(result);
}

const storage::Cell& cell(const storage::MappedElement& e, std::string_view endpoint,
                          std::string_view api) {
  const model::Resource& r = *model::find_resource(endpoint);
  for (size_t i = 0; i < r.fields.size(); ++i)
    if (r.fields[i].api == api) return e.cells[i];
  FAIL("no field " << api);
  static storage::Cell none;
  return none;
}

// Every field present in `text` converts to its cell and back to the same JSON.
void check_round_trip(std::string_view endpoint, std::string_view text) {
  const model::Resource& r = *model::find_resource(endpoint);
  const json::object original = json::parse(text).as_object();
  const auto mapped = map(endpoint, text);
  CHECK(mapped.warnings.empty());
  CHECK(json::parse(mapped.raw) == json::value(original));
  for (size_t i = 0; i < r.fields.size(); ++i) {
    const model::Field& f = r.fields[i];
    const json::value* v = original.if_contains(f.api);
    if (v == nullptr) {
      CHECK(storage::is_null(mapped.cells[i]));
      continue;
    }
    std::string problem;
    auto back = storage::json_from_cell(f, mapped.cells[i], problem);
    REQUIRE_MESSAGE(back.has_value(), f.api << ": " << problem);
    CHECK_MESSAGE(*back == *v, endpoint << "." << f.api << ": " << json::serialize(*back)
                                        << " != " << json::serialize(*v));
  }
}

constexpr std::string_view kContact = R"({
  "id": 3423, "fn": "Zoë", "ln": "Łukasiewicz", "title": "CTO", "description": "met at the fair",
  "is_company": false, "companyId": 77, "email": ["zoe@example.com", "z@example.org"],
  "website": ["https://example.com"],
  "phones": [{"type": "Work", "no": "0087 555"}, {"type": "Mobile", "no": "+44 7700 900"}],
  "smids": [{"type": "Twitter", "smid": "zoe"}], "address": "1 Main St", "city": "Tampa",
  "postcode": "33601", "region": "US-FL", "country": "US", "ctype": "C",
  "cf": {"12": "gold", "13": ["a", "b"]}, "tags": ["vip", "株式会社"], "notes": [5, 6],
  "opportunities": [], "tasks": [9], "cases": [], "files": [], "lfiles": [],
  "lc": "2017-01-02T05:22:12Z", "cphoto": "p.png", "is_private": true, "puser": 2, "gid": 3,
  "ao": "2016-05-01T10:00:00Z", "lm": "2017-01-02T05:22:12Z",
  "linkedin_rank": 3, "future_field": {"nested": [1, 2, {"x": null}]}
})";

}  // namespace

TEST_CASE("a contact with every documented field round-trips through its row") {
  check_round_trip("contact", kContact);
  const auto e = map("contact", kContact);
  CHECK(e.id == 3423);
  CHECK(std::get<std::string>(cell(e, "contact", "fn")) == "Zoë");
  CHECK(std::get<std::int64_t>(cell(e, "contact", "is_company")) == 0);
  CHECK(std::get<std::int64_t>(cell(e, "contact", "is_private")) == 1);
  CHECK(std::get<std::string>(cell(e, "contact", "email")) ==
        R"(["zoe@example.com","z@example.org"])");
}

TEST_CASE("unknown fields are kept in raw") {
  const auto e = map("contact", kContact);
  const json::object raw = json::parse(e.raw).as_object();
  CHECK(raw.at("linkedin_rank") == 3);
  CHECK(raw.at("future_field").at("nested").as_array().size() == 3);
}

TEST_CASE("task dates convert to ISO text and back, all-day dates included") {
  constexpr std::string_view task = R"({"id": 9, "name": "Call", "atype": "Call",
    "startDate": {"y": 2013, "mo": 12, "d": 29, "h": 4, "mi": 4},
    "endDate": {"y": 2013, "mo": 12, "d": 30},
    "case": 4, "opp": 5, "cust": 3423, "aUserId": 2, "is_completed": false, "is_deleted": false,
    "rec": "W", "recevery": 2, "recopts": {"type": "weekday"}, "comments": [1], "userId": 2})";
  check_round_trip("task", task);
  const auto e = map("task", task);
  CHECK(std::get<std::string>(cell(e, "task", "startDate")) == "2013-12-29T04:04");
  CHECK(std::get<std::string>(cell(e, "task", "endDate")) == "2013-12-30");
}

TEST_CASE("every resource's documented sample round-trips") {
  check_round_trip("company", R"({"id": 77, "cn": "Acme", "is_company": true,
    "email": ["info@acme.test"], "phones": [], "tags": ["b2b"], "cf": {}})");
  check_round_trip("case", R"({"id": 4, "name": "Broken", "description": "d", "leadUser": 2,
    "cust": 77, "tags": [], "cf": {"12": "x"}, "tasks": [], "notes": [], "files": [],
    "lfiles": []})");
  check_round_trip("opportunity", R"({"id": 5, "name": "Deal", "status": "Open",
    "leadUser": 2, "value": "4500", "currency": "EUR", "cust": 77, "userId": 2})");
  check_round_trip("note", R"({"id": 6, "desc": "Hello", "type": "S", "cust": 3423,
    "case": null, "opportunity": 5, "hl": "headline",
    "email": {"f": "a@b", "s": "subject", "t": ["c@d"], "c": [], "b": "body"}, "userId": 2})");
  check_round_trip("comment", R"({"id": 1, "comment": "+1", "nid": 6, "tid": null, "userId": 2})");
  check_round_trip("customfield", R"({"id": 12, "name": "Tier", "fullname": "app.Tier",
    "elemType": "select", "modelType": ["customers", "companies"], "values": ["gold", "silver"],
    "multiple": false, "app": null})");
  check_round_trip("user", R"({"id": 2, "user": "Ann Admin", "email": "ann@example.com",
    "is_owner": true, "is_admin": true, "permissions": ["all"], "pending": false})");
  check_round_trip("group", R"({"id": 8, "name": "Sales", "gid": 4, "users": [2, 3]})");
}

TEST_CASE("a field of an unexpected shape is kept in raw, its column NULL, with a warning") {
  const auto e = map("task", R"({"id": 10, "name": "Odd",
    "startDate": "tomorrow", "endDate": {"y": 2013, "mo": 12, "d": 30, "h": 4},
    "is_completed": "yes", "comments": "none", "recevery": 2.5})");
  CHECK(storage::is_null(cell(e, "task", "startDate")));
  CHECK(storage::is_null(cell(e, "task", "endDate")));
  CHECK(storage::is_null(cell(e, "task", "is_completed")));
  CHECK(storage::is_null(cell(e, "task", "comments")));
  CHECK(storage::is_null(cell(e, "task", "recevery")));
  CHECK(e.warnings.size() == 5);
  CHECK(e.warnings[0].find("task 10: field startDate") != std::string::npos);
  const json::object raw = json::parse(e.raw).as_object();
  CHECK(raw.at("startDate") == "tomorrow");
  CHECK(raw.at("is_completed") == "yes");
}

// The vendor's client sends and expects a note's cust as a list, even of one customer: a list
// is a normal shape, never a warning. customer_id holds the one customer; note_customers all.
TEST_CASE("a note whose cust is a list of several keeps the list in raw, without a warning") {
  const auto e = map("note", R"({"id": 6, "desc": "x", "cust": [1, 2]})");
  CHECK(storage::is_null(cell(e, "note", "cust")));
  CHECK(e.warnings.empty());
  CHECK(json::parse(e.raw).at("cust").as_array().size() == 2);
}

TEST_CASE("a note whose cust is a list of one has that customer in customer_id") {
  const auto one = map("note", R"({"id": 6, "desc": "x", "cust": [77]})");
  CHECK(std::get<std::int64_t>(cell(one, "note", "cust")) == 77);
  CHECK(one.warnings.empty());
  const auto as_text = map("note", R"({"id": 6, "desc": "x", "cust": ["78"]})");
  CHECK(std::get<std::int64_t>(cell(as_text, "note", "cust")) == 78);
  const auto empty = map("note", R"({"id": 6, "desc": "x", "cust": []})");
  CHECK(storage::is_null(cell(empty, "note", "cust")));
  CHECK(empty.warnings.empty());
  // A list holding something other than ids is still an unexpected shape.
  CHECK(map("note", R"({"id": 6, "desc": "x", "cust": [{"a": 1}]})").warnings.size() == 1);
  // Only a field the model says may be a list: a task's cust is one id.
  CHECK(map("task", R"({"id": 6, "name": "x", "cust": [1]})").warnings.size() == 1);
}

TEST_CASE("ids as numeric strings are accepted, other ids refused with a reason") {
  CHECK(map("contact", R"({"id": "15", "fn": "A", "companyId": "77"})").id == 15);
  CHECK(std::get<std::int64_t>(cell(map("contact", R"({"id": "15", "companyId": "77"})"), "contact",
                                    "companyId")) == 77);
  const model::Resource& contact = *model::find_resource("contact");
  for (std::string_view bad :
       {R"({"fn": "no id"})", R"({"id": "abc"})", R"({"id": -3})", R"({"id": 1.5})", R"([1, 2])",
        R"("text")", R"({"id": 99999999999999999999})"}) {
    auto result = storage::map_element(contact, json::parse(bad));
    REQUIRE_MESSAGE(std::holds_alternative<storage::MappingError>(result), bad);
    CHECK(std::get<storage::MappingError>(result).message.find("contact") != std::string::npos);
  }
}

// Regression (tests/fuzz/corpus/fuzz_element/regression-number-beyond-double): Boost.JSON reads
// 1e400 as infinity (0e400 as NaN) and writes it back as text that is not JSON, so raw was not
// JSON.
TEST_CASE("an element with a number beyond a double's range is refused, raw stays JSON") {
  const model::Resource& contact = *model::find_resource("contact");
  for (std::string_view bad : {R"({"id": 4, "ao": 1e400})", R"({"id": 4, "gid": -1e400})",
                               R"({"id": 4, "future": {"deep": [1, 18444467073709551611e4005]}})",
                               R"({"id": 4, "cf": {"12": 0e400}})"}) {
    auto result = storage::map_element(contact, json::parse(bad));
    REQUIRE_MESSAGE(std::holds_alternative<storage::MappingError>(result), bad);
    CHECK(std::get<storage::MappingError>(result).message.find(
              "contact 4 holds a number out of a double's range") != std::string::npos);
  }
  // The largest doubles and the smallest denormals are fine.
  const auto big = map("contact", R"({"id": 4, "ao": 1.7976931348623157e308, "x": 4.9e-324})");
  CHECK(json::parse(big.raw).at("ao").as_double() == 1.7976931348623157e308);
}

TEST_CASE("the raw hash tells equal elements from changed ones") {
  const auto a = map("contact", R"({"id": 1, "fn": "A"})");
  const auto b = map("contact", R"({"id": 1, "fn": "A"})");
  const auto c = map("contact", R"({"id": 1, "fn": "B"})");
  CHECK(a.raw_hash == b.raw_hash);
  CHECK(a.raw_hash != c.raw_hash);
}

TEST_CASE("cells that cannot be expressed in the API are refused with a reason") {
  const model::Resource& task = *model::find_resource("task");
  std::string problem;
  CHECK_FALSE(storage::json_from_cell(*task.field_by_api("startDate"),
                                      storage::Cell{std::string("29/12/2013")}, problem));
  CHECK(problem.find("YYYY-MM-DD") != std::string::npos);
  CHECK_FALSE(storage::json_from_cell(*task.field_by_api("is_completed"),
                                      storage::Cell{std::int64_t{7}}, problem));
  const model::Resource& contact = *model::find_resource("contact");
  CHECK_FALSE(storage::json_from_cell(*contact.field_by_api("email"),
                                      storage::Cell{std::string("not json")}, problem));
}

TEST_CASE(
    "an element held as an object maps as its value does, and cells_of gives the same cells") {
  const model::Resource& task = *model::find_resource("task");
  const json::value element = json::parse(
      R"({"id": 7, "name": "Åsa", "location": "Oslo", "startDate": "not a date object",
          "future_field": {"nested": [1, 2]}})");
  const auto as_value = storage::map_element(task, element);
  const auto as_object = storage::map_element(task, element.as_object());
  REQUIRE(std::holds_alternative<storage::MappedElement>(as_value));
  REQUIRE(std::holds_alternative<storage::MappedElement>(as_object));
  const auto& v = std::get<storage::MappedElement>(as_value);
  const auto& o = std::get<storage::MappedElement>(as_object);
  CHECK(o.id == v.id);
  CHECK(o.cells == v.cells);
  CHECK(o.raw == v.raw);
  CHECK(o.raw_hash == v.raw_hash);
  CHECK(o.warnings == v.warnings);
  CHECK(v.warnings.size() == 1);  // startDate: kept in raw only, its cell NULL
  CHECK(storage::cells_of(task, element.as_object()) == v.cells);
  // An object without a usable id is refused the same way.
  const json::object no_id = json::parse(R"({"name": "Nobody"})").as_object();
  CHECK(std::holds_alternative<storage::MappingError>(storage::map_element(task, no_id)));
}
