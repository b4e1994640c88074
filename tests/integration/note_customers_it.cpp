// Notes linked to several customers (issue 17): a normal shape, pulled without a warning,
// listed by note_customers, and left as a list in the CRM by a local edit of the note.
#include <doctest/doctest.h>

#include "integration_fixture.h"

using namespace clevertim::testing;
namespace json = boost::json;

TEST_CASE_FIXTURE(SyncFixture, "notes on several customers: no warning, every link listed, kept") {
  REQUIRE_MESSAGE(sync() == 0, output);
  CHECK_MESSAGE(output.find("kept in raw only") == std::string::npos, output);
  REQUIRE_MESSAGE(sync() == 0, output);
  CHECK_MESSAGE(output.find("kept in raw only") == std::string::npos, output);

  // Every note of the account, one row per customer it names, equals note_customers.
  long long links = 0;
  std::int64_t several = 0;
  for (const json::value& n : remote("note")) {
    const json::value* cust = n.as_object().if_contains("cust");
    if (cust == nullptr || cust->is_null()) continue;
    links += cust->is_array() ? static_cast<long long>(cust->as_array().size()) : 1;
    if (cust->is_array() && cust->as_array().size() > 1)
      several = n.at("id").to_number<std::int64_t>();
  }
  REQUIRE(several != 0);  // the sample account has such notes
  CHECK(number("SELECT count(*) FROM note_customers") == links);
  const std::string id = std::to_string(several);
  CHECK(query("SELECT customer_id FROM notes WHERE id = " + id) == "NULL");
  CHECK(number("SELECT count(*) FROM note_customers WHERE note_id = " + id +
               " AND customer_kind IS NOT NULL") == 2);

  // A local edit of its text reaches the CRM, and the CRM keeps both customers.
  shell("UPDATE notes SET description = 'edited here' WHERE id = " + id + ";");
  REQUIRE_MESSAGE(sync() == 0, output);
  const json::object after = remote_element("note", several);
  CHECK(after.at("desc") == "edited here");
  REQUIRE(after.at("cust").is_array());
  CHECK(after.at("cust").as_array().size() == 2);
  CHECK(number("SELECT count(*) FROM note_customers WHERE note_id = " + id) == 2);
}
