#include "storage/schema_views.h"

#include <string_view>

#include "model/resources.h"
#include "storage/sql_quote.h"

namespace clevertim::storage {
namespace {

using model::Field;
using model::Resource;

// `json_each` over a column only when it holds valid JSON: a bad value hides its rows from the
// view instead of failing the whole report.
std::string json_source(const std::string& column) {
  return "json_each(CASE WHEN json_valid(" + column + ") THEN " + column + " END)";
}

std::string custom_values_view() {
  std::string parts;
  for (const Resource& r : model::all_resources()) {
    const Field* cf = r.field_by_api("cf");
    if (cf == nullptr) continue;
    const std::string col = "t." + sql_identifier(cf->column);
    parts += std::string(parts.empty() ? "" : "\nUNION ALL\n") + "SELECT " +
             sql_literal(r.endpoint) +
             " AS resource, t.id AS record_id, CAST(j.key AS INTEGER) AS field_id, f.name AS "
             "field_name, j.value AS value FROM " +
             sql_identifier(r.table) + " AS t, json_each(CASE WHEN json_valid(" + col +
             ") THEN CASE WHEN json_type(" + col + ") = 'object' THEN " + col +
             " END END) AS j LEFT JOIN custom_fields AS f ON f.id = CAST(j.key AS INTEGER)";
  }
  return "CREATE VIEW custom_values AS " + parts;
}

constexpr std::string_view kPipelineView =
    "CREATE VIEW pipeline AS SELECT status, currency, count(*) AS count, "
    "total(CAST(value AS REAL)) AS total_value FROM opportunities GROUP BY status, currency";

constexpr std::string_view kOpenTasksView =
    "CREATE VIEW open_tasks AS SELECT t.id AS id, t.name AS name, t.type AS type, "
    "t.start AS start, t.\"end\" AS \"end\", t.customer_id AS customer_id, "
    "coalesce(nullif(trim(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, '')), ''), "
    "co.name) AS customer_name, t.assigned_user_id AS assigned_user_id, u.name AS assignee_name, "
    "t.case_id AS case_id, t.opportunity_id AS opportunity_id "
    "FROM tasks AS t LEFT JOIN contacts AS c ON c.id = t.customer_id "
    "LEFT JOIN companies AS co ON co.id = t.customer_id "
    "LEFT JOIN users AS u ON u.id = t.assigned_user_id "
    "WHERE coalesce(t.is_completed, 0) = 0 AND coalesce(t.is_deleted, 0) = 0";

}  // namespace

std::vector<std::string> array_view_statements(const Resource& r) {
  std::vector<std::string> out;
  for (const Field& f : r.fields) {
    if (f.view.empty()) continue;
    std::string select = "SELECT t.id AS " + std::string(r.singular) + "_id";
    if (f.view_columns.empty()) {
      select += ", j.value AS " + sql_identifier(f.view_value);
    } else {
      for (const model::ViewColumn& vc : f.view_columns)
        select += ", CASE WHEN j.type = 'object' THEN json_extract(j.value, " +
                  sql_literal("$." + std::string(vc.json_key)) + ") END AS " +
                  sql_identifier(vc.column);
    }
    out.push_back("CREATE VIEW " + sql_identifier(f.view) + " AS " + select + " FROM " +
                  sql_identifier(r.table) + " AS t, " +
                  json_source("t." + sql_identifier(f.column)) + " AS j");
  }
  return out;
}

std::vector<std::string> summary_view_statements() {
  return {custom_values_view(), std::string(kPipelineView), std::string(kOpenTasksView)};
}

}  // namespace clevertim::storage
