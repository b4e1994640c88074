// The convergence checker over a fixed set of seeds (CI), one seed (replay), or many
// (bench/long.sh: CLEVERTIM_CONVERGENCE_SEEDS=2000).
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

#include "checker.h"

using namespace clevertim::testing::convergence;

namespace {

std::uint64_t from_environment(const char* variable, std::uint64_t fallback) {
  const char* text = std::getenv(variable);
  if (text == nullptr || *text == '\0') return fallback;
  return std::strtoull(text, nullptr, 10);
}

// Runs `count` seeds from `first`; every failing history is reported with its replay command.
void run_seeds(std::uint64_t first, std::uint64_t count, bool daemon) {
  int failed = 0;
  for (std::uint64_t seed = first; seed < first + count; ++seed) {
    Options options;
    options.seed = seed;
    options.daemon = daemon;
    const Outcome outcome = run_history(options);
    if (from_environment("CLEVERTIM_CONVERGENCE_VERBOSE", 0) != 0) {
      std::string all;
      for (const std::string& s : outcome.history.steps) all += s + "\n";
      MESSAGE("seed " << seed << " (" << outcome.history.policy << "):\n"
                      << all << outcome.details);
    }
    if (outcome.violations.empty()) continue;
    ++failed;
    std::string report =
        "seed " + std::to_string(seed) + " (" + outcome.history.policy + ") violated:\n";
    for (const std::string& v : outcome.violations) report += "  - " + v + "\n";
    report += "history:\n";
    for (const std::string& s : outcome.history.steps) report += "  " + s + "\n";
    report += outcome.details + "\nreplay: " + replay_command(seed) + "\n";
    FAIL_CHECK(report);
  }
  MESSAGE(count << " histories from seed " << first << ", " << failed << " violated the oracle");
}

}  // namespace

TEST_CASE("one seed") {
  const std::uint64_t seed = from_environment("CLEVERTIM_CONVERGENCE_SEED", 1);
  run_seeds(seed, 1, from_environment("CLEVERTIM_CONVERGENCE_DAEMON", 1) != 0);
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
