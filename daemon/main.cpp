// clevertim-sync: keeps a local SQLite mirror and a Clevertim CRM account in step.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <cctype>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "daemon/command_line.h"
#include "daemon/commands.h"
#include "daemon/exit_codes.h"
#include "daemon/failure.h"
#include "daemon/logging.h"
#include "daemon/man_page.h"
#include "daemon/report_command.h"
#include "daemon/service.h"
#include "storage/failpoint.h"

#ifndef CLEVERTIM_VERSION
#define CLEVERTIM_VERSION "0.0.0"
#endif

using namespace clevertim::daemon;

namespace {

// The first word that is neither a flag nor a flag's value, when it names no command: CLI11
// would only say that "the following arguments were not expected".
std::optional<std::string> unknown_command(CLI::App& app, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string word = argv[i];
    if (word.starts_with("-")) {
      // A global option that takes a value consumes the next word (unless given as --x=y).
      const bool takes_value = word == "-c" || word == "--config" || word == "--database" ||
                               word == "--url" || word == "--interval" || word == "--log-level";
      if (takes_value) ++i;
      continue;
    }
    for (const CLI::App* sub : app.get_subcommands({}))
      if (sub->get_name() == word) return std::nullopt;
    return word;
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "clevertim-sync keeps a local SQLite mirror and a Clevertim CRM account in step, both "
      "ways.\nThe token is read from server.token_file, $CREDENTIALS_DIRECTORY/token or "
      "$CLEVERTIM_TOKEN, never from the command line."};
  app.footer(kExitCodesHelp);
  app.require_subcommand(1);
  // Global flags may follow the command too (`status --config c.toml`), as people type them.
  app.fallthrough();
  app.set_version_flag("--version", std::string("clevertim-sync ") + CLEVERTIM_VERSION);
  app.set_help_all_flag("--help-all", "help for every command");

  CommandLine cl;
  app.add_option("-c,--config", cl.config_file, "configuration file (TOML)")
      ->capture_default_str()
      ->each([&](const std::string&) { cl.config_given = true; });
  app.add_option("--database", cl.database, "the mirror file (overrides storage.database)");
  app.add_option("--url", cl.url, "the CRM's API base URL (overrides server.url)");
  app.add_option("--interval", cl.interval,
                 "time between cycles, e.g. 5m (overrides sync.interval)");
  app.add_option("--log-level", cl.log_level, "trace, debug, info, warn or error (any case)")
      ->transform([](std::string level) {
        for (char& c : level) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return level;
      })
      ->check(CLI::IsMember(std::vector<std::string>(std::begin(clevertim::config::kLogLevels),
                                                     std::end(clevertim::config::kLogLevels))));

  auto* run = app.add_subcommand("run",
                                 "run as a service: a cycle every sync.interval, and a "
                                 "push within a second of every local write");
  auto* sync = app.add_subcommand("sync",
                                  "run one cycle (pull, then push) and exit; exit code 0 "
                                  "only when every pending change reached the CRM");
  bool allow_mass_delete = false;
  sync->add_flag("--allow-mass-delete", allow_mass_delete,
                 "apply deletions held by the mass-deletion guard, once");
  bool adopt_account = false;
  sync->add_flag("--adopt-account", adopt_account,
                 "the configured server and token reach this mirror's account at a new address "
                 "(or its owner changed): record it as the mirror's account, once");
  auto* status = app.add_subcommand("status",
                                    "last cycle, rows per resource, pending, errors, "
                                    "conflicts");
  bool as_json = false;
  status->add_flag("--json", as_json, "print JSON for scripts");
  bool as_prometheus = false;
  status
      ->add_flag("--prometheus", as_prometheus,
                 "print the metrics in Prometheus' text format (as metrics.textfile holds them)")
      ->excludes("--json");
  auto* conflicts = app.add_subcommand("conflicts", "list conflicts waiting for a person");
  bool all_conflicts = false;
  conflicts->add_flag("--all", all_conflicts, "every conflict ever recorded, settled ones too");
  auto* resolve_cmd = app.add_subcommand("resolve",
                                         "settle a conflict: keep the local or the "
                                         "CRM's version of the conflicting fields");
  std::int64_t conflict_id = 0;
  std::string side;
  resolve_cmd->add_option("ID", conflict_id, "the conflict's id (see `conflicts`)")->required();
  resolve_cmd->add_option("SIDE", side, "local or remote")
      ->required()
      ->check(CLI::IsMember({"local", "remote"}));
  auto* retry = app.add_subcommand("retry", "make every change the CRM refused pending again");
  auto* check = app.add_subcommand("check-config",
                                   "check the configuration, token, mirror and "
                                   "a request to the CRM; say what would be done");
  auto* verify_cmd = app.add_subcommand("verify",
                                        "compare the mirror with the CRM field by field, "
                                        "writing nothing; exit 1 on any difference");
  auto* version = app.add_subcommand("version", "print the version");
  auto* backup_cmd = app.add_subcommand("backup",
                                        "a consistent, checked copy of the mirror, "
                                        "safe while the daemon runs");
  std::string file;
  bool compress = false;
  bool force = false;
  backup_cmd->add_option("FILE", file, "where to write the copy (gzip when it ends in .gz)")
      ->required();
  backup_cmd->add_flag("--compress", compress,
                       "gzip the copy (the name must end in .gz, which alone is enough)");
  backup_cmd->add_flag("--force", force, "replace an existing file");
  int keep = 0;
  backup_cmd
      ->add_option("--keep", keep,
                   "then keep only the newest N backups of this series in the folder (names "
                   "equal but for their digits, e.g. crm-2026-12-01.db.gz)")
      ->check(CLI::Range(1, 100000));
  auto* export_cmd = app.add_subcommand("export",
                                        "one JSON file per resource in the API's "
                                        "format, plus a manifest");
  std::string dir;
  bool history = false;
  export_cmd->add_option("DIR", dir, "the folder to write")->required();
  export_cmd->add_flag("--history", history, "add every recorded earlier version");
  export_cmd->add_flag("--force", force, "replace the files of an earlier export in DIR");
  auto* restore_cmd = app.add_subcommand("restore",
                                         "create every element of a backup file or "
                                         "export folder in the configured account");
  std::string source;
  bool dry_run = false;
  restore_cmd->add_option("SOURCE", source, "a backup file or an export folder")->required();
  restore_cmd->add_flag("--dry-run", dry_run, "print what would be created, send nothing");
  auto* undelete_cmd = app.add_subcommand("undelete",
                                          "recreate an element deleted in the CRM, "
                                          "from history");
  std::string resource;
  std::int64_t element_id = 0;
  bool with_children = false;
  undelete_cmd->add_option("RESOURCE", resource, "contact, company, case, ...")
      ->required()
      ->check(CLI::IsMember(
          {"contact", "company", "case", "opportunity", "task", "note", "comment", "customfield"}));
  undelete_cmd->add_option("ID", element_id, "its id when it was deleted")->required();
  undelete_cmd->add_flag("--with-children", with_children,
                         "also its deleted notes, tasks, cases, deals and their comments");

