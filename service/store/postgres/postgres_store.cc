#include "service/store/postgres/postgres_store.h"

#include <libpq-fe.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "service/domain/amount_limits.h"
#include "service/domain/errors.h"
#include "service/domain/status_macros.h"
#include "service/store/event_signal.h"

namespace collections::store {
namespace {

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

constexpr int kMaxAttempts = 20;
constexpr absl::Duration kFirstBackoff = absl::Milliseconds(2);
constexpr absl::Duration kMaxBackoff = absl::Milliseconds(250);
constexpr absl::Duration kPoolWait = absl::Seconds(30);
constexpr size_t kMaxPrepared = 256;  // named statements per connection
// WaitForEvents' fallback when a notification is lost (listener reconnecting).
constexpr int kPollIntervalMs = 1000;
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

// Schema migrations, applied in order; schema_version holds the count done.
// Never edit a shipped step: append a new one. The logical schema is the
// SQLite store's; differences: BIGSERIAL for events and for settlement order
// (SQLite's rowid), BYTEA bodies, and COLLATE "C" on text keys so ids sort by
// bytes as in SQLite and keyset pagination agrees across backends.
const char* const kMigrations[] = {
    R"sql(
CREATE TABLE docs (
  tenant TEXT COLLATE "C" NOT NULL, kind TEXT COLLATE "C" NOT NULL, id TEXT COLLATE "C" NOT NULL,
  customer TEXT COLLATE "C" NOT NULL DEFAULT '', ref TEXT COLLATE "C", number TEXT COLLATE "C",
  body BYTEA NOT NULL,
  PRIMARY KEY (tenant, kind, id));
CREATE UNIQUE INDEX docs_ref ON docs(tenant, kind, ref) WHERE ref IS NOT NULL;
CREATE INDEX docs_customer ON docs(tenant, kind, customer, id);
CREATE INDEX docs_number ON docs(tenant, kind, customer, number) WHERE number IS NOT NULL;
CREATE TABLE invoices (
  tenant TEXT COLLATE "C" NOT NULL, id TEXT COLLATE "C" NOT NULL,
  customer TEXT COLLATE "C" NOT NULL, ref TEXT COLLATE "C", number TEXT COLLATE "C" NOT NULL,
  currency TEXT COLLATE "C" NOT NULL, issue_day BIGINT NOT NULL, due_day BIGINT NOT NULL,
  total BIGINT NOT NULL, amount_due BIGINT NOT NULL, status INTEGER NOT NULL, body BYTEA NOT NULL,
  PRIMARY KEY (tenant, id));
CREATE UNIQUE INDEX invoices_ref ON invoices(tenant, ref) WHERE ref IS NOT NULL;
CREATE INDEX invoices_customer ON invoices(tenant, customer, id);
CREATE INDEX invoices_number ON invoices(tenant, customer, number);
CREATE INDEX invoices_issue ON invoices(tenant, issue_day);
-- Covering index of the aging report: open and partially paid invoices.
CREATE INDEX invoices_aging ON invoices(tenant, status, customer, currency, due_day)
  INCLUDE (amount_due);
CREATE TABLE settlements (
  id BIGSERIAL PRIMARY KEY,
  tenant TEXT COLLATE "C" NOT NULL, invoice_id TEXT COLLATE "C" NOT NULL,
  source_kind TEXT COLLATE "C" NOT NULL, source_id TEXT COLLATE "C" NOT NULL,
  day BIGINT NOT NULL, amount BIGINT NOT NULL CHECK (amount > 0),
  FOREIGN KEY (tenant, invoice_id) REFERENCES invoices(tenant, id));
CREATE INDEX settlements_invoice ON settlements(tenant, invoice_id, id);
CREATE INDEX settlements_source ON settlements(tenant, source_kind, source_id, id);
CREATE INDEX settlements_day ON settlements(tenant, day);
CREATE TABLE events (
  seq BIGSERIAL PRIMARY KEY, tenant TEXT COLLATE "C" NOT NULL,
  customer TEXT COLLATE "C" NOT NULL, resource TEXT COLLATE "C" NOT NULL, body BYTEA NOT NULL);
CREATE INDEX events_tenant ON events(tenant, seq);
CREATE INDEX events_customer ON events(tenant, customer, seq);
CREATE TABLE requests (
  tenant TEXT COLLATE "C" NOT NULL, request_id TEXT COLLATE "C" NOT NULL,
  method TEXT NOT NULL, request_hash TEXT NOT NULL, response BYTEA NOT NULL,
  PRIMARY KEY (tenant, request_id));
)sql",
    R"sql(
CREATE TABLE cases (
  tenant TEXT COLLATE "C" NOT NULL, customer TEXT COLLATE "C" NOT NULL,
  state INTEGER NOT NULL, stage INTEGER NOT NULL, paused INTEGER NOT NULL,
  owner TEXT COLLATE "C" NOT NULL, priority BIGINT NOT NULL, currency TEXT COLLATE "C" NOT NULL,
  overdue BIGINT NOT NULL, due_day BIGINT NOT NULL, body BYTEA NOT NULL,
  PRIMARY KEY (tenant, customer));
CREATE INDEX cases_priority ON cases(tenant, priority DESC, customer);
CREATE INDEX cases_due ON cases(tenant, due_day, customer);
CREATE INDEX cases_owner ON cases(tenant, owner, priority DESC, customer);
)sql",
    R"sql(
CREATE INDEX docs_kind_number ON docs(tenant, kind, number) WHERE number IS NOT NULL;
)sql",
    R"sql(
CREATE TABLE stale_cases (
  tenant TEXT COLLATE "C" NOT NULL, customer TEXT COLLATE "C" NOT NULL,
  event TEXT NOT NULL, day BIGINT NOT NULL,
  PRIMARY KEY (tenant, customer));
)sql",
};

