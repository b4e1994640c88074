// libFuzzer target: the element -> row mapping (storage/element_mapping.h) and its SQL side
// (storage/element_table.h) on an in-memory mirror.
//
// Input: one byte choosing the resource ('0' is the first of model::all_resources(), '1' the
// second, ...; any byte picks one), then the element's JSON. Besides crashes and sanitizer
// reports it checks what the mapping promises:
//   - raw keeps the whole element: parsed back, it is the element;
//   - a value of an unexpected shape leaves its cell NULL with a warning, never silently;
//   - each cell converts to the JSON a push sends and back to the same cell;
//   - the row stored in the mirror reads back with the same cells and raw, and every
//     reporting view still answers with it in the table.
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <boost/json.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "fuzz_json.h"
#include "model/resources.h"
#include "storage/bi_schema.h"
#include "storage/element_mapping.h"
#include "storage/element_table.h"
#include "storage/mirror.h"
#include "storage/schema.h"

namespace {

namespace json = boost::json;
namespace model = clevertim::model;
namespace storage = clevertim::storage;

bool same_cell(const storage::Cell& a, const storage::Cell& b) {
  if (a == b) return true;
  // A JSON text cell: equal when its documents are.
  const auto *x = std::get_if<std::string>(&a), *y = std::get_if<std::string>(&b);
  if (x == nullptr || y == nullptr) return false;
  json::error_code ex, ey;
  const json::value vx = json::parse(*x, ex), vy = json::parse(*y, ey);
  return !ex && !ey && fuzz::same_json(vx, vy);
}

// One in-memory mirror for the whole run, built as Mirror::open builds a file (which needs a
// file for WAL), with one ElementTable per resource. Each input is stored in a transaction
// that is rolled back, so inputs do not see each other.
struct Mirror {
  SQLite::Database db{":memory:", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE};
  std::vector<std::unique_ptr<storage::ElementTable>> tables;
  std::vector<std::string> views;

  Mirror() {
    for (int v = 1; v <= storage::kSchemaVersion; ++v)
      for (const std::string& sql : storage::migration_statements(v)) db.exec(sql);
    storage::add_bi_declarations(db);  // the generated date columns the report_ views read
    for (const std::string& sql : storage::trigger_and_view_statements()) db.exec(sql);
    for (const model::Resource& r : model::all_resources())
      tables.push_back(std::make_unique<storage::ElementTable>(db, r));
    SQLite::Statement q(db, "SELECT name FROM sqlite_schema WHERE type = 'view' ORDER BY name");
    while (q.executeStep()) views.push_back(q.getColumn(0).getString());
  }
};

Mirror& mirror() {
  static Mirror m;
  return m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const auto resources = model::all_resources();
  const std::size_t index = static_cast<std::uint8_t>(data[0] - '0') % resources.size();
  const model::Resource& resource = resources[index];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

  json::error_code ec;
  const json::value element = json::parse(text, ec);
  if (ec) return 0;

  const storage::MappingResult result = storage::map_element(resource, element);
  const auto* mapped = std::get_if<storage::MappedElement>(&result);
  if (mapped == nullptr) {
    FUZZ_CHECK(!std::get<storage::MappingError>(result).message.empty());
    return 0;
  }

  // raw keeps the element whole.
  FUZZ_CHECK(mapped->id > 0);
  FUZZ_CHECK(mapped->raw_hash == storage::raw_hash(mapped->raw));
  const json::value raw = json::parse(mapped->raw, ec);
  FUZZ_CHECK(!ec && fuzz::same_json(raw, element));
  FUZZ_CHECK(mapped->cells.size() == resource.fields.size());

  const json::object& object = element.get_object();
  std::size_t dropped = 0;
  std::string problem;
  for (std::size_t i = 0; i < resource.fields.size(); ++i) {
    const model::Field& field = resource.fields[i];
    const storage::Cell& cell = mapped->cells[i];
    const json::value* value = object.if_contains(field.api);
    if (value == nullptr || value->is_null()) {
      FUZZ_CHECK(storage::is_null(cell));
      continue;
    }
    if (storage::is_null(cell)) {
      // A list of ids other than one (a note on several customers) is a normal shape for a
      // field that may be a list: kept in raw, its column NULL, without a warning.
      const json::array* list = value->if_array();
      const bool quiet = field.accepts_id_list() && list != nullptr && list->size() != 1 &&
                         std::all_of(list->begin(), list->end(), [](const json::value& id) {
                           return storage::element_id(id).has_value();
                         });
      if (!quiet) ++dropped;
      continue;
    }
    // What a push would send for this cell, and the cell that JSON maps to again.
    const auto sent = storage::json_from_cell(field, cell, problem);
    FUZZ_CHECK(sent.has_value());
    // kAny is free-form: its text may be read back as JSON (documented), so only check it
    // converts at all.
    if (field.type == model::FieldType::kAny) continue;
    const storage::Cell again = storage::cell_from_json(field, *sent, problem);
    FUZZ_CHECK(problem.empty() && same_cell(again, cell));
  }
  FUZZ_CHECK(dropped == mapped->warnings.size());

  // The SQL side: store (insert, then the update path), read back, query every view.
  Mirror& m = mirror();
  storage::ElementTable& table = *m.tables[index];
  storage::OwnWriteTransaction tx(m.db);
  table.store_synced(*mapped);
  table.store_synced(*mapped);
  const auto row = table.read(mapped->id);
  FUZZ_CHECK(row.has_value() && row->raw == mapped->raw);
  FUZZ_CHECK(row->state == storage::SyncState::kSynced && !row->error);
  FUZZ_CHECK(row->cells.size() == mapped->cells.size());
  for (std::size_t i = 0; i < row->cells.size(); ++i) FUZZ_CHECK(row->cells[i] == mapped->cells[i]);
  auto known = table.stored_rows();
  const storage::StoredRows::Row* stored = known.find(mapped->id);
  FUZZ_CHECK(stored != nullptr && stored->raw_hash == mapped->raw_hash);
  FUZZ_CHECK(known.size() == 1);
  for (const std::string& view : m.views)
    m.db.execAndGet("SELECT count(*) FROM " + storage::sql_identifier(view));
  return 0;  // the transaction rolls back
}
