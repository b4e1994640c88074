// The push's pure pieces on their own (sync/push_plan.h, push_payload.h, push_conflicts.h):
// what an update merge decides, when each field was last edited, what a person's choice
// makes of a row, how rows are sorted into the plan, and what a payload refuses.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <string>
#include <vector>

#include "model/resources.h"
#include "sync/push_conflicts.h"
#include "sync/push_payload.h"
#include "sync/push_plan.h"

using namespace clevertim;
namespace json = boost::json;
using storage::Cell;
using sync::ConflictPolicy;
using sync::MergeInputs;

namespace {

const model::Resource& contact() {
  return *model::find_resource("contact");
}

size_t field(std::string_view api) {
  const auto& fields = contact().fields;
  for (size_t i = 0; i < fields.size(); ++i)
    if (fields[i].api == api) return i;
  FAIL("no contact field " << api);
  return 0;
}

std::vector<Cell> cells(const char* element) {
  return storage::cells_of(contact(), json::parse(element).as_object());
}

const std::string kBase = R"({"id":42,"fn":"Ann","ln":"Lee","city":"Oslo","title":"CEO"})";

// A merge whose inputs say the local edit of every field came at `local_edit`.
MergeInputs inputs(ConflictPolicy policy, std::optional<std::string> remote,
                   int* edit_times_asked = nullptr) {
  MergeInputs in;
  in.policy = policy;
  in.remote_raw = std::move(remote);
  in.edit_times = [edit_times_asked] {
    if (edit_times_asked != nullptr) ++*edit_times_asked;
    sync::LocalEditTimes times;
    times.row = sync::parse_timestamp("2025-11-28T18:40:00Z");
    return times;
  };
  return in;
}

}  // namespace

TEST_CASE("push plan: without a CRM version, the fields that differ from the base are sent") {
  const auto local = cells(R"({"id":42,"fn":"Ann","ln":"Lee","city":"Paris","title":"CEO"})");
  const auto merge =
      sync::merge_update(contact(), local, kBase, inputs(ConflictPolicy::kNewest, std::nullopt));
  CHECK(merge.send == std::vector<size_t>{field("city")});
  CHECK(merge.target == local);
  CHECK(merge.new_base == kBase);
  CHECK_FALSE(merge.has_conflict());
  CHECK_FALSE(merge.waits_for_person());
}

TEST_CASE("push plan: a field changed in the CRM only is taken, one changed here only is sent") {
  const auto local = cells(R"({"id":42,"fn":"Ann","ln":"Lee","city":"Paris","title":"CEO"})");
  const std::string remote = R"({"id":42,"fn":"Anna","ln":"Lee","city":"Oslo","title":"CEO"})";
  int asked = 0;
  const auto merge =
      sync::merge_update(contact(), local, kBase, inputs(ConflictPolicy::kManual, remote, &asked));
  CHECK(merge.send == std::vector<size_t>{field("city")});
  CHECK(merge.target[field("fn")] == Cell{std::string("Anna")});
  CHECK(merge.target[field("city")] == Cell{std::string("Paris")});
  CHECK(merge.new_base == remote);
  CHECK_FALSE(merge.has_conflict());
  CHECK(asked == 0);  // edit times are read only for a field changed on both sides
}

TEST_CASE("push plan: the policy decides a field changed on both sides") {
  const auto local = cells(R"({"id":42,"fn":"Ann","ln":"Lee","city":"Paris","title":"CEO"})");
  const std::string remote = R"({"id":42,"fn":"Ann","ln":"Lee","city":"Rome","title":"CEO"})";

  const auto here =
      sync::merge_update(contact(), local, kBase, inputs(ConflictPolicy::kLocalWins, remote));
  CHECK(here.won_here == std::vector<size_t>{field("city")});
  CHECK(here.won_there.empty());
  CHECK(here.send == std::vector<size_t>{field("city")});
  CHECK(here.target[field("city")] == Cell{std::string("Paris")});

  const auto there =
      sync::merge_update(contact(), local, kBase, inputs(ConflictPolicy::kRemoteWins, remote));
  CHECK(there.won_there == std::vector<size_t>{field("city")});
  CHECK(there.send.empty());
  CHECK(there.target[field("city")] == Cell{std::string("Rome")});
  CHECK(there.new_base == remote);

  int asked = 0;
  const auto manual =
      sync::merge_update(contact(), local, kBase, inputs(ConflictPolicy::kManual, remote, &asked));
  CHECK(manual.waits_for_person());
  CHECK(manual.for_a_person == std::vector<size_t>{field("city")});
  CHECK(asked == 1);
}

