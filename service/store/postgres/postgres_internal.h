// What the PostgreSQL backend's files share (postgres_store.cc and its
// parts): the locking scheme and its constants, statement parameters and
// result rows in libpq's binary format, one pooled connection with its
// prepared statements, and the Transaction over one connection. Internal to
// service/store/postgres; everything else uses postgres_store.h.
//
// The files, by meaning: postgres_conn.cc (connections, the pool, error
// mapping), postgres_schema.cc (migrations), postgres_ledger.cc (documents,
// invoices, settlements, events, requests), postgres_cases.cc (cases and
// stale marks), postgres_store.cc (the Store: transactions and retries,
// events, aging, tenants).
#ifndef COLLECTIONS_STORE_POSTGRES_POSTGRES_INTERNAL_H_
#define COLLECTIONS_STORE_POSTGRES_POSTGRES_INTERNAL_H_

#include <libpq-fe.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/store/store.h"

namespace collections::store::pg {

// Isolation and ordering, the decisions behind the header's contract:
//
// * Writes run SERIALIZABLE. Application code reads, decides and writes
//   (look up a request_id or an external reference, then insert; read an
//   invoice's amount due, then allocate a payment). SSI turns every such race
//   between replicas into a serialization failure that Run() retries, so a
//   request_id or reference is never inserted twice and a payment is never
//   applied twice, without each call site having to know which rows to lock.
//   PostgreSQL (9.6+) reports a unique-key race as 40001, not 23505, when the
//   transaction had read the key as absent, which is exactly the
//   "GetRequest, then PutRequest" shape.
//
// * Every write transaction takes a per-tenant advisory lock
//   (kTenantLockClass, hashtext(tenant)) before it begins and holds it to
//   commit (RunOnce: a session lock around the transaction, so that its
//   snapshot already holds the previous writer's commit). Three reasons:
//     1. Event order. BIGSERIAL values are handed out when a row is inserted,
//        not when it commits: without the lock, transaction A could take
//        sequence 10, B take 11 and commit first, and a WatchEvents reader
//        that saw 11 would resume "after 11" and never see 10. Under the lock
//        the appends of one tenant are serialized from nextval() to COMMIT,
//        so a snapshot that contains sequence N contains every smaller
//        sequence of that tenant that will ever commit. (The lock is released
//        after the commit is visible, so this holds for every reader.)
//        Sequences are global, may have holes (rolled-back appends) and are
//        strictly increasing per tenant, which is all the cursor needs.
//     2. No deadlocks between writers of one tenant: all row locks are taken
//        after the tenant lock, so writers queue on one lock instead of
//        waiting on each other's rows (a deadlock costs deadlock_timeout, 1 s
//        by default, before PostgreSQL breaks it).
//     3. No wasted work between replicas: a writer that waited for the lock
//        reads what the one before it committed, so the daily run on two
//        replicas splits the due cases batch by batch (each batch reads the
//        cases still due) instead of both computing the same batch and one
//        failing serialization at commit.
//   Different tenants never wait on each other (a hash collision only adds
//   waiting). Reads take no lock. The lock is a hash, so it needs no row per
//   tenant and no migration.
//
// * Reads run REPEATABLE READ READ ONLY: one consistent snapshot per
//   transaction, no predicate locks, never a serialization failure.
constexpr int kTenantLockClass = 0x436f6c6c;  // "Coll"
constexpr int kMigrationLockClass = 0x436f6d69;

// The NOTIFY channel of committed events (AppendEvent, the listener).
constexpr char kChannel[] = "collections_events";

// Type OIDs (pg_type.dat); fixed since PostgreSQL 7.
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kTextOid = 25;
constexpr Oid kTextArrayOid = 1009;
constexpr Oid kInt8ArrayOid = 1016;

inline void PutBe32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}
inline void PutBe64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}
// A big-endian integer of `n` bytes, sign-extended.
int64_t GetBe(const char* p, int n);

