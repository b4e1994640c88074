// `clevertim-sync report` (issue 17): one self-contained HTML page from the mirror. Its numbers
// are the answers of the SQL its appendix prints, run over the mirror; it renders in headless
// Chromium with every chart drawn; and it only reads: no mirror, no file.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <fstream>
#include <iterator>
#include <set>

#include "integration_fixture.h"
#include "report_page.h"

using namespace clevertim::testing;

namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

Rows run_sql(const std::filesystem::path& db_path, const std::string& sql) {
  SQLite::Database db(db_path.string(), SQLite::OPEN_READONLY);
  SQLite::Statement q(db, sql);
  Rows rows;
  while (q.executeStep()) {
    std::vector<std::string> row;
    for (int i = 0; i < q.getColumnCount(); ++i)
      row.push_back(q.getColumn(i).isNull() ? std::string() : q.getColumn(i).getString());
    rows.push_back(std::move(row));
  }
  return rows;
}

// A sample account synced, a few things to report on that the sample lacks, and the report.
struct ReportFixture : SyncFixture {
  std::filesystem::path page = dir / "report.html";
  std::string html;
  ReportFixture() {
    REQUIRE_MESSAGE(sync() == 0, output);
    // Two contacts with one email and one name: the duplicates the data quality section lists.
    shell(
        "INSERT INTO contacts (first_name, last_name, emails) VALUES ('Dup', 'Licate', "
        "'[\"dup@example.com\"]'), ('Dup', 'Licate', '[\"DUP@example.com\"]');");
    REQUIRE_MESSAGE(sync() == 0, output);
    REQUIRE_MESSAGE(sync({"report", "--out", page.string()}) == 0, output);
    html = read_file(page);
  }
};

}  // namespace

