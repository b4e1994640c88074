// The one place where a failure becomes an exit code (exit_codes.h) and the one message a
// person reads. Every command ends its work in
//
//   try { ... } catch (...) { return exit_code_for_failure("read the status of " + path); }
//
// so no exception reaches std::terminate, and the same failure gives the same code whatever
// the command. The mapping:
//
//   bad configuration or token (config::ConfigError, std::invalid_argument), a backup or export
//   target that cannot be used (storage::BackupTargetError), another account
//   (sync::AccountMismatch)                                                          -> 2
//   another clevertim-sync holds the mirror (AlreadyRunning)                         -> 4
//   the mirror or its lock cannot be opened or written (storage::MirrorError,
//   LockFileError, storage::BackupError, SQLite::Exception, std::filesystem::filesystem_error,
//   storage::InjectedFailure)                                                        -> 5
//   anything else: a bug                                                             -> 6
#pragma once

#include <string>

namespace clevertim::daemon {

// Call only inside a catch block. Logs what failed (`doing`: "sync the mirror /var/lib/x.db"),
// why, and what to do next; returns the documented exit code for the failure in flight.
int exit_code_for_failure(const std::string& doing);

}  // namespace clevertim::daemon
