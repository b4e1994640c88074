#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "config/config.h"

namespace clevertim::config {
namespace {

namespace fs = std::filesystem;

std::string trimmed(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  return text;
}

std::string read_token_file(const fs::path& file, bool check_mode) {
  struct stat st {};
  if (stat(file.c_str(), &st) != 0)
    throw ConfigError("cannot read the token file " + file.string() + ": " + std::strerror(errno) +
                      "; check server.token_file");
  // Like ssh with private keys: a secret others can read is refused.
  if (check_mode && (st.st_mode & 077) != 0)
    throw ConfigError("the token file " + file.string() +
                      " can be read by group or others; fix it with: chmod 600 " + file.string());
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw ConfigError("cannot read the token file " + file.string() + "; check its owner and mode");
  std::stringstream text;
  text << in.rdbuf();
  std::string token = trimmed(text.str());
  if (token.empty())
    throw ConfigError("the token file " + file.string() +
                      " is empty; put the API token from Account / My Info & Settings in it");
  return token;
}

}  // namespace

std::string load_token(const Config& config) {
  if (!config.server.token_file.empty()) return read_token_file(config.server.token_file, true);
  if (const char* dir = std::getenv("CREDENTIALS_DIRECTORY"); dir != nullptr && *dir) {
    const fs::path file = fs::path(dir) / "token";
    std::error_code ec;
    // systemd manages credential files and their modes.
    if (fs::exists(file, ec)) return read_token_file(file, false);
  }
  if (const char* env = std::getenv("CLEVERTIM_TOKEN"); env != nullptr) {
    std::string token = trimmed(env);
    if (!token.empty()) return token;
  }
  throw ConfigError(
      "no API token: set server.token_file in the configuration, or run under systemd with "
      "LoadCredential=token:... ($CREDENTIALS_DIRECTORY/token), or set $CLEVERTIM_TOKEN");
}

}  // namespace clevertim::config
