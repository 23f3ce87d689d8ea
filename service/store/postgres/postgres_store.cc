// The PostgreSQL Store: transactions with their retries and the tenant lock
// (the reasoning is at kTenantLockClass in postgres_internal.h), the event
// log's reads and its listener, aging, tenants, and OpenPostgresStore.
#include "service/store/postgres/postgres_store.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "service/base/errors.h"
#include "service/base/status_macros.h"
#include "service/store/event_signal.h"
#include "service/store/invoice_status_sql.h"
#include "service/store/postgres/postgres_internal.h"

namespace collections::store::pg {
namespace {

constexpr int kMaxAttempts = 20;
constexpr absl::Duration kFirstBackoff = absl::Milliseconds(2);
constexpr absl::Duration kMaxBackoff = absl::Milliseconds(250);
// WaitForEvents' fallback when a notification is lost (listener reconnecting).
constexpr int kPollIntervalMs = 1000;

// Removes our own query parameters from the URI; libpq rejects unknown ones.
absl::Status SplitUri(absl::string_view uri, std::string* libpq_uri, int* pool_size) {
  const size_t q = uri.find('?');
  if (q == absl::string_view::npos) {
    *libpq_uri = std::string(uri);
    return absl::OkStatus();
  }
  std::vector<std::string> kept;
  for (absl::string_view kv : absl::StrSplit(uri.substr(q + 1), '&', absl::SkipEmpty())) {
    if (absl::ConsumePrefix(&kv, "pool_size=")) {
      if (!absl::SimpleAtoi(kv, pool_size) || *pool_size < 1 || *pool_size > 1000) {
        return domain::InvalidInput("INVALID_STORE_URI", "store",
                                    absl::StrCat("pool_size=", kv, ": expected 1..1000"));
      }
      continue;
    }
    kept.emplace_back(kv);
  }
  *libpq_uri = std::string(uri.substr(0, q));
  if (!kept.empty()) absl::StrAppend(libpq_uri, "?", absl::StrJoin(kept, "&"));
  return absl::OkStatus();
}

class PostgresStore : public Store {
 public:
  PostgresStore(std::string uri, int pool_size) : uri_(uri), pool_(std::move(uri), pool_size) {}

  ~PostgresStore() override {
    if (listener_.joinable()) {
      stopping_ = true;
      const uint64_t one = 1;
      (void)!write(wake_fd_, &one, sizeof one);
      listener_.join();
    }
    if (wake_fd_ >= 0) close(wake_fd_);
  }

  absl::Status Init() {
    {
      ASSIGN_OR_RETURN(std::unique_ptr<PgConn> c, pool_.Acquire());
      absl::Status st = Migrate(*c);
      pool_.Release(std::move(c));
      RETURN_IF_ERROR(st);
    }
    // The listener's first connection is made here so that a store that
    // opened successfully is already listening.
    ASSIGN_OR_RETURN(std::unique_ptr<PgConn> listen, PgConn::Open(uri_));
    RETURN_IF_ERROR(listen->Exec(absl::StrCat("LISTEN ", kChannel)));
    wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ < 0) return absl::InternalError("eventfd failed");
    listener_ = std::thread([this, c = std::move(listen)]() mutable { Listen(std::move(c)); });
    return absl::OkStatus();
  }

  absl::Status Run(absl::string_view tenant, TxMode mode,
                   const std::function<absl::Status(Transaction&)>& fn) override {
    absl::Status last;
    for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
      if (attempt > 0) Backoff(attempt);
      bool retry = false;
      bool wrote_event = false;
      ASSIGN_OR_RETURN(std::unique_ptr<PgConn> c, pool_.Acquire());
      last = RunOnce(*c, tenant, mode, fn, &retry, &wrote_event);
      pool_.Release(std::move(c));
      if (last.ok()) {
        if (wrote_event) events_.Notify();
        return last;
      }
      if (!retry) return last;
    }
    if (absl::IsUnavailable(last)) return last;
    return absl::AbortedError(absl::StrCat("postgresql: transaction still conflicting after ",
                                           kMaxAttempts, " attempts; last: ", last.message()));
  }

