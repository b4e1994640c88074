#include "sync/resource_pull.h"

#include <spdlog/spdlog.h>
#include <boost/json.hpp>
#include <boost/json/monotonic_resource.hpp>

#include <algorithm>

#include "http/json_stream.h"
#include "model/resources.h"
#include "sync/mass_delete.h"

namespace clevertim::sync {
namespace {

namespace json = boost::json;
using storage::has_local_changes;

}  // namespace

ResourcePull::ResourcePull(storage::Mirror& mirror, const model::Resource& resource,
                           std::size_t rows_per_page)
    : mirror_(mirror), resource_(resource), staged_(resource.endpoint) {
  storage::ElementTable table(mirror.db(), resource);
  local_deletions_ = table.load_local_deletions();
  first_fill_ = !table.holds_crm_elements() && local_deletions_.empty();
  if (!first_fill_) known_ = table.stored_rows(rows_per_page);  // else none to read
  report_.resource = std::string(resource.endpoint);
}

ResourcePull::~ResourcePull() = default;

// Mapped here, on the thread reading the list, so that the mirror's thread only binds and
// writes: it is the one a first pull waits for.
void ResourcePull::stage(std::string_view raw, std::int64_t hash) {
  // The element's values live in one arena, on the stack unless the element is large.
  unsigned char arena[8192];
  json::monotonic_resource resource(arena, sizeof arena);
  const json::value element = json::parse(raw, &resource);
  auto mapped = storage::map_element(resource_, element, std::string(raw), hash);
  if (const auto* error = std::get_if<storage::MappingError>(&mapped)) {
    // The stream hands over only elements that can be kept, and accept() checked the id: this
    // does not happen. If it did, the row stays as last synced (its id counts as seen).
    ++report_.skipped;
    spdlog::warn("{} skipped: {}", resource_.endpoint, error->message);
    return;
  }
  staged_.add(std::get<storage::MappedElement>(mapped));
}

void ResourcePull::accept(const json::value& element) {
  ++report_.received;
  if (const auto skipped = as_skipped(element)) return skip(*skipped);
  const json::object* object = element.if_object();
  const json::value* id_value = object ? object->if_contains("id") : nullptr;
  const auto id = id_value ? storage::element_id(*id_value) : std::nullopt;
  if (!id || *id <= 0) {
    ++report_.skipped;
    ++report_.unidentified;
    spdlog::warn("{} element #{} skipped: {}", resource_.endpoint, report_.received,
                 object == nullptr ? "not a JSON object"
                 : id_value == nullptr
                     ? "no id"
                     : "no usable id (" + json::serialize(*id_value).substr(0, 40) +
                           "; an id is a positive integer)");
    return;
  }
  if (!known_.mark_seen(*id)) {
    ++report_.skipped;
    spdlog::warn("{} {} skipped: the CRM sent this id twice in one list; the first copy is kept",
                 resource_.endpoint, *id);
    return;
  }
  compare_and_stage(*id, json::serialize(element));
}

// Unchanged (same hash as the row, or as the row deleted here): counted. Else staged.
void ResourcePull::compare_and_stage(std::int64_t id, std::string_view raw) {
  const std::int64_t hash = storage::raw_hash(raw);
  const storage::StoredRows::Row* row = known_.find(id);
  const auto deleted = local_deletions_.find(id);
  if ((row != nullptr && row->raw_hash == hash) ||
      (deleted != local_deletions_.end() && deleted->second == hash)) {
    ++report_.unchanged;
    return;
  }
  stage(raw, hash);
}

bool ResourcePull::accept_compact(const json::value& id_value, std::string_view compact) {
  const auto id = storage::element_id(id_value);
  // accept() explains why an unusable or repeated id is skipped.
  if (!id || *id <= 0 || !known_.mark_seen(*id)) return false;
  ++report_.received;
  compare_and_stage(*id, compact);
  return true;
}

bool ResourcePull::accept_if_stored(std::int64_t id, std::string_view bytes) {
  storage::StoredRows::Row* row = known_.find(id);
  if (row == nullptr || row->seen || row->raw_hash != storage::raw_hash(bytes)) return false;
  row->seen = true;  // as known_.mark_seen(id) would, without looking the row up again
  ++report_.received;
  ++report_.unchanged;
  return true;
}

// An element the stream could not keep (nested too deeply, text not UTF-8). When its id is
// known, its row stays as the last good copy left it: the element is still in the CRM, so it
// must not count as deleted there.
void ResourcePull::skip(const SkippedElement& skipped) {
  ++report_.skipped;
  const auto id = storage::element_id(skipped.id);
  if (id && *id > 0 && known_.mark_seen(*id)) {
    spdlog::warn(
        "{} {} (element #{} of the list) skipped: it {}; its row, if any, is kept as "
        "last synced",
        resource_.endpoint, *id, skipped.position, skipped.why);
    return;
  }
  ++report_.unidentified;
  spdlog::warn("{} element #{} skipped: it {}", resource_.endpoint, skipped.position, skipped.why);
}

std::vector<std::int64_t> ResourcePull::missing_ids() {
  std::vector<std::int64_t> gone = known_.unseen();
  // Rows deleted here, their DELETE not sent yet: a list without them says nothing of whether
  // the CRM changed them since (an edit there beats the deletion here).
  for (const auto& [id, hash] : local_deletions_)
    if (!known_.seen(id)) gone.push_back(id);
  std::sort(gone.begin(), gone.end());
  return gone;
}

void ResourcePull::keep(std::int64_t id) {
  if (known_.mark_seen(id)) ++report_.confirmed_present;
}

PullReport ResourcePull::apply(const PullOptions& options) {
  std::vector<std::int64_t> gone = known_.unseen();
  // An element whose id cannot be read may be any of the rows the list seems to lack: none
  // is deleted until a list arrives whose every element can be told apart.
  if (report_.unidentified > 0 && !gone.empty()) {
    report_.deletions_withheld = static_cast<std::int64_t>(gone.size());
    spdlog::warn(
        "{}: the list lacks {} rows of the mirror but holds {} elements without a usable id; "
        "no row is deleted until the CRM's list can be read whole",
        resource_.endpoint, gone.size(), report_.unidentified);
    gone.clear();
  }

  const std::int64_t rows = known_.size();
  const auto deletions = static_cast<std::int64_t>(gone.size());
  if (is_mass_deletion(deletions, rows, options.mass_delete_share, options.mass_delete_min) &&
      !options.allow_mass_delete) {
    report_.mass_delete_held = true;
    report_.held = deletions;
    report_.held_reason = "the CRM's " + std::string(resource_.endpoint) + " list lacks " +
                          std::to_string(deletions) + " of the mirror's " + std::to_string(rows) +
                          " rows; deleting them is held back in case the answer was wrong. If "
                          "they were really deleted, run `clevertim-sync sync "
                          "--allow-mass-delete` once";
    gone.clear();
  }

  if (early_tx_) {  // begun while the list arrived: the rest, then commit
    apply_staged(*early_table_);
    apply_deletions(*early_table_, gone);
    early_tx_->commit();
    early_tx_.reset();
    early_table_.reset();
    return report_;
  }
  if (staged_.size() == 0 && gone.empty()) return report_;  // unchanged: not a single write

  note_created_ids_ = options.note_created_ids;
  storage::ElementTable table(mirror_.db(), resource_);
  storage::OwnWriteTransaction tx(mirror_.db());
  reread_local_deletions(table);
  staged_.rewind();
  apply_staged(table);
  apply_deletions(table, gone);
  tx.commit();
  return report_;
}

// The reading thread goes on using the known rows and local deletions (both empty) while this
// runs: they are checked here, not read again (which would write them under its feet). Only this
// process writes rows with CRM ids, so a first fill stays one; if it did not, apply() does it all.
bool ResourcePull::begin_early_apply(const PullOptions& options) {
  note_created_ids_ = options.note_created_ids;
  early_table_.emplace(mirror_.db(), resource_);
  early_tx_.emplace(mirror_.db());
  if (early_table_->holds_crm_elements() || !early_table_->load_local_deletions().empty()) {
    abandon_early_apply();
    return false;
  }
  return true;
}

std::int64_t ResourcePull::store_arrived() {
  return apply_staged(*early_table_);
}

void ResourcePull::abandon_early_apply() {
  if (!early_tx_) return;
  early_table_.reset();  // its statements first: nothing of the table is in use at the rollback
  early_tx_.reset();     // rolls back
  report_.created = report_.updated = report_.kept_local = report_.warnings = 0;
  report_.created_ids.clear();
}

void ResourcePull::reread_local_deletions(storage::ElementTable& table) {
  local_deletions_ = table.load_local_deletions();
}

std::int64_t ResourcePull::apply_staged(storage::ElementTable& table) {
  std::int64_t stored = 0;
  for (storage::MappedElement e; staged_.next(e); ++stored) {
    for (const std::string& warning : e.warnings) spdlog::warn("{}", warning);
    report_.warnings += static_cast<std::int64_t>(e.warnings.size());

    // A first fill has no rows to look up: every element is new.
    const std::optional<storage::SyncState> state =
        first_fill_ ? std::nullopt : table.state_of(e.id);
    const bool deleted_here = local_deletions_.contains(e.id);
    if (deleted_here || (state && has_local_changes(*state))) {
      // Changed here (or deleted here) and in the CRM: the local side stays for now; the push
      // compares both with the base (raw) and decides (an edit beats a deletion).
      table.record_remote_version(e.id, &e.raw);
      ++report_.kept_local;
    } else if (!state) {
      table.store_synced(e);
      ++report_.created;
      if (note_created_ids_) report_.created_ids.push_back(e.id);
    } else {
      if (auto previous = table.raw_of(e.id)) table.append_history(e.id, "update", *previous);
      table.store_synced(e);
      ++report_.updated;
    }
  }
  return stored;
}

void ResourcePull::apply_deletions(storage::ElementTable& table,
                                   const std::vector<std::int64_t>& gone) {
  for (std::int64_t id : gone) {
    if (has_local_changes(table.state_of(id).value_or(storage::SyncState::kSynced))) {
      // Deleted remotely, edited locally: the edit wins; the push creates it again.
      table.record_remote_version(id, nullptr);
      ++report_.kept_local;
      continue;
    }
    if (auto previous = table.raw_of(id)) table.append_history(id, "delete", *previous);
    table.remove(id);
    ++report_.deleted;
  }
}

}  // namespace clevertim::sync
