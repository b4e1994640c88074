// The REST API itself: which URL names what, and how each verb maps onto the store with the
// status codes of API.md. Independent of HTTP and sockets (server.cpp does those), so the
// same rules serve the API and the control API's "edits from the web app".
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "emulator/store.h"

namespace clevertim::model {
struct Resource;
}

namespace clevertim::emulator {

// Who is asking. It decides whether writes are allowed and whose id a create's `userId` gets.
enum class Caller {
  kToken,          // the read-write API token: acts as the account owner
  kReadOnlyToken,  // every write answers 403
  kWebApp,         // another user in the web app (control API): may also write user/group
};

// What an API URL names. The public docs write to BASE/{res} without the /api prefix, so
// "/contact/5" and "/api/contact/5" are the same URL.
struct Route {
  std::string path;                           // "/api/contact/5": query dropped, /api added
  const model::Resource* resource = nullptr;  // null: no such resource (404)
  std::optional<Id> id;                       // set when the URL names an element
  bool malformed = false;                     // "/api/contact/abc", "/api/contact/5/x"
  bool is_read_all(std::string_view method) const {
    return method == "GET" && resource != nullptr && !id && !malformed;
  }
};
Route route(std::string_view target);

inline bool is_write(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "DELETE";
}

// An HTTP answer with a JSON body; the body is shared so a cached read-all is never copied.
struct Reply {
  int status = 200;
  std::shared_ptr<const std::string> body;
};
Reply reply(Answer answer);

// Carries out one API request: GET (all / one), POST, PUT, DELETE. 404 for an unknown
// resource or id, 405 for a verb the URL does not take, 403 for a write with the read-only
// token, 501 for a write to a read-only resource (user, group) or a PUT on a comment, 500 for
// a POST/PUT body that is not JSON (a DELETE's body is ignored), 400 for what the model refuses.
Reply handle_api(Store& store, Caller caller, std::string_view method, const Route& route,
                 std::string_view body);

}  // namespace clevertim::emulator
