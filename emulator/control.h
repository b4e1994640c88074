// The control API under /_emulator/, for tests: the request log, fault settings, answer shapes,
// the whole
// account state, saving it, and edits "from the web app" (another user, not logged, never
// faulted). It needs the read-write token; see README.md for every call.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <string>
#include <string_view>

#include "emulator/api.h"
#include "emulator/faults.h"
#include "emulator/store.h"

namespace clevertim::emulator {

// Every API request the emulator answered (faulted ones included), oldest first, so a test can
// check what a client sent. Holds the latest `capacity` entries.
class RequestLog {
 public:
  struct Entry {
    std::string method, path, body;
    int status = 0;     // the status answered (or, for reset/drop faults, meant to be)
    std::string fault;  // fault_name() of the fault injected, "" for none
  };
  explicit RequestLog(std::size_t capacity = 100'000) : capacity_(capacity) {}
  void add(Entry e);
  void clear() { entries_.clear(); }
  // {"requests":[{"method":"PUT","path":"/api/contact/5","body":"...","status":200,
  //  "fault":""}, ...]}
  std::string to_json() const;

 private:
  std::size_t capacity_;
  std::deque<Entry> entries_;
};

struct ControlContext {
  Store& store;
  Faults& faults;
  RequestLog& log;
  std::function<void()> save;  // writes the --state file; throws when there is none
};

// One control request; `what` is the path after "/_emulator/" ("log", "web/contact/5", ...).
Reply handle_control(ControlContext& ctx, std::string_view method, std::string_view what,
                     std::string_view body);

}  // namespace clevertim::emulator
