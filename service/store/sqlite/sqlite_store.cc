// The SQLite Store: the one writer connection and the pool of readers,
// transactions on them, the event log's reads and its signal, aging (with the
// SQL that SqliteAgingSql builds), tenants, and OpenSqliteStore.
#include "service/store/sqlite/sqlite_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "service/base/errors.h"
#include "service/base/status_macros.h"
#include "service/store/event_signal.h"
#include "service/store/invoice_status_sql.h"
#include "service/store/sqlite/sqlite_internal.h"

namespace collections::store {

std::string SqliteAgingSql(const AgingQuery& q, bool as_stored) {
  const bool invoiced = q.measure == AgingMeasure::kInvoiced;
  const char* day = invoiced ? "issue_day" : "due_day";
  std::string bucket = absl::StrCat("CASE WHEN ?1 - ", day, " <= 0 THEN 0 ");
  for (size_t b = 0; b < q.bucket_bounds.size(); ++b) {
    absl::StrAppend(&bucket, "WHEN ?1 - ", day, " <= ", q.bucket_bounds[b], " THEN ", b + 1, " ");
  }
  absl::StrAppend(&bucket, "ELSE ", q.bucket_bounds.size() + 1, " END");
  const std::string group = q.by_customer ? "customer, currency" : "currency";
  std::string filter;
  if (!q.currency.empty()) filter += " AND currency=?3";
  if (invoiced) {
    return absl::StrCat("SELECT ", q.by_customer ? "customer" : "''", ", currency, ", bucket,
                        " AS b, SUM(total), COUNT(*) FROM invoices WHERE tenant=?2 AND ",
                        NotVoidStatusSql(), " AND issue_day<=?1", filter, " GROUP BY ", group,
                        ", b ORDER BY ", group, ", b");
  }
  if (as_stored) {
    return absl::StrCat("SELECT ", q.by_customer ? "customer" : "''", ", currency, ", bucket,
                        " AS b, SUM(amount_due), COUNT(*) FROM invoices INDEXED BY invoices_aging "
                        "WHERE tenant=?2 AND ",
                        OutstandingStatusSql(), filter, " GROUP BY ", group, ", b ORDER BY ", group,
                        ", b");
  }
  return absl::StrCat(
      "SELECT ", q.by_customer ? "customer" : "''", ", currency, ", bucket,
      " AS b, SUM(due), COUNT(*) FROM (SELECT customer, currency, due_day, total - "
      "COALESCE((SELECT SUM(s.amount) FROM settlements s INDEXED BY settlements_invoice "
      "WHERE s.tenant=i.tenant AND "
      "s.invoice_id=i.id AND s.day<=?1), 0) AS due FROM invoices i WHERE tenant=?2 AND ",
      NotVoidStatusSql(), " AND issue_day<=?1", filter, ") WHERE due>0 GROUP BY ", group,
      ", b ORDER BY ", group, ", b");
}

}  // namespace collections::store

namespace collections::store::sqlite {
namespace {

// Creates the database file 0600 whatever the umask, so that the ledger is
// private to the service's user. SQLite gives the -wal and -shm files the
// mode of the database file. An existing file keeps its mode.
absl::Status CreatePrivateFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return absl::OkStatus();
    return absl::UnavailableError(
        absl::StrCat("cannot create sqlite database ", path, ": ", std::strerror(errno)));
  }
  const int rc = ::fchmod(fd, 0600);
  const int err = errno;
  ::close(fd);
  if (rc != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot make ", path, " private (0600): ", std::strerror(err)));
  }
  return absl::OkStatus();
}

class SqliteStore : public Store {
 public:
  SqliteStore(std::string path, std::string synchronous)
      : path_(std::move(path)), synchronous_(std::move(synchronous)) {}
  ~SqliteStore() override {
    {
      absl::MutexLock l(&checkpoint_mu_);
      stop_checkpoints_ = true;
    }
    if (checkpointer_.joinable()) checkpointer_.join();
    // The hook points at this object, whose mutex dies before the writer.
    if (writer_ != nullptr) sqlite3_wal_hook(writer_->db(), nullptr, nullptr);
  }

  absl::Status Init() {
    const bool memory = path_ == ":memory:";
    // A shared-cache URI lets several connections see one in-memory database.
    if (memory) {
      static std::atomic<int> counter{0};
      path_ = absl::StrCat("file:collections-mem-", counter++, "?mode=memory&cache=shared");
    } else if (!absl::StartsWith(path_, "file:")) {
      RETURN_IF_ERROR(CreatePrivateFile(path_));
    }
    absl::Status st = OpenWriter(memory);
    if (!st.ok() && !memory) {
      // Name the file: "unable to open database file" alone does not say which.
      return absl::Status(st.code(), absl::StrCat("sqlite store ", path_, ": ", st.message()));
    }
    return st;
  }