// Parameters of one statement, all sent in binary format with explicit types
// (so the same SQL text always prepares with the same parameter types).
class Params {
 public:
  Params& Text(absl::string_view v) { return Add(kTextOid, std::string(v)); }
  // SQL NULL for an empty string (optional refs and numbers).
  Params& NullableText(absl::string_view v) {
    if (v.empty()) {
      types_.push_back(kTextOid);
      values_.emplace_back();
      null_.push_back(true);
      return *this;
    }
    return Text(v);
  }
  Params& Bytea(absl::string_view v) { return Add(kByteaOid, std::string(v)); }
  Params& Int(int64_t v) {
    std::string b;
    PutBe64(&b, static_cast<uint64_t>(v));
    return Add(kInt8Oid, std::move(b));
  }
  Params& TextArray(const std::vector<std::string>& v) {
    return TextColumn(v, [](const std::string& s) -> const std::string& { return s; });
  }
  // One column of `rows` as an array (text[] or int8[]), for a statement
  // that inserts them all through unnest($n::text[], $m::int8[], ...):
  // one round trip for any number of rows.
  template <typename Row, typename Field>
  Params& TextColumn(const std::vector<Row>& rows, Field field) {
    std::string b = ArrayHeader(kTextOid, rows.size());
    for (const Row& row : rows) {
      const std::string& s = std::invoke(field, row);
      PutBe32(&b, static_cast<uint32_t>(s.size()));
      b += s;
    }
    return Add(kTextArrayOid, std::move(b));
  }
  template <typename Row, typename Field>
  Params& IntColumn(const std::vector<Row>& rows, Field field) {
    std::string b = ArrayHeader(kInt8Oid, rows.size());
    for (const Row& row : rows) {
      PutBe32(&b, 8);
      PutBe64(&b, static_cast<uint64_t>(std::invoke(field, row)));
    }
    return Add(kInt8ArrayOid, std::move(b));
  }

  int size() const { return static_cast<int>(types_.size()); }
  const Oid* types() const { return types_.data(); }
  // Pointers into this object; valid while it lives unchanged.
  void Pointers(std::vector<const char*>* values, std::vector<int>* lengths,
                std::vector<int>* formats) const {
    for (size_t i = 0; i < types_.size(); ++i) {
      values->push_back(null_[i] ? nullptr : values_[i].data());
      lengths->push_back(static_cast<int>(values_[i].size()));
      formats->push_back(1);
    }
  }

 private:
  // array_send's layout: ndim, has-nulls flag, element type, then per
  // dimension its size and lower bound.
  static std::string ArrayHeader(Oid element, size_t n) {
    std::string b;
    PutBe32(&b, n == 0 ? 0 : 1);
    PutBe32(&b, 0);
    PutBe32(&b, element);
    if (n > 0) {
      PutBe32(&b, static_cast<uint32_t>(n));
      PutBe32(&b, 1);
    }
    return b;
  }
  Params& Add(Oid type, std::string value) {
    types_.push_back(type);
    values_.push_back(std::move(value));
    null_.push_back(false);
    return *this;
  }

  std::vector<Oid> types_;
  std::vector<std::string> values_;
  std::vector<bool> null_;
};

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

// The rows of one statement, in binary format.
class Rows {
 public:
  explicit Rows(ResultPtr r) : r_(std::move(r)) {}
  int size() const { return PQntuples(r_.get()); }
  bool IsNull(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  std::string Str(int row, int col) const {
    return std::string(PQgetvalue(r_.get(), row, col),
                       static_cast<size_t>(PQgetlength(r_.get(), row, col)));
  }
  int64_t Int(int row, int col) const {
    if (IsNull(row, col)) return 0;
    const Oid type = PQftype(r_.get(), col);
    const int len = PQgetlength(r_.get(), row, col);
    const bool integral =
        type == kInt8Oid || type == kInt4Oid || type == kInt2Oid || type == kBoolOid;
    if (!integral || len > 8) return 0;  // Queries cast every number they read.
    return GetBe(PQgetvalue(r_.get(), row, col), len);
  }

 private:
  ResultPtr r_;
};

inline bool IsRetryableState(absl::string_view state) {
  return state == "40001" || state == "40P01";
}

// Maps a failed statement to a status code by how the caller should react.
absl::Status PgError(const PGresult* r, PGconn* conn, absl::string_view what);

// One server connection with its cache of prepared statements. Used by one
// thread at a time (the pool hands it out).
class PgConn {
 public:
  ~PgConn();
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;

  // Connects to a libpq URI with synchronous_commit on. UNAVAILABLE when the
  // server cannot be reached.
  static absl::StatusOr<std::unique_ptr<PgConn>> Open(const std::string& uri);

  // A command without parameters or rows (BEGIN, COMMIT, DDL scripts).
  // `tag` receives the command tag (COMMIT of a failed transaction answers
  // "ROLLBACK", not an error).
  absl::Status Exec(const std::string& sql, std::string* tag = nullptr);

  // Prepares `sql` once per connection and runs it with `p`. Past
  // kMaxPrepared distinct texts (aging SQL embeds caller-chosen bucket
  // bounds) statements run unnamed, so the server-side cache stays bounded.
  // Statements sent in the pipeline (Send) are read first, with this one in
  // the same round trip.
  absl::StatusOr<Rows> Query(const std::string& sql, const Params& p);

