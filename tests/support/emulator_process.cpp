#include "emulator_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <thread>

namespace clevertim::testing {
namespace {

int status_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

std::string EmulatorProcess::binary() {
  return CLEVERTIM_EMULATOR_BINARY;
}

EmulatorProcess::EmulatorProcess(std::vector<std::string> extra_args) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  std::vector<std::string> args = {binary(),           "--port",      "0",
                                   "--quiet",          "--token",     kTestToken,
                                   "--readonly-token", kReadOnlyToken};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlive the test
    if (getppid() != parent) _exit(127);
    dup2(out[1], STDOUT_FILENO);  // dup2 clears O_CLOEXEC on the copy
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  stdout_fd_ = out[0];

  // Read the "listening on URL" line, waiting at most 10 s for it.
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (line.find('\n') == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{stdout_fd_, POLLIN, 0};
    char buf[256];
    ssize_t n = 0;
    if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) <= 0 ||
        (n = read(stdout_fd_, buf, sizeof buf)) <= 0) {
      const int code = stop();
      throw std::runtime_error("clevertim-emulator did not start (exit status " +
                               std::to_string(code) + "; its stderr is above)");
    }
    line.append(buf, static_cast<std::size_t>(n));
  }
  const auto at = line.find("http");
  if (line.find("listening on") == std::string::npos || at == std::string::npos) {
    stop();
    throw std::runtime_error("unexpected first line from clevertim-emulator: " + line);
  }
  url_ = line.substr(at, line.find_first_of(" \r\n", at) - at);
  port_ = std::stoi(url_.substr(url_.rfind(':') + 1));
}

std::string EmulatorProcess::root() const {
  return url_.substr(0, url_.size() - std::string("/api").size());
}

int EmulatorProcess::stop() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    pid_t done = 0;
    while ((done = waitpid(pid_, &status, WNOHANG)) == 0 &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (done == 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
    }
    exit_status_ = status_code(status);
    pid_ = -1;
  }
  if (stdout_fd_ >= 0) {
    close(stdout_fd_);
    stdout_fd_ = -1;
  }
  return exit_status_;
}

EmulatorProcess::~EmulatorProcess() {
  stop();
}

HttpAnswer control(const EmulatorProcess& emulator, const std::string& method,
                   const std::string& what, const std::string& body) {
  return http_request(method, emulator.root() + "/_emulator/" + what, body);
}

}  // namespace clevertim::testing
