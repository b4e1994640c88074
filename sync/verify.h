// Verify: the mirror compared with the CRM, field by field, without writing either.
//
// What it checks is the sync's promise about every row it calls `synced`:
//   - the row's typed columns equal what the CRM's element maps to, references included;
//   - the row's `raw` is the CRM's element (fields kept only in raw count too);
//   - the row's columns equal what its own `raw` maps to (a `synced` row never carries a
//     change that no one will send);
//   - every element of the CRM has a row, and every row with a CRM id has an element.
// Rows with local changes not yet pushed (`pending`, `error`, `conflict`, new rows, rows
// deleted locally) are expected to differ: they are counted, not compared.
//
// `clevertim-sync verify` prints the differences and exits 1 when there is one; the
// convergence checker (tests/convergence/) uses the same comparison as its first oracle.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/fwd.hpp>

#include <SQLiteCpp/Database.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/element_table.h"
#include "sync/crm_reader.h"

namespace clevertim::model {
struct Resource;
}

namespace clevertim::sync {

struct Difference {
  std::string resource;  // endpoint ("contact")
  std::int64_t id = 0;
  std::string what;  // one line: "title: mirror \"A\", CRM \"B\""
};

struct VerifyReport {
  std::int64_t compared = 0;  // synced rows compared field by field
  std::int64_t unsynced = 0;  // rows with local changes not pushed yet: not compared
  std::vector<Difference> differences;
  std::vector<std::string> unreadable;  // "contact: 503 ..." — that resource was not verified
  std::vector<std::string> notes;       // elements that could not be compared, and why
  bool token_refused = false;           // the CRM refused the API token (401/403)

  bool ok() const { return differences.empty() && unreadable.empty(); }
};

// The differences between one synced row and the CRM's element for it (empty: they agree).
// Also checks the row against its own raw. Pure: no database, no network.
std::vector<std::string> compare_row_with_element(const model::Resource& resource,
                                                  const storage::StoredRow& row,
                                                  const boost::json::value& element);

// Reads every collection in `endpoints` (all resources when empty) and compares it with the
// mirror, reading each table `rows_per_page` rows at a time as a pull does (see StoredRows).
// Only reads: nothing is written to the CRM or to `db`.
boost::asio::awaitable<VerifyReport> verify_mirror(
    SQLite::Database& db, CrmReader& reader, std::vector<std::string> endpoints,
    std::size_t rows_per_page = storage::StoredRows::kRowsPerPage);

}  // namespace clevertim::sync
