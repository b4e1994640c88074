#include "daemon/man_page.h"

#include <iostream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace clevertim::daemon {
namespace {

// What the program reads from its environment (config/token.cpp, daemon/logging.cpp,
// daemon/notify.cpp, daemon/settings.cpp, storage/failpoint.cpp). tests/package/check_man.sh checks
// that every getenv() of the sources is named here.
struct Entry {
  const char* name;
  const char* text;
};
constexpr Entry kEnvironment[] = {
    {"CREDENTIALS_DIRECTORY",
     "When server.token_file is empty, the token is read from $CREDENTIALS_DIRECTORY/token: "
     "systemd sets it for LoadCredential=token:..., as the installed units do."},
    {"CLEVERTIM_TOKEN",
     "The token, when neither server.token_file nor a credential gives one. The token is "
     "never taken from the command line."},
    {"JOURNAL_STREAM",
     "Set by systemd when standard error goes to the journal: messages are then sent to the "
     "journal with their priority, without a time stamp of their own."},
    {"NOTIFY_SOCKET, WATCHDOG_USEC",
     "Set by systemd for Type=notify services: run reports readiness, a status line and "
     "watchdog keep-alives there (sd_notify(3))."},
    {"CLEVERTIM_FAILPOINT", "For the project's tests only: makes a named step fail."},
    {"CLEVERTIM_EARLY_APPLY_FROM",
     "For the project's tests only: how many elements of a first fill must have arrived before "
     "they are written while the rest arrives (5000)."},
    {"CLEVERTIM_ROWS_PER_PAGE",
     "For the project's tests only: how many of a table's rows a pull (and verify) reads "
     "at a time to compare with the CRM's list (4096)."},
};

constexpr Entry kFiles[] = {
    {"/etc/clevertim-sync/clevertim-sync.toml",
     "The configuration (the default of --config), see clevertim-sync.toml(5). Without "
     "--config and without this file, the defaults apply."},
    {"/etc/clevertim-sync/token",
     "The API token, mode 0600, owned by root: the units pass it to the program as the "
     "credential \"token\"."},
    {"/etc/clevertim-sync/ACCOUNT.toml, /etc/clevertim-sync/ACCOUNT.token",
     "The configuration and token of one of several accounts, for "
     "clevertim-sync@ACCOUNT.service."},
    {"/var/lib/clevertim-sync/crm.db",
     "The mirror (storage.database's default), with its -wal and -shm files and crm.db.lock, "
     "the lock that keeps a second clevertim-sync off it. The units' dynamic user keeps it in "
     "/var/lib/private/clevertim-sync/. Several accounts: /var/lib/clevertim-sync/ACCOUNT/."},
    {"/var/lib/clevertim-sync/backups/",
     "The daily backups made by clevertim-sync-backup.timer (the newest 14 are kept)."},
    {"/lib/systemd/system/clevertim-sync.service",
     "The daemon (run). Use it or clevertim-sync-once.timer, not both."},
    {"/lib/systemd/system/clevertim-sync-once.service, clevertim-sync-once.timer",
     "One sync every five minutes."},
    {"/lib/systemd/system/clevertim-sync-backup.service, clevertim-sync-backup.timer",
     "A daily backup of the mirror."},
    {"/lib/systemd/system/clevertim-sync@.service", "The daemon for one of several accounts."},
};

// Text for a roff line: backslashes escaped, every '-' a "\-" (Debian's groff prints it as
// the ASCII '-' that a copied flag or path needs), and a leading '.' or '\'' kept from being
// read as a request.
std::string roff(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\')
      out += "\\e";
    else if (c == '-')
      out += "\\-";
    else
      out += c;
  }
  if (!out.empty() && (out.front() == '.' || out.front() == '\'')) out.insert(0, "\\&");
  return out;
}

bool is_flag(const CLI::Option* o) {
  return o->get_items_expected_max() == 0;
}

// "TEXT:{a,b,c}" -> "a,b,c"; "" when the option names no fixed set.
std::string choices_of(const CLI::Option* o) {
  static const std::regex set(R"(\{([^}]*)\})");
  std::smatch m;
  const std::string type = o->get_type_name();
  return std::regex_search(type, m, set) ? m[1].str() : std::string();
}

// "INT:INT in [1 - 100000]" -> "INT"
std::string value_name(const CLI::Option* o) {
  const std::string type = o->get_type_name();
  const std::string base = type.substr(0, type.find(':'));
  return base.empty() ? std::string("VALUE") : base;
}

std::vector<std::string> names_of(const CLI::Option* o) {
  std::vector<std::string> names;
  for (const auto& s : o->get_snames()) names.push_back("-" + s);
  for (const auto& l : o->get_lnames()) names.push_back("--" + l);
  return names;
}

