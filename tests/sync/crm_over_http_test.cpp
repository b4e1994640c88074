// CrmOverHttp (reads and writes with retries) against the scripted loopback server: what is
// sent again, what is left for the push to reconcile, and how long a cycle may take.
#include <doctest/doctest.h>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include <boost/asio/ip/tcp.hpp>

#include <ctime>
#include <future>
#include <sstream>

#include "client_fixture.h"
#include "mirror_fixture.h"
#include "sync/crm_over_http.h"
#include "sync/cycle.h"

using namespace clevertim::sync;
using namespace testsrv;
namespace json = boost::json;
namespace net = boost::asio;
using std::chrono::milliseconds;
using Status = WriteResult::Status;

namespace {

const RetryPolicy kFast{milliseconds(1), milliseconds(5), 3};

Reply ok(const std::string& content_json) {
  Reply r;
  r.body = envelope(content_json);
  return r;
}

Reply status(int code, std::string body, std::string retry_after = {}) {
  Reply r;
  r.status = code;
  r.body = std::move(body);
  if (!retry_after.empty()) r.headers = {{"Retry-After", retry_after}};
  return r;
}

std::size_t count(const ScriptServer& server, const std::string& method) {
  std::size_t n = 0;
  for (const Seen& s : server.requests()) n += s.method == method;
  return n;
}

// Runs `a`, but gives up after `limit`: a test of a deadline must not hang when it fails.
template <class T>
std::optional<T> run_within(net::io_context& io, net::awaitable<T> a, milliseconds limit) {
  auto future = net::co_spawn(io, std::move(a), net::use_future);
  io.restart();
  io.run_for(limit);
  if (future.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return std::nullopt;
  return future.get();
}

// Everything logged while it lives.
struct LogCapture {
  std::shared_ptr<std::ostringstream> out = std::make_shared<std::ostringstream>();
  std::shared_ptr<spdlog::logger> previous = spdlog::default_logger();
  LogCapture() {
    auto logger = std::make_shared<spdlog::logger>(
        "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(*out));
    logger->set_level(spdlog::level::info);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous); }
  std::size_t lines_with(const std::string& text) const {
    std::istringstream in(out->str());
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);) n += line.find(text) != std::string::npos;
    return n;
  }
};

// An IMF-fixdate (RFC 9110) `seconds` from now.
std::string http_date_in(int seconds) {
  const std::time_t when = std::time(nullptr) + seconds;
  std::tm tm{};
  gmtime_r(&when, &tm);
  char text[64];
  std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return text;
}

// A port nobody listens on: taken from a server that is gone.
std::string dead_url() {
  ScriptServer gone;
  return gone.base_url();
}

// A listening socket that never accepts: the kernel completes TCP handshakes, and then
// nothing ever answers (a black-holed server, a TLS endpoint that never speaks).
struct Silent {
  net::io_context io;
  net::ip::tcp::acceptor acceptor{io, {net::ip::make_address("127.0.0.1"), 0}};
  std::string url(const char* scheme) const {
    return std::string(scheme) +
           "://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) + "/api";
  }
};

struct Mirror {
  clevertim::testing::ScratchDir dir;
  clevertim::storage::Mirror mirror = clevertim::storage::Mirror::open(dir / "crm.db");
  long long number(const std::string& sql) { return mirror.db().execAndGet(sql).getInt64(); }
  std::string text(const std::string& sql) { return mirror.db().execAndGet(sql).getString(); }
};

}  // namespace

TEST_CASE("crm: a POST answered with anything but a definite refusal is never sent again") {
  // A proxy may answer 503 or 429 after the backend committed the create; a 502, 504 or a
  // crash page may hide one too. Sending the POST again would create the element twice.
  struct Case {
    const char* name;
    Reply reply;
  };
  Reply slow = ok(R"([{"id":9}])");
  slow.delay = milliseconds(1500);
  for (auto& [name, reply] :
       {Case{"503", status(503, error_envelope("busy"), "0")},
        Case{"429", status(429, error_envelope("slow down"), "0")},
        Case{"502", status(502, "<html>Bad Gateway</html>")},
        Case{"504", status(504, "Gateway Timeout")},
        Case{"500 page", status(500, "<html>Internal Server Error</html>")},
        Case{"201", status(201, envelope(R"([{"id":9}])"))}, Case{"timeout", slow}}) {
    CAPTURE(name);
    ScriptServer server;
    server.push(reply);
    server.push(ok(R"([{"id":10,"fn":"Ann"}])"));  // what a blind re-send would get
    net::io_context io;
    auto options = options_for(server);
    options.request_timeout = milliseconds(500);
    CrmOverHttp crm(io.get_executor(), options, kFast);
    const WriteResult r = run(io, crm.create("contact", {{"fn", "Ann"}}));
    CHECK(r.status == Status::kUnknown);
    CHECK(count(server, "POST") == 1);
    CHECK_FALSE(r.message.empty());
  }
}