 private:
  absl::Status OpenWriter(bool memory) {
    ASSIGN_OR_RETURN(writer_, Connection::Open(path_, /*read_only=*/false, synchronous_.c_str()));
    if (!memory) RETURN_IF_ERROR(writer_->ExecScript("PRAGMA journal_mode=WAL;"));
    RETURN_IF_ERROR(Migrate(*writer_));
    memory_ = memory;
    if (!memory) RETURN_IF_ERROR(StartCheckpointer());
    return absl::OkStatus();
  }

  // Checkpoints (copying the WAL back into the database file, with its
  // fsync) run on a thread of their own, so that a commit only appends to
  // the WAL: with SQLite's automatic checkpoint the committing writer did
  // it, 15 % of collectionsd's CPU during a 300,000-invoice ingest. The
  // writer's WAL hook wakes the thread past kCheckpointPages; past
  // kWriterCheckpointPages (the thread falling far behind, or readers
  // holding old snapshots) the writer checkpoints itself, so the WAL stays
  // bounded.
  static constexpr int kCheckpointPages = 1000;  // SQLite's own default
  static constexpr int kWriterCheckpointPages = 64 * 1000;

  absl::Status StartCheckpointer() {
    ASSIGN_OR_RETURN(checkpoint_conn_,
                     Connection::Open(path_, /*read_only=*/false, synchronous_.c_str()));
    // Replaces SQLite's automatic checkpoint on the writer.
    sqlite3_wal_hook(writer_->db(), &SqliteStore::OnWalCommit, this);
    checkpointer_ = std::thread([this] { CheckpointLoop(); });
    return absl::OkStatus();
  }

  static int OnWalCommit(void* self, sqlite3* db, const char* name, int pages) {
    auto* store = static_cast<SqliteStore*>(self);
    if (pages >= kWriterCheckpointPages) {
      sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    } else if (pages >= kCheckpointPages) {
      absl::MutexLock l(&store->checkpoint_mu_);
      store->checkpoint_wanted_ = true;
    }
    return SQLITE_OK;
  }

