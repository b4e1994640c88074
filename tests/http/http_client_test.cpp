// HttpClient against the scripted server over plain HTTP on loopback.
#include <doctest/doctest.h>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/detail/base64.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "client_fixture.h"
#include "http/retry.h"

using namespace clevertim::sync;
using namespace testsrv;
namespace json = boost::json;
namespace net = boost::asio;
using std::chrono::milliseconds;

namespace {

Reply ok(const std::string& content_json) {
  Reply r;
  r.body = envelope(content_json);
  return r;
}

Reply status(int code, std::string body) {
  Reply r;
  r.status = code;
  r.body = std::move(body);
  return r;
}

json::object contact(std::int64_t id) {
  return {{"id", id}, {"fn", "Ann"}, {"ln", "Lee"}};
}

}  // namespace

TEST_CASE("client: get_one sends auth, accept headers and returns content[0]") {
  ScriptServer server;
  server.push(ok(R"([{"id":42,"fn":"Ann"}])"));
  net::io_context io;
  HttpClient client(io.get_executor(), options_for(server));
  auto r = run(io, client.get_one("contact", 42));
  REQUIRE(r);
  CHECK(r.value().at("fn").as_string() == "Ann");

  auto seen = server.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].method == "GET");
  CHECK(seen[0].target == "/api/contact/42");
  CHECK(seen[0].headers["accept"] == "application/json");
  CHECK(seen[0].headers["accept-encoding"] == "gzip");
  const std::string credentials = std::string(kToken) + ":X";
  std::string b64(boost::beast::detail::base64::encoded_size(credentials.size()), '\0');
  b64.resize(
      boost::beast::detail::base64::encode(b64.data(), credentials.data(), credentials.size()));
  CHECK(seen[0].headers["authorization"] == "Basic " + b64);
  CHECK(seen[0].headers["host"] == "127.0.0.1:" + std::to_string(server.port()));
}

TEST_CASE("client: post, put and remove") {
  ScriptServer server;
  server.push(ok(R"([{"id":7,"fn":"Ann","ln":"Lee","ao":"2024"}])"));
  server.push(ok(R"([{"id":7,"fn":"Bea"}])"));
  server.push(ok("[]"));  // a delete answer with content is fine too
  server.push(status(200, R"({"status":"OK"})"));
  net::io_context io;
  HttpClient client(io.get_executor(), options_for(server));

  auto created = run(io, client.post("contact", contact(0)));
  REQUIRE(created);
  CHECK(created->at("id").as_int64() == 7);
  auto updated = run(io, client.put("contact", 7, {{"fn", "Bea"}}));
  REQUIRE(updated);
  CHECK(updated->at("fn").as_string() == "Bea");
  CHECK(run(io, client.remove("contact", 7)));
  CHECK(run(io, client.remove("contact", 8)));

  auto seen = server.requests();
  REQUIRE(seen.size() == 4);
  CHECK(seen[0].method == "POST");
  CHECK(seen[0].target == "/api/contact");
  CHECK(seen[0].headers["content-type"] == "application/json");
  CHECK(json::parse(seen[0].body) == json::value(contact(0)));
  CHECK(seen[0].body.find(' ') == std::string::npos);  // compact, like the vendor client
  CHECK(seen[1].method == "PUT");
  CHECK(seen[1].target == "/api/contact/7");
  CHECK(seen[2].method == "DELETE");
  CHECK(seen[2].body.empty());
  CHECK(seen[3].target == "/api/contact/8");
}

TEST_CASE("client: invalid resource names never reach the server") {
  ScriptServer server;
  net::io_context io;
  HttpClient client(io.get_executor(), options_for(server));
  auto r = run(io, client.get_one("../contact", 1));
  CHECK_FALSE(r);
  CHECK_FALSE(run(io, client.fetch_all("a b", [](json::object&&) {})));
  CHECK(server.requests().empty());
}