  // Checks the rows of a pipelined statement (a reference held by another
  // id is an error).
  using Check = std::function<absl::Status(const Rows&)>;
  // Sends a write in libpq's pipeline without waiting for its result: a
  // run of writes costs one round trip, taken by the next Query, Exec or
  // Flush. At most kMaxQueued statements wait; the one that fills the queue
  // flushes it. Ordering is the statements' own, so a later read sees the
  // writes before it.
  absl::Status Send(const std::string& sql, const Params& p, Check check = nullptr);
  // Reads the results of every sent statement, in order, and leaves the
  // pipeline. Returns the first failure (its statement named as Query
  // names it, or its check's error); the server skipped the statements
  // after it, and the transaction is aborted.
  absl::Status Flush();

  // Reusable by the next borrower: connected and outside any transaction.
  bool Reusable() const {
    return !discard_ && PQstatus(c_) == CONNECTION_OK && PQtransactionStatus(c_) == PQTRANS_IDLE &&
           pending_.empty();
  }
  // Never hand this connection out again (it holds session state, such as
  // a lock it failed to release); closing it releases that state.
  void Discard() { discard_ = true; }
  PGconn* raw() { return c_; }
  // The SQLSTATE of the last failed statement ("" when none failed).
  const std::string& last_state() const { return last_state_; }
  void clear_last_state() { last_state_.clear(); }

 private:
  // A statement sent in the pipeline whose result is not read yet.
  struct Pending {
    std::string sql;
    Check check;
    ResultPtr* out = nullptr;  // a read: its result goes here
    bool prepare = false;      // the PQsendPrepare of `sql`
  };
  static constexpr size_t kMaxQueued = 64;

  explicit PgConn(PGconn* c) : c_(c) {}
  absl::Status Failed(const PGresult* r, absl::string_view sql);
  absl::Status SendStatement(const std::string& sql, const Params& p, Check check, ResultPtr* out);

  PGconn* c_;
  std::map<std::string, std::string> prepared_;  // SQL text -> statement name
  std::vector<Pending> pending_;
  std::string last_state_;
  bool discard_ = false;
};

// A bounded pool: at most `max` connections open; borrowers wait for one.
class Pool {
 public:
  Pool(std::string uri, int max) : uri_(std::move(uri)), max_(max) {}

  // An idle connection or a new one; UNAVAILABLE after kPoolWait with all
  // connections busy, or when a new one cannot connect.
  absl::StatusOr<std::unique_ptr<PgConn>> Acquire();
  // Returns a connection; a broken one (or one left inside a transaction) is
  // closed and its slot freed.
  void Release(std::unique_ptr<PgConn> c);

 private:
  const std::string uri_;
  const int max_;
  absl::Mutex mu_;
  int open_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::unique_ptr<PgConn>> idle_ ABSL_GUARDED_BY(mu_);
};

// Brings the database's schema to this build's version (postgres_schema.cc).
// Safe when replicas start together; FAILED_PRECONDITION when the database's
// schema is newer than this build.
absl::Status Migrate(PgConn& c);

// The events of `tenant` that `f` selects, in sequence order, read on `c`
// (Store::ListEvents in a read transaction of its own,
// Transaction::ListEvents in the caller's).
absl::StatusOr<std::vector<EventRow>> ReadEvents(PgConn& c, absl::string_view tenant,
                                                 const EventFilter& f);

// One transaction of one tenant on one connection; the store begins and ends
// it (postgres_store.cc). Its methods live by meaning in postgres_ledger.cc
// and postgres_cases.cc.
class PgTransaction : public Transaction {
 public:
  PgTransaction(PgConn& c, std::string tenant) : c_(c), tenant_(std::move(tenant)) {}

