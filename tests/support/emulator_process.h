// The emulator as a real child process on a loopback port, for tests that talk to it over
// real sockets:
//
//   EmulatorProcess emulator({"--sample", "30"});
//   HttpAnswer a = http_request("GET", emulator.url() + "/contact");
//   control(emulator, "PUT", "faults", R"({"next":[{"fault":"reset"}]})");
//
// It runs `clevertim-emulator --port 0 --quiet --token kTestToken --readonly-token
// kReadOnlyToken EXTRA_ARGS...`, learns its URL from the "listening on" line it prints, and
// stops it (SIGTERM, then SIGKILL after 5 s) on destruction. A flag given again in EXTRA_ARGS
// wins (`{"--token", "other"}`). The child also gets SIGTERM if the
// test process dies, so no emulator outlives its test. Its stderr is the test's stderr.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "http.h"
#include "temp_dir.h"
#include "tokens.h"

namespace clevertim::testing {

class EmulatorProcess {
 public:
  // Starts the emulator and waits (at most 10 s) until it listens; throws if it does not.
  explicit EmulatorProcess(std::vector<std::string> extra_args = {});
  ~EmulatorProcess();
  EmulatorProcess(const EmulatorProcess&) = delete;
  EmulatorProcess& operator=(const EmulatorProcess&) = delete;

  const std::string& url() const { return url_; }  // "http://127.0.0.1:PORT/api" (or https)
  std::string root() const;                        // "http://127.0.0.1:PORT", no /api
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  // SIGTERM and wait; returns the exit status (0 for a clean stop; 128+N when killed by
  // signal N). Later calls return the same status.
  int stop();

  static std::string binary();  // the clevertim-emulator this build made

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int exit_status_ = -1;
  std::string url_;
  int port_ = 0;
};

// The emulator's control API: `what` is the path after "/_emulator/" ("log", "faults",
// "state", "save", "web/contact/5"), sent with the read-write token.
HttpAnswer control(const EmulatorProcess& emulator, const std::string& method,
                   const std::string& what, const std::string& body = "");

}  // namespace clevertim::testing

// The integration tests' helpers for running clevertim-sync against the emulator; declared in
// their own header, included here because those tests include only this one.
#include "sync_runner.h"
