// HttpClient over TLS against the scripted server with certificates made at test time.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <cstdlib>
#include <filesystem>

#include "client_fixture.h"

using namespace clevertim::sync;
using namespace testsrv;
namespace net = boost::asio;

namespace {

// Certificates for "localhost" and for another name, made once per test run.
struct Certs {
  std::filesystem::path dir;
  std::pair<std::string, std::string> localhost;
  std::pair<std::string, std::string> other;

  Certs() {
    char tmpl[] = "/tmp/http-tls-test-XXXXXX";
    dir = ::mkdtemp(tmpl);
    localhost = make_self_signed(dir, "localhost");
    other = make_self_signed(dir, "other.example");
  }
  ~Certs() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
};

const Certs& certs() {
  static Certs c;
  return c;
}

Reply ok_one() {
  Reply r;
  r.body = envelope(R"([{"id":1,"fn":"Ann"}])");
  return r;
}

}  // namespace

TEST_CASE("tls: accepted with ca_file set to the server's certificate and host localhost") {
  ScriptServer server(certs().localhost.first, certs().localhost.second);
  server.push(ok_one());
  server.push(ok_one());
  net::io_context io;
  auto options = options_for(server);
  options.base_url = server.base_url("localhost");
  options.ca_file = certs().localhost.first;
  HttpClient client(io.get_executor(), options);
  auto r = run(io, client.get_one("contact", 1));
  REQUIRE_MESSAGE(r, (r ? "" : r.failure().describe()));
  CHECK(r->at("fn").as_string() == "Ann");
  REQUIRE(run(io, client.get_one("contact", 1)));
  CHECK(client.connections_opened() == 1);  // kept alive over TLS too
  CHECK(server.requests().at(0).headers.at("host") == "localhost:" + std::to_string(server.port()));
}

TEST_CASE("tls: an IP address in the certificate's SAN is accepted") {
  ScriptServer server(certs().localhost.first, certs().localhost.second);
  server.push(ok_one());
  net::io_context io;
  auto options = options_for(server);  // https://127.0.0.1:PORT
  options.ca_file = certs().localhost.first;
  HttpClient client(io.get_executor(), options);
  auto r = run(io, client.get_one("contact", 1));
  CHECK_MESSAGE(r, (r ? "" : r.failure().describe()));
}

TEST_CASE("tls: refused without the CA (system store only)") {
  ScriptServer server(certs().localhost.first, certs().localhost.second);
  server.push(ok_one());
  net::io_context io;
  auto options = options_for(server);
  options.base_url = server.base_url("localhost");
  HttpClient client(io.get_executor(), options);
  auto r = run(io, client.get_one("contact", 1));
  REQUIRE_FALSE(r);
  CHECK(r.failure().kind == FailureKind::kTls);
  CHECK_FALSE(r.failure().maybe_reached_server);
  CHECK_FALSE(r.failure().retryable());
  CHECK(server.requests().empty());  // the token never left
}

TEST_CASE("tls: refused when the certificate is for another host name") {
  // The chain is trusted (ca_file is that very certificate) but it names other.example.
  ScriptServer server(certs().other.first, certs().other.second);
  server.push(ok_one());
  net::io_context io;
  auto options = options_for(server);
  options.base_url = server.base_url("localhost");
  options.ca_file = certs().other.first;
  HttpClient client(io.get_executor(), options);
  auto r = run(io, client.get_one("contact", 1));
  REQUIRE_FALSE(r);
  CHECK(r.failure().kind == FailureKind::kTls);
  CHECK(server.requests().empty());
}

TEST_CASE("tls: a CA file that cannot be read is a construction error") {
  net::io_context io;
  ClientOptions options;
  options.base_url = "https://localhost:1/api";
  options.token = kToken;
  options.ca_file = "/nonexistent/ca.pem";
  CHECK_THROWS_AS(HttpClient(io.get_executor(), options), std::invalid_argument);
}
