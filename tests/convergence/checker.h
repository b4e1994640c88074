// The convergence checker: a seeded history of local SQL writes, CRM edits, faults, syncs and
// daemon kills, run against the emulator through real sockets and a real mirror file, then an
// oracle that checks what must always hold once the history quiesced (see README, "What the
// convergence checker guarantees"):
//   1. `clevertim-sync verify` finds no difference: every synced row equals the CRM field for
//      field, its raw included, and agrees with its own raw;
//   2. every local write is accounted for: it reached the CRM, or it lost under the policy and
//      a `conflicts` row holds it, or its row is visible as `error` or `conflict`;
//   3. no element was created twice (every create carries a unique marker);
//   4. no CRM edit is lost silently: it survives, or a local writer saw it before overwriting
//      it, or it lost under `newest`/`local-wins` and a `conflicts` row holds it;
//   5. no row is left `pending` without a `sync_error` that says why;
//   6. the mirror passes PRAGMA integrity_check.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "history.h"

namespace clevertim::testing::convergence {

struct Options {
  std::uint64_t seed = 1;
  int steps = 20;      // random steps before quiescence
  bool faults = true;  // one-shot faults before requests
  bool daemon = true;  // some steps run the daemon (`run`) and SIGKILL it
  std::set<int> skip;  // steps left out (shrinking a failing history)
  // Under `newest`, some steps wait 2.1 s first, so that edits are far enough apart for the
  // oracle to judge which is later (slow: for bench/long.sh, CLEVERTIM_CONVERGENCE_PAUSES=1).
  bool pauses = false;
};

struct Outcome {
  History history;
  std::vector<std::string> violations;  // empty: the history converged
  std::string details;                  // the last sync's and verify's output, for a failure
};

// Runs one seeded history and checks it. Deterministic in what it asks for (the seed decides
// every choice); timing (kills, the daemon's pushes) may vary between runs.
Outcome run_history(const Options& options);

// A failing history with as few steps as still fail (any violation): steps are left out one
// at a time, greedily, keeping each removal after which the history still fails.
Outcome shrink(const Options& failing);

// "CLEVERTIM_CONVERGENCE_SEED=7 build/tests/convergence/convergence_tests -tc='one seed'",
// with CLEVERTIM_CONVERGENCE_SKIP=1,4,9 when steps are left out.
std::string replay_command(const Options& options);

}  // namespace clevertim::testing::convergence
