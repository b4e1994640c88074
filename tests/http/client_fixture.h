// Shared helpers for the HttpClient tests: run a coroutine to completion on a test-owned
// io_context, and build client options for a ScriptServer.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <string>

#include "http/http_client.h"
#include "script_server.h"

namespace testsrv {

inline constexpr const char* kToken = "tok-SECRET-4f1c9e";

// Runs `a` on `io` until it and everything it started are done.
template <class T>
T run(boost::asio::io_context& io, boost::asio::awaitable<T> a) {
  auto future = boost::asio::co_spawn(io, std::move(a), boost::asio::use_future);
  io.restart();
  io.run();
  return future.get();
}

inline clevertim::sync::ClientOptions options_for(const ScriptServer& server) {
  clevertim::sync::ClientOptions o;
  o.base_url = server.base_url();
  o.token = kToken;
  o.connect_timeout = std::chrono::milliseconds(5000);
  o.request_timeout = std::chrono::milliseconds(10000);
  return o;
}

inline std::string envelope(const std::string& content_json) {
  return R"({"status":"OK","content":)" + content_json + "}";
}

inline std::string error_envelope(const std::string& message) {
  return R"({"status":"ERROR","error":")" + message + R"("})";
}

}  // namespace testsrv
