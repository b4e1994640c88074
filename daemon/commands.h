// The one-shot commands of `clevertim-sync`. Each returns the process exit code (exit_codes.h)
// and prints for people on stdout; errors go to the log (stderr or the journal).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "daemon/settings.h"

namespace clevertim::daemon {

// Commands that read the mirror never create it: false, with the error logged, when there is
// no mirror at the configured path.
bool mirror_exists(const ServiceSettings& settings);

int sync_once(const ServiceSettings& settings, bool allow_mass_delete, bool adopt_account);
enum class StatusFormat { kText, kJson, kPrometheus };
int show_status(const ServiceSettings& settings, StatusFormat format);
int list_conflicts(const ServiceSettings& settings, bool all);
int resolve(const ServiceSettings& settings, std::int64_t conflict_id, const std::string& side);
int retry_failed(const ServiceSettings& settings);
int check_config(const ServiceSettings& settings);
// Compares the mirror with the CRM field by field, writing nothing; 1 when they differ.
int verify(const ServiceSettings& settings);
// `keep` > 0: then only the newest `keep` backups of the same series stay (prune_backups).
int backup(const ServiceSettings& settings, const std::filesystem::path& file, bool compress,
           bool force, int keep);
int export_json(const ServiceSettings& settings, const std::filesystem::path& dir, bool history,
                bool force);
int restore(const ServiceSettings& settings, const std::filesystem::path& source, bool dry_run);
int undelete(const ServiceSettings& settings, const std::string& resource, std::int64_t id,
             bool with_children);

}  // namespace clevertim::daemon
