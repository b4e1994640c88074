#include "emulator/api.h"

#include <boost/json/parse.hpp>

#include "model/resources.h"

namespace clevertim::emulator {

Route route(std::string_view target) {
  Route out;
  std::string_view path = target.substr(0, target.find('?'));
  if (path == "/api" || path.starts_with("/api/")) path.remove_prefix(4);
  out.path = "/api" + std::string(path);
  if (path.starts_with('/')) path.remove_prefix(1);
  const auto slash = path.find('/');
  out.resource = model::find_resource(path.substr(0, slash));
  if (slash == std::string_view::npos) return out;
  const std::string_view rest = path.substr(slash + 1);
  if (rest.empty()) return out;  // "/api/contact/" is the collection
  out.id = as_id(boost::json::value(rest));
  out.malformed = !out.id || rest.find('/') != std::string_view::npos;
  return out;
}

Reply reply(Answer answer) {
  return {answer.status, std::make_shared<const std::string>(std::move(answer.body))};
}

Reply handle_api(Store& store, Caller caller, std::string_view method, const Route& route,
                 std::string_view body) {
  if (route.resource == nullptr || route.malformed)
    return reply(error(404, "no such resource: " + route.path));
  const model::Resource& r = *route.resource;
  const bool write = is_write(method);
  if (write && caller == Caller::kReadOnlyToken)
    return reply(error(403, "forbidden: this API token's user has read-only access"));
  if (write && r.read_only && caller != Caller::kWebApp)
    return reply(error(501, std::string(r.endpoint) + " is read-only in the API"));

  auto parsed = [&]() -> std::optional<boost::json::value> {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(body, ec);
    if (ec) return std::nullopt;
    return v;
  };
  const std::string not_json = "the request body is not valid JSON";
  if (method == "GET") {
    if (!route.id) return {200, store.read_all(r)};
    return reply(store.read_one(r, *route.id));
  }
  if (method == "POST" && !route.id) {
    const auto v = parsed();
    if (!v) return reply(error(500, not_json));
    return reply(store.create(r, *v, caller == Caller::kWebApp ? store.web_user() : store.owner()));
  }
  if (method == "PUT" && route.id) {
    if (!r.updatable) return reply(store.update(r, *route.id, {}));  // 501, body unread
    const auto v = parsed();
    if (!v) return reply(error(500, not_json));
    return reply(store.update(r, *route.id, *v));
  }
  if (method == "DELETE" && route.id) return reply(store.remove(r, *route.id));
  return reply(error(405, std::string(method) + " is not supported on " + route.path));
}

}  // namespace clevertim::emulator
