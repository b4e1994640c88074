#include "sync_runner.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>

#include "emulator_process.h"

namespace clevertim::testing {

std::filesystem::path write_sync_config(const TempDir& dir, const EmulatorProcess& emulator,
                                        const std::string& extra_toml, const std::string& token) {
  const auto token_file = dir / "token";
  std::ofstream(token_file) << token << "\n";
  chmod(token_file.c_str(), 0600);
  const auto config = dir / "clevertim-sync.toml";
  std::ofstream(config) << "log_level = \"info\"\n[server]\nurl = \"" << emulator.url()
                        << "\"\ntoken_file = \"" << token_file.string() << "\"\n"
                        << "[storage]\ndatabase = \"" << (dir / "crm.db").string() << "\"\n"
                        << "[sync]\nretry_base = \"10ms\"\nretry_cap = \"50ms\"\n"
                        << extra_toml << "\n";
  return config;
}

std::string clevertim_sync_binary() {
  return CLEVERTIM_SYNC_BINARY;
}

int run_command(const std::string& command, std::string* output) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  std::string text;
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) text.append(buf.data(), n);
  const int status = pclose(pipe);
  if (output) *output = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int run_clevertim_sync(const std::filesystem::path& config, const std::vector<std::string>& args,
                       std::string* output) {
  std::vector<std::string> all = {"--config", config.string()};
  all.insert(all.end(), args.begin(), args.end());
  return run_clevertim_sync(all, output);
}

int run_clevertim_sync(const std::vector<std::string>& args, std::string* output) {
  std::string command = CLEVERTIM_SYNC_BINARY;
  for (const std::string& a : args) command += " '" + a + "'";
  return run_command(command, output);
}

}  // namespace clevertim::testing
