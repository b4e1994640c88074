// The merge's pieces on their own: reading timestamps, and who wins a conflicting field.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <chrono>
#include <limits>
#include <string>

#include "config/config.h"
#include "model/resources.h"
#include "sync/merge.h"

using namespace clevertim;
using namespace std::chrono_literals;
namespace json = boost::json;
using sync::ConflictPolicy;
using sync::FieldMerge;
using sync::Winner;

namespace {

// Milliseconds since the epoch of `text`, or -1 when it is not a timestamp.
long long millis(std::string_view text) {
  const auto t = sync::parse_timestamp(text);
  return t ? t->at.time_since_epoch().count() : -1;
}

constexpr long long kNov28 = 1764355200000;  // 2025-11-28T18:40:00Z

Winner newest(std::string_view local, const std::string& lm_json) {
  json::object remote{{"lm", json::parse(lm_json)}};
  return sync::choose_winner(ConflictPolicy::kNewest, sync::parse_timestamp(local), remote);
}

}  // namespace

TEST_CASE("merge: timestamps are read as instants whatever their shape") {
  for (const char* same :
       {"2025-11-28T18:40:00Z", "2025-11-28T18:40:00z", "2025-11-28 18:40:00Z",
        "2025-11-28T18:40:00", "2025-11-28 18:40:00", "2025-11-28T18:40Z", "2025-11-28T18:40",
        "2025-11-28T13:40:00-05:00", "2025-11-28T13:40:00-0500", "2025-11-28T13:40:00-05",
        "2025-11-28T20:40:00+02:00", "2025-11-29T00:10:00+05:30", "2025-11-28T18:40:00.000Z",
        "2025-11-28T18:40:00.0000000+00:00", "1764355200", "1764355200000", " 1764355200 "}) {
    INFO(std::string(same));
    CHECK(millis(same) == kNov28);
  }
  CHECK(millis("2025-11-28T18:40:00.5Z") == kNov28 + 500);
  CHECK(millis("2025-11-28T18:40:00.123456Z") == kNov28 + 123);
  CHECK(millis("2025-11-28T18:40:00,25Z") == kNov28 + 250);
  CHECK(millis("1764355200.25") == kNov28 + 250);
  CHECK(millis("1764355200123") == kNov28 + 123);
  CHECK(millis("1970-01-01T00:00:00Z") == 0);
  CHECK(millis("2024-02-29T00:00:00Z") > 0);
}

TEST_CASE("merge: what is not a timestamp is refused") {
  for (const char* bad : {"",
                          "yesterday",
                          "2025-11-28",
                          "2025-13-01T00:00:00Z",
                          "2025-02-29T00:00:00Z",
                          "2025-11-31T00:00:00Z",
                          "2025-11-28T24:00:00Z",
                          "2025-11-28T18:60:00Z",
                          "2025-11-28T18:40:61Z",
                          "2025-11-28T18:40:00+25:00",
                          "2025-11-28T18:40:00.Z",
                          "2025-11-28T18:40:00Q",
                          "2025-11-28T18:40:00Z trailing",
                          "25-11-28T18:40:00Z",
                          "-5",
                          "1.2.3",
                          ".5",
                          "5.",
                          "nan",
                          "inf",
                          "1e12",
                          "99999999999999999999999"}) {
    INFO(std::string(bad));
    CHECK(millis(bad) == -1);
  }
  CHECK_FALSE(sync::parse_timestamp(json::value(nullptr)));
  CHECK_FALSE(sync::parse_timestamp(json::value(true)));
  CHECK_FALSE(sync::parse_timestamp(json::value(-1)));
  CHECK_FALSE(sync::parse_timestamp(json::value(std::numeric_limits<double>::quiet_NaN())));
  CHECK_FALSE(sync::parse_timestamp(json::value(json::array{1})));
}

TEST_CASE("merge: JSON numbers are seconds or milliseconds since the epoch") {
  CHECK(sync::parse_timestamp(json::value(1764355200))->at.time_since_epoch().count() == kNov28);
  CHECK(sync::parse_timestamp(json::value(1764355200000))->at.time_since_epoch().count() == kNov28);
  CHECK(sync::parse_timestamp(json::value(std::uint64_t{1764355200000}))
            ->at.time_since_epoch()
            .count() == kNov28);
  CHECK(sync::parse_timestamp(json::value(1764355200.5))->at.time_since_epoch().count() ==
        kNov28 + 500);
  CHECK(sync::parse_timestamp(json::value(1764355200))->resolution == 1s);
  CHECK(sync::parse_timestamp(json::value(1764355200000))->resolution == 1ms);
}

