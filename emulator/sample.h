// A deterministic, realistic sample account: about `contacts` contacts with proportional
// companies (1/5), deals (1/4), cases (1/10), tasks (1/2), notes (1 each), comments (1/2),
// a few custom fields, users and groups. Unicode and odd-but-valid values included, and fields
// the public docs never mention, as a real account has.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <functional>
#include <string_view>

namespace clevertim::emulator {

// Receives each element of the sample, with its id, in dependency order (users first).
using SampleSink = std::function<void(std::string_view resource, boost::json::object element)>;

// Generates the account one element at a time (so a 100k-contact account never exists twice
// in memory): Store::load is the usual sink. The same (contacts, seed) always gives the same
// account.
void sample_account(std::int64_t contacts, std::uint64_t seed, const SampleSink& add);

}  // namespace clevertim::emulator