TEST_CASE("crm: a POST refused for good is reported as such, sent once") {
  struct Case {
    int code;
    Status expected;
  };
  for (auto [code, expected] : {Case{400, Status::kRejected}, Case{401, Status::kUnauthorized},
                                Case{403, Status::kUnauthorized}, Case{404, Status::kNotFound},
                                Case{501, Status::kRejected}, Case{409, Status::kRejected},
                                Case{500, Status::kRejected}}) {  // 500 + envelope: bad JSON
    CAPTURE(code);
    ScriptServer server;
    server.push(status(code, error_envelope("refused " + std::to_string(code))));
    server.push(ok(R"([{"id":10}])"));
    net::io_context io;
    CrmOverHttp crm(io.get_executor(), options_for(server), kFast);
    const WriteResult r = run(io, crm.create("contact", {{"fn", "Ann"}}));
    CHECK(r.status == expected);
    CHECK(r.message.find("refused " + std::to_string(code)) != std::string::npos);
    CHECK(count(server, "POST") == 1);
  }
}

TEST_CASE("crm: a POST that certainly never left is retried, then waits") {
  std::string dead_url;
  {
    ScriptServer gone;
    dead_url = gone.base_url();
  }
  net::io_context io;
  ClientOptions options;
  options.base_url = dead_url;
  options.token = kToken;
  CrmOverHttp crm(io.get_executor(), options, kFast);
  const WriteResult r = run(io, crm.create("contact", {{"fn", "Ann"}}));
  CHECK(r.status == Status::kRetryLater);  // nothing was created: no check needed
  CHECK(r.message.find("connecting") != std::string::npos);
}

TEST_CASE("crm: PUT, DELETE and GET are retried after 503 and 429 (idempotent)") {
  ScriptServer server;
  server.push(status(503, error_envelope("busy"), "0"));
  server.push(ok(R"([{"id":7,"fn":"Bea"}])"));
  server.push(status(429, error_envelope("slow down"), "0"));
  server.push(ok("[]"));
  server.push(status(502, "gateway"));
  server.push(ok(R"([{"id":7,"fn":"Bea"}])"));
  net::io_context io;
  CrmOverHttp crm(io.get_executor(), options_for(server), kFast);
  CHECK(run(io, crm.update("contact", 7, {{"fn", "Bea"}})).ok());
  CHECK(run(io, crm.remove("contact", 8)).ok());
  CHECK(run(io, crm.read_one("contact", 7)).ok());
  CHECK(count(server, "PUT") == 2);
  CHECK(count(server, "DELETE") == 2);
  CHECK(count(server, "GET") == 2);
}

TEST_CASE("crm: Retry-After as an HTTP date is honoured, and cut to the retry cap") {
  LogCapture log;
  ScriptServer server;
  server.push(status(503, error_envelope("busy"), http_date_in(2)));
  server.push(ok(R"([{"id":7}])"));
  server.push(status(429, error_envelope("busy"), http_date_in(3600)));
  server.push(ok(R"([{"id":7}])"));
  net::io_context io;
  CrmOverHttp crm(io.get_executor(), options_for(server),
                  RetryPolicy{milliseconds(1), milliseconds(3000), 3});
  // 2 s ahead, at a second's resolution: between 1 and 2 s, more than the backoff's 1 ms.
  auto first = run_within(io, crm.read_one("contact", 7), std::chrono::seconds(20));
  REQUIRE(first);
  CHECK(first->ok());
  const std::string text = log.out->str();
  const auto at = text.find("attempt 2 of 3 in ");
  REQUIRE(at != std::string::npos);
  const long waited = std::stol(text.substr(at + 18));
  CHECK(waited >= 1000);
  CHECK(waited <= 2000);
  // An hour ahead: cut to retry_cap (3 s), not the hour, nor the 5 minutes it used to be.
  auto second = run_within(io, crm.read_one("contact", 7), std::chrono::seconds(20));
  REQUIRE(second);
  CHECK(second->ok());
  CHECK(log.lines_with("in 3000 ms") == 1);
}

TEST_CASE("crm: the TLS handshake is bounded by connect_timeout") {
  Silent silent;
  net::io_context io;
  ClientOptions options;
  options.base_url = silent.url("https");
  options.token = kToken;
  options.connect_timeout = milliseconds(300);
  options.request_timeout = milliseconds(20000);
  HttpClient client(io.get_executor(), options);
  const auto start = std::chrono::steady_clock::now();
  auto r = run_within(io, client.get_one("contact", 1), std::chrono::seconds(30));
  REQUIRE(r);
  REQUIRE_FALSE(*r);
  CHECK(r->failure().kind == FailureKind::kTimeout);
  CHECK_FALSE(r->failure().maybe_reached_server);
  // Named by the setting that bounds it, so that the reader knows what to change.
  CHECK(r->failure().message.find("connect_timeout") != std::string::npos);
  CHECK(r->failure().message.find("TLS handshake") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - start < options.request_timeout);
}