  absl::StatusOr<std::vector<EventRow>> ListEvents(absl::string_view tenant,
                                                   const EventFilter& f) override {
    std::vector<EventRow> out;
    RETURN_IF_ERROR(RunRead([&](PgConn& c) -> absl::Status {
      ASSIGN_OR_RETURN(out, ReadEvents(c, tenant, f));
      return absl::OkStatus();
    }));
    return out;
  }

  void WaitForEvents(int64_t after_sequence, absl::Time deadline) override {
    events_.Wait(deadline);
  }

  absl::StatusOr<std::vector<AgingCell>> Aging(absl::string_view tenant,
                                               const AgingQuery& q) override {
    std::vector<AgingCell> out;
    RETURN_IF_ERROR(RunRead([&](PgConn& c) -> absl::Status {
      // Fast path: nothing was issued or settled after as_of, so the stored
      // amount_due is the amount due as of that day.
      ASSIGN_OR_RETURN(Rows exact,
                       c.Query("SELECT NOT EXISTS (SELECT 1 FROM settlements WHERE tenant=$1 AND "
                               "day>$2) AND NOT EXISTS (SELECT 1 FROM invoices WHERE tenant=$1 "
                               "AND issue_day>$2)",
                               Params().Text(tenant).Int(q.as_of_day)));
      const bool exact_now = exact.size() == 1 && exact.Int(0, 0) != 0;
      const bool invoiced = q.measure == AgingMeasure::kInvoiced;
      const char* day = invoiced ? "issue_day" : "due_day";
      std::string bucket = absl::StrCat("CASE WHEN $1 - ", day, " <= 0 THEN 0 ");
      for (size_t b = 0; b < q.bucket_bounds.size(); ++b) {
        absl::StrAppend(&bucket, "WHEN $1 - ", day, " <= ", q.bucket_bounds[b], " THEN ", b + 1,
                        " ");
      }
      absl::StrAppend(&bucket, "ELSE ", q.bucket_bounds.size() + 1, " END");
      const std::string group = q.by_customer ? "customer, currency" : "currency";
      Params p;
      p.Int(q.as_of_day).Text(tenant);
      std::string filter;
      int n = 2;
      if (!q.currency.empty()) {
        absl::StrAppend(&filter, " AND currency=$", ++n);
        p.Text(q.currency);
      }
      // Grouped by customer, the customer filter is pushed down; grouped by
      // currency only, it applies to the (empty) customer of each cell below,
      // as in the SQLite store.
      if (q.by_customer && !q.customers.empty()) {
        absl::StrAppend(&filter, " AND customer = ANY($", ++n, ")");
        p.TextArray(q.customers);
      }
      const char* customer_col = q.by_customer ? "customer" : "''::text";
      std::string sql;
      if (invoiced) {
        sql = absl::StrCat("SELECT ", customer_col, ", currency, ", bucket,
                           " AS b, SUM(total)::bigint, COUNT(*) FROM invoices WHERE tenant=$2 "
                           "AND ",
                           NotVoidStatusSql(), " AND issue_day<=$1", filter, " GROUP BY ", group,
                           ", b ORDER BY ", group, ", b");
      } else if (exact_now) {
        sql = absl::StrCat("SELECT ", customer_col, ", currency, ", bucket,
                           " AS b, SUM(amount_due)::bigint, COUNT(*) FROM invoices "
                           "WHERE tenant=$2 AND ",
                           OutstandingStatusSql(), filter, " GROUP BY ", group, ", b ORDER BY ",
                           group, ", b");
      } else {
        sql = absl::StrCat(
            "SELECT ", customer_col, ", currency, ", bucket,
            " AS b, SUM(due)::bigint, COUNT(*) FROM (SELECT customer, currency, due_day, total - "
            "COALESCE((SELECT SUM(s.amount) FROM settlements s WHERE s.tenant=i.tenant AND "
            "s.invoice_id=i.id AND s.day<=$1), 0)::bigint AS due FROM invoices i WHERE tenant=$2 "
            "AND ",
            NotVoidStatusSql(), " AND issue_day<=$1", filter, ") AS o WHERE due>0 GROUP BY ", group,
            ", b ORDER BY ", group, ", b");
      }
      ASSIGN_OR_RETURN(Rows r, c.Query(sql, p));
      for (int i = 0; i < r.size(); ++i) {
        out.push_back(AgingCell{r.Str(i, 0), r.Str(i, 1), static_cast<int>(r.Int(i, 2)),
                                r.Int(i, 3), r.Int(i, 4)});
      }
      return absl::OkStatus();
    }));
    if (!q.by_customer && !q.customers.empty()) {
      std::erase_if(out, [&q](const AgingCell& cell) {
        return std::find(q.customers.begin(), q.customers.end(), cell.customer) ==
               q.customers.end();
      });
    }
    return out;
  }

