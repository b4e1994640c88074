// Base URLs and the classification of failures.
#include <doctest/doctest.h>

#include <stdexcept>

#include "http/failure.h"
#include "http/url.h"

using namespace clevertim::sync;

TEST_CASE("url: the forms the daemon is configured with") {
  BaseUrl live = parse_base_url("https://www.clevertim.com/api");
  CHECK(live.scheme == "https");
  CHECK(live.tls());
  CHECK(live.host == "www.clevertim.com");
  CHECK(live.port == 443);
  CHECK(live.base_path == "/api");
  CHECK(live.host_header() == "www.clevertim.com");

  BaseUrl local = parse_base_url("http://127.0.0.1:8080/api/");
  CHECK_FALSE(local.tls());
  CHECK(local.host == "127.0.0.1");
  CHECK(local.port == 8080);
  CHECK(local.base_path == "/api");
  CHECK(local.host_header() == "127.0.0.1:8080");

  BaseUrl v6 = parse_base_url("http://[::1]:9/api");
  CHECK(v6.host == "::1");
  CHECK(v6.port == 9);
  CHECK(v6.host_header() == "[::1]:9");

  BaseUrl root = parse_base_url("HTTPS://Example.COM");
  CHECK(root.scheme == "https");
  CHECK(root.host == "example.com");
  CHECK(root.base_path.empty());
}

TEST_CASE("url: bad ones are refused with a reason") {
  for (const char* bad :
       {"", "www.clevertim.com/api", "ftp://host/api", "https:///api", "https://host:/api",
        "https://host:0/api", "https://host:70000/api", "https://host:12x/api",
        "https://user:secret@host/api", "https://host/api?x=1", "https://host/api#f",
        "https://ho st/api", "http://[::1/api", "http://[nothost]/api"}) {
    CHECK_THROWS_AS_MESSAGE(parse_base_url(bad), std::invalid_argument, bad);
  }
  try {
    parse_base_url("https://host:70000/api");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find("port") != std::string::npos);
  }
}

TEST_CASE("url: loopback hosts") {
  CHECK(is_loopback("localhost"));
  CHECK(is_loopback("LOCALHOST"));
  CHECK(is_loopback("127.0.0.1"));
  CHECK(is_loopback("127.1.2.3"));
  CHECK(is_loopback("::1"));
  CHECK(is_loopback("[::1]"));
  CHECK_FALSE(is_loopback("www.clevertim.com"));
  CHECK_FALSE(is_loopback("10.0.0.1"));
  CHECK_FALSE(is_loopback("localhost.evil.com"));
  CHECK_FALSE(is_loopback("::2"));
}

TEST_CASE("failure: status codes map to kinds") {
  CHECK(kind_for_status(400) == FailureKind::kBadRequest);
  CHECK(kind_for_status(401) == FailureKind::kUnauthorized);
  CHECK(kind_for_status(403) == FailureKind::kForbidden);
  CHECK(kind_for_status(404) == FailureKind::kNotFound);
  CHECK(kind_for_status(429) == FailureKind::kRateLimited);
  CHECK(kind_for_status(500) == FailureKind::kBadBody);
  CHECK(kind_for_status(501) == FailureKind::kNotSupported);
  CHECK(kind_for_status(502) == FailureKind::kServerError);
  CHECK(kind_for_status(503) == FailureKind::kServerError);
  CHECK(kind_for_status(302) == FailureKind::kOtherStatus);
  CHECK(kind_for_status(418) == FailureKind::kOtherStatus);
}

TEST_CASE("failure: what is retryable") {
  auto f = [](FailureKind k, bool idempotent = true, bool reached = false) {
    Failure x;
    x.kind = k;
    x.idempotent = idempotent;
    x.maybe_reached_server = reached;
    return x;
  };
  for (auto k : {FailureKind::kNetwork, FailureKind::kTimeout, FailureKind::kRateLimited,
                 FailureKind::kServerError, FailureKind::kBadJson}) {
    CHECK(f(k).retryable());
    CHECK(f(k, true, true).retryable());
    CHECK(f(k, false, false).retryable());       // a POST that certainly did not arrive
    CHECK_FALSE(f(k, false, true).retryable());  // a POST that may have created something
  }
  for (auto k : {FailureKind::kBadRequest, FailureKind::kUnauthorized, FailureKind::kForbidden,
                 FailureKind::kNotFound, FailureKind::kBadBody, FailureKind::kNotSupported,
                 FailureKind::kOtherStatus, FailureKind::kTls, FailureKind::kBadEnvelope}) {
    CHECK_FALSE(f(k).retryable());
  }
}

TEST_CASE("failure: describe names kind, status, message and Retry-After") {
  Failure x;
  x.kind = FailureKind::kRateLimited;
  x.http_status = 429;
  x.message = "slow down";
  x.retry_after = std::chrono::milliseconds(2000);
  const std::string d = x.describe();
  CHECK(d.find("rate limited") != std::string::npos);
  CHECK(d.find("429") != std::string::npos);
  CHECK(d.find("slow down") != std::string::npos);
  CHECK(d.find("2000") != std::string::npos);

  Result<int> none;
  CHECK_FALSE(none.ok());
  Result<int> five = 5;
  REQUIRE(five);
  CHECK(five.value() == 5);
  Result<Empty> bad = x;
  CHECK(bad.failure().kind == FailureKind::kRateLimited);
}