TEST_CASE("crm: a host that cannot be reached is tried once per cycle, said once") {
  LogCapture log;
  Mirror m;
  net::io_context io;
  ClientOptions options;
  options.base_url = dead_url();
  options.token = kToken;
  CrmOverHttp crm(io.get_executor(), options, RetryPolicy{milliseconds(1), milliseconds(5), 4});
  const CycleReport report = run(io, run_cycle(m.mirror, crm, crm, {}));
  CHECK_FALSE(report.ok());
  REQUIRE(report.pull_failures.size() == 10);
  for (const std::string& f : report.pull_failures) {
    CAPTURE(f);
    CHECK(f.find("connecting to 127.0.0.1") != std::string::npos);
  }
  // Two read-alls are in flight at once: at most both retried, the other eight not sent.
  CHECK(log.lines_with("; attempt ") <= 6);
  CHECK(log.lines_with("the rest of this cycle") == 1);
}

TEST_CASE("crm: a server that accepts and never answers is given up on for the cycle") {
  LogCapture log;
  Silent silent;
  Mirror m;
  net::io_context io;
  ClientOptions options;
  options.base_url = silent.url("http");
  options.token = kToken;
  options.request_timeout = milliseconds(200);
  CrmOverHttp crm(io.get_executor(), options, RetryPolicy{milliseconds(1), milliseconds(5), 2});
  auto report = run_within(io, run_cycle(m.mirror, crm, crm, {}), std::chrono::seconds(60));
  REQUIRE(report);
  REQUIRE(report->pull_failures.size() == 10);
  for (const std::string& f : report->pull_failures) {
    CAPTURE(f);
    CHECK(f.find("waiting for the answer") != std::string::npos);
  }
  CHECK(log.lines_with("; attempt ") <= 2);
  CHECK(log.lines_with("the rest of this cycle") == 1);
}

TEST_CASE("crm: an element larger than max_element_size is skipped, its row kept") {
  Mirror m;
  ScriptServer server;
  server.push(ok(R"([{"id":1,"fn":"Ann"}])"));
  // The same contact again, now with a 17 MiB field (the default limit is 16 MiB), streamed
  // in 64 KiB pieces, then a small new one.
  Reply big;
  int piece = 0;
  big.generate = [&piece]() -> std::string {
    constexpr int kPieces = 17 * 16;  // 17 MiB of 64 KiB
    ++piece;
    if (piece == 1) return R"({"status":"OK","content":[{"id":1,"fn":"Ann","bg":")";
    if (piece <= kPieces + 1) return std::string(64 * 1024, 'x');
    if (piece == kPieces + 2) return R"("},{"id":2,"fn":"Bob"}]})";
    return "";
  };
  server.push(big);
  net::io_context io;
  CrmOverHttp crm(io.get_executor(), options_for(server), kFast);
  CycleOptions options;
  options.resources = {"contact"};
  REQUIRE(run(io, run_cycle(m.mirror, crm, crm, options)).ok());
  REQUIRE(m.number("SELECT count(*) FROM contacts") == 1);

  const CycleReport report = run(io, run_cycle(m.mirror, crm, crm, options));
  REQUIRE(report.pulls.size() == 1);
  CHECK(report.pulls[0].skipped == 1);
  CHECK(report.pulls[0].deleted == 0);
  CHECK(report.pulls[0].created == 1);
  // Still in the CRM: its row stays as last synced, not deleted, not overwritten.
  CHECK(m.number("SELECT count(*) FROM contacts WHERE id = 1") == 1);
  CHECK(m.number("SELECT length(raw) < 1000 FROM contacts WHERE id = 1") == 1);
  CHECK(m.number("SELECT count(*) FROM contacts WHERE id = 2") == 1);
}

TEST_CASE("crm: a cycle ends at its deadline, what remains waits for the next one") {
  LogCapture log;
  Mirror m;
  ScriptServer server;
  for (int i = 0; i < 10; ++i) {
    Reply slow = ok("[]");
    slow.delay = milliseconds(3000);  // each read-all stalls, but within request_timeout
    server.push(slow);
  }
  net::io_context io;
  CrmOverHttp crm(io.get_executor(), options_for(server), kFast);
  CycleOptions options;
  options.timeout = milliseconds(500);
  auto report = run_within(io, run_cycle(m.mirror, crm, crm, options), std::chrono::seconds(60));
  REQUIRE(report);
  CHECK_FALSE(report->ok());
  REQUIRE(report->pull_failures.size() == 10);
  for (const std::string& f : report->pull_failures) {
    CAPTURE(f);
    CHECK(f.find("sync.cycle_timeout") != std::string::npos);
  }
  CHECK(log.lines_with("ran out of time") == 1);
  CHECK(server.requests().size() <= 2);  // the two read-alls in flight, none after
}
