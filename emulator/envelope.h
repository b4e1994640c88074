// The API's answer envelope (API.md, "Envelope and status codes"), in one place so every
// answer the emulator gives has exactly the documented shape:
//   200 {"status":"OK","content":[...]}   delete: {"status":"OK"}
//   4xx/5xx {"status":"ERROR","error":"..."}
#pragma once

#include <string>
#include <string_view>

namespace clevertim::emulator {

// An answer to one API call, before it becomes an HTTP response: status and JSON body.
struct Answer {
  int status = 200;
  std::string body;
};

// {"status":"OK","content":[<element_json>]}; `element_json` is one serialized object.
std::string ok_one(std::string_view element_json);
// {"status":"OK","content":[<elements_json>]}; `elements_json` is a comma-separated list.
std::string ok_list(std::string_view elements_json);
// {"status":"OK"}, as a delete answers.
std::string ok_no_content();
// {"status":"ERROR","error":"<message>"}, the message JSON-escaped.
std::string error_body(std::string_view message);
Answer error(int status, std::string_view message);

// Now, as the server writes `ao` and `lm`: ISO-8601 UTC to the second, "2026-11-28T19:30:05Z".
std::string utc_now();

}  // namespace clevertim::emulator
