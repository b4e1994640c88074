#include "report/report.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <vector>

#include "report/queries.h"
#include "report/svg.h"

namespace clevertim::report {
namespace {

// A chart of one query: categories from `labels` (joined), one stacked series per `values`.
struct ChartSpec {
  std::string query;
  std::string title;
  std::vector<std::string> labels;
  std::vector<std::string> values;
};

struct Section {
  std::string id;
  std::string title;
  std::string intro;
  std::vector<ChartSpec> charts;
  std::vector<std::string> tables;  // query ids shown as tables
};

std::vector<Section> sections() {
  return {
      {"pipeline",
       "Pipeline by stage",
       "Deals per stage; values are summed per currency, as the CRM stores them.",
       {{"pipeline_by_stage", "Deals per stage", {"stage", "currency"}, {"deals"}}},
       {"pipeline_by_stage", "open_deals"}},
      {"won-lost",
       "Deals won and lost per month",
       "By the month of the deal's last change (the API records no closing date).",
       {{"deals_won_lost", "Deals won and lost", {"month"}, {"won", "lost"}}},
       {"deals_won_lost"}},
      {"tasks",
       "Open and overdue tasks by owner",
       "Open: neither completed nor deleted. Overdue: its end (or start) is past, in the "
       "account's local time.",
       {{"tasks_by_owner", "Open tasks by owner", {"owner"}, {"not_overdue", "overdue"}}},
       {"tasks_by_owner"}},
      {"activity",
       "Activity per user per month",
       "Notes, tasks and comments by the month they were added and the user who made them.",
       {{"activity_per_month", "Activity per month", {"month"}, {"notes", "tasks", "comments"}}},
       {"activity_per_month", "activity_per_user"}},
      {"customers",
       "Contacts and companies added per month",
       "",
       {{"customers_added", "Added per month", {"month"}, {"contacts", "companies"}}},
       {"customers_added"}},
      {"quality",
       "Data quality",
       "Contacts missing what makes them reachable, and likely duplicates (the same email, or "
       "the same name, on several contacts).",
       {{"contacts_missing", "Contacts missing", {"gap"}, {"contacts"}}},
       {"contacts_missing", "duplicate_emails", "duplicate_names"}},
      {"sync",
       "Sync health",
       "The last cycles, rows per sync state, conflicts and deletions held by the guard.",
       {{"sync_states",
         "Rows per table and sync state",
         {"table_name"},
         {"synced", "pending", "error", "conflict"}}},
       {"sync_runs", "sync_states", "conflicts_open", "held_deletions"}},
  };
}

int column_index(const Table& t, const std::string& name) {
  for (std::size_t i = 0; i < t.columns.size(); ++i)
    if (t.columns[i] == name) return static_cast<int>(i);
  return -1;
}

BarChart chart_of(const ChartSpec& spec, const Table& t) {
  BarChart chart;
  chart.title = spec.title;
  chart.series = spec.values;
  for (const auto& row : t.rows) {
    std::string label;
    for (const std::string& l : spec.labels) {
      const int i = column_index(t, l);
      const std::string part = i < 0 ? "" : row[static_cast<std::size_t>(i)];
      if (!part.empty()) label += (label.empty() ? "" : " · ") + part;
    }
    std::vector<double> values;
    for (const std::string& v : spec.values) {
      const int i = column_index(t, v);
      values.push_back(i < 0 ? 0.0
                             : std::strtod(row[static_cast<std::size_t>(i)].c_str(), nullptr));
    }
    chart.categories.push_back(label.empty() ? "(none)" : label);
    chart.values.push_back(std::move(values));
  }
  return chart;
}

std::string html_table(const Query& q, const Table& t) {
  std::string out = "<table class=\"figures\" data-query=\"" + escape_html(q.id) +
                    "\">\n<caption>" + escape_html(q.title) + " <a class=\"source\" href=\"#q-" +
                    escape_html(q.id) + "\">(query)</a></caption>\n<thead><tr>";
  for (const std::string& c : t.columns) out += "<th>" + escape_html(c) + "</th>";
  out += "</tr></thead>\n<tbody>\n";
  for (const auto& row : t.rows) {
    out += "<tr>";
    for (const std::string& cell : row) out += "<td>" + escape_html(cell) + "</td>";
    out += "</tr>\n";
  }
  if (t.rows.empty())
    out += "<tr class=\"empty\"><td colspan=\"" + std::to_string(t.columns.size()) +
           "\">none</td></tr>\n";
  return out + "</tbody></table>\n";
}

constexpr const char* kStyle = R"(
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 24px auto; max-width: 980px;
       color: #222; font-size: 14px; }
h1 { font-size: 24px; margin-bottom: 4px; }
h2 { font-size: 19px; border-bottom: 2px solid #0072B2; padding-bottom: 3px; margin-top: 32px; }
.meta { color: #555; }
nav ol { columns: 2; }
.glance { display: flex; gap: 12px; flex-wrap: wrap; margin: 16px 0; }
.glance div { border: 1px solid #ccc; border-radius: 6px; padding: 8px 14px; min-width: 110px; }
.glance b { display: block; font-size: 22px; color: #0072B2; }
svg.chart { display: block; margin: 12px 0; max-width: 100%; height: auto; }
svg.chart text { font-size: 12px; fill: #222; }
svg.chart .chart-title { font-size: 14px; font-weight: bold; }
svg.chart .no-data { fill: #888; font-style: italic; }
table.figures { border-collapse: collapse; margin: 10px 0 18px; }
table.figures caption { text-align: left; font-weight: bold; padding: 4px 0; }
table.figures th, table.figures td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; }
table.figures th { background: #eef4fa; }
a.source { font-weight: normal; font-size: 12px; }
pre.sql { background: #f6f6f6; border: 1px solid #ddd; padding: 8px; white-space: pre-wrap;
          font-size: 12px; }
@media print { body { margin: 0; max-width: none; } nav { display: none; }
  section { break-inside: avoid-page; } a { color: inherit; text-decoration: none; } }
)";

}  // namespace

std::string render_report(SQLite::Database& db, const ReportOptions& options) {
  const std::vector<Query> queries = report_queries(options.since_month);
  std::map<std::string, const Query*> by_id;
  std::map<std::string, Table> answers;
  for (const Query& q : queries) {
    by_id[q.id] = &q;
    answers[q.id] = run_query(db, q.sql);
  }
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<title>Clevertim CRM report</title>\n<style>" +
      std::string(kStyle) +
      "</style>\n</head>\n<body>\n<h1>Clevertim CRM report</h1>\n<p class=\"meta\">From the "
      "mirror " +
      escape_html(options.mirror) + ", " + escape_html(options.generated_at) +
      (options.since_month.empty()
           ? std::string(". Time series: all months.")
           : ". Time series from " + escape_html(options.since_month) + ".") +
      "</p>\n";
  const Table& totals = answers["totals"];
  html += "<div class=\"glance\" data-query=\"totals\">";
  for (std::size_t i = 0; i < totals.columns.size(); ++i) {
    // The query's column name (open_deals), said as words on the card (open deals).
    std::string label = totals.columns[i];
    std::replace(label.begin(), label.end(), '_', ' ');
    html += "<div><b>" + escape_html(totals.rows.empty() ? "" : totals.rows[0][i]) + "</b>" +
            escape_html(label) + "</div>";
  }
  html += "</div>\n" + html_table(*by_id["totals"], totals);
  html += "<nav><ol>";
  for (const Section& s : sections())
    html += "<li><a href=\"#" + s.id + "\">" + escape_html(s.title) + "</a></li>";
  html += "<li><a href=\"#appendix\">Appendix: the queries</a></li></ol></nav>\n";
  for (const Section& s : sections()) {
    html += "<section id=\"" + s.id + "\">\n<h2>" + escape_html(s.title) + "</h2>\n";
    if (!s.intro.empty()) html += "<p>" + escape_html(s.intro) + "</p>\n";
    for (const ChartSpec& c : s.charts)
      html += "<figure data-query=\"" + escape_html(c.query) + "\">" +
              render_svg(chart_of(c, answers[c.query])) + "</figure>\n";
    for (const std::string& t : s.tables) html += html_table(*by_id[t], answers[t]);
    html += "</section>\n";
  }
  html +=
      "<section id=\"appendix\">\n<h2>Appendix: the queries</h2>\n<p>Each figure above is the "
      "answer of one of these queries over the mirror's public views (docs/MIRROR.md); run one "
      "again with <code>sqlite3 -readonly MIRROR</code>.</p>\n";
  for (const Query& q : queries)
    html += "<h3 id=\"q-" + escape_html(q.id) + "\">" + escape_html(q.title) + " (" +
            escape_html(q.id) + ")</h3>\n<pre class=\"sql\" data-query=\"" + escape_html(q.id) +
            "\">" + escape_html(q.sql) + ";</pre>\n";
  return html + "</section>\n</body>\n</html>\n";
}

}  // namespace clevertim::report