TEST_CASE("client: each failure is classified, and the server's error text kept") {
  ScriptServer server;
  net::io_context io;
  HttpClient client(io.get_executor(), options_for(server));
  struct Case {
    int code;
    FailureKind kind;
  };
  for (auto [code, kind] :
       {Case{400, FailureKind::kBadRequest}, Case{401, FailureKind::kUnauthorized},
        Case{403, FailureKind::kForbidden}, Case{404, FailureKind::kNotFound},
        Case{500, FailureKind::kBadBody}, Case{501, FailureKind::kNotSupported},
        Case{429, FailureKind::kRateLimited}, Case{503, FailureKind::kServerError},
        Case{418, FailureKind::kOtherStatus}}) {
    const std::string text = "message for " + std::to_string(code);
    server.push(status(code, error_envelope(text)));
    auto r = run(io, client.put("comment", 5, {{"comment", "x"}}));
    REQUIRE_FALSE(r);
    CHECK(r.failure().kind == kind);
    CHECK(r.failure().http_status == code);
    CHECK(r.failure().message == text);
  }
}

TEST_CASE("client: non-JSON error bodies, Retry-After and maybe_reached_server") {
  ScriptServer server;
  net::io_context io;
  HttpClient client(io.get_executor(), options_for(server));

  Reply proxy = status(502, "<html><body>Bad Gateway</body></html>");
  proxy.headers = {{"Content-Type", "text/html"}};
  server.push(proxy);
  auto r = run(io, client.post("contact", contact(0)));
  REQUIRE_FALSE(r);
  CHECK(r.failure().kind == FailureKind::kServerError);
  CHECK(r.failure().message.find("/api/contact") != std::string::npos);
  CHECK(r.failure().message.find("502") != std::string::npos);
  CHECK(r.failure().maybe_reached_server);
  CHECK_FALSE(r.failure().retryable());  // a POST behind a 502 may have been applied

  Reply busy = status(429, error_envelope("slow down"));
  busy.headers = {{"Retry-After", "3"}};
  server.push(busy);
  r = run(io, client.post("contact", contact(0)));
  REQUIRE_FALSE(r);
  CHECK(r.failure().retry_after == milliseconds{3000});
  // A proxy may answer 429 (or 503) after the backend created the element: not a refusal.
  CHECK(r.failure().maybe_reached_server);
  CHECK_FALSE(r.failure().retryable());

  Reply down = status(503, "");
  down.headers = {{"Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"}};  // in the past: 0
  server.push(down);
  auto g = run(io, client.get_one("contact", 1));
  REQUIRE_FALSE(g);
  CHECK(g.failure().kind == FailureKind::kServerError);
  CHECK(g.failure().retry_after == milliseconds{0});
  CHECK(g.failure().retryable());
}

