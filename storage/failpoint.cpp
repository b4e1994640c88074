#include "storage/failpoint.h"

#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string_view>

namespace clevertim::storage {
namespace {

struct Armed {
  std::string place;
  long nth = 0;
  long calls = 0;
  bool bug = false;  // throw what a programming error would, not a database failure
};

Armed* armed() {
  static Armed* instance = []() -> Armed* {
    const char* spec = std::getenv("CLEVERTIM_FAILPOINT");
    if (spec == nullptr || std::strchr(spec, ':') == nullptr) return nullptr;
    const std::string_view text(spec);
    auto* a = new Armed;  // lives for the process; tests only
    a->place = std::string(text.substr(0, text.find(':')));
    a->nth = std::strtol(spec + text.find(':') + 1, nullptr, 10);
    a->bug = text.ends_with(":bug");
    return a;
  }();
  return instance;
}

}  // namespace

void failpoint(const char* place) {
  Armed* a = armed();
  if (a == nullptr || a->place != place) return;
  if (++a->calls != a->nth) return;
  if (a->bug) throw std::logic_error(std::string("injected bug (failpoint ") + place + ")");
  throw InjectedFailure(std::string("database or disk is full (failpoint ") + place + ":" +
                        std::to_string(a->nth) + ")");
}

}  // namespace clevertim::storage
