#include "report/describe.h"

#include <boost/json.hpp>

#include "model/lookups.h"
#include "model/meanings.h"
#include "model/resources.h"

namespace clevertim::report {
namespace {

namespace json = boost::json;
using model::Field;
using model::Resource;

std::string words(std::string_view table, std::string_view column) {
  return std::string(model::column_meaning(table, column));
}

// What the model declares about a field, after its words.
std::string declared(const Resource& r, const Field& f) {
  std::string out = words(r.table, f.column);
  auto add = [&](const std::string& s) { out += (out.empty() ? "" : " ") + s; };
  add("API field `" + std::string(f.api) + "`.");
  if (!f.writable()) add("Read-only.");
  const auto targets = model::endpoints_for(f.ref);
  if (targets.size() == 1)
    add("References " + std::string(model::find_resource(targets.front())->table) + ".id.");
  else if (targets.size() > 1)
    add("A contact or a company: join customers.id.");
  if (const model::Lookup* l = model::lookup_for(r.endpoint, f.api))
    add("Codes: " + std::string(l->table) + ".");
  if (!f.allowed.empty()) {
    std::string list;
    for (std::string_view v : f.allowed) list += (list.empty() ? "" : ", ") + std::string(v);
    add("One of: " + list + ".");
  }
  if (!f.view.empty()) add("One row per element in the view " + std::string(f.view) + ".");
  if (!f.link_view.empty()) add("Every id in the view " + std::string(f.link_view) + ".");
  return out;
}

std::string iso_name(const Field& f) {
  if (f.type == model::FieldType::kTimestamp || f.type == model::FieldType::kDate)
    return std::string(f.column) + "_iso";
  return {};
}

// The columns of a resource table (with_internal) or of its report_ view.
std::vector<ColumnDoc> resource_columns(const Resource& r, bool with_internal) {
  std::vector<ColumnDoc> out;
  out.push_back({"id", "integer", words(r.table, "id")});
  for (const Field& f : r.fields)
    out.push_back({std::string(f.column), std::string(model::to_string(f.type)), declared(r, f)});
  for (const Field& f : r.fields)
    if (const std::string iso = iso_name(f); !iso.empty())
      out.push_back({iso, "DATETIME (ISO 8601)",
                     words(r.table, iso) + (with_internal ? " Generated, not stored." : "")});
  if (!with_internal && r.endpoint == "task")
    out.push_back({"time_zone", "text", words(r.table, "time_zone")});
  out.push_back(
      {"sync_state", "text", words(r.table, "sync_state") + " Codes: lookup_sync_states."});
  out.push_back({"sync_error", "text", words(r.table, "sync_error")});
  if (with_internal) {
    out.push_back({"raw", "JSON object", words(r.table, "raw")});
    out.push_back({"raw_hash", "integer", words(r.table, "raw_hash")});
  }
  return out;
}

std::string label_of(const Resource& r) {
  if (r.field_by_column("name") != nullptr) return "name";
  if (r.field_by_column("last_name") != nullptr) return "last_name";
  if (r.field_by_column("text") != nullptr) return "text";
  return {};
}

struct View {
  std::string name;
  std::string meaning;
  std::vector<ColumnDoc> columns;
};

std::vector<View> views() {
  return {
      {"customers",
       "Every contact and company in one id space: join any customer_id here.",
       {{"id", "integer", "The contact's or company's id."},
        {"kind", "text", "contact or company."},
        {"name", "text", "The contact's full name or the company's name."},
        {"company_id", "integer", "A contact's company."},
        {"customer_type", "text", "One-letter customer type. Codes: lookup_customer_types."},
        {"city", "text", "City."},
        {"country", "text", "Country."},
        {"added_on_iso", "DATETIME (ISO 8601)", "When it was created, UTC."},
        {"last_modified_iso", "DATETIME (ISO 8601)", "When it last changed, UTC."},
        {"sync_state", "text", "As in its table."}}},
      {"note_customers",
       "Every customer of every note, one row each: a note may be on several.",
       {{"note_id", "integer", "The note."},
        {"customer_id", "integer", "A contact or company it is on (join customers.id)."},
        {"customer_kind", "text", "contact or company (NULL when not in the mirror)."}}},
      {"held_deletions",
       "Deletions the mass-deletion guard holds, per resource and direction.",
       {{"direction", "text", "push (local deletions) or pull (deletions in the CRM)."},
        {"resource", "text", "The resource (contact, company, ...)."},
        {"count", "integer", "How many deletions wait."},
        {"reason", "text", "Why they wait."}}},
      {"custom_values",
       "Every custom field value of every element, one row each.",
       {{"resource", "text", "The element's resource."},
        {"record_id", "integer", "The element's id."},
        {"field_id", "integer", "The custom field's id (custom_fields.id)."},
        {"field_name", "text", "The custom field's name."},
        {"value", "any", "The value (JSON text for a list)."}}},
      {"pipeline",
       "Deals per status and currency.",
       {{"status", "text", "Pipeline stage."},
        {"currency", "text", "Currency."},
        {"count", "integer", "Deals."},
        {"total_value", "real", "Sum of their values."}}},
      {"open_tasks",
       "Tasks neither completed nor deleted, with their customer's and assignee's names.",
       {{"id", "integer", "The task."},
        {"name", "text", "What the task is."},
        {"type", "text", "Task type. Codes: lookup_task_types."},
        {"start", "date", "Start, the account's local time."},
        {"end", "date", "End, the account's local time."},
        {"customer_id", "integer", "The contact or company it is for."},
        {"customer_name", "text", "That customer's name."},
        {"assigned_user_id", "integer", "The user it is assigned to."},
        {"assignee_name", "text", "That user's name."},
        {"case_id", "integer", "The case it belongs to."},
        {"opportunity_id", "integer", "The deal it belongs to."}}},
  };
}

// The public bookkeeping tables of MIRROR.md, "History, deletions, conflicts".
std::vector<View> bookkeeping() {
  return {
      {"history",
       "Every earlier version of every element, and the last version of each one deleted in "
       "the CRM (undelete recreates from it).",
       {{"seq", "integer", "Order of recording."},
        {"resource", "text", "The element's resource."},
        {"id", "integer", "The element's id."},
        {"seen_at", "text", "When this version was replaced or deleted (ISO 8601 UTC)."},
        {"operation", "text", "update (this version was replaced), delete, create or push."},
        {"raw", "JSON object", "That version, as the CRM sent it."}}},
      {"conflicts",
       "One row per conflict between a local and a CRM edit, however it was settled.",
       {{"id", "integer", "The conflict (clevertim-sync resolve ID)."},
        {"resource", "text", "The element's resource."},
        {"record_id", "integer", "The element's id."},
        {"fields", "text", "The API fields it decided, comma-separated."},
        {"base", "JSON object", "The version both edits started from."},
        {"local", "JSON object", "The local side."},
        {"remote", "JSON object", "The CRM's side (its newest version)."},
        {"outcome", "text", "What was done, in words."},
        {"resolution", "text", "local or remote; NULL while it waits for a person."},
        {"detected_at", "text", "When it was found (ISO 8601 UTC)."},
        {"resolved_at", "text", "When it was settled; NULL while open."}}},
      {"sync_runs",
       "One row per sync cycle.",
       {{"id", "integer", "The cycle."},
        {"started_at", "text", "When it started (ISO 8601 UTC)."},
        {"ended_at", "text", "When it ended; NULL if it is running or was stopped."},
        {"pulled", "integer", "Elements pulled (created, changed or deleted here)."},
        {"pushed", "integer", "Changes pushed."},
        {"failed", "integer", "Changes or resources that failed."},
        {"error", "text", "Why the cycle failed, if it did."}}},
  };
}

// One view per array field of the model: contact_emails, company_phones, case_tags, ...
std::vector<View> array_views() {
  std::vector<View> out;
  for (const Resource& r : model::all_resources())
    for (const Field& f : r.fields) {
      if (f.view.empty()) continue;
      std::vector<ColumnDoc> columns{
          {std::string(r.singular) + "_id", "integer",
           "The " + std::string(r.singular) + " (" + std::string(r.table) + ".id)."}};
      if (f.view_columns.empty())
        columns.push_back(
            {std::string(f.view_value), "text",
             "One element of " + std::string(r.table) + "." + std::string(f.column) + "."});
      for (const model::ViewColumn& vc : f.view_columns)
        columns.push_back({std::string(vc.column), "text",
                           "The `" + std::string(vc.json_key) + "` of one element of " +
                               std::string(r.table) + "." + std::string(f.column) + "."});
      out.push_back(
          {std::string(f.view),
           "One row per element of " + std::string(r.table) + "." + std::string(f.column) + ".",
           std::move(columns)});
    }
  return out;
}

}  // namespace

std::vector<TableDoc> describe_mirror() {
  std::vector<TableDoc> out;
  for (const Resource& r : model::all_resources())
    out.push_back({std::string(r.table), "table",
                   std::string(model::table_meaning(r.table)) + " API resource `" +
                       std::string(r.endpoint) + "`" + (r.read_only ? ", read-only." : "."),
                   label_of(r), resource_columns(r, true)});
  for (const model::Lookup& l : model::all_lookups()) {
    std::string codes;
    for (const model::Code& c : l.codes)
      codes += (codes.empty() ? "" : ", ") + std::string(c.code) + " " + std::string(c.label);
    out.push_back({std::string(l.table),
                   "table",
                   "Lookup: " + std::string(l.meaning) + " (" + codes + ").",
                   "label",
                   {{"code", "text", "The code, as the mirror's columns hold it."},
                    {"label", "text", "What it means."}}});
  }
  for (const View& v : bookkeeping()) out.push_back({v.name, "table", v.meaning, "", v.columns});
  for (const View& v : views()) out.push_back({v.name, "view", v.meaning, "", v.columns});
  for (const View& v : array_views()) out.push_back({v.name, "view", v.meaning, "", v.columns});
  for (const Resource& r : model::all_resources())
    out.push_back({"report_" + std::string(r.table), "view",
                   "The rows of " + std::string(r.table) +
                       " without the internal raw and raw_hash, for BI tools.",
                   label_of(r), resource_columns(r, false)});
  return out;
}

std::string describe_markdown() {
  std::string md =
      "# The mirror's tables and columns\n\nFrom the model of this clevertim-sync "
      "(`clevertim-sync describe`); the contract is docs/MIRROR.md. Relations are declared on "
      "the tables (`PRAGMA foreign_key_list`), not enforced.\n";
  for (const TableDoc& t : describe_mirror()) {
    md += "\n## " + t.name + (t.kind == "view" ? " (view)" : "") + "\n\n" + t.meaning + "\n";
    if (t.columns.empty()) continue;
    md += "\n| column | type | meaning |\n| --- | --- | --- |\n";
    for (const ColumnDoc& c : t.columns) {
      std::string meaning = c.meaning;
      for (std::size_t at = meaning.find('|'); at != std::string::npos;
           at = meaning.find('|', at + 2))
        meaning.replace(at, 1, "\\|");
      md += "| `" + c.name + "` | " + c.type + " | " + meaning + " |\n";
    }
  }
  return md;
}

std::string describe_datasette(const std::string& database) {
  json::object tables;
  for (const TableDoc& t : describe_mirror()) {
    json::object table{{"description", t.meaning}};
    if (!t.label_column.empty()) table["label_column"] = t.label_column;
    json::object columns;
    for (const ColumnDoc& c : t.columns) columns[c.name] = c.meaning;
    if (!columns.empty()) table["columns"] = std::move(columns);
    tables[t.name] = std::move(table);
  }
  json::object db{{"description", "A Clevertim CRM account, mirrored by clevertim-sync."},
                  {"tables", std::move(tables)}};
  json::object root{{"title", "Clevertim CRM mirror"},
                    {"description",
                     "Tables and columns from clevertim-sync describe; see "
                     "docs/MIRROR.md."},
                    {"databases", json::object{{database, std::move(db)}}}};
  return json::serialize(root) + "\n";
}

}  // namespace clevertim::report