TEST_CASE("client: bad bodies on a 200") {
  ScriptServer server;
  net::io_context io;
  HttpClient client(io.get_executor(), options_for(server));
  auto get = [&](Reply reply) {
    server.push(std::move(reply));
    return run(io, client.get_one("contact", 1));
  };
  SUBCASE("not JSON") {
    auto r = get(status(200, "<html>hello</html>"));
    REQUIRE_FALSE(r);
    CHECK(r.failure().kind == FailureKind::kBadJson);
    CHECK(r.failure().retryable());
  }
  SUBCASE("truncated JSON in a complete HTTP body") {
    auto r = get(status(200, R"({"status":"OK","content":[{"id":1)"));
    REQUIRE_FALSE(r);
    CHECK(r.failure().kind == FailureKind::kBadJson);
  }
  SUBCASE("status ERROR on a 200 keeps the server's text") {
    auto r = get(status(200, error_envelope("quota exceeded")));
    REQUIRE_FALSE(r);
    CHECK(r.failure().kind == FailureKind::kBadEnvelope);
    CHECK(r.failure().message == "quota exceeded");
  }
  SUBCASE("no content") {
    auto r = get(status(200, R"({"status":"OK"})"));
    REQUIRE_FALSE(r);
    CHECK(r.failure().kind == FailureKind::kBadEnvelope);
  }
  SUBCASE("empty content for a read-one") {
    auto r = get(ok("[]"));
    REQUIRE_FALSE(r);
    CHECK(r.failure().kind == FailureKind::kBadEnvelope);
  }
  SUBCASE("content[0] not an object") {
    auto r = get(ok("[5]"));
    REQUIRE_FALSE(r);
    CHECK(r.failure().kind == FailureKind::kBadEnvelope);
  }
  SUBCASE("connection closed mid-body") {
    Reply cut = ok(R"([{"id":1,"fn":"a long enough name"}])");
    cut.cut_after = 20;
    auto r = get(cut);
    REQUIRE_FALSE(r);
    CHECK(r.failure().kind == FailureKind::kNetwork);
    CHECK(r.failure().maybe_reached_server);
  }
  SUBCASE("corrupt gzip") {
    Reply bad = status(200, "this is not gzip at all");
    bad.headers = {{"Content-Encoding", "gzip"}};
    auto r = get(bad);
    REQUIRE_FALSE(r);
    CHECK(r.failure().kind == FailureKind::kBadJson);
  }
  SUBCASE("unknown content encoding") {
    Reply bad = ok("[{}]");
    bad.headers = {{"Content-Encoding", "br"}};
    auto r = get(bad);
    REQUIRE_FALSE(r);
    CHECK(r.failure().kind == FailureKind::kBadJson);
  }
}

TEST_CASE("client: fetch_all hands over objects one at a time, counts non-objects") {
  ScriptServer server;
  server.push(ok(R"([{"id":1},{"id":2},7,{"id":3},[1]])"));
  net::io_context io;
  HttpClient client(io.get_executor(), options_for(server));
  std::vector<std::int64_t> ids;
  auto r = run(io, client.fetch_all(
                       "contact", [&](json::object&& o) { ids.push_back(o.at("id").as_int64()); }));
  REQUIRE(r);
  CHECK(ids == std::vector<std::int64_t>{1, 2, 3});
  CHECK(r->elements == 3);
  CHECK(r->non_objects == 2);
  CHECK(server.requests().at(0).target == "/api/contact");
}

TEST_CASE("client: fetch_all failing late has already handed over some elements") {
  ScriptServer server;
  Reply cut = ok(R"([{"id":1},{"id":2},{"id":3},{"id":4}])");
  cut.cut_after = 40;
  server.push(cut);
  net::io_context io;
  HttpClient client(io.get_executor(), options_for(server));
  int got = 0;
  auto r = run(io, client.fetch_all("contact", [&](json::object&&) { ++got; }));
  REQUIRE_FALSE(r);
  CHECK(r.failure().kind == FailureKind::kNetwork);
  CHECK(got >= 1);  // why the caller must stage, and apply only on success
}

// A read-all of `total` contacts with ids from 0, each about 400 bytes, sent chunked and
// generated on the fly (the server never holds it whole).
Reply big_list(std::int64_t total) {
  Reply big;
  big.generate = [total, next = std::int64_t{0}, sent_head = false,
                  sent_tail = false]() mutable -> std::string {
    if (!sent_head) {
      sent_head = true;
      return R"({"status":"OK","content":[)";
    }
    if (next >= total) {
      if (sent_tail) return "";
      sent_tail = true;
      return "]}";
    }
    const std::string filler(350, 'x');
    std::string piece;
    for (int i = 0; i < 100 && next < total; ++i, ++next) {
      if (next > 0) piece += ",";
      piece += R"({"id":)" + std::to_string(next) + R"(,"fn":"Name )" + std::to_string(next) +
               R"(","description":")" + filler + R"(","tags":["a","b"]})";
    }
    return piece;
  };
  return big;
}

