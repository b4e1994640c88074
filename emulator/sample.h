// A deterministic, realistic sample account: about `contacts` contacts with proportional
// companies (1/5), deals (1/4), cases (1/10), tasks (1/2), notes (1 each), comments (1/2),
// a few custom fields, users and groups. Unicode and odd-but-valid values included, and fields
// the public docs never mention, as a real account has.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>

namespace clevertim::emulator {

// The account as {"contact": [...], ...}, ready for Account::replace_state.
boost::json::object sample_account(std::int64_t contacts, std::uint64_t seed);

}  // namespace clevertim::emulator
