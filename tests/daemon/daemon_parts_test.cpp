// The service's standalone parts: the instance lock, systemd notifications on a real
// NOTIFY_SOCKET, and noticing writes to the mirror's files.
#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "daemon/instance_lock.h"
#include "daemon/local_write_watch.h"
#include "daemon/notify.h"

using namespace clevertim::daemon;
namespace fs = std::filesystem;

namespace {

struct TempFolder {
  fs::path path;
  TempFolder() {
    std::string pattern = (fs::temp_directory_path() / "clevertim-daemon-XXXXXX").string();
    path = mkdtemp(pattern.data());
  }
  ~TempFolder() { fs::remove_all(path); }
};

}  // namespace

TEST_CASE("a second instance on the same mirror is refused, naming the first") {
  TempFolder dir;
  InstanceLock first(dir.path / "crm.db");
  try {
    InstanceLock second(dir.path / "crm.db");
    FAIL("a second lock was taken");
  } catch (const AlreadyRunning& e) {
    CHECK(std::string(e.what()).find("pid " + std::to_string(getpid())) != std::string::npos);
  }
  InstanceLock other(dir.path / "other.db");  // another mirror is fine
}

TEST_CASE("the lock is free again once its holder is gone") {
  TempFolder dir;
  { InstanceLock first(dir.path / "crm.db"); }
  InstanceLock again(dir.path / "crm.db");
}

TEST_CASE("READY, STATUS and WATCHDOG reach the socket in NOTIFY_SOCKET") {
  TempFolder dir;
  const std::string socket_path = (dir.path / "notify.sock").string();
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket_path.c_str());
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  setenv("NOTIFY_SOCKET", socket_path.c_str(), 1);
  setenv("WATCHDOG_USEC", "2000000", 1);
  setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);

  Notifier notifier;
  notifier.ready();
  notifier.status("last sync 12:00:00: 0 pending");
  notifier.watchdog();
  const auto period = notifier.watchdog_period();
  REQUIRE(period.has_value());
  CHECK(period->count() == 1000000);

  auto receive = [&] {
    char buf[512] = {};
    const ssize_t n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  };
  CHECK(receive() == "READY=1");
  CHECK(receive() == "STATUS=last sync 12:00:00: 0 pending");
  CHECK(receive() == "WATCHDOG=1");
  unsetenv("NOTIFY_SOCKET");
  unsetenv("WATCHDOG_USEC");
  unsetenv("WATCHDOG_PID");
  close(fd);
}

TEST_CASE("a write to the mirror's WAL is noticed, other files are not") {
  TempFolder dir;
  boost::asio::io_context io;
  LocalWriteWatch watch(io.get_executor(), dir.path / "crm.db");
  bool noticed = false;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        co_await watch.next_write();
        noticed = true;
      },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  boost::asio::steady_timer timer(io);
  std::ofstream(dir.path / "unrelated.txt") << "x";
  io.run_for(std::chrono::milliseconds(200));
  CHECK_FALSE(noticed);
  std::ofstream(dir.path / "crm.db-wal") << "x";
  io.run_for(std::chrono::milliseconds(1000));
  CHECK(noticed);
}
