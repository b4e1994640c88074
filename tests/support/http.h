// A tiny synchronous HTTP/1.1 client for tests (Beast's sync API): one request over a fresh
// plain-HTTP connection, HTTP Basic auth with the token as the user, and the answer as it came,
// including answers the emulator's faults cut short. Not for production code: no TLS, no
// retries, no keep-alive.
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <utility>
#include <vector>

#include "tokens.h"

namespace clevertim::testing {

struct HttpAnswer {
  // 0 when no response header arrived at all (the connection closed or failed first).
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // in the order received
  std::string body;                                          // what arrived, even when cut short
  // Why reading stopped early ("partial message", "end of stream", ...); "" for a whole answer.
  std::string error;

  // The first header of that name, compared case-insensitively; "" when absent.
  std::string header(const std::string& name) const;
  // The body parsed as JSON; throws boost::system::system_error when it is not JSON.
  boost::json::value json() const;
  bool complete() const { return status != 0 && error.empty(); }
};

// "Basic base64(token:X)", as the CRM's clients send it.
std::string basic_auth(const std::string& token);

// One request. `url` is absolute ("http://127.0.0.1:PORT/api/contact"); `token` empty sends no
// Authorization header; `body` goes out with Content-Type: application/json. Each of
// `extra_headers` is added as given. A 30 s deadline covers the whole exchange. Throws only
// when it cannot connect or send; a failure while reading the answer is in `error`.
HttpAnswer http_request(const std::string& method, const std::string& url,
                        const std::string& body = "", const std::string& token = kTestToken,
                        const std::vector<std::pair<std::string, std::string>>& extra_headers = {});

}  // namespace clevertim::testing
