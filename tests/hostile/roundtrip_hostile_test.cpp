// Hostile text that is valid JSON — quotes and SQL in custom field names and values, NUL
// characters — through the emulator and back: pulled into the mirror intact, changed there
// with the sqlite3 shell, pushed, and found intact in the CRM (issue: proof / bad input).
#include <doctest/doctest.h>

#include <SQLiteCpp/Statement.h>

#include <boost/json.hpp>

#include <string>

#include "integration_fixture.h"

using namespace clevertim::testing;
namespace json = boost::json;
using namespace std::string_literals;

namespace {

// An emulator holding exactly `state` (the control API's shape), and a mirror synced from it.
struct HostileAccount : SyncFixture {
  explicit HostileAccount(const json::object& state) : SyncFixture(std::vector<std::string>{}) {
    const HttpAnswer a = control(*emulator, "PUT", "state", json::serialize(state));
    REQUIRE_MESSAGE(a.status == 200, a.body);
    REQUIRE_MESSAGE(sync() == 0, output);
  }

  // A column read with SQLiteCpp as bytes (getString: the whole length, NULs included).
  std::string column(const std::string& sql) {
    SQLite::Database db(database().string(), SQLite::OPEN_READONLY);
    SQLite::Statement q(db, sql);
    REQUIRE(q.executeStep());
    return q.getColumn(0).getString();
  }

  // Every table and view of the mirror, for "no statement was injected".
  std::string schema() {
    return query(
        "SELECT group_concat(type || ' ' || name, ', ') FROM (SELECT type, name FROM "
        "sqlite_master ORDER BY type, name)");
  }
};

const std::string kDropName = R"(x"; DROP TABLE contacts; --)";
const std::string kQuoteName = R"(O'Brien's "size")";

json::object custom_field(std::int64_t id, const std::string& name) {
  return {{"id", id},
          {"name", name},
          {"elemType", "input"},
          {"modelType", json::array{"customers"}},
          {"multiple", false}};
}

std::string sql_text(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? "''" : std::string(1, c);
  return out + "'";
}

}  // namespace

// ---- 6. quotes and SQL in custom field names and values -------------------------------------

TEST_CASE("custom field names and values with quotes and SQL stay text, both ways") {
  const std::string drop_value = "Robert'); DROP TABLE contacts;--";
  const std::string quote_value = R"(XL "tall" 'wide')";
  HostileAccount account(json::object{
      {"customfield", json::array{custom_field(100, kDropName), custom_field(101, kQuoteName)}},
      {"contact",
       json::array{json::object{{"id", 1},
                                {"fn", "Ann"},
                                {"cf", json::object{{"100", drop_value}, {"101", quote_value}}}}}},
      {"next_id", 200}});
  const std::string schema = account.schema();

  // Pulled: names and values intact in the custom_values view, nothing executed.
  CHECK(account.query("SELECT field_name FROM custom_values WHERE field_id = 100") == kDropName);
  CHECK(account.query("SELECT field_name FROM custom_values WHERE field_id = 101") == kQuoteName);
  CHECK(account.query("SELECT value FROM custom_values WHERE field_id = 100") == drop_value);
  CHECK(account.query("SELECT value FROM custom_values WHERE field_id = 101") == quote_value);
  CHECK(account.number("SELECT count(*) FROM contacts") == 1);
  CHECK(account.query("PRAGMA integrity_check") == "ok");

  // Changed locally with the sqlite3 shell: a value and a name, both full of SQL and quotes.
  const std::string new_value = R"(O'Brien's "XXL"; DROP TABLE companies; --)";
  const std::string new_name = R"(Bobby"); DROP TABLE custom_fields; --)";
  account.shell("UPDATE contacts SET custom_fields = json_set(custom_fields, '$.\"101\"', " +
                sql_text(new_value) + ") WHERE id = 1;\nUPDATE custom_fields SET name = " +
                sql_text(new_name) + " WHERE id = 100;");
  CHECK_MESSAGE(account.sync() == 0, account.output);
  const json::object contact = account.remote_element("contact", 1);
  CHECK(contact.at("cf").at("101").as_string() == new_value);
  CHECK(contact.at("cf").at("100").as_string() == drop_value);
  CHECK(account.remote_element("customfield", 100).at("name").as_string() == new_name);
  CHECK(account.remote_element("customfield", 101).at("name").as_string() == kQuoteName);

  // And back: synced, the same text in the mirror, the same tables.
  CHECK_MESSAGE(account.sync() == 0, account.output);
  CHECK(account.number("SELECT count(*) FROM contacts WHERE sync_state <> 'synced'") == 0);
  CHECK(account.number("SELECT count(*) FROM custom_fields WHERE sync_state <> 'synced'") == 0);
  CHECK(account.query("SELECT field_name FROM custom_values WHERE field_id = 100") == new_name);
  CHECK(account.query("SELECT value FROM custom_values WHERE field_id = 101") == new_value);
  CHECK(account.schema() == schema);
  CHECK(account.number("SELECT count(*) FROM custom_fields") == 2);
}

