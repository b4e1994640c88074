// sync/write_batch.cpp: the push's bookkeeping is committed in batches: when a batch is full,
// when it is old, or when asked; a failing write is undone alone; what was never committed is
// rolled back. Another connection (another program reading the mirror) sees only commits.
#include <doctest/doctest.h>

#include <SQLiteCpp/Database.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "mirror_fixture.h"
#include "sync/write_batch.h"

using namespace clevertim;
using namespace std::chrono_literals;

namespace {

struct Fixture : testing::MirrorFile {
  SQLite::Database reader{db_path, SQLite::OPEN_READONLY};
  boost::asio::io_context io;

  // One piece of bookkeeping: a fact in sync_meta.
  std::function<void()> note(int n) {
    return [this, n] {
      mirror.db().exec("INSERT INTO sync_meta (key, value) VALUES ('test-" + std::to_string(n) +
                       "', 'x')");
    };
  }
  // What another program sees committed.
  long long committed() {
    return reader.execAndGet("SELECT count(*) FROM sync_meta WHERE key LIKE 'test-%'").getInt64();
  }
  long long mine() {
    return mirror.db()
        .execAndGet("SELECT count(*) FROM sync_meta WHERE key LIKE 'test-%'")
        .getInt64();
  }
};

}  // namespace

TEST_CASE_FIXTURE(Fixture, "write batch: committed when it holds max_writes writes") {
  sync::WriteBatch batch(mirror.db(), io.get_executor(), {.max_writes = 3, .max_age = 1h});
  batch.add(note(1));
  batch.add(note(2));
  CHECK(mine() == 2);
  CHECK(committed() == 0);
  batch.add(note(3));
  CHECK(committed() == 3);
  batch.add(note(4));  // a new batch
  CHECK(committed() == 3);
  batch.commit();
  CHECK(committed() == 4);
  batch.commit();  // nothing left: does nothing
  CHECK(committed() == 4);
}

TEST_CASE_FIXTURE(Fixture, "write batch: committed when it is max_age old, so the lock is short") {
  sync::WriteBatch batch(mirror.db(), io.get_executor(), {.max_writes = 1000, .max_age = 10ms});
  batch.add(note(1));
  CHECK(committed() == 0);
  io.run_for(2s);  // returns once the age timer has fired: nothing else is waiting
  CHECK(committed() == 1);
  // The next write opens a new batch, with its own timer.
  batch.add(note(2));
  CHECK(committed() == 1);
  io.restart();
  io.run_for(2s);
  CHECK(committed() == 2);
}

TEST_CASE_FIXTURE(Fixture, "write batch: a failing write is undone alone, and its error goes on") {
  sync::WriteBatch batch(mirror.db(), io.get_executor(), {.max_writes = 100, .max_age = 1h});
  batch.add(note(1));
  CHECK_THROWS_AS(batch.add([&] {
    note(2)();  // written, then the answer turns out to be unusable
    throw std::runtime_error("unusable answer");
  }),
                  std::runtime_error);
  CHECK_THROWS(batch.add(note(1)));  // a constraint failure (duplicate key) is undone too
  batch.add(note(3));
  batch.commit();
  CHECK(committed() == 2);
  CHECK(reader
            .execAndGet("SELECT group_concat(key) FROM (SELECT key FROM sync_meta WHERE key "
                        "LIKE 'test-%' ORDER BY key)")
            .getString() == "test-1,test-3");
}

TEST_CASE_FIXTURE(Fixture, "write batch: what was never committed is rolled back") {
  {
    sync::WriteBatch batch(mirror.db(), io.get_executor(), {.max_writes = 100, .max_age = 1h});
    batch.add(note(1));
    batch.add(note(2));
  }
  CHECK(mine() == 0);
  CHECK(committed() == 0);
  // The connection is free for the next writer.
  storage::OwnWriteTransaction tx(mirror.db());
  note(3)();
  tx.commit();
  CHECK(committed() == 1);
}

TEST_CASE_FIXTURE(Fixture, "write batch: its writes are clevertim-sync's own, never captured") {
  testing::seed(mirror, "contact", R"([{"id": 42, "fn": "Ann"}])");
  sync::WriteBatch batch(mirror.db(), io.get_executor());
  batch.add([&] { mirror.db().exec("UPDATE contacts SET city = 'Oslo' WHERE id = 42"); });
  batch.commit();
  CHECK(reader.execAndGet("SELECT city FROM contacts WHERE id = 42").getString() == "Oslo");
  CHECK(reader.execAndGet("SELECT sync_state FROM contacts WHERE id = 42").getString() == "synced");
  CHECK(reader.execAndGet("SELECT count(*) FROM outbox").getInt64() == 0);
}

// Its age timer may have fired, its handler queued, when the batch goes away (the push ended):
// cancelling then does not stop the handler, which must not touch the batch (ASan saw it read
// the freed batch on a slow machine).
TEST_CASE_FIXTURE(Fixture,
                  "write batch: an age timer that fired before the batch went touches nothing") {
  // On the heap, as in the push's coroutine frame: ASan sees a use after it is freed.
  auto batch = std::make_unique<sync::WriteBatch>(mirror.db(), io.get_executor(),
                                                  sync::WriteBatch::Limits{100, 1ms});
  batch->add(note(1));
  std::this_thread::sleep_for(20ms);  // expired: its handler is queued at the next run
  boost::asio::post(io, [&] {         // runs first, as the push's end did
    batch->commit();
    batch.reset();
  });
  io.run();
  CHECK(batch == nullptr);
  CHECK(committed() == 1);
}