TEST_CASE("client: fetch_all streams a 40 MB read-all with bounded memory") {
  const std::int64_t total = 100000;  // ~40 MB
  ScriptServer server;
  server.push(big_list(total));
  net::io_context io;
  HttpClient client(io.get_executor(), options_for(server));
  std::int64_t count = 0, expected_id = 0;
  std::size_t largest_element = 0;
  std::uint64_t last_progress = 0, progress_calls = 0;
  bool ordered = true;
  auto r = run(io, client.fetch_all(
                       "contact",
                       [&](json::object&& o) {
                         ordered = ordered && o.at("id").as_int64() == expected_id++;
                         largest_element = std::max(largest_element, json::serialize(o).size());
                         ++count;
                       },
                       [&](std::uint64_t bytes) {
                         CHECK(bytes >= last_progress);
                         last_progress = bytes;
                         ++progress_calls;
                       }));
  REQUIRE(r);
  CHECK(count == total);
  CHECK(ordered);
  CHECK(r->elements == static_cast<std::uint64_t>(total));
  CHECK(r->body_bytes > 40'000'000);
  CHECK(r->decoded_bytes == r->body_bytes);
  CHECK(last_progress == r->body_bytes);
  CHECK(progress_calls > 100);
  // What was parsed at once: one 128 KiB piece of JSON (a read-all reads at most four such
  // pieces ahead of its parsing), one element of a few hundred bytes.
  CHECK(r->largest_chunk <= 128 * 1024);
  CHECK(largest_element < 512);
}

// A read-all's body is parsed on threads of the client's own while its socket is read.
TEST_CASE("client: two read-alls at once: each hands over its elements in order, one at a time") {
  const std::int64_t total = 20000;  // ~8 MB each
  ScriptServer server;
  server.push(big_list(total));
  server.push(big_list(total));
  net::io_context io;
  HttpClient client(io.get_executor(), options_for(server));
  struct Seen {
    std::atomic<int> inside{0};  // callbacks of this read-all running now
    bool overlapped = false;
    bool ordered = true;
    std::int64_t next = 0;
    bool off_the_reading_thread = false;
  } seen[2];
  const auto reading_thread = std::this_thread::get_id();
  int finished = 0;
  for (Seen& s : seen) {
    net::co_spawn(io,
                  client.fetch_all("contact",
                                   [&](json::object&& o) {
                                     if (s.inside.fetch_add(1) != 0) s.overlapped = true;
                                     s.ordered = s.ordered && o.at("id").as_int64() == s.next++;
                                     if (std::this_thread::get_id() != reading_thread)
                                       s.off_the_reading_thread = true;
                                     s.inside.fetch_sub(1);
                                   }),
                  [&](std::exception_ptr e, Result<FetchStats> r) {
                    CHECK_FALSE(e);
                    CHECK(r.ok());
                    ++finished;
                  });
  }
  io.run();
  CHECK(finished == 2);
  for (const Seen& s : seen) {
    CHECK(s.next == total);
    CHECK(s.ordered);
    CHECK_FALSE(s.overlapped);
    CHECK(s.off_the_reading_thread);
  }
  CHECK(server.connections() == 2);
}

// What a pull's staging throws (a full disk) reaches the caller, and no element after it is
// handed over, though the pieces read ahead were in flight.
TEST_CASE("client: an element callback that throws ends the read-all with its exception") {
  ScriptServer server;
  server.push(big_list(50000));
  server.push(ok(R"([{"id":1}])"));
  net::io_context io;
  HttpClient client(io.get_executor(), options_for(server));
  std::int64_t handed_over = 0;
  auto fetch = client.fetch_all("contact", [&](json::object&&) {
    if (++handed_over == 3000) throw std::runtime_error("the staging file filled the disk");
  });
  CHECK_THROWS_WITH(run(io, std::move(fetch)), "the staging file filled the disk");
  CHECK(handed_over == 3000);
  io.restart();
  auto again = run(io, client.get_one("contact", 1));  // the client goes on working
  CHECK(again.ok());
}