TEST_CASE("a custom field value that starts like an SQL comment or a minus sign is pushed") {
  HostileAccount account(json::object{
      {"customfield", json::array{custom_field(100, kDropName)}},
      {"contact", json::array{json::object{{"id", 1}, {"fn", "Ann"}, {"cf", json::object{}}}}},
      {"next_id", 200}});
  // "-..." right after a quote in the column's JSON text: not a new custom field's key.
  for (const std::string value : {"-- not a comment", "-5", "-"}) {
    CAPTURE(value);
    account.shell("UPDATE contacts SET custom_fields = json_set(custom_fields, '$.\"100\"', " +
                  sql_text(value) + ") WHERE id = 1;");
    CHECK_MESSAGE(account.sync() == 0, account.output);
    CHECK(account.remote_element("contact", 1).at("cf").at("100").as_string() == value);
    CHECK(account.query("SELECT sync_state FROM contacts WHERE id = 1") == "synced");
  }
}

// ---- 7. NUL characters ------------------------------------------------------------------------

TEST_CASE("text with NUL characters is stored whole and pushed back whole") {
  const std::string name = "a\0b"s;
  const std::string description = "line1\0line2\0"s;
  HostileAccount account(
      json::object{{"customfield", json::array{custom_field(100, "size")}},
                   {"contact", json::array{json::object{{"id", 1},
                                                        {"fn", name},
                                                        {"ln", "Lee"},
                                                        {"description", description},
                                                        {"city", "Oslo"},
                                                        {"cf", json::object{{"100", "x\0y"s}}}}}},
                   {"next_id", 200}});

  // Stored with its full length, in the column and in raw, and read back whole.
  CHECK(account.number("SELECT length(CAST(first_name AS BLOB)) FROM contacts") == 3);
  CHECK(account.query("SELECT hex(first_name) FROM contacts") == "610062");
  CHECK(account.column("SELECT first_name FROM contacts") == name);
  CHECK(account.column("SELECT description FROM contacts") == description);
  const json::value raw = json::parse(account.column("SELECT raw FROM contacts"));
  CHECK(raw.at("fn").as_string() == name);
  CHECK(raw.at("description").as_string() == description);
  CHECK(json::parse(account.column("SELECT custom_fields FROM contacts")).at("100").as_string() ==
        "x\0y"s);

  // Another field of the row edited: the NULs go back (or stay) untouched.
  account.shell("UPDATE contacts SET city = 'Paris' WHERE id = 1;");
  CHECK_MESSAGE(account.sync() == 0, account.output);
  json::object remote = account.remote_element("contact", 1);
  CHECK(remote.at("city").as_string() == "Paris");
  CHECK(remote.at("fn").as_string() == name);
  CHECK(remote.at("description").as_string() == description);
  CHECK(remote.at("cf").at("100").as_string() == "x\0y"s);

  // The NUL field itself edited (a text with NULs written by the shell), and a custom field
  // next to a value with a NUL: pushed whole.
  account.shell(
      "UPDATE contacts SET description = CAST(X'6E6577006E756C' AS TEXT), custom_fields = "
      "json_set(custom_fields, '$.\"100\"', 'x' || char(0) || 'z') WHERE id = 1;");
  CHECK_MESSAGE(account.sync() == 0, account.output);
  remote = account.remote_element("contact", 1);
  CHECK(remote.at("description").as_string() == "new\0nul"s);
  CHECK(remote.at("fn").as_string() == name);
  CHECK(remote.at("cf").at("100").as_string() == "x\0z"s);

  // And pulled back: synced, whole, nothing left to push.
  CHECK_MESSAGE(account.sync() == 0, account.output);
  CHECK(account.query("SELECT sync_state FROM contacts") == "synced");
  CHECK(account.column("SELECT description FROM contacts") == "new\0nul"s);
  CHECK(account.column("SELECT first_name FROM contacts") == name);
  CHECK(account.number("SELECT count(*) FROM outbox") == 0);
}