// The options shown, hidden ones left out. A command's inherited --help and --help-all are
// said once, among the global flags.
std::vector<const CLI::Option*> visible_options(const CLI::App& app, bool positional) {
  const bool global = app.get_parent() == nullptr;
  return app.get_options([&](const CLI::Option* o) {
    if (!global && (o == app.get_help_ptr() || o == app.get_help_all_ptr())) return false;
    return !o->get_group().empty() && o->nonpositional() != positional;
  });
}

std::vector<const CLI::App*> commands_of(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App* s) { return !s->get_group().empty(); });
}

void write_option(const CLI::Option* o, std::ostream& out) {
  out << ".TP\n";
  const auto names = names_of(o);
  for (std::size_t i = 0; i < names.size(); ++i)
    out << (i ? ", " : "") << "\\fB" << roff(names[i]) << "\\fR";
  if (!is_flag(o)) out << " \\fI" << value_name(o) << "\\fR";
  out << "\n" << roff(o->get_description());
  if (const auto choices = choices_of(o); !choices.empty()) out << " (one of: " << choices << ")";
  if (const auto def = o->get_default_str(); !def.empty()) out << " (default: " << roff(def) << ")";
  out << "\n";
}

void write_command(const CLI::App& cmd, std::ostream& out) {
  const auto positionals = visible_options(cmd, true);
  const auto flags = visible_options(cmd, false);
  out << ".SS \"" << cmd.get_name();
  for (const auto* p : positionals) out << " " << p->get_name();
  for (const auto* f : flags)
    out << " [" << roff(names_of(f).back()) << (is_flag(f) ? "" : " " + value_name(f)) << "]";
  out << "\"\n" << roff(cmd.get_description()) << "\n";
  for (const auto* p : positionals) {
    out << ".TP\n\\fI" << p->get_name() << "\\fR\n" << roff(p->get_description());
    if (const auto choices = choices_of(p); !choices.empty()) out << " (one of: " << choices << ")";
    out << "\n";
  }
  for (const auto* f : flags) write_option(f, out);
}

void write_entries(const char* section, const Entry* begin, const Entry* end, std::ostream& out) {
  out << ".SH " << section << "\n";
  for (const Entry* e = begin; e != end; ++e)
    out << ".TP\n\\fB" << roff(e->name) << "\\fR\n" << roff(e->text) << "\n";
}

}  // namespace

void write_man_page(const CLI::App& app, std::string_view version, std::ostream& out) {
  const std::string description = app.get_description();
  const std::string summary = description.substr(0, description.find('\n'));
  out << ".\\\" Generated by `clevertim-sync --man-page` from its own command line: do not "
         "edit.\n"
      << ".TH CLEVERTIM-SYNC 1 \"\" \"clevertim-sync " << version
      << "\" \"User Commands\"\n.nh\n.ad l\n"
      << ".SH NAME\nclevertim-sync \\- keep a local SQLite mirror and a Clevertim CRM account "
         "in step\n"
      << ".SH SYNOPSIS\n\\fBclevertim-sync\\fR [\\fIglobal flags\\fR] \\fICOMMAND\\fR "
         "[\\fIarguments\\fR] [\\fIflags\\fR]\n"
      << ".SH DESCRIPTION\n"
      << roff(summary) << "\n.PP\n"
      << roff(description.substr(summary.size() + (summary.size() < description.size())))
      << "\n.PP\nGlobal flags may come before or after the command. The mirror's tables, "
         "columns and views are documented in /usr/share/doc/clevertim-sync/README.md.gz "
         "and the project's docs/MIRROR.md.\n";

  out << ".SH COMMANDS\n";
  for (const auto* cmd : commands_of(app)) write_command(*cmd, out);

  out << ".SH GLOBAL FLAGS\n";
  for (const auto* o : visible_options(app, false)) write_option(o, out);

  // The footer is the exit code table of --help: "  N  meaning" lines.
  out << ".SH EXIT STATUS\n";
  static const std::regex code(R"(^\s*([0-9]+)\s+(.*)$)");
  std::istringstream footer(app.get_footer());
  for (std::string line; std::getline(footer, line);) {
    std::smatch m;
    if (std::regex_match(line, m, code))
      out << ".TP\n\\fB" << m[1].str() << "\\fR\n" << roff(m[2].str()) << "\n";
  }

  write_entries("ENVIRONMENT", std::begin(kEnvironment), std::end(kEnvironment), out);
  write_entries("FILES", std::begin(kFiles), std::end(kFiles), out);
  out << ".SH SEE ALSO\n\\fBclevertim-sync.toml\\fR(5), \\fBsqlite3\\fR(1), "
         "\\fBsystemd.exec\\fR(5), \\fBsystemctl\\fR(1)\n";
}

bool write_reference(const CLI::App& app, std::string_view flag, std::string_view version) {
  if (flag == "--man-page")
    write_man_page(app, version, std::cout);
  else if (flag == "--bash-completion")
    write_bash_completion(app, std::cout);
  else
    return false;
  return true;
}

}  // namespace clevertim::daemon
