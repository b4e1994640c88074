// Running the real clevertim-sync binary against an EmulatorProcess (integration tests).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "temp_dir.h"
#include "tokens.h"

namespace clevertim::testing {

class EmulatorProcess;

// Writes a token file (mode 0600) and a clevertim-sync configuration for `emulator` in `dir`;
// returns the configuration's path.
std::filesystem::path write_sync_config(const TempDir& dir, const EmulatorProcess& emulator,
                                        const std::string& extra_toml = "",
                                        const std::string& token = kTestToken);

// Runs `clevertim-sync --config CONFIG ARGS...`; returns its exit code, and its output.
int run_clevertim_sync(const std::filesystem::path& config, const std::vector<std::string>& args,
                       std::string* output = nullptr);

// Runs `clevertim-sync ARGS...` exactly (no --config added); its exit code and output.
int run_clevertim_sync(const std::vector<std::string>& args, std::string* output);

// Runs a shell command line, stderr with stdout; its exit code (-1 when killed), its output.
int run_command(const std::string& command, std::string* output);

std::string clevertim_sync_binary();

}  // namespace clevertim::testing