TEST_CASE("client: gzip bodies are decoded transparently") {
  std::string content = "[";
  for (int i = 0; i < 20000; ++i) {
    if (i > 0) content += ",";
    content += R"({"id":)" + std::to_string(i) + R"(,"cn":"Acme )" + std::to_string(i) + R"("})";
  }
  content += "]";
  Reply zipped = ok(content);
  zipped.gzip = true;
  ScriptServer server;
  server.push(zipped);
  Reply zipped_one = ok(R"([{"id":9}])");
  zipped_one.gzip = true;
  server.push(zipped_one);
  Reply zipped_error = status(400, error_envelope("name is required"));
  zipped_error.gzip = true;
  server.push(zipped_error);

  net::io_context io;
  HttpClient client(io.get_executor(), options_for(server));
  std::int64_t count = 0;
  auto r = run(io, client.fetch_all("company", [&](json::object&&) { ++count; }));
  REQUIRE(r);
  CHECK(count == 20000);
  CHECK(r->decoded_bytes > r->body_bytes);
  CHECK(r->largest_chunk <= 64 * 1024);
  auto one = run(io, client.get_one("company", 9));
  REQUIRE(one);
  CHECK(one->at("id").as_int64() == 9);
  auto bad = run(io, client.post("company", {{"x", 1}}));
  REQUIRE_FALSE(bad);
  CHECK(bad.failure().message == "name is required");
}

TEST_CASE("client: keep-alive reuses one connection for several requests") {
  ScriptServer server;
  for (int i = 0; i < 4; ++i) server.push(ok(R"([{"id":1}])"));
  net::io_context io;
  HttpClient client(io.get_executor(), options_for(server));
  for (int i = 0; i < 4; ++i) REQUIRE(run(io, client.get_one("task", 1)));
  CHECK(server.connections() == 1);
  CHECK(client.connections_opened() == 1);
}

TEST_CASE("client: Connection: close and an idle close are followed by a reconnect") {
  ScriptServer server;
  Reply closing = ok(R"([{"id":1}])");
  closing.close_after = true;
  server.push(closing);
  Reply idle_close = ok(R"([{"id":2}])");
  idle_close.drop_after = true;  // no Connection: close, the server just hangs up
  server.push(idle_close);
  server.push(ok(R"([{"id":3}])"));
  net::io_context io;
  HttpClient client(io.get_executor(), options_for(server));
  REQUIRE(run(io, client.get_one("task", 1)));
  REQUIRE(run(io, client.get_one("task", 2)));
  // Give the server's FIN time to arrive; the client must notice it before sending.
  std::this_thread::sleep_for(milliseconds(50));
  auto third = run(io, client.get_one("task", 3));
  REQUIRE(third);
  CHECK(third->at("id").as_int64() == 3);
  CHECK(server.connections() == 3);
  CHECK(server.requests().size() == 3);
}

TEST_CASE("client: a kept-alive connection lost before the answer: GET re-sent, POST not") {
  ScriptServer server;
  net::io_context io;
  HttpClient client(io.get_executor(), options_for(server));

  server.push(ok(R"([{"id":1}])"));
  Reply lost;
  lost.drop_request = true;
  server.push(lost);
  server.push(ok(R"([{"id":2}])"));
  REQUIRE(run(io, client.get_one("note", 1)));
  auto again = run(io, client.get_one("note", 2));
  REQUIRE(again);  // re-sent once on a new connection
  CHECK(server.requests().size() == 3);
  CHECK(server.connections() == 2);

  server.push(lost);
  server.push(ok(R"([{"id":3}])"));
  auto created = run(io, client.post("note", {{"desc", "hello"}}));
  REQUIRE_FALSE(created);  // it may have been created: never sent twice
  CHECK(created.failure().kind == FailureKind::kNetwork);
  CHECK(created.failure().maybe_reached_server);
  CHECK_FALSE(created.failure().retryable());
  CHECK(server.requests().size() == 4);
}