void PutBe32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}
void PutBe64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}
int64_t GetBe(const char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  // Sign-extend values narrower than 64 bits.
  if (n < 8 && n > 0 && (static_cast<unsigned char>(p[0]) & 0x80) != 0) {
    v |= ~uint64_t{0} << (8 * n);
  }
  return static_cast<int64_t>(v);
}

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
    std::string b = ArrayHeader(kTextOid, v.size());
    for (const auto& s : v) {
      PutBe32(&b, static_cast<uint32_t>(s.size()));
      b += s;
    }
    return Add(kTextArrayOid, std::move(b));
  }
  Params& IntArray(const std::vector<int64_t>& v) {
    std::string b = ArrayHeader(kInt8Oid, v.size());
    for (int64_t x : v) {
      PutBe32(&b, 8);
      PutBe64(&b, static_cast<uint64_t>(x));
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
    const bool integral = type == kInt8Oid || type == kInt4Oid || type == kInt2Oid ||
                          type == kBoolOid;
    if (!integral || len > 8) return 0;  // Queries cast every number they read.
    return GetBe(PQgetvalue(r_.get(), row, col), len);
  }

 private:
  ResultPtr r_;
};

bool IsRetryableState(absl::string_view state) {
  return state == "40001" || state == "40P01";
}

// Maps a failed statement to a status code by how the caller should react.
absl::Status PgError(const PGresult* r, PGconn* conn, absl::string_view what) {
  const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  const char* detail = r != nullptr ? PQresultErrorMessage(r) : "";
  if (detail == nullptr || *detail == '\0') detail = PQerrorMessage(conn);
  std::string msg = absl::StrCat("postgresql ", what, ": ",
                                 absl::StripAsciiWhitespace(detail));
  const absl::string_view s = state != nullptr ? state : "";
  if (IsRetryableState(s) || s == "55P03") return absl::AbortedError(msg);
  if (s == "23505") return absl::AlreadyExistsError(msg);
  if (s == "23503" || s == "23514") return absl::FailedPreconditionError(msg);
  // numeric_value_out_of_range: a SUM(...)::bigint of amounts past 2^63.
  if (s == "22003") {
    return domain::AmountSumOverflow("a sum of amounts");
  }
  if (PQstatus(conn) != CONNECTION_OK || absl::StartsWith(s, "08") || absl::StartsWith(s, "57P")) {
    return absl::UnavailableError(msg);
  }
  return absl::InternalError(msg);
}

// One server connection with its cache of prepared statements. Used by one
// thread at a time (the pool hands it out).
class PgConn {
 public:
  ~PgConn() {
    if (c_ != nullptr) PQfinish(c_);
  }
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;

  static absl::StatusOr<std::unique_ptr<PgConn>> Open(const std::string& uri) {
    // Later entries win: the URI's own connect_timeout overrides ours.
    const char* keys[] = {"connect_timeout", "dbname", "fallback_application_name", nullptr};
    const char* values[] = {"10", uri.c_str(), "collectionsd", nullptr};
    std::unique_ptr<PgConn> c(new PgConn(PQconnectdbParams(keys, values, /*expand_dbname=*/1)));
    if (c->c_ == nullptr) return absl::ResourceExhaustedError("libpq: out of memory");
    if (PQstatus(c->c_) != CONNECTION_OK) {
      return absl::UnavailableError(absl::StrCat(
          "cannot connect to postgresql: ", absl::StripAsciiWhitespace(PQerrorMessage(c->c_))));
    }
    // Notices ("relation already exists, skipping") are not errors; keep
    // them off stderr.
    PQsetNoticeProcessor(c->c_, [](void*, const char*) {}, nullptr);
    // An acknowledged write is a committed one: a role or database default
    // of synchronous_commit=off would acknowledge commits that a crash can
    // still lose, so this session turns it back on (local, remote_write, on
    // and remote_apply all flush the local WAL before COMMIT returns).
    ResultPtr sc(PQexec(c->c_, "SHOW synchronous_commit"));
    if (PQresultStatus(sc.get()) != PGRES_TUPLES_OK || PQntuples(sc.get()) != 1 ||
        std::string_view(PQgetvalue(sc.get(), 0, 0)) == "off") {
      RETURN_IF_ERROR(c->Exec("SET synchronous_commit TO on"));
    }
    return c;
  }

