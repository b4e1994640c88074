#include "daemon/local_write_watch.h"

#include <sys/inotify.h>

#include <boost/asio/use_awaitable.hpp>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace clevertim::daemon {
namespace {

int open_inotify(const std::filesystem::path& database) {
  const int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) throw std::runtime_error(std::string("inotify_init1: ") + std::strerror(errno));
  const std::filesystem::path folder =
      database.has_parent_path() ? database.parent_path() : std::filesystem::path(".");
  if (inotify_add_watch(
          fd, folder.c_str(),
          IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM | IN_CREATE) < 0)
    throw std::runtime_error("cannot watch " + folder.string() +
                             " for local writes: " + std::strerror(errno));
  return fd;
}

}  // namespace

LocalWriteWatch::LocalWriteWatch(const boost::asio::any_io_executor& executor,
                                 const std::filesystem::path& database)
    : inotify_(executor, open_inotify(database)),
      db_name_(database.filename().string()),
      wal_name_(database.filename().string() + "-wal") {}

boost::asio::awaitable<void> LocalWriteWatch::next_write() {
  for (;;) {
    const size_t n =
        co_await inotify_.async_read_some(boost::asio::buffer(buffer_), boost::asio::use_awaitable);
    for (size_t offset = 0; offset + sizeof(inotify_event) <= n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer_.data() + offset);
      const std::string name = event->len ? std::string(event->name) : std::string();
      offset += sizeof(inotify_event) + event->len;
      if (name == db_name_ || name == wal_name_) co_return;
    }
  }
}

}  // namespace clevertim::daemon