TEST_CASE("merge: newest compares instants, ties and unknown times go to the CRM") {
  // A local edit after the CRM's lm, in each shape of lm.
  for (const char* lm : {R"("2025-11-28T18:40:00Z")", R"("2025-11-28 18:40:00")",
                         R"("2025-11-28T13:40:00-05:00")", "1764355200", "1764355200000"}) {
    INFO(std::string(lm));
    CHECK(newest("2025-11-28T18:40:01.000Z", lm) == Winner::kLocal);
    CHECK(newest("2025-11-28T18:39:59.000Z", lm) == Winner::kRemote);
  }
  // Within the second `lm` names: a tie.
  CHECK(newest("2025-11-28T18:40:00.999Z", R"("2025-11-28T18:40:00Z")") == Winner::kRemote);
  CHECK(newest("2025-11-28T18:40:00.999Z", "1764355200") == Winner::kRemote);
  // lm of whole minutes (no seconds) names a whole minute: a local edit within it is a tie.
  CHECK(newest("2025-11-28T18:40:30.000Z", R"("2025-11-28T18:40Z")") == Winner::kRemote);
  CHECK(newest("2025-11-28T18:40:59.999Z", R"("2025-11-28 18:40")") == Winner::kRemote);
  CHECK(newest("2025-11-28T18:41:00.000Z", R"("2025-11-28T18:40Z")") == Winner::kLocal);
  // lm with a fraction is precise to the millisecond: the same instant is a tie, for the CRM.
  CHECK(newest("2025-11-28T18:40:00.500Z", R"("2025-11-28T18:40:00.500Z")") == Winner::kRemote);
  CHECK(newest("2025-11-28T18:40:00.500Z", R"("2025-11-28T19:40:00.5+01:00")") == Winner::kRemote);
  CHECK(newest("2025-11-28T18:40:00.501Z", R"("2025-11-28T18:40:00.500Z")") == Winner::kLocal);
  // lm in milliseconds is that precise.
  CHECK(newest("2025-11-28T18:40:00.001Z", "1764355200000") == Winner::kLocal);
  CHECK(newest("2025-11-28T18:40:00.000Z", "1764355200000") == Winner::kRemote);
  // Unknown on either side.
  CHECK(newest("2025-11-28T18:40:01.000Z", "null") == Winner::kRemote);
  CHECK(newest("2025-11-28T18:40:01.000Z", R"("soon")") == Winner::kRemote);
  CHECK(sync::choose_winner(ConflictPolicy::kNewest, sync::parse_timestamp("2030-01-01T00:00Z"),
                            json::object{}) == Winner::kRemote);
  CHECK(newest("", R"("2025-11-28T18:40:00Z")") == Winner::kRemote);
  // The other policies ignore times.
  const json::object remote{{"lm", "2000-01-01T00:00:00Z"}};
  const auto later = sync::parse_timestamp("2030-01-01T00:00:00Z");
  CHECK(sync::choose_winner(ConflictPolicy::kRemoteWins, later, remote) == Winner::kRemote);
  CHECK(sync::choose_winner(ConflictPolicy::kLocalWins, std::nullopt, remote) == Winner::kLocal);
  CHECK(sync::choose_winner(ConflictPolicy::kManual, later, remote) == Winner::kPerson);
}

namespace {

// A contact's cells with `city` and `title` set as given (nullopt: no value).
std::vector<storage::Cell> contact_cells(std::optional<std::string> city,
                                         std::optional<std::string> title) {
  json::object element{{"id", 42}, {"fn", "Ann"}, {"lm", "2025-11-28T18:40:00Z"}};
  if (city) element["city"] = *city;
  if (title) element["title"] = *title;
  return storage::cells_of(*model::find_resource("contact"), element);
}

size_t field_index(std::string_view api) {
  const model::Resource& r = *model::find_resource("contact");
  for (size_t i = 0; i < r.fields.size(); ++i)
    if (r.fields[i].api == api) return i;
  FAIL("no field " << std::string(api));
  return 0;
}

}  // namespace

TEST_CASE(
    "merge: fields are sorted by which side changed them, the same new value is no conflict") {
  const model::Resource& contact = *model::find_resource("contact");
  const auto base = contact_cells("Oslo", "CTO");
  const size_t city = field_index("city"), title = field_index("title");

  // Both sides set the same new value: nothing to merge, nothing to send, no conflict.
  FieldMerge same =
      sync::merge_fields(contact, base, contact_cells("Rome", "CTO"), contact_cells("Rome", "CTO"));
  CHECK(same.both.empty());
  CHECK_FALSE(same.has_conflict());
  CHECK(same.local_only.empty());
  CHECK(same.remote_only.empty());

  // Different new values of one field: a conflict on that field only.
  FieldMerge differ = sync::merge_fields(contact, base, contact_cells("Rome", "CTO"),
                                         contact_cells("Paris", "CTO"));
  CHECK(differ.both == std::vector<size_t>{city});
  CHECK(differ.local_only.empty());
  CHECK(differ.remote_only.empty());

  // Different fields: one each side, no conflict.
  FieldMerge merged =
      sync::merge_fields(contact, base, contact_cells("Rome", "CTO"), contact_cells("Oslo", "CEO"));
  CHECK(merged.local_only == std::vector<size_t>{city});
  CHECK(merged.remote_only == std::vector<size_t>{title});
  CHECK(merged.both.empty());

  // A read-only field (lm) that changed in the CRM is no field to merge.
  auto remote = contact_cells("Oslo", "CTO");
  remote[field_index("lm")] = std::string("2026-01-01T00:00:00Z");
  FieldMerge read_only = sync::merge_fields(contact, base, base, remote);
  CHECK(read_only.remote_only.empty());
  CHECK(read_only.both.empty());
  CHECK(read_only.local_only.empty());
}

// The configuration's list of policies is the one people read; each must mean a policy here,
// and back (settings.cpp dereferences the parse).
TEST_CASE("every conflict policy the configuration accepts is a merge policy") {
  for (std::string_view name : clevertim::config::kConflictPolicies) {
    CAPTURE(name);
    const auto policy = sync::parse_conflict_policy(name);
    REQUIRE(policy.has_value());
    CHECK(sync::to_string(*policy) == name);
  }
}
