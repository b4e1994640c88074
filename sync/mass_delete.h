// The mass-deletion guard's one rule, shared by the pull and the push.
#pragma once

#include <cstdint>

namespace clevertim::sync {

// Whether deleting `deletions` of a resource's `rows` at once is a mass deletion: more than
// `min` rows and more than `share` of them. A share that is not a number from 0 to 1 counts
// as 0 (every deletion beyond `min` is held): NaN compares false with everything, so a plain
// `deletions > share * rows` would switch the guard off for it, and an empty list would then
// delete every row. The configuration refuses such shares; this keeps every other caller safe.
inline bool is_mass_deletion(std::int64_t deletions, std::int64_t rows, double share,
                             std::int64_t min) {
  if (!(share >= 0.0 && share <= 1.0)) share = 0.0;
  return deletions > min && static_cast<double>(deletions) > share * static_cast<double>(rows);
}

}  // namespace clevertim::sync