TEST_CASE("client: at most max_connections at once") {
  ScriptServer server;
  for (int i = 0; i < 6; ++i) {
    Reply slow = ok(R"([{"id":1}])");
    slow.delay = milliseconds(30);
    server.push(slow);
  }
  net::io_context io;
  auto options = options_for(server);
  options.max_connections = 2;
  HttpClient client(io.get_executor(), options);
  int done = 0;
  for (int i = 0; i < 6; ++i) {
    net::co_spawn(io, client.get_one("task", 1), [&](std::exception_ptr e, Result<json::object> r) {
      CHECK_FALSE(e);
      CHECK(r.ok());
      ++done;
    });
  }
  io.run();
  CHECK(done == 6);
  CHECK(server.connections() <= 2);
  CHECK(client.connections_opened() <= 2);
}

TEST_CASE("client: timeouts and refused connections") {
  ScriptServer server;
  Reply slow = ok(R"([{"id":1}])");
  slow.delay = milliseconds(3000);
  server.push(slow);
  net::io_context io;
  auto options = options_for(server);
  options.request_timeout = milliseconds(200);
  HttpClient client(io.get_executor(), options);
  auto r = run(io, client.get_one("task", 1));
  REQUIRE_FALSE(r);
  CHECK(r.failure().kind == FailureKind::kTimeout);
  CHECK(r.failure().maybe_reached_server);
  CHECK(r.failure().retryable());

  // A port nobody listens on: take one from a server that is gone.
  std::string dead_url;
  {
    ScriptServer gone;
    dead_url = gone.base_url();
  }
  options.base_url = dead_url;
  HttpClient nowhere(io.get_executor(), options);
  auto refused = run(io, nowhere.post("task", {{"name", "x"}}));
  REQUIRE_FALSE(refused);
  CHECK(refused.failure().kind == FailureKind::kNetwork);
  CHECK_FALSE(refused.failure().maybe_reached_server);
  CHECK(refused.failure().retryable());  // even a POST: it never left
}

TEST_CASE("client: with_retry over the client retries 5xx/429 and stops on 4xx") {
  ScriptServer server;
  net::io_context io;
  HttpClient client(io.get_executor(), options_for(server));
  RetryPolicy fast{milliseconds(1), milliseconds(10), 5};
  RetryRng rng(11);
  std::vector<int> logged;
  auto log = [&](const RetryNotice& n) { logged.push_back(n.failure.http_status); };

  Reply busy = status(429, error_envelope("busy"));
  busy.headers = {{"Retry-After", "0"}};
  server.push(status(503, ""));
  server.push(busy);
  server.push(status(502, "gateway"));
  server.push(ok(R"([{"id":5}])"));
  auto r =
      run(io, with_retry(
                  fast, io.get_executor(), [&] { return client.get_one("case", 5); }, log, &rng));
  REQUIRE(r);
  CHECK(logged == std::vector<int>{503, 429, 502});
  CHECK(server.requests().size() == 4);

  for (int code : {400, 401, 403, 404, 501}) {
    const auto before = server.requests().size();
    server.push(status(code, error_envelope("no")));
    server.push(ok(R"([{"id":5}])"));
    auto f =
        run(io, with_retry(
                    fast, io.get_executor(), [&] { return client.get_one("case", 5); }, log, &rng));
    REQUIRE_FALSE(f);
    CHECK(f.failure().http_status == code);
    CHECK(server.requests().size() == before + 1);
    run(io, client.get_one("case", 5));  // consume the spare reply
  }
}

