// model/lookups.cpp and model/meanings.cpp: every coded field's lookup names a real text field,
// codes are unique, and every resource table and field column has words for `describe`.
#include <doctest/doctest.h>

#include <set>
#include <string>
#include <string_view>

#include "model/lookups.h"
#include "model/meanings.h"
#include "model/resources.h"

using namespace clevertim::model;

TEST_CASE("lookups: tables are unique, named lookup_, with unique codes that have labels") {
  std::set<std::string_view> tables;
  REQUIRE_FALSE(all_lookups().empty());
  for (const Lookup& l : all_lookups()) {
    CAPTURE(l.table);
    CHECK(tables.insert(l.table).second);
    CHECK(l.table.starts_with("lookup_"));
    CHECK(find_resource_by_table(l.table) == nullptr);
    CHECK_FALSE(l.meaning.empty());
    REQUIRE_FALSE(l.codes.empty());
    std::set<std::string_view> codes;
    for (const Code& c : l.codes) {
      CHECK(codes.insert(c.code).second);
      CHECK_FALSE(c.label.empty());
    }
  }
}

TEST_CASE("lookups: each coded field is a text field of the model, found by lookup_for") {
  for (const Lookup& l : all_lookups())
    for (const CodedField& cf : l.used_by) {
      CAPTURE(cf.endpoint);
      CAPTURE(cf.api);
      const Resource* r = find_resource(cf.endpoint);
      REQUIRE(r != nullptr);
      const Field* f = r->field_by_api(cf.api);
      REQUIRE(f != nullptr);
      CHECK(f->type == FieldType::kText);
      CHECK(lookup_for(cf.endpoint, cf.api) == &l);
    }
  CHECK(lookup_for("contact", "fn") == nullptr);
  CHECK(lookup_for("nothing", "ctype") == nullptr);
}

TEST_CASE("meanings: every resource table and every field column is described") {
  for (const Resource& r : all_resources()) {
    CAPTURE(r.table);
    CHECK_FALSE(table_meaning(r.table).empty());
    for (const Field& f : r.fields) {
      CAPTURE(f.column);
      CHECK_FALSE(column_meaning(r.table, f.column).empty());
    }
  }
  CHECK(table_meaning("no_such_table").empty());
}
