// JSON string escaping exactly as boost::json::serialize (1.81) does it, so that text written
// here and text serialized by Boost hash alike.
#pragma once

#include <string>
#include <string_view>

namespace clevertim::sync {

// Appends `s` as the inside of a JSON string: `"` and `\` escaped, control characters as \b \t
// \n \f \r or \u00xx, every other byte as it is.
void append_json_escaped(std::string& out, std::string_view s);

}  // namespace clevertim::sync
