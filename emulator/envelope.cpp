#include "emulator/envelope.h"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include <ctime>

namespace clevertim::emulator {

std::string ok_one(std::string_view element_json) {
  return ok_list(element_json);
}

std::string ok_list(std::string_view elements_json) {
  std::string out;
  out.reserve(elements_json.size() + 32);
  out += R"({"status":"OK","content":[)";
  out += elements_json;
  out += "]}";
  return out;
}

std::string ok_no_content() {
  return R"({"status":"OK"})";
}

std::string error_body(std::string_view message) {
  return R"({"status":"ERROR","error":)" + boost::json::serialize(boost::json::value(message)) +
         "}";
}

Answer error(int status, std::string_view message) {
  return {status, error_body(message)};
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace clevertim::emulator