  absl::StatusOr<std::vector<std::string>> ListTenants() override {
    std::vector<std::string> out;
    RETURN_IF_ERROR(RunRead([&](PgConn& c) -> absl::Status {
      ASSIGN_OR_RETURN(Rows r, c.Query("SELECT tenant FROM docs UNION SELECT tenant FROM invoices "
                                       "UNION SELECT tenant FROM events ORDER BY 1",
                                       Params()));
      for (int i = 0; i < r.size(); ++i) out.push_back(r.Str(i, 0));
      return absl::OkStatus();
    }));
    return out;
  }

  absl::string_view Backend() const override { return "postgresql"; }

 private:
  // A write transaction waits for the tenant lock before it begins, so its
  // snapshot is taken after the previous writer of the tenant committed:
  // writers of one tenant (on any replica) run one after the other on
  // fresh data instead of failing serialization at commit and redoing
  // their work. The lock is a session lock around the transaction; the
  // transaction-level lock taken before the first write then succeeds at
  // once (advisory locks are re-entrant within a session).
  absl::Status RunOnce(PgConn& c, absl::string_view tenant, TxMode mode,
                       const std::function<absl::Status(Transaction&)>& fn, bool* retry,
                       bool* wrote_event) {
    if (mode == TxMode::kRead) return RunInTx(c, tenant, mode, fn, retry, wrote_event);
    const std::string key = absl::StrCat(kTenantLockClass, ", hashtext($1)");
    absl::Status locked =
        c.Query(absl::StrCat("SELECT 1 FROM pg_advisory_lock(", key, ")"), Params().Text(tenant))
            .status();
    if (!locked.ok()) {
      *retry = PQstatus(c.raw()) != CONNECTION_OK;  // a stale pooled connection
      return locked;
    }
    absl::Status st = RunInTx(c, tenant, mode, fn, retry, wrote_event);
    if (PQstatus(c.raw()) == CONNECTION_OK) {
      absl::Status unlocked =
          c.Query(absl::StrCat("SELECT pg_advisory_unlock(", key, ")"), Params().Text(tenant))
              .status();
      // The session would still hold the lock: close it instead of pooling.
      if (!unlocked.ok()) c.Discard();
    }
    return st;
  }