  // Documents, invoices, settlements, events, requests (postgres_ledger.cc).
  absl::StatusOr<std::optional<Doc>> GetDoc(absl::string_view kind, absl::string_view id) override;
  absl::StatusOr<std::optional<Doc>> FindDocByRef(absl::string_view kind,
                                                  absl::string_view ref) override;
  absl::StatusOr<std::optional<Doc>> FindDocByNumber(absl::string_view kind,
                                                     absl::string_view customer,
                                                     absl::string_view number) override;
  absl::Status PutDoc(const Doc& d) override;
  absl::Status DeleteDoc(absl::string_view kind, absl::string_view id) override;
  absl::StatusOr<std::vector<Doc>> ListDocsByNumber(absl::string_view kind,
                                                    absl::string_view after_number,
                                                    int limit) override;
  absl::StatusOr<std::vector<Doc>> ListCustomerDocs(absl::string_view customer,
                                                    const std::vector<std::string>& kinds,
                                                    int limit) override;
  absl::StatusOr<std::vector<Doc>> ListDocs(absl::string_view kind, absl::string_view customer,
                                            absl::string_view after_id, int limit) override;
  absl::StatusOr<std::optional<InvoiceRow>> GetInvoice(absl::string_view id) override;
  absl::StatusOr<std::optional<InvoiceRow>> FindInvoiceByRef(absl::string_view ref) override;
  absl::StatusOr<std::optional<InvoiceRow>> FindInvoiceByNumber(absl::string_view customer,
                                                                absl::string_view number) override;
  absl::Status PutInvoice(const InvoiceRow& v) override;
  absl::StatusOr<std::vector<InvoiceRow>> ListInvoices(const InvoiceFilter& f) override;
  absl::StatusOr<std::vector<SettlementRow>> ListSettlements(
      const std::vector<std::string>& invoice_ids) override;
  absl::StatusOr<std::vector<SettlementRow>> ListSettlementsBySource(absl::string_view kind,
                                                                     absl::string_view id) override;
  absl::Status ReplaceSettlements(absl::string_view kind, absl::string_view id,
                                  const std::vector<SettlementRow>& rows) override;
  absl::StatusOr<int64_t> AppendEvent(const EventRow& e) override;
  absl::StatusOr<std::vector<EventRow>> ListEvents(const EventFilter& f) override;
  absl::Status AddEvent(const EventRow& e) override;
  absl::StatusOr<std::optional<StoredRequest>> GetRequest(absl::string_view request_id) override;
  absl::Status PutRequest(absl::string_view request_id, const StoredRequest& v) override;
  absl::StatusOr<std::vector<std::string>> ListDocKinds() override;
  absl::StatusOr<std::vector<std::pair<std::string, StoredRequest>>> ListRequests(
      absl::string_view after_id, int limit) override;
  absl::StatusOr<std::vector<std::pair<int64_t, SettlementRow>>> ListSettlementsInOrder(
      int64_t after, int limit) override;

  // Cases and their stale marks (postgres_cases.cc).
  absl::StatusOr<std::optional<CaseRow>> GetCase(absl::string_view customer) override;
  absl::Status PutCase(const CaseRow& c) override;
  absl::StatusOr<int64_t> CountCases(const CaseFilter& filter) override;
  absl::StatusOr<std::vector<CaseRow>> ListCases(const CaseFilter& f) override;
  absl::StatusOr<std::vector<std::string>> ListDueCases(int64_t day, absl::string_view after,
                                                        int limit) override;
  absl::Status MarkCasesStale(const std::vector<StaleCase>& cases) override;
  absl::StatusOr<std::vector<StaleCase>> ListStaleCases(absl::string_view customer,
                                                        int limit) override;
  absl::Status ClearStaleCases(const std::vector<std::string>& customers) override;

  // Reads the results of the pipelined writes (PgConn::Flush), noting a
  // failure as Q does. The store calls it before COMMIT.
  absl::Status Flush();

  bool wrote_event() const { return wrote_event_; }
  // A statement failed with a serialization failure or deadlock: whatever fn
  // made of that error, the attempt must be rolled back and run again.
  bool retryable() const { return retryable_; }
  // The connection broke before COMMIT: nothing committed, safe to rerun.
  bool disconnected() const { return disconnected_; }

 private:
  // Runs one statement, noting a failure that makes the attempt retryable.
  absl::StatusOr<Rows> Q(const std::string& sql, const Params& p);
  // Sends one write in the pipeline (PgConn::Send), noting failures as Q.
  absl::Status W(const std::string& sql, const Params& p, PgConn::Check check = nullptr);
  // Notes a failure that makes the attempt retryable or the connection
  // gone; once a write failed, every later call returns its error.
  absl::Status Note(absl::Status st);
  // The per-tenant write lock (see kTenantLockClass), once per transaction.
  absl::Status LockTenant();

  PgConn& c_;
  std::string tenant_;
  bool locked_ = false;
  bool wrote_event_ = false;
  bool retryable_ = false;
  bool disconnected_ = false;
  absl::Status failed_;  // the first failure of a pipelined write
};

}  // namespace collections::store::pg

#endif  // COLLECTIONS_STORE_POSTGRES_POSTGRES_INTERNAL_H_