  auto* report_cmd = app.add_subcommand("report",
                                        "one self-contained HTML page about the account, "
                                        "with charts, from the mirror (reads only)");
  std::string report_out, since;
  report_cmd->add_option("--out", report_out, "the HTML file to write (default: standard output)");
  report_cmd->add_option("--since", since,
                         "time series start at this date's month (YYYY-MM-DD or YYYY-MM)");

  auto* describe_cmd = app.add_subcommand("describe",
                                          "every table and column of the mirror with its "
                                          "meaning (Markdown), from the model");
  bool datasette = false;
  describe_cmd->add_flag("--datasette", datasette,
                         "print Datasette's metadata.json instead (datasette crm.db -m FILE)");

  // Hidden, for the build: the man page and the bash completion, written from this very
  // command line so that they cannot drift from it (packaging/reference.cmake).
  if (argc == 2 && write_reference(app, argv[1], CLEVERTIM_VERSION)) return kExitOk;

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (const auto unknown = unknown_command(app, argc, argv)) {
      std::cerr << "clevertim-sync: unknown command '" << *unknown
                << "'; see `clevertim-sync --help` for the commands\n";
      return kExitConfig;
    }
    return app.exit(e) == 0 ? kExitOk : kExitConfig;
  }

  if (*version) {
    std::cout << "clevertim-sync " << CLEVERTIM_VERSION << "\n";
    return kExitOk;
  }

  setup_logging(cl.log_level.value_or("info"));
  const bool needs_crm = *run || *sync || *check || *verify_cmd || *restore_cmd || *undelete_cmd;
  auto load = [&] { return load_settings(cl, needs_crm); };
  if (*run) return run_service(load);

  ServiceSettings settings;
  try {
    settings = load();
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return kExitConfig;
  }
  setup_logging(settings.log_level);
  // Each command maps its own failures (failure.h); this is the net under them all, so that
  // nothing reaches std::terminate.
  try {
    clevertim::storage::failpoint("command");
    if (*sync) return sync_once(settings, allow_mass_delete, adopt_account);
    if (*status)
      return show_status(settings, as_prometheus ? StatusFormat::kPrometheus
                                   : as_json     ? StatusFormat::kJson
                                                 : StatusFormat::kText);
    if (*conflicts) return list_conflicts(settings, all_conflicts);
    if (*resolve_cmd) return resolve(settings, conflict_id, side);
    if (*retry) return retry_failed(settings);
    if (*check) return check_config(settings);
    if (*verify_cmd) return verify(settings);
    if (*backup_cmd) return backup(settings, file, compress, force, keep);
    if (*export_cmd) return export_json(settings, dir, history, force);
    if (*restore_cmd) return restore(settings, source, dry_run);
    if (*undelete_cmd) return undelete(settings, resource, element_id, with_children);
    if (*report_cmd) return write_report(settings, report_out, since);
    if (*describe_cmd) return describe(settings, datasette);
  } catch (...) {
    return exit_code_for_failure("run `" + app.get_subcommands().front()->get_name() +
                                 "` on the mirror " + settings.database.string());
  }
  return kExitConfig;
}
