// The API tokens EmulatorProcess starts the emulator with, and http_request sends by default.
#pragma once

namespace clevertim::testing {

inline constexpr const char* kTestToken = "test-token-5ecret";    // read-write
inline constexpr const char* kReadOnlyToken = "read-only-token";  // every write answers 403

}  // namespace clevertim::testing