TEST_CASE("client: plain http to a non-loopback host is refused at construction") {
  net::io_context io;
  ClientOptions options;
  options.base_url = "http://www.clevertim.com/api";
  options.token = kToken;
  try {
    HttpClient client(io.get_executor(), options);
    FAIL("constructed");
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    CHECK(what.find("http://") != std::string::npos);
    CHECK(what.find(kToken) == std::string::npos);
  }
  CHECK(io.poll() == 0);  // nothing was started, so nothing connected

  options.allow_insecure_http = true;
  CHECK_NOTHROW(HttpClient(io.get_executor(), options));
  options.base_url = "http://localhost:9/api";
  options.allow_insecure_http = false;
  CHECK_NOTHROW(HttpClient(io.get_executor(), options));
  options.base_url = "not a url";
  CHECK_THROWS_AS(HttpClient(io.get_executor(), options), std::invalid_argument);
  options.base_url = "http://127.0.0.1:9/api";
  options.token.clear();
  CHECK_THROWS_AS(HttpClient(io.get_executor(), options), std::invalid_argument);
}

TEST_CASE("client: the token never appears in failures or logs") {
  auto out = std::make_shared<std::ostringstream>();
  auto logger = std::make_shared<spdlog::logger>(
      "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(*out));
  logger->set_level(spdlog::level::trace);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(logger);

  const std::string credentials = std::string(kToken) + ":X";
  std::string b64(boost::beast::detail::base64::encoded_size(credentials.size()), '\0');
  b64.resize(
      boost::beast::detail::base64::encode(b64.data(), credentials.data(), credentials.size()));
  std::vector<std::string> texts;
  {
    ScriptServer server;
    net::io_context io;
    auto options = options_for(server);
    options.request_timeout = milliseconds(200);
    HttpClient client(io.get_executor(), options);
    Reply slow = ok("[]");
    slow.delay = milliseconds(2000);
    Reply cut = ok(R"([{"id":1,"x":"yyyyyyyyyyyyyyyy"}])");
    cut.cut_after = 10;
    Reply lost;
    lost.drop_request = true;
    for (Reply reply : {status(401, error_envelope("bad token")), status(403, ""),
                        status(502, "<html/>"), status(200, "nonsense"), cut, slow, lost}) {
      server.push(reply);
      auto r = run(io, client.post("contact", contact(0)));
      REQUIRE_FALSE(r);
      texts.push_back(r.failure().describe());
    }
  }
  spdlog::set_default_logger(previous);
  texts.push_back(out->str());
  for (const auto& text : texts) {
    CHECK(text.find(kToken) == std::string::npos);
    CHECK(text.find(b64) == std::string::npos);
  }
  CHECK_FALSE(out->str().empty());  // the requests were logged, just not the secret
}

TEST_CASE("client: shutdown aborts requests in flight and waiting, and fails later calls") {
  ScriptServer server;
  Reply slow = ok(R"([{"id":1}])");
  slow.delay = milliseconds(5000);
  server.push(slow);
  net::io_context io;
  auto options = options_for(server);
  options.max_connections = 1;
  HttpClient client(io.get_executor(), options);
  std::vector<Result<json::object>> results;
  for (int i = 0; i < 2; ++i) {  // the second waits for the only connection
    net::co_spawn(io, client.get_one("task", 1),
                  [&](std::exception_ptr, Result<json::object> r) { results.push_back(r); });
  }
  net::steady_timer later(io, milliseconds(100));
  later.async_wait([&](auto) { client.shutdown(); });
  io.run();
  REQUIRE(results.size() == 2);
  for (const auto& r : results) {
    REQUIRE_FALSE(r);
    CHECK(r.failure().message.find("shutting down") != std::string::npos);
    CHECK_FALSE(r.failure().retryable());
  }
  CHECK(results[0].failure().maybe_reached_server != results[1].failure().maybe_reached_server);
  CHECK_FALSE(run(io, client.get_one("task", 1)));
  CHECK(server.requests().size() == 1);
}
