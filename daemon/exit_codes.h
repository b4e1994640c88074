// The process exit codes, as documented in `clevertim-sync --help` and the README.
#pragma once

namespace clevertim::daemon {

inline constexpr int kExitOk = 0;              // done; for `sync`: every change pushed
inline constexpr int kExitIncomplete = 1;      // `sync`: something not pulled or not pushed
inline constexpr int kExitConfig = 2;          // bad command line, configuration or token
inline constexpr int kExitMassDelete = 3;      // a mass deletion was held (see --allow-mass-delete)
inline constexpr int kExitAlreadyRunning = 4;  // another clevertim-sync runs on this mirror
inline constexpr int kExitDatabase = 5;        // the mirror cannot be opened or written
inline constexpr int kExitFailure = 6;         // anything else (a bug: please report it)

inline constexpr const char* kExitCodesHelp =
    "Exit codes:\n"
    "  0  done (for sync: every pending change reached the CRM)\n"
    "  1  sync incomplete: a resource was not pulled or a change not pushed (see the log)\n"
    "  2  bad command line, configuration or token (or they reach another account than the "
    "mirror's)\n"
    "  3  a mass deletion was held; run `sync --allow-mass-delete` if it is intended\n"
    "  4  another clevertim-sync is running on the same mirror\n"
    "  5  the mirror cannot be opened or written (others can write it, or it was deleted)\n"
    "  6  unexpected error\n";

}  // namespace clevertim::daemon
