// The emulator as a program: its flags, start-up line, sample accounts, state file, TLS,
// HTTP/1.1 keep-alive and concurrent connections, clean stops.
#include <doctest/doctest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <fstream>
#include <sstream>
#include <thread>

#include "helpers.h"

using namespace clevertim::testing;

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("it prints one listening line - writes --port-file - stops cleanly on SIGTERM") {
  TempDir dir;
  EmulatorProcess emulator({"--port-file", (dir / "port").string()});
  CHECK(emulator.url() == "http://127.0.0.1:" + std::to_string(emulator.port()) + "/api");
  CHECK(std::stoi(read_text(dir / "port")) == emulator.port());
  CHECK(emulator.stop() == 0);
}

TEST_CASE("--help documents every flag with its default") {
  std::string help;
  REQUIRE(shell(EmulatorProcess::binary() + " --help", &help) == 0);
  for (const std::string flag : {"--host",           "--port",        "--port-file",
                                 "--token",          "--token-file",  "--readonly-token",
                                 "--sample",         "--seed",        "--state",
                                 "--tls-cert",       "--tls-key",     "--quiet",
                                 "--fault-5xx",      "--fault-429",   "--fault-503",
                                 "--retry-after",    "--latency-ms",  "--fault-reset",
                                 "--fault-truncate", "--fault-empty", "--fault-drop-after-commit",
                                 "--fault-seed"})
    CHECK_MESSAGE(help.find(flag + " ") != std::string::npos, flag);
  CHECK(help.find("127.0.0.1") != std::string::npos);
  CHECK(help.find("test-token") != std::string::npos);
  std::string out;
  CHECK(shell(EmulatorProcess::binary() + " --fault-5xx 2", &out) != 0);
}

TEST_CASE("--sample: the same seed gives the same account and sizes follow N") {
  EmulatorProcess a({"--sample", "100", "--seed", "5"});
  EmulatorProcess b({"--sample", "100", "--seed", "5"});
  EmulatorProcess c({"--sample", "100", "--seed", "6"});
  const json::object sa = state(a);
  CHECK(sa == state(b));
  CHECK(http_request("GET", a.url() + "/contact").body ==
        http_request("GET", b.url() + "/contact").body);
  CHECK(sa != state(c));
  auto count = [&](const char* r) { return sa.at(r).as_array().size(); };
  CHECK(count("contact") == 100);
  CHECK(count("company") == 20);
  CHECK(count("opportunity") == 25);
  CHECK(count("case") == 10);
  CHECK(count("task") == 50);
  CHECK(count("note") == 100);
  CHECK(count("comment") == 50);
  CHECK(count("customfield") >= 4);
}

TEST_CASE("--sample 1000 starts quickly and serves a large read-all") {
  const auto start = std::chrono::steady_clock::now();
  EmulatorProcess emulator({"--sample", "1000"});
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));  // 1 s is the aim
  CHECK(all_elements(http_request("GET", emulator.url() + "/note")).size() == 1000);
}

TEST_CASE("--state: loaded at start - saved on SIGTERM and on POST /_emulator/save") {
  TempDir dir;
  const std::string file = (dir / "account.json").string();
  std::int64_t id = 0;
  {
    EmulatorProcess emulator({"--state", file, "--sample", "5"});
    id = create(emulator, "contact", R"({"fn":"Kept","odd":[1]})");
    REQUIRE(control(emulator, "POST", "save").status == 200);
    CHECK(read_text(file).find("Kept") != std::string::npos);
    REQUIRE(
        http_request("PUT", emulator.url() + "/contact/" + std::to_string(id), R"({"city":"Oslo"})")
            .status == 200);
    CHECK(emulator.stop() == 0);  // saves again
  }
  EmulatorProcess again({"--state", file, "--sample", "50"});  // the file wins over --sample
  const json::object c = get_one(again, "contact", id);
  CHECK(c.at("fn") == "Kept");
  CHECK(c.at("city") == "Oslo");
  CHECK(c.at("odd") == json::array{1});
  CHECK(state(again).at("contact").as_array().size() == 6);
  CHECK(create(again, "contact", R"({"fn":"Next"})") == id + 1);
}

TEST_CASE("a flag given twice takes its last value") {
  EmulatorProcess emulator({"--token", "other-token", "--fault-5xx-statuses", "502,504"});
  CHECK(http_request("GET", emulator.url() + "/contact", "", "other-token").status == 200);
  CHECK(http_request("GET", emulator.url() + "/contact", "", kTestToken).status == 401);
  CHECK(control(emulator, "GET", "faults").status == 401);  // the control API follows the token
  CHECK(http_request("GET", emulator.root() + "/_emulator/faults", "", "other-token")
            .json()
            .at("5xx_statuses") == json::array{502, 504});
}