  // A command without parameters or rows (BEGIN, COMMIT, DDL scripts).
  // `tag` receives the command tag (COMMIT of a failed transaction answers
  // "ROLLBACK", not an error).
  absl::Status Exec(const std::string& sql, std::string* tag = nullptr) {
    ResultPtr r(PQexec(c_, sql.c_str()));
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK &&
        PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
      return Failed(r.get(), sql);
    }
    if (tag != nullptr) *tag = PQcmdStatus(r.get());
    return absl::OkStatus();
  }

  // Prepares `sql` once per connection and runs it with `p`. Past
  // kMaxPrepared distinct texts (aging SQL embeds caller-chosen bucket
  // bounds) statements run unnamed, so the server-side cache stays bounded.
  absl::StatusOr<Rows> Query(const std::string& sql, const Params& p) {
    std::vector<const char*> values;
    std::vector<int> lengths, formats;
    p.Pointers(&values, &lengths, &formats);
    auto it = prepared_.find(sql);
    if (it == prepared_.end() && prepared_.size() >= kMaxPrepared) {
      ResultPtr r(PQexecParams(c_, sql.c_str(), p.size(), p.types(), values.data(),
                               lengths.data(), formats.data(), /*resultFormat=*/1));
      if (PQresultStatus(r.get()) != PGRES_COMMAND_OK &&
          PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
        return Failed(r.get(), sql);
      }
      return Rows(std::move(r));
    }
    if (it == prepared_.end()) {
      std::string name = absl::StrCat("c", prepared_.size());
      ResultPtr r(PQprepare(c_, name.c_str(), sql.c_str(), p.size(), p.types()));
      if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) return Failed(r.get(), sql);
      it = prepared_.emplace(sql, std::move(name)).first;
    }
    ResultPtr r(PQexecPrepared(c_, it->second.c_str(), p.size(), values.data(), lengths.data(),
                               formats.data(), /*resultFormat=*/1));
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK &&
        PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
      return Failed(r.get(), sql);
    }
    return Rows(std::move(r));
  }

  // Reusable by the next borrower: connected and outside any transaction.
  bool Reusable() const {
    return !discard_ && PQstatus(c_) == CONNECTION_OK && PQtransactionStatus(c_) == PQTRANS_IDLE;
  }
  // Never hand this connection out again (it holds session state, such as
  // a lock it failed to release); closing it releases that state.
  void Discard() { discard_ = true; }
  PGconn* raw() { return c_; }
  // The SQLSTATE of the last failed statement ("" when none failed).
  const std::string& last_state() const { return last_state_; }
  void clear_last_state() { last_state_.clear(); }

 private:
  explicit PgConn(PGconn* c) : c_(c) {}

  absl::Status Failed(const PGresult* r, absl::string_view sql) {
    const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    last_state_ = state != nullptr ? state : (PQstatus(c_) != CONNECTION_OK ? "08000" : "XX000");
    // Name the statement by its first words only: bodies are not logged.
    absl::string_view head = sql.substr(0, std::min<size_t>(sql.size(), 60));
    return PgError(r, c_, head);
  }

  PGconn* c_;
  std::map<std::string, std::string> prepared_;  // SQL text -> statement name
  std::string last_state_;
  bool discard_ = false;
};

// A bounded pool: at most `max` connections open; borrowers wait for one.
class Pool {
 public:
  Pool(std::string uri, int max) : uri_(std::move(uri)), max_(max) {}

  absl::StatusOr<std::unique_ptr<PgConn>> Acquire() {
    {
      absl::MutexLock l(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !idle_.empty() || open_ < max_;
      };
      if (!mu_.AwaitWithTimeout(absl::Condition(&ready), kPoolWait)) {
        return absl::UnavailableError(absl::StrCat("postgresql: all ", max_,
                                                   " pooled connections busy for ",
                                                   absl::FormatDuration(kPoolWait)));
      }
      if (!idle_.empty()) {
        std::unique_ptr<PgConn> c = std::move(idle_.back());
        idle_.pop_back();
        return c;
      }
      ++open_;
    }
    absl::StatusOr<std::unique_ptr<PgConn>> c = PgConn::Open(uri_);
    if (!c.ok()) {
      absl::MutexLock l(&mu_);
      --open_;
    }
    return c;
  }

  // Returns a connection; a broken one (or one left inside a transaction) is
  // closed and its slot freed.
  void Release(std::unique_ptr<PgConn> c) {
    if (c == nullptr) return;
    c->clear_last_state();
    const bool keep = c->Reusable();
    absl::MutexLock l(&mu_);
    if (keep) {
      idle_.push_back(std::move(c));
    } else {
      --open_;
    }
  }

 private:
  const std::string uri_;
  const int max_;
  absl::Mutex mu_;
  int open_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::unique_ptr<PgConn>> idle_ ABSL_GUARDED_BY(mu_);
};

constexpr char kDocCols[] = "SELECT kind, id, customer, ref, number, body FROM docs ";
constexpr char kInvCols[] =
    "SELECT id, customer, ref, number, currency, issue_day, due_day, total, amount_due, status, "
    "body FROM invoices ";
constexpr char kSettlementCols[] = "SELECT invoice_id, source_kind, source_id, day, amount ";

Doc ReadDoc(const Rows& r, int i) {
  return Doc{r.Str(i, 0), r.Str(i, 1), r.Str(i, 2), r.Str(i, 3), r.Str(i, 4), r.Str(i, 5)};
}

InvoiceRow ReadInvoice(const Rows& r, int i) {
  InvoiceRow v;
  v.id = r.Str(i, 0);
  v.customer = r.Str(i, 1);
  v.ref = r.Str(i, 2);
  v.number = r.Str(i, 3);
  v.currency = r.Str(i, 4);
  v.issue_day = r.Int(i, 5);
  v.due_day = r.Int(i, 6);
  v.total = r.Int(i, 7);
  v.amount_due = r.Int(i, 8);
  v.status = static_cast<int>(r.Int(i, 9));
  v.body = r.Str(i, 10);
  return v;
}

std::vector<SettlementRow> ReadSettlements(const Rows& r) {
  std::vector<SettlementRow> out;
  out.reserve(r.size());
  for (int i = 0; i < r.size(); ++i) {
    out.push_back(SettlementRow{r.Str(i, 0), r.Str(i, 1), r.Str(i, 2), r.Int(i, 3), r.Int(i, 4)});
  }
  return out;
}

constexpr char kCaseCols[] =
    "SELECT customer, state, stage, paused, owner, priority, currency, "
    "overdue, due_day, body FROM cases ";

CaseRow ReadCase(const Rows& r, int i) {
  CaseRow c;
  c.customer = r.Str(i, 0);
  c.state = static_cast<int>(r.Int(i, 1));
  c.stage = static_cast<int>(r.Int(i, 2));
  c.paused = r.Int(i, 3) != 0;
  c.owner = r.Str(i, 4);
  c.priority = r.Int(i, 5);
  c.currency = r.Str(i, 6);
  c.overdue = r.Int(i, 7);
  c.due_day = r.Int(i, 8);
  c.body = r.Str(i, 9);
  return c;
}

