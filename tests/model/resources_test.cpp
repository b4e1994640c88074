// model/resources.cpp: the one description of every resource and field is consistent, so that
// what storage/ and sync/ derive from it (tables, triggers, views, mapping, payloads, push
// order) is well formed. Each case is a rule a new line in resources.cpp must follow.
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "model/resources.h"

using namespace clevertim::model;

namespace {

// The columns storage/ adds to every resource table.
constexpr std::string_view kSyncColumns[] = {"id", "sync_state", "sync_error", "raw", "raw_hash"};

bool snake_case(std::string_view name) {
  return !name.empty() && std::islower(static_cast<unsigned char>(name.front())) != 0 &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return std::islower(static_cast<unsigned char>(c)) != 0 ||
                  std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '_';
         });
}

bool points_at(Ref ref, std::string_view endpoint) {
  const auto targets = endpoints_for(ref);
  return std::find(targets.begin(), targets.end(), endpoint) != targets.end();
}

constexpr FieldType kAllTypes[] = {
    FieldType::kInt,    FieldType::kText,        FieldType::kBool,     FieldType::kTimestamp,
    FieldType::kDate,   FieldType::kStringArray, FieldType::kIntArray, FieldType::kObjectArray,
    FieldType::kObject, FieldType::kAny};
constexpr Ref kAllRefs[] = {Ref::kCompany, Ref::kCustomer, Ref::kCase, Ref::kOpportunity,
                            Ref::kNote,    Ref::kTask,     Ref::kUser};

}  // namespace

TEST_CASE("model: each resource is found by its endpoint and its table, both unique") {
  std::set<std::string_view> endpoints, tables, singulars;
  REQUIRE_FALSE(all_resources().empty());
  for (const Resource& r : all_resources()) {
    CAPTURE(r.endpoint);
    CHECK(endpoints.insert(r.endpoint).second);
    CHECK(tables.insert(r.table).second);
    CHECK(singulars.insert(r.singular).second);
    CHECK(snake_case(r.table));
    CHECK(snake_case(r.singular));
    CHECK(find_resource(r.endpoint) == &r);
    CHECK(find_resource_by_table(r.table) == &r);
    CHECK_FALSE(r.fields.empty());
  }
  CHECK(find_resource("nothing") == nullptr);
  CHECK(find_resource_by_table("outbox") == nullptr);
}

TEST_CASE("model: a resource's API names and columns are unique, and no column is storage's") {
  for (const Resource& r : all_resources()) {
    std::set<std::string_view> apis, columns;
    for (const Field& f : r.fields) {
      CAPTURE(r.endpoint);
      CAPTURE(f.api);
      CHECK(apis.insert(f.api).second);
      CHECK(columns.insert(f.column).second);
      CHECK(snake_case(f.column));
      CHECK(std::find(std::begin(kSyncColumns), std::end(kSyncColumns), f.column) ==
            std::end(kSyncColumns));
      CHECK(r.field_by_api(f.api) == &f);
      CHECK(r.field_by_column(f.column) == &f);
      CHECK(r.has_field(f.api));
    }
    CHECK(r.field_by_api("no such field") == nullptr);
    CHECK(r.field_by_column("raw") == nullptr);
  }
}

TEST_CASE("model: all_resources is in push order, referenced before referring, read-only last") {
  int previous = -1;
  bool read_only_seen = false;
  for (const Resource& r : all_resources()) {
    CAPTURE(r.endpoint);
    CHECK(r.push_order > previous);
    previous = r.push_order;
    if (read_only_seen) CHECK(r.read_only);  // users and groups come after everything writable
    read_only_seen = read_only_seen || r.read_only;
    for (const Field& f : r.fields) {
      // Users are never created locally; every other target of a writable reference is
      // created before the rows that name it.
      if (!f.writable() || f.ref == Ref::kNone || f.ref == Ref::kUser) continue;
      CAPTURE(f.api);
      for (std::string_view target : endpoints_for(f.ref)) {
        const Resource* t = find_resource(target);
        REQUIRE(t != nullptr);
        CHECK(t->push_order < r.push_order);
        CHECK_FALSE(t->read_only);
      }
    }
  }
}

TEST_CASE("model: a cycle reads every resource once, and the contacts after other lists") {
  const std::vector<const Resource*> order = resources_in_pull_order();
  std::set<std::string_view> read;
  for (const Resource* r : order) CHECK(read.insert(r->endpoint).second);
  CHECK(read.size() == all_resources().size());
  // The largest list is prepared by the server while smaller ones are written: read right
  // after the custom fields' few bytes and the companies, the mirror's thread would wait for
  // it with nothing to write.
  for (std::size_t i = 0; i < std::min<std::size_t>(3, order.size()); ++i)
    CHECK(order[i]->endpoint != "contact");
  for (std::size_t i = 1; i < order.size(); ++i)
    CHECK(order[i - 1]->pull_order < order[i]->pull_order);
}

