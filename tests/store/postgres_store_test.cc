// What only the PostgreSQL store promises beyond the conformance suite:
// URI handling, migrations shared by replicas that start together, retries of
// serialization failures (and Aborted once they run out), pipelined writes
// whose failures fail their transaction, a bounded pool, and
// WaitForEvents woken by other processes' commits.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "service/base/status_macros.h"
#include "service/store/store.h"
#include "tests/store/pg_harness.h"

namespace collections::store {
namespace {

using PostgresTestBase = ::collections::testing::PostgresTest;
using ::collections::testing::PgQuery;

class PostgresStoreTest : public PostgresTestBase {
 protected:
  std::unique_ptr<Store> Open(const std::string& suffix = "") {
    absl::StatusOr<std::unique_ptr<Store>> s = OpenStore(uri_ + suffix);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *std::move(s) : nullptr;
  }
  static absl::StatusOr<int64_t> AppendEvent(Transaction& tx) {
    return tx.AppendEvent(EventRow{0, "", "c", "r", "body", ""});
  }
};

TEST(PostgresUri, MalformedUriIsInvalidArgument) {
  for (const char* uri : {"postgresql:///db?host=/nonexistent&pool_size=0",
                          "postgresql:///db?pool_size=many", "postgres:///db?pool_size=1001",
                          "postgresql:///db?user=a=b", "postgresql:///db?no_such_option=1"}) {
    absl::StatusOr<std::unique_ptr<Store>> s = OpenStore(uri);
    EXPECT_TRUE(absl::IsInvalidArgument(s.status())) << uri << ": " << s.status();
  }
}

TEST(PostgresUri, UnreachableServerIsUnavailable) {
  absl::StatusOr<std::unique_ptr<Store>> s =
      OpenStore("postgresql:///db?host=/nonexistent-collections-socket-dir&connect_timeout=2");
  EXPECT_TRUE(absl::IsUnavailable(s.status())) << s.status();
}

TEST_F(PostgresStoreTest, ReplicasStartingTogetherMigrateOnce) {
  std::vector<std::thread> threads;
  std::atomic<int> opened{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      if (Open("&pool_size=2") != nullptr) ++opened;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(opened.load(), 4);
  // Each migration step ran once: one row per version, 1..N without repeats.
  absl::StatusOr<std::string> rows =
      PgQuery(uri_,
              "SELECT count(*) = count(DISTINCT version) AND count(*) = max(version) "
              "FROM schema_version");
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(*rows, "t");
}

TEST_F(PostgresStoreTest, NewerSchemaIsRefused) {
  ASSERT_NE(Open(), nullptr);
  ASSERT_TRUE(PgQuery(uri_, "INSERT INTO schema_version(version) VALUES (99)").ok());
  absl::StatusOr<std::unique_ptr<Store>> s = OpenStore(uri_);
  EXPECT_TRUE(absl::IsFailedPrecondition(s.status())) << s.status();
}

TEST_F(PostgresStoreTest, BackendNameIsPostgresql) {
  std::unique_ptr<Store> store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->Backend(), "postgresql");
}

// A write that always loses its race: between its read and its write another
// writer commits a change to the same row. Writers through the store wait
// for the tenant lock (next test), so the rival here is plain SQL on its own
// connection, as an operator's script would be. Run retries, then gives up
// with Aborted, and the loser wrote nothing.
TEST_F(PostgresStoreTest, SerializationFailuresAreRetriedThenAborted) {
  std::unique_ptr<Store> store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store
                  ->Run("acme", TxMode::kWrite,
                        [](Transaction& tx) {
                          return tx.PutDoc(Doc{"counter", "n", "", "", "", "0"});
                        })
                  .ok());
  auto bump = [&]() -> absl::Status {
    return PgQuery(uri_,
                   "UPDATE docs SET body = convert_to((convert_from(body, 'UTF8')::int + 1)::text, "
                   "'UTF8') WHERE tenant = 'acme' AND kind = 'counter' AND id = 'n'")
        .status();
  };
  // Loses the first `losses` attempts.
  auto contested = [&](int losses, int* attempts) {
    *attempts = 0;
    return store->Run("acme", TxMode::kWrite, [&](Transaction& tx) -> absl::Status {
      ++*attempts;
      ASSIGN_OR_RETURN(std::optional<Doc> d, tx.GetDoc("counter", "n"));
      int n = 0;
      if (!d || !absl::SimpleAtoi(d->body, &n)) return absl::InternalError("no counter");
      if (*attempts <= losses) RETURN_IF_ERROR(bump());
      RETURN_IF_ERROR(AppendEvent(tx).status());
      return tx.PutDoc(Doc{"counter", "n", "", "", "", absl::StrCat(n + 100)});
    });
  };
  int attempts = 0;
  absl::Status st = contested(2, &attempts);
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_EQ(attempts, 3);