  absl::Status RunInTx(PgConn& c, absl::string_view tenant, TxMode mode,
                       const std::function<absl::Status(Transaction&)>& fn, bool* retry,
                       bool* wrote_event) {
    absl::Status begin =
        c.Exec(mode == TxMode::kWrite ? "BEGIN ISOLATION LEVEL SERIALIZABLE"
                                      : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    if (!begin.ok()) {
      *retry = PQstatus(c.raw()) != CONNECTION_OK;  // a stale pooled connection
      return begin;
    }
    PgTransaction tx(c, std::string(tenant));
    absl::Status st = fn(tx);
    // The pipelined writes' results, before deciding to commit.
    if (st.ok()) st = tx.Flush();
    if (tx.retryable() || tx.disconnected()) {
      c.Exec("ROLLBACK").IgnoreError();
      *retry = true;
      return st.ok() ? absl::AbortedError("postgresql: serialization failure") : st;
    }
    if (!st.ok()) {
      c.Exec("ROLLBACK").IgnoreError();
      return st;
    }
    std::string tag;
    absl::Status commit = c.Exec("COMMIT", &tag);
    if (!commit.ok()) {
      // SSI may refuse at COMMIT; a broken connection here leaves the outcome
      // unknown, so that one is not retried.
      *retry = IsRetryableState(c.last_state());
      return commit;
    }
    if (tag != "COMMIT") {
      // A statement failed and fn carried on: the server rolled back.
      return absl::InternalError(
          "postgresql: transaction was rolled back after a failed statement");
    }
    *wrote_event = tx.wrote_event();
    return absl::OkStatus();
  }

  // One snapshot for the few statements of a Store-level read.
  absl::Status RunRead(const std::function<absl::Status(PgConn&)>& fn) {
    absl::Status st;
    for (int attempt = 0; attempt < 2; ++attempt) {
      ASSIGN_OR_RETURN(std::unique_ptr<PgConn> c, pool_.Acquire());
      st = c->Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      if (st.ok()) {
        st = fn(*c);
        c->Exec(st.ok() ? "COMMIT" : "ROLLBACK").IgnoreError();
      }
      const bool broken = PQstatus(c->raw()) != CONNECTION_OK;
      pool_.Release(std::move(c));
      if (st.ok() || !broken) return st;  // A stale pooled connection is worth one retry.
    }
    return st;
  }

  static void Backoff(int attempt) {
    thread_local std::minstd_rand rng(std::random_device{}());
    absl::Duration d = kFirstBackoff * (int64_t{1} << std::min(attempt, 10));
    d = std::min(d, kMaxBackoff);
    // Full jitter in [d/2, d): replicas that collided do not collide again in step.
    std::uniform_real_distribution<double> jitter(0.5, 1.0);
    absl::SleepFor(d * jitter(rng));
  }

  // The listener thread: wakes WaitForEvents for commits of other processes.
  // Notifications arrive on a dedicated connection; when none came for
  // kPollIntervalMs it polls MAX(seq) instead (covers a notification lost
  // while the connection was being re-established).
  void Listen(std::unique_ptr<PgConn> c) {
    int64_t last_max = -1;
    int failures = 0;
    while (!stopping_) {
      if (c == nullptr || PQstatus(c->raw()) != CONNECTION_OK) {
        c.reset();
        absl::StatusOr<std::unique_ptr<PgConn>> fresh = PgConn::Open(uri_);
        if (fresh.ok() && (*fresh)->Exec(absl::StrCat("LISTEN ", kChannel)).ok()) {
          c = *std::move(fresh);
          failures = 0;
          events_.Notify();  // Anything may have happened while disconnected.
        } else {
          ++failures;
          pollfd wake{wake_fd_, POLLIN, 0};
          poll(&wake, 1, std::min(100 * failures, kPollIntervalMs));
          continue;
        }
      }
      pollfd fds[2] = {{PQsocket(c->raw()), POLLIN, 0}, {wake_fd_, POLLIN, 0}};
      const int n = poll(fds, 2, kPollIntervalMs);
      if (stopping_) break;
      if (n < 0) continue;  // EINTR
      bool woke = false;
      if (n == 0) {
        absl::StatusOr<Rows> r =
            c->Query("SELECT COALESCE(MAX(seq), 0)::bigint FROM events", Params());
        if (r.ok() && r->size() == 1) {
          const int64_t max = r->Int(0, 0);
          if (last_max >= 0 && max != last_max) woke = true;
          last_max = max;
        }
      } else if ((fds[0].revents & (POLLIN | POLLERR | POLLHUP)) != 0) {
        if (PQconsumeInput(c->raw()) == 0) {
          c.reset();  // Broken: reconnect at the top of the loop.
          continue;
        }
      }
      while (PGnotify* note = PQnotifies(c->raw())) {
        PQfreemem(note);
        woke = true;
      }
      if (woke) events_.Notify();
    }
  }

  const std::string uri_;
  Pool pool_;
  std::thread listener_;
  std::atomic<bool> stopping_{false};
  int wake_fd_ = -1;
  EventSignal events_;
};

}  // namespace
}  // namespace collections::store::pg

namespace collections::store {

absl::StatusOr<std::unique_ptr<Store>> OpenPostgresStore(absl::string_view uri) {
  std::string libpq_uri;
  int pool_size = 8;
  RETURN_IF_ERROR(pg::SplitUri(uri, &libpq_uri, &pool_size));
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(libpq_uri.c_str(), &error);
  if (options == nullptr) {
    std::string why = error != nullptr ? error : "out of memory";
    PQfreemem(error);
    return domain::InvalidInput("INVALID_STORE_URI", "store", absl::StripAsciiWhitespace(why));
  }
  PQconninfoFree(options);
  auto store = std::make_unique<pg::PostgresStore>(std::move(libpq_uri), pool_size);
  RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace collections::store