TEST_CASE("push plan: what our own unanswered PUT sent counts as the base") {
  // The PUT sent Paris and the CRM applied it; the row was edited again since, to Lyon.
  const auto local = cells(R"({"id":42,"fn":"Ann","ln":"Lee","city":"Lyon","title":"CEO"})");
  const std::string remote = R"({"id":42,"fn":"Ann","ln":"Lee","city":"Paris","title":"CEO"})";
  auto in = inputs(ConflictPolicy::kManual, remote);
  in.own_put = sync::cells_after_put(contact(), R"({"id":42,"city":"Paris"})", kBase);
  REQUIRE(in.own_put.has_value());
  const auto merge = sync::merge_update(contact(), local, kBase, in);
  CHECK_FALSE(merge.waits_for_person());
  CHECK(merge.send == std::vector<size_t>{field("city")});
  CHECK(merge.target[field("city")] == Cell{std::string("Lyon")});

  // Without it, the same versions are a conflict for a person.
  const auto without =
      sync::merge_update(contact(), local, kBase, inputs(ConflictPolicy::kManual, remote));
  CHECK(without.waits_for_person());
}

TEST_CASE("push plan: each field's last local edit comes from the entries that name it") {
  std::vector<storage::OutboxEntry> entries{
      {false, std::string("city,title"), "2025-11-28T18:00:00.000Z"},
      {false, std::string("city"), "2025-11-28T18:30:00.000Z"},
      {false, std::string("title"), "2025-11-28T17:00:00.000Z"},
      {false, std::string("fn"), "not a time"},
  };
  const auto times = sync::edit_times_of(entries, "2025-11-28T18:30:00.000Z");
  const auto at = [](const char* text) { return sync::parse_timestamp(text)->at; };
  REQUIRE(times.of("city"));
  CHECK(times.of("city")->at == at("2025-11-28T18:30:00Z"));
  CHECK(times.of("title")->at == at("2025-11-28T18:00:00Z"));
  // No usable entry names it: the row's latest edit is the best there is.
  CHECK(times.of("first_name")->at == at("2025-11-28T18:30:00Z"));

  // An entry that names no columns (or an insert) counts for every column.
  entries.push_back({false, std::nullopt, "2025-11-28T18:10:00.000Z"});
  const auto with_all = sync::edit_times_of(entries, "2025-11-28T18:30:00.000Z");
  CHECK(with_all.of("title")->at == at("2025-11-28T18:10:00Z"));
  CHECK(with_all.of("city")->at == at("2025-11-28T18:30:00Z"));
}

TEST_CASE("push plan: a person's choice keeps the local value of fields changed only here") {
  const auto base = cells(kBase.c_str());
  const auto local = cells(R"({"id":42,"fn":"Ann","ln":"Lee","city":"Paris","title":"CTO"})");
  const auto theirs = cells(R"({"id":42,"fn":"Anna","ln":"Lee","city":"Rome","title":"CEO"})");
  const auto remote = sync::settled_cells(contact(), base, local, theirs, /*keep_local=*/false);
  CHECK(remote[field("fn")] == Cell{std::string("Anna")});
  CHECK(remote[field("title")] == Cell{std::string("CTO")});
  CHECK(remote[field("city")] == Cell{std::string("Rome")});
  const auto mine = sync::settled_cells(contact(), base, local, theirs, /*keep_local=*/true);
  CHECK(mine[field("fn")] == Cell{std::string("Anna")});
  CHECK(mine[field("city")] == Cell{std::string("Paris")});
}

TEST_CASE("push plan: rows are sorted into creates, updates and deletions, blocked ones left out") {
  const model::Resource* company = model::find_resource("company");
  const auto item = [](const model::Resource* r, std::int64_t id, bool insert, bool del) {
    sync::RowChange i;
    i.resource = r;
    i.id = id;
    i.has_insert = insert;
    i.has_delete = del;
    return i;
  };
  std::vector<sync::RowChange> items{
      item(&contact(), -2, true, false), item(company, -1, true, false),
      item(&contact(), 42, false, false), item(&contact(), 43, false, true)};
  const sync::RowKeys blocked{{"contact", 42}};
  sync::Plan plan = sync::plan_by_kind(items, blocked);
  CHECK(plan.updates.empty());
  REQUIRE(plan.creates.size() == 2);
  CHECK(plan.creates.begin()->second.front().resource == company);  // referenced first
  REQUIRE(plan.deletes.size() == 1);
  CHECK(plan.deletes.begin()->second.front().id == 43);
}

TEST_CASE("push plan: a payload naming a new row waits for it, a bad value is refused") {
  auto local = cells(R"({"id":42,"fn":"Ann","companyId":-7})");
  auto payload = sync::build_payload(contact(), local, {field("companyId")}, false);
  auto* waits = std::get_if<sync::PayloadProblem>(&payload);
  REQUIRE(waits != nullptr);
  CHECK(waits->waits_for_dependency);
  CHECK(waits->ref == model::Ref::kCompany);
  CHECK(waits->local_id == -7);

  local[field("companyId")] = std::string("not an id");
  payload = sync::build_payload(contact(), local, {field("companyId")}, false);
  auto* refused = std::get_if<sync::PayloadProblem>(&payload);
  REQUIRE(refused != nullptr);
  CHECK_FALSE(refused->waits_for_dependency);

  const auto fine =
      sync::build_payload(contact(), cells(kBase.c_str()), sync::writable_indexes(contact()), true);
  REQUIRE(std::holds_alternative<json::object>(fine));
  CHECK(std::get<json::object>(fine).at("city") == "Oslo");
  CHECK_FALSE(std::get<json::object>(fine).contains("companyId"));  // NULL: left out of a create
}
