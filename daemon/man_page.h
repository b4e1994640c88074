// The manual page clevertim-sync(1) and the bash completion, written from the command line's
// own CLI11 description, so that a command or flag added to main.cpp reaches both without
// anyone editing them (man/CMakeLists.txt runs these at build time).
#pragma once

#include <CLI/CLI.hpp>

#include <ostream>
#include <string_view>

namespace clevertim::daemon {

// roff source of clevertim-sync(1): every command, its arguments and flags, the global flags,
// the exit codes (the app's footer), the environment and the files.
void write_man_page(const CLI::App& app, std::string_view version, std::ostream& out);

// A bash completion script: commands, flags, the values of flags and arguments that name a
// fixed set, files for file arguments, and `resolve`'s conflict ids read from `conflicts`.
void write_bash_completion(const CLI::App& app, std::ostream& out);

// For main(): when `flag` is one of the hidden flags --man-page or --bash-completion, writes
// that to stdout and returns true.
bool write_reference(const CLI::App& app, std::string_view flag, std::string_view version);

}  // namespace clevertim::daemon