class PgTransaction : public Transaction {
 public:
  PgTransaction(PgConn& c, std::string tenant) : c_(c), tenant_(std::move(tenant)) {}

  absl::StatusOr<std::optional<Doc>> GetDoc(absl::string_view kind, absl::string_view id) override {
    ASSIGN_OR_RETURN(Rows r, Q(absl::StrCat(kDocCols, "WHERE tenant=$1 AND kind=$2 AND id=$3"),
                               Params().Text(tenant_).Text(kind).Text(id)));
    return OneDoc(r);
  }
  absl::StatusOr<std::optional<Doc>> FindDocByRef(absl::string_view kind,
                                                  absl::string_view ref) override {
    ASSIGN_OR_RETURN(Rows r, Q(absl::StrCat(kDocCols, "WHERE tenant=$1 AND kind=$2 AND ref=$3"),
                               Params().Text(tenant_).Text(kind).Text(ref)));
    return OneDoc(r);
  }
  absl::StatusOr<std::optional<Doc>> FindDocByNumber(absl::string_view kind,
                                                     absl::string_view customer,
                                                     absl::string_view number) override {
    ASSIGN_OR_RETURN(Rows r, Q(absl::StrCat(kDocCols,
                                            "WHERE tenant=$1 AND kind=$2 AND customer=$3 AND "
                                            "number=$4 ORDER BY id LIMIT 1"),
                               Params().Text(tenant_).Text(kind).Text(customer).Text(number)));
    return OneDoc(r);
  }
  // The reference check and the upsert are one statement, so that a taken
  // reference answers AlreadyExists and leaves the transaction usable (as in
  // SQLite) instead of aborting it with a unique violation.
  absl::Status PutDoc(const Doc& d) override {
    RETURN_IF_ERROR(LockTenant());
    ASSIGN_OR_RETURN(
        Rows r,
        Q("WITH taken AS (SELECT id FROM docs WHERE tenant=$1 AND kind=$2 AND ref=$5 AND id<>$3 "
          "LIMIT 1), up AS (INSERT INTO docs(tenant, kind, id, customer, ref, number, body) "
          "SELECT $1, $2, $3, $4, $5, $6, $7 WHERE NOT EXISTS (SELECT 1 FROM taken) "
          "ON CONFLICT (tenant, kind, id) DO UPDATE SET customer=EXCLUDED.customer, "
          "ref=EXCLUDED.ref, number=EXCLUDED.number, body=EXCLUDED.body RETURNING 1) "
          "SELECT (SELECT id FROM taken)",
          Params().Text(tenant_).Text(d.kind).Text(d.id).Text(d.customer).NullableText(d.ref)
              .NullableText(d.number).Bytea(d.body)));
    if (r.size() == 1 && !r.IsNull(0, 0)) {
      return absl::AlreadyExistsError(absl::StrCat("postgresql: ", d.kind, " reference \"", d.ref,
                                                    "\" already belongs to id \"", r.Str(0, 0),
                                                    "\""));
    }
    return absl::OkStatus();
  }
  absl::Status DeleteDoc(absl::string_view kind, absl::string_view id) override {
    RETURN_IF_ERROR(LockTenant());
    return Q("DELETE FROM docs WHERE tenant=$1 AND kind=$2 AND id=$3",
             Params().Text(tenant_).Text(kind).Text(id))
        .status();
  }
  absl::StatusOr<std::vector<Doc>> ListDocsByNumber(absl::string_view kind,
                                                    absl::string_view after_number,
                                                    int limit) override {
    ASSIGN_OR_RETURN(Rows r, Q(absl::StrCat(kDocCols,
                                            "WHERE tenant=$1 AND kind=$2 AND number IS NOT NULL "
                                            "AND number>$3 ORDER BY number LIMIT $4"),
                               Params().Text(tenant_).Text(kind).Text(after_number).Int(limit)));
    std::vector<Doc> out;
    out.reserve(r.size());
    for (int i = 0; i < r.size(); ++i) out.push_back(ReadDoc(r, i));
    return out;
  }
  absl::StatusOr<std::vector<Doc>> ListDocs(absl::string_view kind, absl::string_view customer,
                                            absl::string_view after_id, int limit) override {
    Params p;
    p.Text(tenant_).Text(kind).Text(after_id).Int(limit);
    std::string sql = absl::StrCat(kDocCols, "WHERE tenant=$1 AND kind=$2 AND id>$3 ");
    if (!customer.empty()) {
      sql += "AND customer=$5 ";
      p.Text(customer);
    }
    sql += "ORDER BY id LIMIT $4";
    ASSIGN_OR_RETURN(Rows r, Q(sql, p));
    std::vector<Doc> out;
    out.reserve(r.size());
    for (int i = 0; i < r.size(); ++i) out.push_back(ReadDoc(r, i));
    return out;
  }