TEST_CASE("--token-file and --readonly-token-file") {
  TempDir dir;
  std::ofstream(dir / "rw") << "file-token\n";
  std::ofstream(dir / "ro") << "file-ro\n";
  EmulatorProcess emulator(
      {"--token-file", (dir / "rw").string(), "--readonly-token-file", (dir / "ro").string()});
  CHECK(http_request("GET", emulator.url() + "/contact", "", "file-token").status == 200);
  CHECK(http_request("POST", emulator.url() + "/contact", R"({"fn":"A"})", "file-ro").status ==
        403);
  CHECK(http_request("GET", emulator.url() + "/contact", "", kTestToken).status == 401);
}

TEST_CASE("--tls-cert/--tls-key: HTTPS that curl verifies against the certificate") {
  TempDir dir;
  const std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
  std::string out;
  REQUIRE_MESSAGE(shell("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost "
                        "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout '" +
                            key + "' -out '" + cert + "'",
                        &out) == 0,
                  out);
  EmulatorProcess emulator({"--sample", "5", "--tls-cert", cert, "--tls-key", key});
  const std::string port = std::to_string(emulator.port());
  CHECK(emulator.url() == "https://127.0.0.1:" + port + "/api");
  for (const std::string host : {"localhost", "127.0.0.1"}) {
    REQUIRE_MESSAGE(shell("curl -sS --fail --cacert '" + cert + "' -u " + kTestToken +
                              ":X https://" + host + ":" + port + "/api/contact",
                          &out) == 0,
                    out);
    CHECK(json::parse(out).at("content").as_array().size() == 5);
  }
  // Without the certificate, curl refuses the server; plain HTTP gets no answer.
  CHECK(shell("curl -sS -u x:X https://localhost:" + port + "/api/contact", &out) != 0);
  CHECK(shell("curl -sS --max-time 5 -u x:X http://127.0.0.1:" + port + "/api/contact", &out) != 0);
  // Writes work over TLS too.
  REQUIRE(shell("curl -sS --fail --cacert '" + cert + "' -u " + kTestToken +
                    ":X -X POST -H 'Content-Type: application/json' -d '{\"name\":\"tls\"}' "
                    "https://localhost:" +
                    port + "/case",
                &out) == 0);
  CHECK(json::parse(out).at("content").at(0).at("name") == "tls");
}

TEST_CASE("HTTP/1.1 keep-alive (many requests on one connection) and Expect: 100-continue") {
  EmulatorProcess emulator({"--sample", "5"});
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::seconds(20));
  stream.connect(asio::ip::tcp::resolver(io).resolve("127.0.0.1", std::to_string(emulator.port())));
  beast::flat_buffer buffer;
  for (int i = 0; i < 20; ++i) {
    http::request<http::string_body> req{http::verb::post, "/api/task", 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::authorization, basic_auth(kTestToken));
    req.body() = R"({"name":"t)" + std::to_string(i) + R"("})";
    req.prepare_payload();
    http::write(stream, req);
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    CHECK(res.result_int() == 200);
    CHECK(res.keep_alive());
  }
  std::string out;
  REQUIRE(shell("curl -sS --fail -u " + std::string(kTestToken) +
                    ":X -H 'Expect: 100-continue' -H 'Content-Type: application/json' -d "
                    "'{\"name\":\"expect\"}' " +
                    emulator.url() + "/task",
                &out) == 0);
  CHECK(json::parse(out).at("content").at(0).at("name") == "expect");
}

TEST_CASE("many concurrent connections are all served") {
  EmulatorProcess emulator({"--sample", "50"});
  asio::io_context io;
  const auto endpoints =
      asio::ip::tcp::resolver(io).resolve("127.0.0.1", std::to_string(emulator.port()));
  std::vector<std::unique_ptr<beast::tcp_stream>> streams;
  for (int i = 0; i < 200; ++i) {
    streams.push_back(std::make_unique<beast::tcp_stream>(io));
    streams.back()->expires_after(std::chrono::seconds(20));
    streams.back()->connect(endpoints);
  }
  http::request<http::empty_body> req{http::verb::get, "/api/contact", 11};
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::authorization, basic_auth(kTestToken));
  for (auto& s : streams) http::write(*s, req);
  std::string first;
  int ok = 0;
  for (auto& s : streams) {
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(*s, buffer, res);
    if (first.empty()) first = res.body();
    ok += res.result_int() == 200 && res.body() == first ? 1 : 0;
  }
  CHECK(ok == 200);
}
