// Restore: putting a saved account (an export folder or a backup file) back into a CRM
// account, and undeleting single elements from history.
//
// Elements are created in dependency order and every reference (companyId, cust, case, opp,
// opportunity, nid, tid, custom field keys in cf) is rewritten to the new ids. The old -> new
// mapping is kept in the mirror (`restore_map`) as it grows, so an interrupted restore resumes
// where it stopped, and a create whose answer was lost is recognised in the account (after a
// pull) instead of being sent twice.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "storage/mirror.h"
#include "sync/crm_writer.h"

namespace clevertim::sync {

// Elements to restore, by endpoint, as the CRM sent them (ids are the old account's).
struct RestoreSet {
  std::map<std::string, std::vector<boost::json::object>> elements;
  std::int64_t size() const;
};

// Reads an export folder (manifest.json + <resource>.json) or a backup file (.db or .db.gz).
// Throws std::runtime_error naming what could not be read.
RestoreSet load_restore_source(const std::filesystem::path& source,
                               const std::filesystem::path& scratch);

struct RestoreOptions {
  // Prints what would be sent, exactly: ids the CRM has not given yet appear as placeholders
  // (-1, -2, ...), each named in the plan where it is made.
  bool dry_run = false;
  // The source comes from this very account (undelete): a reference to an element the account
  // still holds is kept as it is. A restore from elsewhere cannot know that an id means the
  // same element here, so it keeps only references to elements it restores or finds.
  bool same_account = false;
  // Names this restore in `restore_map`, so that running it again resumes it.
  std::string source_key;
};

struct RestoreCounts {
  std::int64_t total = 0;
  std::int64_t created = 0;  // with dry_run: would be created
  std::int64_t already = 0;  // created by an earlier, interrupted run
  std::int64_t present = 0;  // already in the account (same id, same element): not created
  std::int64_t failed = 0;
};

struct RestoreReport {
  std::map<std::string, RestoreCounts> per_resource;
  std::vector<std::tuple<std::string, std::int64_t, std::int64_t>> mapping;  // res, old, new
  std::vector<std::string> problems;
  std::vector<std::string> plan;  // with dry_run: what would be sent
  bool interrupted = false;       // stopped early (the CRM unreachable): run again to resume

  bool ok() const;
};

boost::asio::awaitable<RestoreReport> restore_elements(storage::Mirror& mirror, CrmWriter& writer,
                                                       const RestoreSet& set,
                                                       const RestoreOptions& options);

// What `undelete` restores: the last version of a deleted element from `history`, and with
// `with_children` its deleted notes, tasks, cases, deals and (for a company) contacts, and the
// comments of those notes and tasks.
// Throws NotInHistory when the element was never seen deleted.
class NotInHistory : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
RestoreSet deleted_element_from_history(storage::Mirror& mirror, std::string_view resource,
                                        std::int64_t id, bool with_children);

}  // namespace clevertim::sync
