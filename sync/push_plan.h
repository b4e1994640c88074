// The push's plan, like ninja's Plan beside its Builder: what each row with local changes
// needs sent, decided from the mirror's rows, the outbox and the CRM's versions, before any
// request. Everything here is pure: the run (sync/push_run.h) reads the mirror, calls these,
// and records what they decide.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/resources.h"
#include "storage/element_mapping.h"
#include "storage/outbox.h"
#include "sync/merge.h"

namespace clevertim::sync {

// The captured changes of one row, coalesced.
struct RowChange {
  const model::Resource* resource = nullptr;
  std::int64_t id = 0;
  std::int64_t last_seq = 0;  // outbox entries up to this one are what this push sends
  bool has_insert = false;
  bool has_delete = false;
  std::string last_edit;                   // when the latest local edit was captured
  std::optional<std::string> deleted_raw;  // the base of a deleted row
  bool handled = false;                    // sent, or settled without a request, this run
};

// (resource, id) pairs; the endpoint views point into model/'s static tables.
using RowKeys = std::set<std::pair<std::string_view, std::int64_t>>;

// The rows to send, in the order they are sent: creates in dependency order (custom fields,
// companies, contacts, ... comments), then updates, then deletions, dependents first.
struct Plan {
  std::map<int, std::vector<RowChange>> creates;  // by push order
  std::vector<RowChange> updates;
  std::map<int, std::vector<RowChange>, std::greater<>> deletes;  // dependents first
};

// Sorts the rows into the plan; a row in `blocked` (it waits for something this run cannot
// settle) is left out.
Plan plan_by_kind(std::vector<RowChange>& items, const RowKeys& blocked);

// When each field of a row was last edited here, from the outbox entries this push sends.
struct LocalEditTimes {
  std::map<std::string, Timestamp, std::less<>> by_column;
  std::optional<Timestamp> every_column;  // an insert, or an entry that names no columns
  std::optional<Timestamp> row;           // the row's latest edit, of any field

  // The latest edit of `column`; the row's latest edit when no entry names it (then it is
  // the best there is: an entry written by something other than the capture triggers).
  std::optional<Timestamp> of(std::string_view column) const;
};

// `last_edit`: when the row's latest entry was captured.
LocalEditTimes edit_times_of(const std::vector<storage::OutboxEntry>& entries,
                             const std::string& last_edit);

// Our own PUT, applied by the CRM but never answered, shows in the CRM's version as a change
// made there. Where the CRM holds exactly what we sent (`sent`), the value is ours: it becomes
// the base, so a later local edit of that field is no conflict and is sent.
void count_own_put_as_base(const model::Resource& r, const std::vector<storage::Cell>& sent,
                           const std::vector<storage::Cell>& theirs,
                           std::vector<storage::Cell>& base);

// A local update merged with the CRM's version: what the row becomes, what is left to send,
// and how the conflicting fields were decided.
struct UpdateMerge {
  std::vector<storage::Cell> target;    // what the row holds once merged
  std::optional<std::string> new_base;  // its base once merged
  std::vector<size_t> send;             // the fields left to send
  std::vector<size_t> won_here;         // conflicting fields the policy gave the local edit
  std::vector<size_t> won_there;        // conflicting fields the policy gave the CRM
  std::vector<size_t> for_a_person;     // every conflicting field, when a person decides
  bool waits_for_person() const { return !for_a_person.empty(); }
  bool has_conflict() const { return !won_here.empty() || !won_there.empty(); }
};

// What the merge needs besides the row.
struct MergeInputs {
  std::optional<std::string> remote_raw;  // the CRM's version, when it changed since the base
  // What our own unanswered PUT made of the element (cells_after_put), if there is one.
  std::optional<std::vector<storage::Cell>> own_put;
  ConflictPolicy policy = ConflictPolicy::kNewest;
  // The row's local edit times; asked for only when a field changed on both sides.
  std::function<LocalEditTimes()> edit_times;
};

// Merges a row (its cells and base) with the CRM's version, field by field; without a remote
// version, what is sent is every writable field that differs from the base.
UpdateMerge merge_update(const model::Resource& r, const std::vector<storage::Cell>& cells,
                         const std::optional<std::string>& base_raw, const MergeInputs& inputs);

}  // namespace clevertim::sync
