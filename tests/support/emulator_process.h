// Test support: the emulator as a real child process on a loopback port, and a small
// synchronous HTTP helper to drive it (its control API, or the API as "another user").
#pragma once

#include <sys/types.h>

#include <boost/json/value.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace clevertim::testing {

// A folder under $TMPDIR, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

inline constexpr const char* kTestToken = "test-token-5ecret";
inline constexpr const char* kReadOnlyToken = "read-only-token";

// `clevertim-emulator --port 0 ...` started on construction, stopped (SIGTERM) on destruction.
class EmulatorProcess {
 public:
  explicit EmulatorProcess(std::vector<std::string> extra_args = {});
  ~EmulatorProcess();
  EmulatorProcess(const EmulatorProcess&) = delete;
  EmulatorProcess& operator=(const EmulatorProcess&) = delete;

  const std::string& url() const { return url_; }  // "http://127.0.0.1:PORT/api"
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  void stop();

 private:
  pid_t pid_ = -1;
  std::string url_;
  int port_ = 0;
};

struct HttpAnswer {
  int status = 0;
  std::string body;
  std::string header(const std::string& name) const;
  std::vector<std::pair<std::string, std::string>> headers;
  boost::json::value json() const;  // the body parsed; throws if it is not JSON
};

// One request over a fresh connection (plain HTTP). `url` is absolute.
HttpAnswer http_request(const std::string& method, const std::string& url,
                        const std::string& body = "", const std::string& token = kTestToken);

// The emulator's control API: "/_emulator/<what>" relative to its root.
HttpAnswer control(const EmulatorProcess& emulator, const std::string& method,
                   const std::string& what, const std::string& body = "");

// Writes a token file (mode 0600) and a clevertim-sync configuration for `emulator` in `dir`;
// returns the configuration's path.
std::filesystem::path write_sync_config(const TempDir& dir, const EmulatorProcess& emulator,
                                        const std::string& extra_toml = "",
                                        const std::string& token = kTestToken);

// Runs `clevertim-sync --config CONFIG ARGS...`; returns its exit code, and its output.
int run_clevertim_sync(const std::filesystem::path& config, const std::vector<std::string>& args,
                       std::string* output = nullptr);

std::string clevertim_sync_binary();

}  // namespace clevertim::testing