TEST_CASE_FIXTURE(ReportFixture,
                  "every number of the report is its appendix's query run over the mirror") {
  const ReportPage report = parse_report(html);
  REQUIRE(report.sql.size() >= 10);
  for (const char* id :
       {"totals", "pipeline_by_stage", "open_deals", "deals_won_lost", "tasks_by_owner",
        "activity_per_month", "activity_per_user", "customers_added", "contacts_missing",
        "duplicate_emails", "duplicate_names", "sync_runs", "sync_states", "conflicts_open",
        "held_deletions"}) {
    INFO(id);
    REQUIRE(report.sql.contains(id));
    REQUIRE(report.tables.contains(id));
    CHECK(report.tables.at(id) == run_sql(database(), report.sql.at(id)));
  }
  // Tables the sample account fills: an empty one would prove little.
  for (const char* id :
       {"pipeline_by_stage", "deals_won_lost", "tasks_by_owner", "activity_per_user",
        "customers_added", "sync_runs", "duplicate_emails", "duplicate_names"})
    CHECK_MESSAGE(!report.tables.at(id).empty(), id);
  CHECK(report.tables.at("totals").at(0).at(0) == query("SELECT count(*) FROM contacts"));
  // Self-contained: nothing fetched, no script.
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("src=") == std::string::npos);
  CHECK(html.find("http://127.0.0.1") == std::string::npos);
  CHECK(html.find("<link") == std::string::npos);
  // Every chart has a mark per non-zero value, from the same answer.
  REQUIRE(report.figures.size() == 7);
  for (const auto& [id, figure] : report.figures)
    CHECK_MESSAGE(count_of(figure, "class=\"mark\"") > 0, id);
  // Readable by its owner only (it names people and their emails).
  struct stat st {};
  REQUIRE(stat(page.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE_FIXTURE(ReportFixture, "--since bounds the time series, and a bad date is refused") {
  const auto since_page = dir / "since.html";
  REQUIRE_MESSAGE(sync({"report", "--since", "2999-01-01", "--out", since_page.string()}) == 0,
                  output);
  const ReportPage later = parse_report(read_file(since_page));
  for (const char* id : {"deals_won_lost", "activity_per_month", "customers_added"})
    CHECK_MESSAGE(later.tables.at(id).empty(), id);
  CHECK(later.sql.at("customers_added").find("'2999-01'") != std::string::npos);
  CHECK_FALSE(later.tables.at("pipeline_by_stage").empty());  // not a time series
  CHECK(sync({"report", "--since", "last week"}) == 2);
  CHECK(output.find("--since last week") != std::string::npos);
}

TEST_CASE("report on a mirror that does not exist: exit 5, and no file made") {
  TempDir dir;
  const auto missing = dir / "nothing.db";
  std::string output;
  CHECK(run_clevertim_sync(
            {"report", "--database", missing.string(), "--out", (dir / "r.html").string()},
            &output) == 5);
  CHECK(output.find("there is no mirror at " + missing.string()) != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(missing));
  CHECK_FALSE(std::filesystem::exists(dir / "r.html"));
}

TEST_CASE_FIXTURE(ReportFixture, "--out naming the mirror, a folder or no folder is refused") {
  const auto before = std::filesystem::file_size(database());
  CHECK(sync({"report", "--out", database().string()}) == 2);
  CHECK(output.find("is the mirror") != std::string::npos);
  CHECK(sync({"report", "--out", (dir / "." / "crm.db-wal").string()}) == 2);
  CHECK(std::filesystem::file_size(database()) == before);
  CHECK(query("PRAGMA integrity_check") == "ok");
  CHECK(sync({"report", "--out", dir.path().string()}) == 2);
  CHECK(output.find("is a folder") != std::string::npos);
  CHECK(sync({"report", "--out", (dir / "no-such-folder" / "r.html").string()}) == 2);
  CHECK(output.find("cannot write the report to") != std::string::npos);
}

TEST_CASE_FIXTURE(ReportFixture, "the report renders in headless Chromium with every chart drawn") {
  std::string chromium;
  for (const char* candidate : {"/usr/bin/chromium", "/usr/bin/chromium-browser"})
    if (std::filesystem::exists(candidate)) chromium = candidate;
  if (chromium.empty()) {
    MESSAGE(
        "skipped: chromium is not installed (Debian package `chromium`, "
        "scripts/install-deps.sh installs it)");
    return;
  }
  const std::string flags =
      " --headless --no-sandbox --disable-gpu --hide-scrollbars "
      "--user-data-dir=" +
      (dir / "chromium-profile").string() + " ";
  const auto shot = dir / "report.png";
  std::string out;
  const int shot_code = run_command("timeout 90 " + chromium + flags +
                                        "--window-size=1100,9000 "
                                        "--screenshot=" +
                                        shot.string() + " file://" + page.string(),
                                    &out);
  REQUIRE_MESSAGE(std::filesystem::exists(shot),
                  "chromium made no screenshot (exit " << shot_code << "): " << out);
  // The page as the browser built it: every chart an <svg> with its marks.
  std::string dom;
  run_command(
      "timeout 90 " + chromium + flags + "--dump-dom file://" + page.string() + " 2>/dev/null",
      &dom);
  CHECK(count_of(dom, "<svg class=\"chart\"") == 7);
  const ReportPage rendered = parse_report(dom);
  REQUIRE(rendered.figures.size() == 7);
  for (const auto& [id, figure] : rendered.figures) {
    CHECK_MESSAGE(count_of(figure, "<svg") == 1, id);
    CHECK_MESSAGE(count_of(figure, "class=\"mark\"") > 0, id);
  }
  for (const char* section :
       {"id=\"pipeline\"", "id=\"won-lost\"", "id=\"tasks\"", "id=\"activity\"", "id=\"customers\"",
        "id=\"quality\"", "id=\"sync\"", "id=\"appendix\""})
    CHECK_MESSAGE(dom.find(section) != std::string::npos, section);

  // The screenshot is no blank page: text and bars in the charts' first colour (#0072B2).
  const Pixels px = read_png(shot);
  REQUIRE_MESSAGE(px.width == 1100, "not an 8-bit RGB(A) PNG of the window: " << shot);
  std::size_t not_white = 0, bars = 0;
  std::set<unsigned> colours;
  for (std::size_t i = 0; i + 2 < px.rgb.size(); i += 3) {
    const int r = px.rgb[i], g = px.rgb[i + 1], b = px.rgb[i + 2];
    if (r < 240 || g < 240 || b < 240) ++not_white;
    if (std::abs(r - 0x00) < 16 && std::abs(g - 0x72) < 16 && std::abs(b - 0xB2) < 16) ++bars;
    colours.insert(static_cast<unsigned>(r << 16 | g << 8 | b));
  }
  const std::size_t pixels = px.rgb.size() / 3;
  CHECK(not_white > pixels / 100);
  CHECK(bars > 2000);
  CHECK(colours.size() > 20);
  MESSAGE("screenshot: " << shot << " (" << not_white << " of " << pixels << " pixels not white)");
  if (const char* keep = std::getenv("CLEVERTIM_KEEP_REPORT_SHOT"))
    std::filesystem::copy_file(shot, keep, std::filesystem::copy_options::overwrite_existing);
}
