#include "daemon/failure.h"

#include <SQLiteCpp/Exception.h>
#include <spdlog/spdlog.h>

#include <exception>
#include <filesystem>
#include <stdexcept>

#include "config/config.h"
#include "daemon/exit_codes.h"
#include "daemon/instance_lock.h"
#include "storage/backup.h"
#include "storage/failpoint.h"
#include "storage/mirror.h"
#include "sync/account.h"

namespace clevertim::daemon {
namespace {

// Disk full, an I/O error, or the file locked by another program for longer than the busy
// timeout. The transaction in progress was rolled back: nothing committed is lost.
int mirror_write_failed(const std::string& doing, const std::exception& e) {
  spdlog::error(
      "cannot {}: {}. Nothing was lost: changes not yet applied or pushed stay pending; "
      "check free space and permissions, and that no other program keeps the mirror locked "
      "(an open transaction in a SQLite client), then run again",
      doing, e.what());
  return kExitDatabase;
}

}  // namespace

int exit_code_for_failure(const std::string& doing) {
  try {
    throw;
  } catch (const config::ConfigError& e) {
    spdlog::error("{}", e.what());  // names the file and key, and what is accepted
    return kExitConfig;
  } catch (const sync::AccountMismatch& e) {
    spdlog::error("{}", e.what());  // says which account and how to adopt it
    return kExitConfig;
  } catch (const storage::BackupTargetError& e) {
    spdlog::error("{}", e.what());  // says which target and why it cannot be used
    return kExitConfig;
  } catch (const std::invalid_argument& e) {
    spdlog::error("cannot {}: {}; check the command line and the configuration", doing, e.what());
    return kExitConfig;
  } catch (const AlreadyRunning& e) {
    spdlog::error("{}", e.what());
    return kExitAlreadyRunning;
  } catch (const storage::MirrorError& e) {
    spdlog::error("{}", e.what());
    return kExitDatabase;
  } catch (const LockFileError& e) {
    spdlog::error("{}", e.what());
    return kExitDatabase;
  } catch (const storage::BackupError& e) {
    spdlog::error("{}", e.what());
    return kExitDatabase;
  } catch (const SQLite::Exception& e) {
    return mirror_write_failed(doing, e);
  } catch (const storage::InjectedFailure& e) {  // stands for the SQLite failure above, in tests
    return mirror_write_failed(doing, e);
  } catch (const std::filesystem::filesystem_error& e) {
    spdlog::error("cannot {}: {}; check that the path exists, its permissions and free space",
                  doing, e.what());
    return kExitDatabase;
  } catch (const std::exception& e) {
    spdlog::error(
        "cannot {}: unexpected error: {}. This is a bug: please report it with this message; "
        "nothing committed to the mirror is lost",
        doing, e.what());
    return kExitFailure;
  } catch (...) {
    spdlog::error("cannot {}: unexpected error of an unknown kind. This is a bug: please report it",
                  doing);
    return kExitFailure;
  }
}

}  // namespace clevertim::daemon
