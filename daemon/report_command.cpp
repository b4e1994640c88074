#include "daemon/report_command.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <regex>

#include "daemon/commands.h"
#include "daemon/exit_codes.h"
#include "daemon/failure.h"
#include "report/describe.h"
#include "report/report.h"
#include "storage/backup.h"
#include "storage/mirror.h"

namespace clevertim::daemon {
namespace {

namespace fs = std::filesystem;

std::string now_utc() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

// The report names people and their emails: it is made readable by its owner only, like the
// mirror, and appears whole or not at all (written aside, then renamed).
void write_private(const fs::path& out, const std::string& html) {
  const fs::path tmp = out.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    throw fs::filesystem_error("cannot write the report", tmp,
                               std::error_code(errno, std::generic_category()));
  std::size_t done = 0;
  while (done < html.size()) {
    const ssize_t n = ::write(fd, html.data() + done, html.size() - done);
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw fs::filesystem_error("cannot write the report", tmp,
                                 std::error_code(err, std::generic_category()));
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  fs::rename(tmp, out);
}

}  // namespace

int write_report(const ServiceSettings& s, const std::string& out, const std::string& since) {
  static const std::regex kDate(R"(\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)");
  if (!since.empty() && !std::regex_match(since, kDate)) {
    spdlog::error(
        "--since {}: not a date; give YYYY-MM-DD or YYYY-MM (time series start that "
        "month)",
        since);
    return kExitConfig;
  }
  if (!mirror_exists(s)) return kExitDatabase;
  const bool to_file = !out.empty() && out != "-";
  if (to_file && storage::mirror_file_named_by(s.database, out)) {
    spdlog::error(
        "--out {} is the mirror (or one of its files): the report would replace it; "
        "choose another file name, e.g. crm-report.html",
        out);
    return kExitConfig;
  }
  std::error_code ec;
  if (to_file && fs::is_directory(out, ec)) {
    spdlog::error("--out {} is a folder; give a file name, e.g. {}/crm-report.html", out, out);
    return kExitConfig;
  }
  try {
    storage::OpenOptions options;
    options.report_group = s.report_group;
    options.too_open = storage::TooOpen::kWarn;
    storage::Mirror mirror = storage::Mirror::open(s.database, options);
    report::ReportOptions ro;
    ro.since_month = since.substr(0, 7);
    ro.mirror = s.database.string();
    ro.generated_at = now_utc();
    const std::string html = report::render_report(mirror.db(), ro);
    if (!to_file) {
      std::cout << html << std::flush;
      return kExitOk;
    }
    try {
      write_private(out, html);
    } catch (const fs::filesystem_error& e) {
      // The mirror is fine: the target is what to change.
      spdlog::error(
          "cannot write the report to {}: {}; check that its folder exists and can "
          "be written, or choose another --out",
          out, e.code().message());
      return kExitConfig;
    }
    spdlog::info("report written to {}", out);
    return kExitOk;
  } catch (...) {
    return exit_code_for_failure("write the report of the mirror " + s.database.string());
  }
}

int describe(const ServiceSettings& s, bool datasette) {
  // Datasette names a database after its file: crm.db is "crm".
  std::cout << (datasette ? report::describe_datasette(s.database.stem().string())
                          : report::describe_markdown())
            << std::flush;
  return kExitOk;
}

}  // namespace clevertim::daemon
