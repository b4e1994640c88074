// The convergence checker over a fixed set of seeds (CI), one seed (replay), or many
// (bench/long.sh: CLEVERTIM_CONVERGENCE_SEEDS=2000).
#include <doctest/doctest.h>

#include <cstdlib>
#include <sstream>
#include <string>

#include "checker.h"

using namespace clevertim::testing::convergence;

namespace {

std::uint64_t from_environment(const char* variable, std::uint64_t fallback) {
  const char* text = std::getenv(variable);
  if (text == nullptr || *text == '\0') return fallback;
  return std::strtoull(text, nullptr, 10);
}

// Prints a history (always with CLEVERTIM_CONVERGENCE_VERBOSE) and fails with its report
// when it violated the oracle. Returns whether it did.
bool report(const Options& options, const Outcome& outcome) {
  if (from_environment("CLEVERTIM_CONVERGENCE_VERBOSE", 0) != 0) {
    std::string all;
    for (const std::string& s : outcome.history.steps) all += s + "\n";
    MESSAGE("seed " << options.seed << " (" << outcome.history.policy << "):\n"
                    << all << outcome.details);
  }
  if (outcome.violations.empty()) return false;
  std::string text =
      "seed " + std::to_string(options.seed) + " (" + outcome.history.policy + ") violated:\n";
  for (const std::string& v : outcome.violations) text += "  - " + v + "\n";
  text += "history:\n";
  for (const std::string& s : outcome.history.steps) text += "  " + s + "\n";
  text += outcome.details + "\nreplay: " + replay_command(options) +
          "\n(CLEVERTIM_CONVERGENCE_SHRINK=1 shrinks it)\n";
  FAIL_CHECK(text);
  return true;
}

// Runs `count` seeds from `first`; every failing history is reported with its replay command.
void run_seeds(std::uint64_t first, std::uint64_t count, bool daemon) {
  int failed = 0;
  for (std::uint64_t seed = first; seed < first + count; ++seed) {
    Options options;
    options.seed = seed;
    options.daemon = daemon;
    options.pauses = from_environment("CLEVERTIM_CONVERGENCE_PAUSES", 0) != 0;
    if (report(options, run_history(options))) ++failed;
  }
  MESSAGE(count << " histories from seed " << first << ", " << failed << " violated the oracle");
}

}  // namespace

// Replays one history: CLEVERTIM_CONVERGENCE_SEED=N [CLEVERTIM_CONVERGENCE_DAEMON=0]
// [CLEVERTIM_CONVERGENCE_SKIP=1,4] [CLEVERTIM_CONVERGENCE_SHRINK=1: shrink it when it fails].
TEST_CASE("one seed") {
  Options options;
  options.seed = from_environment("CLEVERTIM_CONVERGENCE_SEED", 1);
  options.daemon = from_environment("CLEVERTIM_CONVERGENCE_DAEMON", 1) != 0;
  options.pauses = from_environment("CLEVERTIM_CONVERGENCE_PAUSES", 0) != 0;
  if (const char* skip = std::getenv("CLEVERTIM_CONVERGENCE_SKIP")) {
    std::stringstream list(skip);
    for (std::string step; std::getline(list, step, ',');)
      if (!step.empty()) options.skip.insert(std::stoi(step));
  }
  Outcome outcome = run_history(options);
  if (!outcome.violations.empty() && from_environment("CLEVERTIM_CONVERGENCE_SHRINK", 0) != 0)
    outcome = shrink(options);
  report(options, outcome);
}

// CI: a fixed set of 100 histories, split so that ctest runs the halves on both cores.
TEST_CASE("fixed seeds: sync only") {
  run_seeds(from_environment("CLEVERTIM_CONVERGENCE_FIRST", 100),
            from_environment("CLEVERTIM_CONVERGENCE_SEEDS", 60), false);
}

TEST_CASE("fixed seeds: the daemon killed at random points") {
  run_seeds(from_environment("CLEVERTIM_CONVERGENCE_FIRST", 100) + 1000,
            from_environment("CLEVERTIM_CONVERGENCE_SEEDS", 40), true);
}