  absl::StatusOr<std::optional<InvoiceRow>> GetInvoice(absl::string_view id) override {
    ASSIGN_OR_RETURN(Rows r, Q(absl::StrCat(kInvCols, "WHERE tenant=$1 AND id=$2"),
                               Params().Text(tenant_).Text(id)));
    return OneInvoice(r);
  }
  absl::StatusOr<std::optional<InvoiceRow>> FindInvoiceByRef(absl::string_view ref) override {
    ASSIGN_OR_RETURN(Rows r, Q(absl::StrCat(kInvCols, "WHERE tenant=$1 AND ref=$2"),
                               Params().Text(tenant_).Text(ref)));
    return OneInvoice(r);
  }
  absl::StatusOr<std::optional<InvoiceRow>> FindInvoiceByNumber(absl::string_view customer,
                                                                absl::string_view number) override {
    ASSIGN_OR_RETURN(Rows r, Q(absl::StrCat(kInvCols,
                                            "WHERE tenant=$1 AND customer=$2 AND number=$3 "
                                            "ORDER BY id LIMIT 1"),
                               Params().Text(tenant_).Text(customer).Text(number)));
    return OneInvoice(r);
  }
  absl::Status PutInvoice(const InvoiceRow& v) override {
    RETURN_IF_ERROR(LockTenant());
    ASSIGN_OR_RETURN(
        Rows r,
        Q("WITH taken AS (SELECT id FROM invoices WHERE tenant=$1 AND ref=$4 AND id<>$2 LIMIT 1), "
          "up AS (INSERT INTO invoices(tenant, id, customer, ref, number, currency, issue_day, "
          "due_day, total, amount_due, status, body) "
          "SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 "
          "WHERE NOT EXISTS (SELECT 1 FROM taken) "
          "ON CONFLICT (tenant, id) DO UPDATE SET customer=EXCLUDED.customer, ref=EXCLUDED.ref, "
          "number=EXCLUDED.number, currency=EXCLUDED.currency, issue_day=EXCLUDED.issue_day, "
          "due_day=EXCLUDED.due_day, total=EXCLUDED.total, amount_due=EXCLUDED.amount_due, "
          "status=EXCLUDED.status, body=EXCLUDED.body RETURNING 1) "
          "SELECT (SELECT id FROM taken)",
          Params().Text(tenant_).Text(v.id).Text(v.customer).NullableText(v.ref).Text(v.number)
              .Text(v.currency).Int(v.issue_day).Int(v.due_day).Int(v.total).Int(v.amount_due)
              .Int(v.status).Bytea(v.body)));
    if (r.size() == 1 && !r.IsNull(0, 0)) {
      return absl::AlreadyExistsError(absl::StrCat("postgresql: invoice reference \"", v.ref,
                                                    "\" already belongs to id \"", r.Str(0, 0),
                                                    "\""));
    }
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<InvoiceRow>> ListInvoices(const InvoiceFilter& f) override {
    Params p;
    p.Text(tenant_).Text(f.after_id).Int(f.limit);
    std::string sql = absl::StrCat(kInvCols, "WHERE tenant=$1 AND id>$2 ");
    int n = 3;
    if (!f.customer.empty()) {
      absl::StrAppend(&sql, "AND customer=$", ++n, " ");
      p.Text(f.customer);
    }
    if (!f.currency.empty()) {
      absl::StrAppend(&sql, "AND currency=$", ++n, " ");
      p.Text(f.currency);
    }
    if (!f.statuses.empty()) {
      absl::StrAppend(&sql, "AND status IN (", absl::StrJoin(f.statuses, ","), ") ");
    }
    if (f.overdue_as_of_day) {
      absl::StrAppend(&sql, "AND amount_due>0 AND status IN (1,2) AND due_day<$", ++n, " ");
      p.Int(*f.overdue_as_of_day);
    }
    sql += "ORDER BY id LIMIT $3";
    ASSIGN_OR_RETURN(Rows r, Q(sql, p));
    std::vector<InvoiceRow> out;
    out.reserve(r.size());
    for (int i = 0; i < r.size(); ++i) out.push_back(ReadInvoice(r, i));
    return out;
  }

  // Grouped by invoice in the order asked, each invoice's rows in insertion
  // order (as the SQLite store answers).
  absl::StatusOr<std::vector<SettlementRow>> ListSettlements(
      const std::vector<std::string>& invoice_ids) override {
    if (invoice_ids.empty()) return std::vector<SettlementRow>();
    ASSIGN_OR_RETURN(
        Rows r, Q(absl::StrCat(kSettlementCols,
                               "FROM unnest($2::text[]) WITH ORDINALITY AS u(invoice, pos) "
                               "JOIN settlements s ON s.tenant=$1 AND s.invoice_id=u.invoice "
                               "ORDER BY u.pos, s.id"),
                  Params().Text(tenant_).TextArray(invoice_ids)));
    return ReadSettlements(r);
  }
  absl::StatusOr<std::vector<SettlementRow>> ListSettlementsBySource(
      absl::string_view kind, absl::string_view id) override {
    ASSIGN_OR_RETURN(Rows r, Q(absl::StrCat(kSettlementCols,
                                            "FROM settlements WHERE tenant=$1 AND source_kind=$2 "
                                            "AND source_id=$3 ORDER BY id"),
                               Params().Text(tenant_).Text(kind).Text(id)));
    return ReadSettlements(r);
  }
  absl::Status ReplaceSettlements(absl::string_view kind, absl::string_view id,
                                  const std::vector<SettlementRow>& rows) override {
    RETURN_IF_ERROR(LockTenant());
    RETURN_IF_ERROR(
        Q("DELETE FROM settlements WHERE tenant=$1 AND source_kind=$2 AND source_id=$3",
          Params().Text(tenant_).Text(kind).Text(id))
            .status());
    if (rows.empty()) return absl::OkStatus();
    std::vector<std::string> invoices;
    std::vector<int64_t> days, amounts;
    for (const auto& s : rows) {
      invoices.push_back(s.invoice_id);
      days.push_back(s.day);
      amounts.push_back(s.amount);
    }
    // One round trip for all rows; ORDER BY keeps the given order in the
    // BIGSERIAL ids that ListSettlements sorts by.
    return Q("INSERT INTO settlements(tenant, invoice_id, source_kind, source_id, day, amount) "
             "SELECT $1, u.invoice, $2, $3, u.day, u.amount FROM unnest($4::text[], $5::int8[], "
             "$6::int8[]) WITH ORDINALITY AS u(invoice, day, amount, pos) ORDER BY u.pos",
             Params().Text(tenant_).Text(kind).Text(id).TextArray(invoices).IntArray(days)
                 .IntArray(amounts))
        .status();
  }

  // pg_notify in the same statement: PostgreSQL delivers it at commit, folds
  // duplicates within one transaction, and drops it on rollback.
  absl::StatusOr<int64_t> AppendEvent(const EventRow& e) override {
    RETURN_IF_ERROR(LockTenant());
    ASSIGN_OR_RETURN(Rows r, Q(absl::StrCat("INSERT INTO events(tenant, customer, resource, body) "
                                            "SELECT $1, $2, $3, $4 FROM pg_notify('",
                                            kChannel, "', $1) RETURNING seq"),
                               Params().Text(tenant_).Text(e.customer).Text(e.resource)
                                   .Bytea(e.body)));
    if (r.size() != 1) return absl::InternalError("postgresql: event insert returned no sequence");
    wrote_event_ = true;
    return r.Int(0, 0);
  }

  absl::StatusOr<std::optional<StoredRequest>> GetRequest(absl::string_view request_id) override {
    ASSIGN_OR_RETURN(Rows r, Q("SELECT method, request_hash, response FROM requests "
                               "WHERE tenant=$1 AND request_id=$2",
                               Params().Text(tenant_).Text(request_id)));
    if (r.size() == 0) return std::optional<StoredRequest>();
    return std::optional<StoredRequest>(StoredRequest{r.Str(0, 0), r.Str(0, 1), r.Str(0, 2)});
  }
  absl::Status PutRequest(absl::string_view request_id, const StoredRequest& v) override {
    RETURN_IF_ERROR(LockTenant());
    ASSIGN_OR_RETURN(Rows r, Q("INSERT INTO requests(tenant, request_id, method, request_hash, "
                               "response) VALUES ($1, $2, $3, $4, $5) "
                               "ON CONFLICT (tenant, request_id) DO NOTHING RETURNING 1",
                               Params().Text(tenant_).Text(request_id).Text(v.method)
                                   .Text(v.request_hash).Bytea(v.response)));
    if (r.size() == 0) {
      return absl::AlreadyExistsError(
          absl::StrCat("postgresql: request_id \"", request_id, "\" is already recorded"));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<CaseRow>> GetCase(absl::string_view customer) override {
    ASSIGN_OR_RETURN(Rows r, Q(absl::StrCat(kCaseCols, "WHERE tenant=$1 AND customer=$2"),
                               Params().Text(tenant_).Text(customer)));
    if (r.size() == 0) return std::optional<CaseRow>();
    return std::optional<CaseRow>(ReadCase(r, 0));
  }
  absl::Status PutCase(const CaseRow& c) override {
    RETURN_IF_ERROR(LockTenant());
    return Q("INSERT INTO cases(tenant, customer, state, stage, paused, owner, priority, currency, "
             "overdue, due_day, body) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) "
             "ON CONFLICT (tenant, customer) DO UPDATE SET state=EXCLUDED.state, "
             "stage=EXCLUDED.stage, paused=EXCLUDED.paused, owner=EXCLUDED.owner, "
             "priority=EXCLUDED.priority, currency=EXCLUDED.currency, overdue=EXCLUDED.overdue, "
             "due_day=EXCLUDED.due_day, body=EXCLUDED.body",
             Params().Text(tenant_).Text(c.customer).Int(c.state).Int(c.stage)
                 .Int(c.paused ? 1 : 0).Text(c.owner).Int(c.priority).Text(c.currency)
                 .Int(c.overdue).Int(c.due_day).Bytea(c.body))
        .status();
  }
  absl::StatusOr<int64_t> CountCases(const CaseFilter& filter) override {
    CaseFilter f = filter;
    f.has_after = false;
    std::string sql = "SELECT COUNT(*) FROM cases WHERE tenant=$1 ";
    Params p;
    p.Text(tenant_);
    AppendCaseConditions(f, &sql, &p);
    ASSIGN_OR_RETURN(Rows r, Q(sql, p));
    return r.size() > 0 ? r.Int(0, 0) : 0;
  }
  // Appends the filter's conditions (and parameters after $1).
  static int AppendCaseConditions(const CaseFilter& f, std::string* out, Params* out_p) {
    std::string& sql = *out;
    Params& p = *out_p;
    int n = 1;
    if (!f.states.empty()) {
      absl::StrAppend(&sql, "AND state IN (", absl::StrJoin(f.states, ","), ") ");
    }
    if (f.stage != 0) absl::StrAppend(&sql, "AND stage=", f.stage, " ");
    if (f.paused) absl::StrAppend(&sql, "AND paused=", *f.paused ? 1 : 0, " ");
    if (!f.owner.empty()) {
      absl::StrAppend(&sql, "AND owner=$", ++n, " ");
      p.Text(f.owner);
    }
    if (f.min_overdue) absl::StrAppend(&sql, "AND overdue>=", *f.min_overdue, " ");
    if (f.max_overdue) absl::StrAppend(&sql, "AND overdue<=", *f.max_overdue, " ");
    if (f.overdue_only) absl::StrAppend(&sql, "AND overdue>0 ");
    if (f.has_after) {
      absl::StrAppend(&sql, "AND (priority<$", n + 1, " OR (priority=$", n + 1,
                      " AND customer>$", n + 2, ")) ");
      n += 2;
      p.Int(f.after_priority).Text(f.after_customer);
    }
    return n;
  }
  absl::StatusOr<std::vector<CaseRow>> ListCases(const CaseFilter& f) override {
    std::string sql = absl::StrCat(kCaseCols, "WHERE tenant=$1 ");
    Params p;
    p.Text(tenant_);
    int n = AppendCaseConditions(f, &sql, &p);
    absl::StrAppend(&sql, "ORDER BY priority DESC, customer LIMIT $", ++n);
    p.Int(f.limit);
    ASSIGN_OR_RETURN(Rows r, Q(sql, p));
    std::vector<CaseRow> out;
    for (int i = 0; i < r.size(); ++i) out.push_back(ReadCase(r, i));
    return out;
  }
  absl::StatusOr<std::vector<std::string>> ListDueCases(int64_t day, absl::string_view after,
                                                        int limit) override {
    ASSIGN_OR_RETURN(Rows r, Q("SELECT customer FROM cases WHERE tenant=$1 AND due_day<=$2 "
                               "AND customer>$3 ORDER BY customer LIMIT $4",
                               Params().Text(tenant_).Int(day).Text(after).Int(limit)));
    std::vector<std::string> out;
    for (int i = 0; i < r.size(); ++i) out.push_back(r.Str(i, 0));
    return out;
  }

  absl::Status MarkCasesStale(const std::vector<StaleCase>& cases) override {
    if (cases.empty()) return absl::OkStatus();
    RETURN_IF_ERROR(LockTenant());
    std::vector<std::string> customers, events;
    std::vector<int64_t> days;
    for (const StaleCase& c : cases) {
      customers.push_back(c.customer);
      events.push_back(c.event);
      days.push_back(c.day);
    }
    // One statement for the whole set; a customer listed twice keeps its last mark.
    return Q("INSERT INTO stale_cases(tenant, customer, event, day) "
             "SELECT DISTINCT ON (c) $1, c, e, d FROM unnest($2::text[], $3::text[], $4::bigint[]) "
             "WITH ORDINALITY AS u(c, e, d, pos) ORDER BY c, pos DESC "
             "ON CONFLICT (tenant, customer) DO UPDATE SET event=EXCLUDED.event, day=EXCLUDED.day",
             Params().Text(tenant_).TextArray(customers).TextArray(events).IntArray(days))
        .status();
  }
  absl::StatusOr<std::vector<StaleCase>> ListStaleCases(absl::string_view customer,
                                                        int limit) override {
    // A write transaction already holds the tenant's lock (RunOnce), so two
    // replicas never refresh the same marks at once.
    ASSIGN_OR_RETURN(Rows r, Q("SELECT customer, event, day FROM stale_cases WHERE tenant=$1 "
                               "AND ($2='' OR customer=$2) ORDER BY customer LIMIT $3",
                               Params().Text(tenant_).Text(customer).Int(limit)));
    std::vector<StaleCase> out;
    for (int i = 0; i < r.size(); ++i) out.push_back(StaleCase{r.Str(i, 0), r.Str(i, 1), r.Int(i, 2)});
    return out;
  }
  absl::Status ClearStaleCases(const std::vector<std::string>& customers) override {
    if (customers.empty()) return absl::OkStatus();
    RETURN_IF_ERROR(LockTenant());
    return Q("DELETE FROM stale_cases WHERE tenant=$1 AND customer = ANY($2::text[])",
             Params().Text(tenant_).TextArray(customers))
        .status();
  }

  absl::StatusOr<std::vector<std::string>> ListDocKinds() override {
    ASSIGN_OR_RETURN(Rows r, Q("SELECT DISTINCT kind FROM docs WHERE tenant=$1 ORDER BY kind",
                               Params().Text(tenant_)));
    std::vector<std::string> out;
    for (int i = 0; i < r.size(); ++i) out.push_back(r.Str(i, 0));
    return out;
  }
  absl::StatusOr<std::vector<std::pair<std::string, StoredRequest>>> ListRequests(
      absl::string_view after_id, int limit) override {
    ASSIGN_OR_RETURN(Rows r, Q("SELECT request_id, method, request_hash, response FROM requests "
                               "WHERE tenant=$1 AND request_id>$2 ORDER BY request_id LIMIT $3",
                               Params().Text(tenant_).Text(after_id).Int(limit)));
    std::vector<std::pair<std::string, StoredRequest>> out;
    for (int i = 0; i < r.size(); ++i) {
      out.emplace_back(r.Str(i, 0), StoredRequest{r.Str(i, 1), r.Str(i, 2), r.Str(i, 3)});
    }
    return out;
  }
  absl::StatusOr<std::vector<std::pair<int64_t, SettlementRow>>> ListSettlementsInOrder(
      int64_t after, int limit) override {
    ASSIGN_OR_RETURN(Rows r, Q("SELECT id, invoice_id, source_kind, source_id, day, amount "
                               "FROM settlements WHERE tenant=$1 AND id>$2 ORDER BY id LIMIT $3",
                               Params().Text(tenant_).Int(after).Int(limit)));
    std::vector<std::pair<int64_t, SettlementRow>> out;
    for (int i = 0; i < r.size(); ++i) {
      out.emplace_back(r.Int(i, 0), SettlementRow{r.Str(i, 1), r.Str(i, 2), r.Str(i, 3),
                                                  r.Int(i, 4), r.Int(i, 5)});
    }
    return out;
  }

  bool wrote_event() const { return wrote_event_; }
  // A statement failed with a serialization failure or deadlock: whatever fn
  // made of that error, the attempt must be rolled back and run again.
  bool retryable() const { return retryable_; }
  // The connection broke before COMMIT: nothing committed, safe to rerun.
  bool disconnected() const { return disconnected_; }

 private:
  absl::StatusOr<Rows> Q(const std::string& sql, const Params& p) {
    absl::StatusOr<Rows> r = c_.Query(sql, p);
    if (!r.ok()) {
      if (IsRetryableState(c_.last_state())) retryable_ = true;
      if (PQstatus(c_.raw()) != CONNECTION_OK) disconnected_ = true;
    }
    return r;
  }
  // See the top of this file: the per-tenant write lock.
  absl::Status LockTenant() {
    if (locked_) return absl::OkStatus();
    RETURN_IF_ERROR(Q(absl::StrCat("SELECT 1 FROM pg_advisory_xact_lock(", kTenantLockClass,
                                   ", hashtext($1))"),
                      Params().Text(tenant_))
                        .status());
    locked_ = true;
    return absl::OkStatus();
  }
  static std::optional<Doc> OneDoc(const Rows& r) {
    if (r.size() == 0) return std::nullopt;
    return ReadDoc(r, 0);
  }
  static std::optional<InvoiceRow> OneInvoice(const Rows& r) {
    if (r.size() == 0) return std::nullopt;
    return ReadInvoice(r, 0);
  }

  PgConn& c_;
  std::string tenant_;
  bool locked_ = false;
  bool wrote_event_ = false;
  bool retryable_ = false;
  bool disconnected_ = false;
};

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
    Params p;
    p.Text(tenant).Int(f.after_sequence).Int(f.limit);
    std::string sql =
        "SELECT seq, tenant, customer, resource, body FROM events WHERE tenant=$1 AND seq>$2 ";
    int n = 3;
    if (!f.customer.empty()) {
      absl::StrAppend(&sql, "AND customer=$", ++n, " ");
      p.Text(f.customer);
    }
    if (!f.resource_prefix.empty()) {
      absl::StrAppend(&sql, "AND starts_with(resource, $", ++n, ") ");
      p.Text(f.resource_prefix);
    }
    sql += "ORDER BY seq LIMIT $3";
    std::vector<EventRow> out;
    RETURN_IF_ERROR(RunRead([&](PgConn& c) -> absl::Status {
      ASSIGN_OR_RETURN(Rows r, c.Query(sql, p));
      for (int i = 0; i < r.size(); ++i) {
        out.push_back(EventRow{r.Int(i, 0), r.Str(i, 1), r.Str(i, 2), r.Str(i, 3), r.Str(i, 4)});
      }
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
                           "AND status<>4 AND issue_day<=$1",
                           filter, " GROUP BY ", group, ", b ORDER BY ", group, ", b");
      } else if (exact_now) {
        sql = absl::StrCat("SELECT ", customer_col, ", currency, ", bucket,
                           " AS b, SUM(amount_due)::bigint, COUNT(*) FROM invoices "
                           "WHERE tenant=$2 AND status IN (1,2)",
                           filter, " GROUP BY ", group, ", b ORDER BY ", group, ", b");
      } else {
        sql = absl::StrCat(
            "SELECT ", customer_col, ", currency, ", bucket,
            " AS b, SUM(due)::bigint, COUNT(*) FROM (SELECT customer, currency, due_day, total - "
            "COALESCE((SELECT SUM(s.amount) FROM settlements s WHERE s.tenant=i.tenant AND "
            "s.invoice_id=i.id AND s.day<=$1), 0)::bigint AS due FROM invoices i WHERE tenant=$2 "
            "AND status<>4 AND issue_day<=$1",
            filter, ") AS o WHERE due>0 GROUP BY ", group, ", b ORDER BY ", group, ", b");
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
  // Concurrent replicas may start together: the migration runs under a
  // transaction-level advisory lock, so one migrates and the others then see
  // the finished version.
  static absl::Status Migrate(PgConn& c) {
    RETURN_IF_ERROR(c.Exec("BEGIN"));
    absl::Status st = [&c]() -> absl::Status {
      RETURN_IF_ERROR(c.Exec(absl::StrCat("SELECT pg_advisory_xact_lock(", kMigrationLockClass,
                                          ", 0)")));
      RETURN_IF_ERROR(c.Exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"));
      ASSIGN_OR_RETURN(Rows r, c.Query("SELECT COALESCE(MAX(version), 0)::bigint FROM "
                                       "schema_version", Params()));
      const int64_t version = r.size() == 1 ? r.Int(0, 0) : 0;
      const int64_t target = sizeof(kMigrations) / sizeof(kMigrations[0]);
      if (version > target) {
        return absl::FailedPreconditionError(absl::StrCat(
            "database schema version ", version, " is newer than this build (", target, ")"));
      }
      for (int64_t v = version; v < target; ++v) {
        RETURN_IF_ERROR(c.Exec(kMigrations[v]));
        RETURN_IF_ERROR(c.Exec(absl::StrCat("INSERT INTO schema_version(version) VALUES (", v + 1,
                                            ")")));
      }
      return absl::OkStatus();
    }();
    if (!st.ok()) {
      c.Exec("ROLLBACK").IgnoreError();
      return st;
    }
    return c.Exec("COMMIT");
  }

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
        c.Query(absl::StrCat("SELECT 1 FROM pg_advisory_lock(", key, ")"),
                Params().Text(tenant))
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
    absl::Status begin = c.Exec(mode == TxMode::kWrite
                                    ? "BEGIN ISOLATION LEVEL SERIALIZABLE"
                                    : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    if (!begin.ok()) {
      *retry = PQstatus(c.raw()) != CONNECTION_OK;  // a stale pooled connection
      return begin;
    }
    PgTransaction tx(c, std::string(tenant));
    absl::Status st = fn(tx);
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

absl::StatusOr<std::unique_ptr<Store>> OpenPostgresStore(absl::string_view uri) {
  std::string libpq_uri;
  int pool_size = 8;
  RETURN_IF_ERROR(SplitUri(uri, &libpq_uri, &pool_size));
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(libpq_uri.c_str(), &error);
  if (options == nullptr) {
    std::string why = error != nullptr ? error : "out of memory";
    PQfreemem(error);
    return domain::InvalidInput("INVALID_STORE_URI", "store",
                                absl::StripAsciiWhitespace(why));
  }
  PQconninfoFree(options);
  auto store = std::make_unique<PostgresStore>(std::move(libpq_uri), pool_size);
  RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace collections::store