  void CheckpointLoop() {
    absl::MutexLock l(&checkpoint_mu_);
    while (true) {
      checkpoint_mu_.Await(absl::Condition(
          +[](SqliteStore* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->checkpoint_mu_) {
            return s->checkpoint_wanted_ || s->stop_checkpoints_;
          },
          this));
      if (stop_checkpoints_) return;
      checkpoint_wanted_ = false;
      checkpoint_mu_.Unlock();
      // PASSIVE: never waits for the writer or readers; what it cannot copy
      // yet is copied by a later round.
      sqlite3_wal_checkpoint_v2(checkpoint_conn_->db(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                nullptr);
      checkpoint_mu_.Lock();
    }
  }

 public:
  absl::Status Run(absl::string_view tenant, TxMode mode,
                   const std::function<absl::Status(Transaction&)>& fn) override {
    if (mode == TxMode::kRead && !memory_) return RunRead(tenant, fn);
    absl::MutexLock lock(&write_mu_);
    RETURN_IF_ERROR(writer_->Exec(kBeginImmediate));
    SqliteTransaction tx(*writer_, std::string(tenant));
    absl::Status st = fn(tx);
    if (!st.ok()) {
      writer_->Exec(kRollback).IgnoreError();
      return st;
    }
    if (absl::Status c = writer_->Exec(kCommit); !c.ok()) {
      writer_->Exec(kRollback).IgnoreError();
      return c;
    }
    if (tx.wrote_event()) events_.Notify();
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<EventRow>> ListEvents(absl::string_view tenant,
                                                   const EventFilter& f) override {
    std::vector<EventRow> out;
    absl::Status st = WithReader([&](Connection& c) -> absl::Status {
      ASSIGN_OR_RETURN(out, ReadEvents(c, tenant, f));
      return absl::OkStatus();
    });
    if (!st.ok()) return st;
    return out;
  }

  void WaitForEvents(int64_t after_sequence, absl::Time deadline) override {
    events_.Wait(deadline);
  }

  absl::StatusOr<std::vector<AgingCell>> Aging(absl::string_view tenant,
                                               const AgingQuery& q) override {
    std::vector<AgingCell> out;
    RETURN_IF_ERROR(VisitAging(tenant, q, [&out](const AgingCell& cell) {
      out.push_back(cell);
      return absl::OkStatus();
    }));
    return out;
  }

  // Cells straight from the statement, which orders them by (customer,
  // currency, bucket) with SQLite's byte-wise collation; one cell object is
  // reused, so a whole-ledger report allocates nothing per cell.
  absl::Status VisitAging(absl::string_view tenant, const AgingQuery& q,
                          const std::function<absl::Status(const AgingCell&)>& visit) override {
    const absl::flat_hash_set<absl::string_view> customers(q.customers.begin(), q.customers.end());
    return WithReader([&](Connection& c) -> absl::Status {
      // Fast path: nothing was issued or settled after as_of, so the stored
      // amount_due is the amount due as of that day.
      bool exact_now = false;
      {
        PREPARE_OR_RETURN(
            s, c,
            "SELECT NOT EXISTS(SELECT 1 FROM settlements WHERE tenant=?1 AND day>?2) "
            "AND NOT EXISTS(SELECT 1 FROM invoices WHERE tenant=?1 AND issue_day>?2)");
        s->Bind(1, tenant).Bind(2, q.as_of_day);
        ASSIGN_OR_RETURN(bool row, s->Step());
        exact_now = row && s->Int(0) != 0 && q.measure == AgingMeasure::kAmountDue;
      }
      const std::string sql = SqliteAgingSql(q, exact_now);
      PREPARE_OR_RETURN(s, c, sql);
      s->Bind(1, q.as_of_day).Bind(2, tenant);
      if (!q.currency.empty()) s->Bind(3, q.currency);
      AgingCell cell;
      while (true) {
        ASSIGN_OR_RETURN(bool row, s->Step());
        if (!row) break;
        const absl::string_view customer = s->TextView(0);
        if (!customers.empty() && !customers.contains(customer)) continue;
        cell.customer.assign(customer.data(), customer.size());
        const absl::string_view currency = s->TextView(1);
        cell.currency.assign(currency.data(), currency.size());
        cell.bucket = static_cast<int>(s->Int(2));
        cell.amount = s->Int(3);
        cell.count = s->Int(4);
        RETURN_IF_ERROR(visit(cell));
      }
      return absl::OkStatus();
    });
  }

  absl::StatusOr<std::vector<std::string>> ListTenants() override {
    std::vector<std::string> out;
    absl::Status st = WithReader([&](Connection& c) -> absl::Status {
      PREPARE_OR_RETURN(s, c,
                        "SELECT tenant FROM docs UNION SELECT tenant FROM invoices "
                        "UNION SELECT tenant FROM events ORDER BY 1");
      while (true) {
        ASSIGN_OR_RETURN(bool row, s->Step());
        if (!row) break;
        out.push_back(s->Text(0));
      }
      return absl::OkStatus();
    });
    if (!st.ok()) return st;
    return out;
  }

  absl::string_view Backend() const override { return "sqlite"; }

 private:
  absl::Status RunRead(absl::string_view tenant,
                       const std::function<absl::Status(Transaction&)>& fn) {
    return WithReader([&](Connection& c) -> absl::Status {
      RETURN_IF_ERROR(c.Exec(kBegin));
      SqliteTransaction tx(c, std::string(tenant));
      absl::Status st = fn(tx);
      c.Exec(kCommit).IgnoreError();
      return st;
    });
  }

  // Borrows a read connection (opening one when the pool is empty).
  absl::Status WithReader(const std::function<absl::Status(Connection&)>& fn) {
    if (memory_) {
      absl::MutexLock lock(&write_mu_);
      return fn(*writer_);
    }
    std::unique_ptr<Connection> conn;
    {
      absl::MutexLock l(&pool_mu_);
      if (!pool_.empty()) {
        conn = std::move(pool_.back());
        pool_.pop_back();
      }
    }
    if (!conn) {
      ASSIGN_OR_RETURN(conn, Connection::Open(path_, /*read_only=*/true));
    }
    absl::Status st = fn(*conn);
    absl::MutexLock l(&pool_mu_);
    if (pool_.size() < 16) pool_.push_back(std::move(conn));
    return st;
  }

  std::string path_;
  const std::string synchronous_;  // PRAGMA synchronous of the writer
  bool memory_ = false;
  absl::Mutex write_mu_;
  std::unique_ptr<Connection> writer_;
  absl::Mutex pool_mu_;
  std::vector<std::unique_ptr<Connection>> pool_ ABSL_GUARDED_BY(pool_mu_);
  EventSignal events_;
  absl::Mutex checkpoint_mu_;
  bool checkpoint_wanted_ ABSL_GUARDED_BY(checkpoint_mu_) = false;
  bool stop_checkpoints_ ABSL_GUARDED_BY(checkpoint_mu_) = false;
  std::unique_ptr<Connection> checkpoint_conn_;
  std::thread checkpointer_;
};

}  // namespace
}  // namespace collections::store::sqlite

namespace collections::store {

absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(absl::string_view path) {
  // "?synchronous=normal" (or full, extra) after the path; full by default.
  std::string synchronous = "FULL";
  if (const size_t q = path.rfind("?synchronous="); q != absl::string_view::npos) {
    synchronous = absl::AsciiStrToUpper(path.substr(q + 13));
    path = path.substr(0, q);
    if (synchronous != "FULL" && synchronous != "NORMAL" && synchronous != "EXTRA") {
      return domain::InvalidInput("INVALID_STORE_URI", "store",
                                  "synchronous= must be full, normal or extra");
    }
  }
  if (path.empty()) {
    return domain::InvalidInput("INVALID_STORE_URI", "store", "sqlite: needs a file path");
  }
  auto store = std::make_unique<sqlite::SqliteStore>(std::string(path), std::move(synchronous));
  RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace collections::store
