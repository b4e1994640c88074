// What a person sees (issue 13, item 17): a first `sync` on a terminal (tmux) shows each
// collection's elements, megabytes and rate as they arrive, and warnings on lines of their own
// above the progress line.
#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "integration_fixture.h"

using namespace clevertim::testing;

TEST_CASE("a first sync on a terminal shows progress - warnings print above it") {
  std::string out;
  if (run_command("command -v tmux", &out) != 0) {
    MESSAGE("skipped: tmux is not installed (scripts/install-deps.sh installs it)");
    return;
  }
  SyncFixture f({"--sample", "3000"});
  f.next_fault("bad_id", "GET", "/api/contact");  // one warning in the middle of the pull
  const std::string session = "clevertim-progress-" + std::to_string(getpid());
  const std::string command = clevertim_sync_binary() + " --config " + f.config.string() +
                              " sync; echo EXITED $?; sleep 60";
  REQUIRE(run_command("tmux new-session -d -s " + session + " -x 160 -y 50 '" + command + "'",
                      &out) == 0);
  std::string screen;
  for (int i = 0; i < 200; ++i) {
    run_command("tmux capture-pane -p -t " + session + " -S -200", &screen);
    if (screen.find("EXITED") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  run_command("tmux kill-session -t " + session, &out);
  INFO(screen);
  REQUIRE(screen.find("EXITED 1") != std::string::npos);  // the skipped element: exit 1
  std::istringstream lines(screen);
  int collections = 0;
  bool warning_alone = false;
  for (std::string line; std::getline(lines, line);) {
    const bool progress = line.find(" elements ") != std::string::npos;
    const bool warning =
        line.find("skipped") != std::string::npos && line.find("warning") != std::string::npos;
    CHECK_FALSE((progress && warning));  // never one glued to the other
    if (warning) warning_alone = true;
    if (progress && line.find("MB/s") != std::string::npos) ++collections;
    if (progress && line.find("contact ") != std::string::npos)
      CHECK_MESSAGE(line.find(" 0.0 MB ") == std::string::npos, line);
  }
  CHECK(warning_alone);
  CHECK(collections >= 8);  // every collection kept its line, with its size
}
