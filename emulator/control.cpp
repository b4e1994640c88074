#include "emulator/control.h"

#include <boost/json.hpp>

#include <stdexcept>

namespace clevertim::emulator {

namespace json = boost::json;

void RequestLog::add(Entry e) {
  if (entries_.size() >= capacity_) entries_.pop_front();
  entries_.push_back(std::move(e));
}

std::string RequestLog::to_json() const {
  json::array list;
  list.reserve(entries_.size());
  for (const Entry& e : entries_)
    list.push_back({{"method", e.method},
                    {"path", e.path},
                    {"body", e.body},
                    {"status", e.status},
                    {"fault", e.fault}});
  return json::serialize(json::object{{"requests", std::move(list)}});
}

namespace {

Reply ok(std::string body) {
  return {200, std::make_shared<const std::string>(std::move(body))};
}

json::object parse_object(std::string_view body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) throw std::invalid_argument("the body must be a JSON object");
  return std::move(v.get_object());
}

}  // namespace

Reply handle_control(ControlContext& ctx, std::string_view method, std::string_view what,
                     std::string_view body) {
  try {
    if (what.starts_with("web/")) {  // another user's edit: same rules as the API
      const Route r = route("/api/" + std::string(what.substr(4)));
      return handle_api(ctx.store, Caller::kWebApp, method, r, body);
    }
    if (what == "log" && method == "GET") return ok(ctx.log.to_json());
    if (what == "log" && method == "DELETE") {
      ctx.log.clear();
      return ok(ok_no_content());
    }
    if (what == "faults" && method == "GET") return ok(json::serialize(ctx.faults.to_json()));
    if (what == "faults" && method == "PUT") {
      ctx.faults.update(parse_object(body));
      return ok(json::serialize(ctx.faults.to_json()));
    }
    if (what == "shapes" && method == "GET")
      return ok(json::serialize(to_json(ctx.store.shapes())));
    if (what == "shapes" && method == "PUT") {
      ctx.store.set_shapes(updated(ctx.store.shapes(), parse_object(body)));
      return ok(json::serialize(to_json(ctx.store.shapes())));
    }
    if (what == "state" && method == "GET") return ok(ctx.store.state_json());
    if (what == "state" && method == "PUT") {
      ctx.store.replace_state(parse_object(body));  // moved in
      return ok(ok_no_content());
    }
    if (what == "save" && method == "POST") {
      ctx.save();
      return ok(ok_no_content());
    }
  } catch (const std::exception& e) {
    return reply(error(400, std::string("control request refused: ") + e.what()));
  }
  for (std::string_view known : {"log", "faults", "shapes", "state", "save"})
    if (what == known)
      return reply(
          error(405, std::string(method) + " is not supported on /_emulator/" + std::string(what)));
  return reply(error(404, "no control endpoint /_emulator/" + std::string(what)));
}

}  // namespace clevertim::emulator
