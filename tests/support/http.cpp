#include "http.h"

#include <strings.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detail/base64.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>

#include <chrono>
#include <stdexcept>

namespace clevertim::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct Parts {
  std::string host, port, target;
};

Parts split_url(const std::string& url) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0)
    throw std::invalid_argument("http_request speaks plain http:// only, not " + url);
  const auto host_start = scheme.size();
  const auto path_start = url.find('/', host_start);
  const std::string hostport = url.substr(host_start, path_start - host_start);
  const auto colon = hostport.rfind(':');
  Parts p;
  p.host = hostport.substr(0, colon);
  p.port = colon == std::string::npos ? "80" : hostport.substr(colon + 1);
  if (p.host.size() > 1 && p.host.front() == '[') p.host = p.host.substr(1, p.host.size() - 2);
  p.target = path_start == std::string::npos ? "/" : url.substr(path_start);
  return p;
}

}  // namespace

std::string HttpAnswer::header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
  return "";
}

boost::json::value HttpAnswer::json() const {
  return boost::json::parse(body);
}

std::string basic_auth(const std::string& token) {
  const std::string plain = token + ":X";
  std::string out(beast::detail::base64::encoded_size(plain.size()), '\0');
  out.resize(beast::detail::base64::encode(out.data(), plain.data(), plain.size()));
  return "Basic " + out;
}

HttpAnswer http_request(const std::string& method, const std::string& url, const std::string& body,
                        const std::string& token,
                        const std::vector<std::pair<std::string, std::string>>& extra_headers) {
  const Parts parts = split_url(url);
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::seconds(30));
  stream.connect(asio::ip::tcp::resolver(io).resolve(parts.host, parts.port));

  http::request<http::string_body> req{http::string_to_verb(method), parts.target, 11};
  if (req.method() == http::verb::unknown) req.method_string(method);
  req.set(http::field::host, parts.host + ":" + parts.port);
  req.set(http::field::accept, "application/json");
  if (!token.empty()) req.set(http::field::authorization, basic_auth(token));
  if (!body.empty()) req.set(http::field::content_type, "application/json");
  for (const auto& [name, value] : extra_headers) req.set(name, value);
  req.body() = body;
  req.prepare_payload();
  http::write(stream, req);

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(std::uint64_t{1} << 30);
  HttpAnswer answer;
  beast::error_code ec;
  http::read(stream, buffer, parser, ec);
  if (ec) answer.error = ec.message();
  if (!parser.is_header_done()) return answer;
  answer.status = static_cast<int>(parser.get().result_int());
  for (const auto& field : parser.get())
    answer.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  answer.body = parser.get().body();
  return answer;
}

}  // namespace clevertim::testing