  st = contested(1000, &attempts);
  EXPECT_TRUE(absl::IsAborted(st)) << st;
  EXPECT_EQ(attempts, 20);
  // 2 rival increments, +100 by the contested write that won, then 20 more
  // rival increments; only the winning contested write's event exists.
  ASSERT_TRUE(store
                  ->Run("acme", TxMode::kRead,
                        [](Transaction& tx) -> absl::Status {
                          ASSIGN_OR_RETURN(std::optional<Doc> d, tx.GetDoc("counter", "n"));
                          EXPECT_TRUE(d.has_value() && d->body == "122") << (d ? d->body : "none");
                          return absl::OkStatus();
                        })
                  .ok());
  absl::StatusOr<std::vector<EventRow>> events = store->ListEvents("acme", {});
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(events->size(), 1u);
}

// Two writers of one tenant through two stores (two replicas): the second
// waits for the first to commit and then reads its change, so neither has to
// redo its work after a serialization failure.
TEST_F(PostgresStoreTest, WritersOfOneTenantWaitAndReadTheCommittedChange) {
  std::unique_ptr<Store> a = Open();
  std::unique_ptr<Store> b = Open();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(a->Run("acme", TxMode::kWrite, [](Transaction& tx) {
                 return tx.PutDoc(Doc{"counter", "n", "", "", "", "0"});
               }).ok());
  auto increment = [](Store& store, std::atomic<int>* attempts, absl::Duration hold) {
    return store.Run("acme", TxMode::kWrite, [&](Transaction& tx) -> absl::Status {
      ++*attempts;
      ASSIGN_OR_RETURN(std::optional<Doc> d, tx.GetDoc("counter", "n"));
      int n = 0;
      if (!d || !absl::SimpleAtoi(d->body, &n)) return absl::InternalError("no counter");
      absl::SleepFor(hold);  // the other writer arrives meanwhile
      return tx.PutDoc(Doc{"counter", "n", "", "", "", absl::StrCat(n + 1)});
    });
  };
  std::atomic<int> attempts_a{0}, attempts_b{0};
  absl::Status st_a, st_b;
  std::thread first([&] { st_a = increment(*a, &attempts_a, absl::Milliseconds(300)); });
  absl::SleepFor(absl::Milliseconds(100));
  std::thread second([&] { st_b = increment(*b, &attempts_b, absl::ZeroDuration()); });
  first.join();
  second.join();
  EXPECT_TRUE(st_a.ok()) << st_a;
  EXPECT_TRUE(st_b.ok()) << st_b;
  EXPECT_EQ(attempts_a.load(), 1);
  EXPECT_EQ(attempts_b.load(), 1);
  ASSERT_TRUE(a->Run("acme", TxMode::kRead, [](Transaction& tx) -> absl::Status {
                 ASSIGN_OR_RETURN(std::optional<Doc> d, tx.GetDoc("counter", "n"));
                 EXPECT_TRUE(d.has_value() && d->body == "2") << (d ? d->body : "none");
                 return absl::OkStatus();
               }).ok());
}

TEST_F(PostgresStoreTest, PoolOfOneServesManyThreads) {
  std::unique_ptr<Store> store = Open("&pool_size=1");
  ASSERT_NE(store, nullptr);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        if (store
                ->Run("acme", TxMode::kWrite,
                      [](Transaction& tx) { return AppendEvent(tx).status(); })
                .ok()) {
          ++ok;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 30);
  absl::StatusOr<std::string> backends =
      PgQuery(uri_,
              "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND "
              "application_name = 'collectionsd'");
  ASSERT_TRUE(backends.ok()) << backends.status();
  // One pooled connection plus the listener.
  EXPECT_EQ(*backends, "2");
}

// Writes go in libpq's pipeline, so a failing one is reported by the
// transaction's next read or at commit: the transaction then fails with
// that statement's error, nothing of it is written (not even the writes
// queued before or after it), and the pooled connection serves the next
// transaction.
TEST_F(PostgresStoreTest, APipelinedWriteThatFailsFailsItsTransaction) {
  std::unique_ptr<Store> store = Open("&pool_size=1");
  ASSERT_NE(store, nullptr);
  auto doc = [](const std::string& id, const std::string& customer) {
    return Doc{"customer", id, customer, "", "", "body"};
  };
  // PostgreSQL refuses a NUL byte in text: the write fails on the server.
  const std::string bad_customer("c\0x", 3);
  for (bool read_after : {true, false}) {
    SCOPED_TRACE(read_after ? "reported by a read" : "reported at commit");
    bool read_failed = false;
    absl::Status st = store->Run("acme", TxMode::kWrite, [&](Transaction& tx) -> absl::Status {
      RETURN_IF_ERROR(tx.PutDoc(doc("before", "c1")));
      RETURN_IF_ERROR(tx.PutDoc(doc("bad", bad_customer)));
      RETURN_IF_ERROR(tx.PutDoc(doc("after", "c1")));
      if (read_after) {
        absl::StatusOr<std::optional<Doc>> got = tx.GetDoc("customer", "before");
        read_failed = !got.ok();
        RETURN_IF_ERROR(got.status());
        // Every later call reports the same failure.
        EXPECT_FALSE(tx.PutDoc(doc("later", "c1")).ok());
      }
      return absl::OkStatus();
    });
    EXPECT_FALSE(st.ok());
    EXPECT_EQ(read_failed, read_after);
    // Named by its own statement (the upsert into docs), not by the read.
    EXPECT_NE(st.message().find("FROM docs WHERE tenant=$1 AND kind="), absl::string_view::npos)
        << st;
    EXPECT_NE(st.message().find("0x00"), absl::string_view::npos) << st;
    for (const char* id : {"before", "bad", "after", "later"}) {
      absl::StatusOr<std::string> n = PgQuery(
          uri_, absl::StrCat("SELECT count(*) FROM docs WHERE tenant='acme' AND id='", id, "'"));
      ASSERT_TRUE(n.ok()) << n.status();
      EXPECT_EQ(*n, "0") << id;
    }
  }
  // The one pooled connection is usable: a later transaction commits.
  ASSERT_TRUE(store
                  ->Run("acme", TxMode::kWrite,
                        [&](Transaction& tx) -> absl::Status {
                          for (int i = 0; i < 200; ++i) {  // past the queue's bound
                            RETURN_IF_ERROR(tx.PutDoc(doc(absl::StrCat("d", i), "c1")));
                            RETURN_IF_ERROR(tx.AddEvent(EventRow{0, "", "c1", "r", "b", ""}));
                          }
                          return absl::OkStatus();
                        })
                  .ok());
  absl::StatusOr<std::string> n = PgQuery(uri_, "SELECT count(*) FROM docs WHERE tenant='acme'");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, "200");
  EventFilter all;
  all.limit = 1000;
  absl::StatusOr<std::vector<EventRow>> events = store->ListEvents("acme", all);
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_EQ(events->size(), 200u);
}

