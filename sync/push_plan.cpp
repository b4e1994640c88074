#include "sync/push_plan.h"

#include <boost/json.hpp>

#include "sync/push_payload.h"

namespace clevertim::sync {
namespace {

namespace json = boost::json;
using storage::Cell;

void keep_later(std::optional<Timestamp>& slot, const Timestamp& t) {
  if (!slot || t.at > slot->at) slot = t;
}

// Notes `when` for each column of `changed` ("city,title") it is later for.
void note_columns(const std::string& changed, const Timestamp& when, LocalEditTimes& times) {
  for (size_t start = 0; start <= changed.size();) {
    const size_t comma = std::min(changed.find(',', start), changed.size());
    if (comma > start) {
      auto [it, fresh] = times.by_column.try_emplace(changed.substr(start, comma - start), when);
      if (!fresh && when.at > it->second.at) it->second = when;
    }
    start = comma + 1;
  }
}

// Under `newest` each conflicting field is judged by its own latest local edit: the row's
// latest edit may be of another field, made after the CRM's edit of this one.
void decide_conflicts(const model::Resource& r, const FieldMerge& fields,
                      const std::string& remote_raw, const MergeInputs& inputs,
                      UpdateMerge& merge) {
  const json::object remote_object = json::parse(remote_raw).as_object();
  const LocalEditTimes edits = inputs.edit_times();
  bool for_a_person = false;
  for (size_t i : fields.both) {
    const Winner winner = choose_winner(inputs.policy, edits.of(r.fields[i].column), remote_object);
    if (winner == Winner::kPerson) for_a_person = true;
    (winner == Winner::kLocal ? merge.won_here : merge.won_there).push_back(i);
  }
  if (for_a_person) merge.for_a_person = fields.both;
}

}  // namespace

Plan plan_by_kind(std::vector<RowChange>& items, const RowKeys& blocked) {
  Plan plan;
  for (RowChange& item : items) {
    if (blocked.contains({item.resource->endpoint, item.id})) continue;
    if (item.has_delete)
      plan.deletes[item.resource->push_order].push_back(std::move(item));
    else if (item.has_insert)
      plan.creates[item.resource->push_order].push_back(std::move(item));
    else
      plan.updates.push_back(std::move(item));
  }
  return plan;
}

std::optional<Timestamp> LocalEditTimes::of(std::string_view column) const {
  std::optional<Timestamp> latest = every_column;
  if (auto it = by_column.find(column); it != by_column.end())
    if (!latest || it->second.at > latest->at) latest = it->second;
  return latest ? latest : row;
}

LocalEditTimes edit_times_of(const std::vector<storage::OutboxEntry>& entries,
                             const std::string& last_edit) {
  LocalEditTimes times;
  times.row = parse_timestamp(last_edit);
  for (const storage::OutboxEntry& entry : entries) {
    const auto when = parse_timestamp(entry.created_at);
    if (!when) continue;
    if (entry.is_insert || !entry.changed)
      keep_later(times.every_column, *when);
    else
      note_columns(*entry.changed, *when, times);
  }
  return times;
}

void count_own_put_as_base(const model::Resource& r, const std::vector<Cell>& sent,
                           const std::vector<Cell>& theirs, std::vector<Cell>& base) {
  for (size_t i : writable_indexes(r))
    if (sent[i] != base[i] && theirs[i] == sent[i]) base[i] = theirs[i];
}

UpdateMerge merge_update(const model::Resource& r, const std::vector<Cell>& cells,
                         const std::optional<std::string>& base_raw, const MergeInputs& inputs) {
  std::vector<Cell> base = cells_of_raw(r, base_raw);
  UpdateMerge merge;
  if (!inputs.remote_raw) {
    merge.target = cells;
    merge.new_base = base_raw;
    for (size_t i : writable_indexes(r))
      if (cells[i] != base[i]) merge.send.push_back(i);
    return merge;
  }
  const std::vector<Cell> theirs = cells_of_raw(r, inputs.remote_raw);
  if (inputs.own_put) count_own_put_as_base(r, *inputs.own_put, theirs, base);
  const FieldMerge fields = merge_fields(r, base, cells, theirs);
  if (fields.has_conflict()) {
    decide_conflicts(r, fields, *inputs.remote_raw, inputs, merge);
    if (merge.waits_for_person()) return merge;
  }
  merge.target = theirs;
  for (size_t i : fields.local_only) merge.target[i] = cells[i];
  merge.send = fields.local_only;
  for (size_t i : merge.won_here) {
    merge.target[i] = cells[i];
    merge.send.push_back(i);
  }
  merge.new_base = inputs.remote_raw;
  return merge;
}

}  // namespace clevertim::sync
