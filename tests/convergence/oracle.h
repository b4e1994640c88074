// The convergence checker's oracle: what must hold once a history quiesced (checker.h lists
// it). `last_sync` is the exit code of the last quiescing sync.
#pragma once

#include <string>
#include <vector>

#include "history.h"

namespace clevertim::testing {
struct SyncFixture;
}

namespace clevertim::testing::convergence {

std::vector<std::string> check(SyncFixture& f, const History& history, int last_sync);

}  // namespace clevertim::testing::convergence
