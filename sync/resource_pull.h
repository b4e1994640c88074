// Pulling one resource: the diff between what the CRM sent and the mirror, applied at once.
//
// Elements arrive one at a time while the read-all streams in (`accept`). Unchanged elements
// (same raw hash) cost nothing; changed and new ones are mapped to their rows and staged in a
// temporary file (StagedElements), so memory stays small however large the account. Only after
// the whole collection arrived intact does `apply` write the changes, in one short transaction
// (a first fill may begin that transaction while its list still arrives: see below). A fetch
// that failed half-way is simply dropped: nothing is applied.
#pragma once

#include <boost/json/fwd.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "storage/element_table.h"
#include "storage/mirror.h"
#include "sync/staged_elements.h"

namespace clevertim::sync {

struct SkippedElement;

struct PullOptions {
  // A pull that would delete more than this share of a resource's rows, and more than
  // `mass_delete_min` rows, is held back (the CRM answering an empty list by mistake must not
  // empty the backup).
  double mass_delete_share = 0.5;
  std::int64_t mass_delete_min = 5;
  bool allow_mass_delete = false;
  // Whether PullReport::created_ids is filled in: a first sync finds every element new, and
  // only a create whose answer was lost needs them (see PushOptions::freshly_created).
  bool note_created_ids = true;
  // How many of a table's rows a pull reads at a time to compare with its list (see
  // StoredRows). The tests make it small, so that their small tables span many pages.
  std::size_t rows_per_page = storage::StoredRows::kRowsPerPage;
};

struct PullReport {
  std::string resource;
  std::int64_t received = 0;
  std::int64_t created = 0;
  std::int64_t updated = 0;
  std::int64_t deleted = 0;
  std::int64_t unchanged = 0;
  std::int64_t skipped = 0;               // malformed elements (no id, duplicate id, not an object)
  std::int64_t unidentified = 0;          // of those, elements whose id could not be read
  std::int64_t confirmed_present = 0;     // missing from the list, but a GET found them: kept
  std::int64_t deletions_withheld = 0;    // not deleted: the list could not be trusted
  std::vector<std::int64_t> created_ids;  // elements new to the mirror, in list order (if noted)
  std::int64_t kept_local = 0;  // rows with unpushed local changes: remote version recorded
  std::int64_t warnings = 0;    // fields kept in raw only
  bool mass_delete_held = false;
  std::int64_t held = 0;    // deletions held by the mass-deletion guard
  std::string held_reason;  // why deletions were held, in words

  std::int64_t rows_written() const { return created + updated + deleted + kept_local; }
};

class ResourcePull {
 public:
  ResourcePull(storage::Mirror& mirror, const model::Resource& resource,
               std::size_t rows_per_page = storage::StoredRows::kRowsPerPage);
  ~ResourcePull();
  ResourcePull(const ResourcePull&) = delete;
  ResourcePull& operator=(const ResourcePull&) = delete;

  // One element of the collection, as it arrived.
  void accept(const boost::json::value& element);

  // The same for an element given as its "id" and compact text (== boost::json::serialize of
  // it), before it is built: counted unchanged or staged, and true returned. False when the id
  // is unusable or repeated: hand the element to accept(), which says why it is skipped.
  bool accept_compact(const boost::json::value& id, std::string_view compact);

  // The element `id` whose bytes are `bytes`, exactly as they came and proven nothing: when they
  // hash as the table's row `id` (not seen yet in this list) does, they are that row's stored
  // text, so the element is counted unchanged and true returned. False, and nothing done,
  // otherwise: the element goes on to accept_compact() or accept(). For a first fill, always
  // false (there is nothing stored to match).
  bool accept_if_stored(std::int64_t id, std::string_view bytes);

  // Ids the list did not hold: rows with a CRM id (deleted by apply() unless kept) and rows
  // deleted here whose DELETE is not sent yet.
  std::vector<std::int64_t> missing_ids();
  // Whether the element exists is unknown (a lookup failed): its row stays as it is.
  void keep(std::int64_t id);

  // Applies the staged diff in one transaction. Call only after the whole collection arrived.
  PullReport apply(const PullOptions& options);

  // ---- A first fill, written while its list still arrives
  // The table holds no element of the CRM yet (nor deletions of them to push): every element is
  // new, none can be missing, so the elements may be written as they arrive, before the list is
  // whole, in the one transaction apply() then finishes and commits. The reading thread goes on
  // calling accept*(); the mirror's thread calls these, between themselves and apply(). The
  // two threads share no state but the staging file's: the known rows and local deletions are
  // empty, and each counts into fields of the report of its own.
  bool first_fill() const { return first_fill_; }
  // Mapped elements readable so far; the reading thread is asked to publish what it holds.
  std::int64_t arrived() {
    staged_.want_more();
    return staged_.published();
  }
  // Opens the transaction (holding the mirror's write lock); `options` as apply() will get.
  // False (nothing open) if the table is no longer empty of CRM elements.
  bool begin_early_apply(const PullOptions& options);
  std::int64_t store_arrived();  // writes the elements that arrived so far; how many
  // Rolls back what was written early (the list broke off, or starts over). Nothing if none
  // was. The reading thread may still be adding: apply() reads from the first element again.
  void abandon_early_apply();
  // The reading thread, at the list's end, whole or not: what it staged becomes readable.
  void end_of_list() { staged_.publish(); }

  const PullReport& report() const { return report_; }

 private:
  void skip(const SkippedElement& skipped);
  void compare_and_stage(std::int64_t id, std::string_view raw);
  void stage(std::string_view raw, std::int64_t hash);
  // Local deletions may land while the list downloads: read again inside the apply transaction,
  // where no other writer can move them. (Row states are read there too, row by row.)
  void reread_local_deletions(storage::ElementTable& table);
  // Writes the staged elements from the next one not written yet; how many.
  std::int64_t apply_staged(storage::ElementTable& table);
  void apply_deletions(storage::ElementTable& table, const std::vector<std::int64_t>& gone);

  storage::Mirror& mirror_;
  const model::Resource& resource_;
  // The table's rows as the list reaches them, and the ids the list named (see StoredRows).
  storage::StoredRows known_;
  std::unordered_map<std::int64_t, std::int64_t> local_deletions_;  // id -> hash of last raw
  StagedElements staged_;  // changed and new elements, mapped
  PullReport report_;
  bool first_fill_ = false;
  bool note_created_ids_ = true;
  // Open from begin_early_apply() to the end of apply() (or abandon_early_apply()). In this
  // order: the table's statements are gone before a destructor rolls the transaction back.
  std::optional<storage::OwnWriteTransaction> early_tx_;
  std::optional<storage::ElementTable> early_table_;
};

}  // namespace clevertim::sync