TEST_CASE("model: every reference names known resources, and an id's type is an integer") {
  CHECK(endpoints_for(Ref::kNone).empty());
  for (Ref ref : kAllRefs) {
    CHECK_FALSE(endpoints_for(ref).empty());
    for (std::string_view endpoint : endpoints_for(ref)) CHECK(find_resource(endpoint) != nullptr);
  }
  CHECK(endpoints_for(Ref::kCustomer).size() == 2);  // a contact or a company: one id space
  for (const Resource& r : all_resources())
    for (const Field& f : r.fields)
      if (f.ref != Ref::kNone) {
        CAPTURE(f.api);
        CHECK(f.type == FieldType::kInt);
      }
}

TEST_CASE("model: a read-only resource has only read-only fields and no create rule") {
  for (const Resource& r : all_resources()) {
    if (!r.read_only) continue;
    CAPTURE(r.endpoint);
    for (const Field& f : r.fields) CHECK_FALSE(f.writable());
    CHECK(r.create.required.empty());
    CHECK(r.create.needs_one_of.empty());
    CHECK(r.create.exactly_one_of.empty());
  }
}

TEST_CASE("model: what a create needs is writable fields of the resource") {
  for (const Resource& r : all_resources()) {
    CAPTURE(r.endpoint);
    for (auto names : {r.create.required, r.create.needs_one_of, r.create.exactly_one_of})
      for (std::string_view api : names) {
        CAPTURE(api);
        const Field* f = r.field_by_api(api);
        REQUIRE(f != nullptr);
        CHECK(f->writable());
      }
    // "one of" lists make sense with two names or more.
    CHECK(r.create.needs_one_of.size() != 1);
    CHECK(r.create.exactly_one_of.size() != 1);
  }
}

TEST_CASE("model: a backlink is a read-only id list that the other side's reference derives") {
  int backlinks = 0;
  for (const Resource& r : all_resources())
    for (const Field& f : r.fields) {
      if (!f.has_backlink()) continue;
      ++backlinks;
      CAPTURE(r.endpoint);
      CAPTURE(f.api);
      CHECK_FALSE(f.writable());
      CHECK(f.type == FieldType::kIntArray);
      const Resource* other = find_resource(f.backlink.endpoint);
      REQUIRE(other != nullptr);
      const Field* forward = other->field_by_api(f.backlink.api_field);
      REQUIRE(forward != nullptr);
      CHECK(points_at(forward->ref, r.endpoint));
    }
  CHECK(backlinks > 0);
}

TEST_CASE("model: a reporting view is declared on an array, with the columns its kind needs") {
  std::set<std::string_view> names;
  for (const Resource& r : all_resources()) names.insert(r.table);
  for (const Resource& r : all_resources())
    for (const Field& f : r.fields) {
      CAPTURE(f.api);
      if (f.view.empty()) {
        CHECK(f.view_value.empty());
        CHECK(f.view_columns.empty());
      } else {
        CHECK(names.insert(f.view).second);  // no other view or table has its name
        CHECK(snake_case(f.view));
        if (f.type == FieldType::kObjectArray) {
          CHECK_FALSE(f.view_columns.empty());
        } else {
          CHECK((f.type == FieldType::kStringArray || f.type == FieldType::kIntArray));
          CHECK_FALSE(f.view_value.empty());
        }
      }
      // An id list is a reference the API may send as a list; its view gives one row per id.
      CHECK(f.accepts_id_list() == !f.link_view.empty());
      if (f.accepts_id_list()) {
        CHECK(f.type == FieldType::kInt);
        CHECK(f.ref != Ref::kNone);
        CHECK(names.insert(f.link_view).second);
      }
    }
}

TEST_CASE("model: a closed set of values belongs to a writable text field") {
  for (const Resource& r : all_resources())
    for (const Field& f : r.fields) {
      if (f.allowed.empty()) continue;
      CAPTURE(f.api);
      CHECK(f.type == FieldType::kText);
      CHECK(f.writable());
      std::set<std::string_view> values(f.allowed.begin(), f.allowed.end());
      CHECK(values.size() == f.allowed.size());
    }
}

TEST_CASE("model: JSON is stored for arrays and objects only, and every type reads in words") {
  std::set<std::string_view> words;
  for (FieldType type : kAllTypes) {
    Field f{"x", "x", type};
    const bool json = type == FieldType::kStringArray || type == FieldType::kIntArray ||
                      type == FieldType::kObjectArray || type == FieldType::kObject;
    CHECK(f.stored_as_json() == json);
    CHECK(words.insert(to_string(type)).second);
  }
}