// Aging SQL embeds the caller's bucket bounds: past the per-connection
// cache of named statements, queries still run (unnamed) and answer right.
TEST_F(PostgresStoreTest, ManyDistinctStatementsStillAnswer) {
  std::unique_ptr<Store> store = Open("&pool_size=1");
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store
                  ->Run("acme", TxMode::kWrite,
                        [](Transaction& tx) {
                          return tx.PutInvoice(
                              InvoiceRow{"i1", "c1", "", "N1", "EUR", 0, 100, 500, 500, 1, "b"});
                        })
                  .ok());
  for (int bound = 1; bound <= 300; ++bound) {
    absl::StatusOr<std::vector<AgingCell>> cells =
        store->Aging("acme", AgingQuery{200, {bound}, true, "", {}});
    ASSERT_TRUE(cells.ok()) << cells.status();
    ASSERT_EQ(cells->size(), 1u);
    // 100 days past due: bucket 1 while 100 <= bound, else bucket 2.
    EXPECT_EQ((*cells)[0].bucket, bound >= 100 ? 1 : 2) << bound;
    EXPECT_EQ((*cells)[0].amount, 500);
  }
}

// Waits on one store while `commit` writes elsewhere, repeating the commit
// (paced) until the waiter reports, because the waiter may begin waiting
// after any single commit. Returns how long the wake-up took.
absl::Duration WakeUpTime(Store& waiter_store, const std::function<absl::Status()>& commit) {
  std::atomic<bool> woke{false};
  const absl::Time start = absl::Now();
  std::thread waiter([&] {
    waiter_store.WaitForEvents(0, start + absl::Seconds(60));
    woke = true;
  });
  while (!woke && absl::Now() - start < absl::Seconds(30)) {
    absl::Status st = commit();
    EXPECT_TRUE(st.ok()) << st;
    absl::SleepFor(absl::Milliseconds(50));
  }
  waiter.join();
  return absl::Now() - start;
}

TEST_F(PostgresStoreTest, WaitForEventsWakesForAnotherReplicasCommit) {
  std::unique_ptr<Store> mine = Open();
  std::unique_ptr<Store> theirs = Open();
  ASSERT_NE(mine, nullptr);
  ASSERT_NE(theirs, nullptr);
  const absl::Duration took = WakeUpTime(*mine, [&] {
    return theirs->Run("acme", TxMode::kWrite,
                       [](Transaction& tx) { return AppendEvent(tx).status(); });
  });
  EXPECT_LT(took, absl::Seconds(30));
}

// An event row written without NOTIFY (as if the notification were lost)
// still wakes waiters through the polling fallback.
TEST_F(PostgresStoreTest, WaitForEventsFallsBackToPolling) {
  std::unique_ptr<Store> mine = Open();
  ASSERT_NE(mine, nullptr);
  const absl::Duration took = WakeUpTime(*mine, [&] {
    return PgQuery(uri_,
                   "INSERT INTO events(tenant, customer, resource, body) "
                   "VALUES ('acme', 'c', 'r', '\\x00')")
        .status();
  });
  EXPECT_LT(took, absl::Seconds(30));
  absl::StatusOr<std::vector<EventRow>> events = mine->ListEvents("acme", {});
  ASSERT_TRUE(events.ok());
  EXPECT_FALSE(events->empty());
}

}  // namespace
}  // namespace collections::store
