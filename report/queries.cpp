#include "report/queries.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "model/resources.h"

namespace clevertim::report {
namespace {

std::string literal(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

// Deals that are neither won, lost nor closed count as open (accounts may add stages).
constexpr const char* kOpen = "coalesce(status, '') NOT IN ('Won', 'Lost', 'Closed')";

// Rows per sync state of every resource table, from the report_ views.
std::string sync_states_sql() {
  std::string sql;
  for (const model::Resource& r : model::all_resources())
    sql += std::string(sql.empty() ? "" : "\nUNION ALL ") + "SELECT '" + std::string(r.table) +
           "' AS table_name, sync_state FROM report_" + std::string(r.table);
  return "SELECT table_name, sum(sync_state = 'synced') AS synced, sum(sync_state = 'pending') "
         "AS pending, sum(sync_state = 'error') AS error, sum(sync_state = 'conflict') AS "
         "conflict\nFROM (" +
         sql + ")\nGROUP BY table_name ORDER BY table_name";
}

}  // namespace

std::vector<Query> report_queries(const std::string& since_month) {
  const std::string since = literal(since_month);
  // A month ("2026-11") from an ISO 8601 column, kept when it is at or after --since.
  auto month_from = [&](const std::string& column) { return "substr(" + column + ", 1, 7)"; };
  const std::string in_range = " >= " + since;
  std::vector<Query> q;
  q.push_back({"totals", "The account at a glance",
               std::string("SELECT (SELECT count(*) FROM report_contacts) AS contacts, (SELECT "
                           "count(*) FROM report_companies) AS companies, (SELECT count(*) FROM "
                           "report_opportunities WHERE ") +
                   kOpen +
                   ") AS open_deals, (SELECT count(*) FROM report_tasks WHERE "
                   "coalesce(is_completed, 0) = 0 AND coalesce(is_deleted, 0) = 0) AS "
                   "open_tasks, (SELECT count(*) FROM report_notes) AS notes"});
  q.push_back({"pipeline_by_stage", "Deals by stage and currency",
               "SELECT coalesce(status, '(none)') AS stage, coalesce(currency, '') AS currency, "
               "count(*) AS deals, round(total(CAST(value AS REAL)), 2) AS value\n"
               "FROM report_opportunities\nGROUP BY stage, currency ORDER BY deals DESC, stage, "
               "currency"});
  q.push_back({"open_deals", "Open deals (neither won, lost nor closed)",
               std::string("SELECT coalesce(currency, '') AS currency, count(*) AS open_deals, "
                           "round(total(CAST(value AS REAL)), 2) AS open_value\n"
                           "FROM report_opportunities\nWHERE ") +
                   kOpen + "\nGROUP BY currency ORDER BY currency"});
  q.push_back({"deals_won_lost", "Deals won and lost per month (of their last change)",
               "SELECT " + month_from("last_modified_iso") +
                   " AS month, sum(status = 'Won') AS won, sum(status = 'Lost') AS lost\n"
                   "FROM report_opportunities\nWHERE status IN ('Won', 'Lost') AND month "
                   "IS NOT NULL AND month" +
                   in_range + "\nGROUP BY month ORDER BY month"});
  // Task dates are the account's local time (MIRROR.md): compared with this machine's.
  const std::string overdue =
      "coalesce(coalesce(t.end_iso, t.start_iso) < strftime('%Y-%m-%dT%H:%M', 'now', "
      "'localtime'), 0)";
  q.push_back({"tasks_by_owner", "Open and overdue tasks by owner",
               "SELECT coalesce(u.name, '(nobody)') AS owner, count(*) AS open, sum(" + overdue +
                   ") AS overdue, count(*) - sum(" + overdue +
                   ") AS not_overdue\n"
                   "FROM report_tasks AS t LEFT JOIN report_users AS u ON u.id = "
                   "t.assigned_user_id\nWHERE coalesce(t.is_completed, 0) = 0 AND "
                   "coalesce(t.is_deleted, 0) = 0\nGROUP BY owner ORDER BY open DESC, owner"});
  const std::string activity =
      "SELECT 'note' AS kind, created_by, " + month_from("added_on_iso") +
      " AS month FROM report_notes\nUNION ALL SELECT 'task', created_by, " +
      month_from("added_on_iso") + " FROM report_tasks\nUNION ALL SELECT 'comment', created_by, " +
      month_from("added_on_iso") + " FROM report_comments";
  q.push_back({"activity_per_month", "Activity per month (notes, tasks, comments added)",
               "SELECT month, sum(kind = 'note') AS notes, sum(kind = 'task') AS tasks, "
               "sum(kind = 'comment') AS comments\nFROM (" +
                   activity + ")\nWHERE month IS NOT NULL AND month" + in_range +
                   "\nGROUP BY month ORDER BY month"});
  q.push_back({"activity_per_user", "Activity per user per month",
               "SELECT a.month, coalesce(u.name, '(unknown)') AS user, sum(a.kind = 'note') AS "
               "notes, sum(a.kind = 'task') AS tasks, sum(a.kind = 'comment') AS comments\n"
               "FROM (" +
                   activity +
                   ") AS a LEFT JOIN report_users AS u ON u.id = a.created_by\nWHERE a.month "
                   "IS NOT NULL AND a.month" +
                   in_range + "\nGROUP BY a.month, user ORDER BY a.month, user"});
  q.push_back({"customers_added", "Contacts and companies added per month",
               "SELECT " + month_from("added_on_iso") +
                   " AS month, sum(kind = 'contact') AS contacts, sum(kind = 'company') AS "
                   "companies\nFROM customers\nWHERE month IS NOT NULL AND month" +
                   in_range + "\nGROUP BY month ORDER BY month"});
  q.push_back({"contacts_missing", "Contacts without an email, a phone or a company",
               "SELECT 'without email' AS gap, count(*) AS contacts FROM report_contacts AS c "
               "WHERE NOT EXISTS (SELECT 1 FROM contact_emails AS e WHERE e.contact_id = c.id "
               "AND trim(coalesce(e.email, '')) <> '')\n"
               "UNION ALL SELECT 'without phone', count(*) FROM report_contacts AS c WHERE NOT "
               "EXISTS (SELECT 1 FROM contact_phones AS p WHERE p.contact_id = c.id AND "
               "trim(coalesce(p.number, '')) <> '')\n"
               "UNION ALL SELECT 'without company', count(*) FROM report_contacts WHERE "
               "company_id IS NULL"});
  q.push_back({"duplicate_emails", "Likely duplicates: one email on several contacts",
               "SELECT lower(trim(email)) AS email, count(DISTINCT contact_id) AS contacts, "
               "group_concat(DISTINCT contact_id) AS contact_ids\nFROM contact_emails\nWHERE "
               "trim(coalesce(email, '')) <> ''\nGROUP BY lower(trim(email)) HAVING "
               "count(DISTINCT contact_id) > 1 ORDER BY contacts DESC, email"});
  q.push_back({"duplicate_names", "Likely duplicates: one name on several contacts",
               "SELECT lower(trim(coalesce(first_name, '') || ' ' || coalesce(last_name, ''))) "
               "AS name, count(*) AS contacts, group_concat(id) AS contact_ids\nFROM "
               "report_contacts\nWHERE trim(coalesce(first_name, '') || coalesce(last_name, "
               "'')) <> ''\nGROUP BY name HAVING count(*) > 1 ORDER BY contacts DESC, name"});
  q.push_back({"sync_runs", "The last 10 sync cycles",
               "SELECT started_at, coalesce(ended_at, '(running or stopped)') AS ended_at, "
               "pulled, pushed, failed, coalesce(error, '') AS error\nFROM sync_runs ORDER BY id "
               "DESC LIMIT 10"});
  q.push_back({"sync_states", "Rows per table and sync state", sync_states_sql()});
  q.push_back({"conflicts_open", "Conflicts",
               "SELECT count(*) AS conflicts, coalesce(sum(resolved_at IS NULL), 0) AS open\n"
               "FROM conflicts"});
  q.push_back({"held_deletions", "Deletions held by the mass-deletion guard",
               "SELECT direction, resource, count, reason\nFROM held_deletions ORDER BY "
               "direction, resource"});
  return q;
}

Table run_query(SQLite::Database& db, const std::string& sql) {
  SQLite::Statement q(db, sql);
  Table out;
  for (int i = 0; i < q.getColumnCount(); ++i) out.columns.emplace_back(q.getColumnName(i));
  while (q.executeStep()) {
    std::vector<std::string> row;
    row.reserve(out.columns.size());
    for (int i = 0; i < q.getColumnCount(); ++i)
      row.push_back(q.getColumn(i).isNull() ? std::string() : q.getColumn(i).getString());
    out.rows.push_back(std::move(row));
  }
  return out;
}

}  // namespace clevertim::report
