#include "service/store/sqlite/sqlite_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "service/domain/amount_limits.h"
#include "service/base/errors.h"
#include "service/base/status_macros.h"
#include "service/store/event_signal.h"
#include "service/store/invoice_status_sql.h"

namespace collections::store {
namespace {

// Schema migrations, applied in order; schema_version holds the count done.
// Never edit a shipped step: append a new one.
const char* const kMigrations[] = {
    R"sql(
CREATE TABLE docs (
  tenant TEXT NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL,
  customer TEXT NOT NULL DEFAULT '', ref TEXT, number TEXT, body BLOB NOT NULL,
  PRIMARY KEY (tenant, kind, id));
CREATE UNIQUE INDEX docs_ref ON docs(tenant, kind, ref) WHERE ref IS NOT NULL;
CREATE INDEX docs_customer ON docs(tenant, kind, customer, id);
CREATE INDEX docs_number ON docs(tenant, kind, customer, number) WHERE number IS NOT NULL;
CREATE TABLE invoices (
  tenant TEXT NOT NULL, id TEXT NOT NULL, customer TEXT NOT NULL, ref TEXT,
  number TEXT NOT NULL, currency TEXT NOT NULL, issue_day INTEGER NOT NULL,
  due_day INTEGER NOT NULL, total INTEGER NOT NULL, amount_due INTEGER NOT NULL,
  status INTEGER NOT NULL, body BLOB NOT NULL,
  PRIMARY KEY (tenant, id));
CREATE UNIQUE INDEX invoices_ref ON invoices(tenant, ref) WHERE ref IS NOT NULL;
CREATE INDEX invoices_customer ON invoices(tenant, customer, id);
CREATE INDEX invoices_number ON invoices(tenant, customer, number);
CREATE INDEX invoices_issue ON invoices(tenant, issue_day);
-- Covering index of the aging report: open and partially paid invoices.
CREATE INDEX invoices_aging ON invoices(tenant, status, customer, currency, due_day, amount_due);
CREATE TABLE settlements (
  tenant TEXT NOT NULL, invoice_id TEXT NOT NULL, source_kind TEXT NOT NULL,
  source_id TEXT NOT NULL, day INTEGER NOT NULL, amount INTEGER NOT NULL CHECK (amount > 0),
  FOREIGN KEY (tenant, invoice_id) REFERENCES invoices(tenant, id));
CREATE INDEX settlements_invoice ON settlements(tenant, invoice_id);
CREATE INDEX settlements_source ON settlements(tenant, source_kind, source_id);
CREATE INDEX settlements_day ON settlements(tenant, day);
CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, tenant TEXT NOT NULL,
  customer TEXT NOT NULL, resource TEXT NOT NULL, body BLOB NOT NULL);
CREATE INDEX events_tenant ON events(tenant, seq);
CREATE INDEX events_customer ON events(tenant, customer, seq);
CREATE TABLE requests (
  tenant TEXT NOT NULL, request_id TEXT NOT NULL, method TEXT NOT NULL,
  request_hash TEXT NOT NULL, response BLOB NOT NULL,
  PRIMARY KEY (tenant, request_id));
)sql",
    R"sql(
CREATE TABLE cases (
  tenant TEXT NOT NULL, customer TEXT NOT NULL, state INTEGER NOT NULL,
  stage INTEGER NOT NULL, paused INTEGER NOT NULL, owner TEXT NOT NULL,
  priority INTEGER NOT NULL, currency TEXT NOT NULL, overdue INTEGER NOT NULL,
  due_day INTEGER NOT NULL, body BLOB NOT NULL,
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
  tenant TEXT NOT NULL, customer TEXT NOT NULL, event TEXT NOT NULL, day INTEGER NOT NULL,
  PRIMARY KEY (tenant, customer)) WITHOUT ROWID;
)sql",
};

absl::Status SqlError(sqlite3* db, absl::string_view what) {
  int code = sqlite3_errcode(db);
  std::string msg = absl::StrCat("sqlite ", what, ": ", sqlite3_errmsg(db));
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED) return absl::AbortedError(msg);
  // SUM() over 64-bit integers past 2^63: a sum of amounts that no int64
  // holds. Documented in README "Limits" as AMOUNT_SUM_OVERFLOW.
  if (absl::StrContains(sqlite3_errmsg(db), "integer overflow")) {
    return domain::AmountSumOverflow("a sum of amounts");
  }
  if (code == SQLITE_CONSTRAINT) return absl::AlreadyExistsError(msg);
  return absl::InternalError(msg);
}

// One prepared statement, reset on destruction so the cache can reuse it.
class Stmt {
 public:
  Stmt(sqlite3* db, sqlite3_stmt* s) : db_(db), s_(s) {}
  ~Stmt() {
    if (s_ != nullptr) {
      sqlite3_reset(s_);
      sqlite3_clear_bindings(s_);
    }
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  void Reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  Stmt& Bind(int i, absl::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& BindBlob(int i, absl::string_view v) {
    sqlite3_bind_blob(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& BindNullable(int i, absl::string_view v) {
    if (v.empty()) {
      sqlite3_bind_null(s_, i);
      return *this;
    }
    return Bind(i, v);
  }
  Stmt& Bind(int i, int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  // true = a row is ready, false = done.
  absl::StatusOr<bool> Step() {
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return SqlError(db_, "step");
  }
  absl::Status Exec() {
    absl::StatusOr<bool> r = Step();
    return r.ok() ? absl::OkStatus() : r.status();
  }
  std::string Text(int col) const {
    const void* p = sqlite3_column_blob(s_, col);
    int n = sqlite3_column_bytes(s_, col);
    return p == nullptr ? std::string() : std::string(static_cast<const char*>(p), n);
  }
  int64_t Int(int col) const { return sqlite3_column_int64(s_, col); }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_;
};

class Connection {
 public:
  ~Connection() {
    for (auto& [sql, s] : cache_) sqlite3_finalize(s);
    if (db_ != nullptr) sqlite3_close(db_);
  }
  static absl::StatusOr<std::unique_ptr<Connection>> Open(const std::string& path, bool read_only,
                                                         const char* synchronous = "FULL") {
    auto c = std::make_unique<Connection>();
    int flags = (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
    if (sqlite3_open_v2(path.c_str(), &c->db_, flags, nullptr) != SQLITE_OK) {
      return absl::UnavailableError(absl::StrCat("cannot open sqlite database ", path, ": ",
                                                 c->db_ ? sqlite3_errmsg(c->db_) : "out of memory"));
    }
    sqlite3_busy_timeout(c->db_, 5000);
    RETURN_IF_ERROR(c->ExecScript(
        absl::StrCat("PRAGMA foreign_keys=ON; PRAGMA synchronous=", synchronous,
                     "; PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;")
            .c_str()));
    return c;
  }
  absl::Status ExecScript(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown error";
      sqlite3_free(err);
      int code = sqlite3_errcode(db_);
      if (code == SQLITE_BUSY || code == SQLITE_LOCKED) return absl::AbortedError(msg);
      return absl::InternalError(absl::StrCat("sqlite: ", msg));
    }
    return absl::OkStatus();
  }
  absl::StatusOr<std::unique_ptr<Stmt>> Prepare(const std::string& sql) {
    auto it = cache_.find(sql);
    if (it == cache_.end()) {
      sqlite3_stmt* s = nullptr;
      if (sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) !=
          SQLITE_OK) {
        return SqlError(db_, absl::StrCat("prepare ", sql));
      }
      it = cache_.emplace(sql, s).first;
    }
    return std::make_unique<Stmt>(db_, it->second);
  }
  // One statement without results (BEGIN, COMMIT...), prepared once per
  // connection: sqlite3_exec would parse it again on every transaction.
  absl::Status Exec(const std::string& sql) {
    ASSIGN_OR_RETURN(std::unique_ptr<Stmt> s, Prepare(sql));
    return s->Exec();
  }
  sqlite3* db() { return db_; }

 private:
  sqlite3* db_ = nullptr;
  std::map<std::string, sqlite3_stmt*> cache_;
};

constexpr char kBegin[] = "BEGIN";
constexpr char kBeginImmediate[] = "BEGIN IMMEDIATE";
constexpr char kCommit[] = "COMMIT";
constexpr char kRollback[] = "ROLLBACK";

#define PREPARE_OR_RETURN(var, conn, sql) ASSIGN_OR_RETURN(auto var, (conn).Prepare(sql))

Doc ReadDoc(const Stmt& s) {
  // Columns: kind, id, customer, ref, number, body.
  return Doc{s.Text(0), s.Text(1), s.Text(2), s.Text(3), s.Text(4), s.Text(5)};
}

// Every row of a documents query.
absl::StatusOr<std::vector<Doc>> ReadDocs(Stmt& s) {
  std::vector<Doc> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(ReadDoc(s));
  }
  return out;
}

constexpr char kDocCols[] = "SELECT kind, id, customer, ref, number, body FROM docs ";
constexpr char kInvCols[] =
    "SELECT id, customer, ref, number, currency, issue_day, due_day, total, amount_due, status, "
    "body FROM invoices ";

InvoiceRow ReadInvoice(const Stmt& s) {
  InvoiceRow r;
  r.id = s.Text(0);
  r.customer = s.Text(1);
  r.ref = s.Text(2);
  r.number = s.Text(3);
  r.currency = s.Text(4);
  r.issue_day = s.Int(5);
  r.due_day = s.Int(6);
  r.total = s.Int(7);
  r.amount_due = s.Int(8);
  r.status = static_cast<int>(s.Int(9));
  r.body = s.Text(10);
  return r;
}

constexpr char kCaseCols[] =
    "SELECT customer, state, stage, paused, owner, priority, currency, overdue, due_day, body "
    "FROM cases ";

CaseRow ReadCase(const Stmt& s) {
  CaseRow r;
  r.customer = s.Text(0);
  r.state = static_cast<int>(s.Int(1));
  r.stage = static_cast<int>(s.Int(2));
  r.paused = s.Int(3) != 0;
  r.owner = s.Text(4);
  r.priority = s.Int(5);
  r.currency = s.Text(6);
  r.overdue = s.Int(7);
  r.due_day = s.Int(8);
  r.body = s.Text(9);
  return r;
}

class SqliteTransaction : public Transaction {
 public:
  SqliteTransaction(Connection& c, std::string tenant) : c_(c), tenant_(std::move(tenant)) {}

  absl::StatusOr<std::optional<Doc>> GetDoc(absl::string_view kind, absl::string_view id) override {
    PREPARE_OR_RETURN(s, c_, absl::StrCat(kDocCols, "WHERE tenant=? AND kind=? AND id=?"));
    s->Bind(1, tenant_).Bind(2, kind).Bind(3, id);
    return OneDoc(*s);
  }
  absl::StatusOr<std::optional<Doc>> FindDocByRef(absl::string_view kind,
                                                  absl::string_view ref) override {
    PREPARE_OR_RETURN(s, c_, absl::StrCat(kDocCols, "WHERE tenant=? AND kind=? AND ref=?"));
    s->Bind(1, tenant_).Bind(2, kind).Bind(3, ref);
    return OneDoc(*s);
  }
  absl::StatusOr<std::optional<Doc>> FindDocByNumber(absl::string_view kind,
                                                     absl::string_view customer,
                                                     absl::string_view number) override {
    PREPARE_OR_RETURN(
        s, c_, absl::StrCat(kDocCols, "WHERE tenant=? AND kind=? AND customer=? AND number=? "
                                      "ORDER BY id LIMIT 1"));
    s->Bind(1, tenant_).Bind(2, kind).Bind(3, customer).Bind(4, number);
    return OneDoc(*s);
  }
  absl::Status PutDoc(const Doc& d) override {
    PREPARE_OR_RETURN(s, c_,
                      "INSERT INTO docs(tenant, kind, id, customer, ref, number, body) "
                      "VALUES (?,?,?,?,?,?,?) ON CONFLICT(tenant, kind, id) DO UPDATE SET "
                      "customer=excluded.customer, ref=excluded.ref, number=excluded.number, "
                      "body=excluded.body");
    s->Bind(1, tenant_).Bind(2, d.kind).Bind(3, d.id).Bind(4, d.customer);
    s->BindNullable(5, d.ref).BindNullable(6, d.number).BindBlob(7, d.body);
    return s->Exec();
  }
  absl::Status DeleteDoc(absl::string_view kind, absl::string_view id) override {
    PREPARE_OR_RETURN(s, c_, "DELETE FROM docs WHERE tenant=? AND kind=? AND id=?");
    s->Bind(1, tenant_).Bind(2, kind).Bind(3, id);
    return s->Exec();
  }
  absl::StatusOr<std::vector<Doc>> ListDocsByNumber(absl::string_view kind,
                                                    absl::string_view after_number,
                                                    int limit) override {
    PREPARE_OR_RETURN(s, c_,
                      absl::StrCat(kDocCols, "INDEXED BY docs_kind_number WHERE tenant=? AND "
                                             "kind=? AND number IS NOT NULL AND number>? "
                                             "ORDER BY number LIMIT ?"));
    s->Bind(1, tenant_).Bind(2, kind).Bind(3, after_number).Bind(4, static_cast<int64_t>(limit));
    return ReadDocs(*s);
  }
  absl::StatusOr<std::vector<Doc>> ListDocs(absl::string_view kind, absl::string_view customer,
                                            absl::string_view after_id, int limit) override {
    std::string sql = absl::StrCat(kDocCols, "WHERE tenant=? AND kind=? AND id>? ",
                                   customer.empty() ? "" : "AND customer=? ",
                                   "ORDER BY id LIMIT ?");
    PREPARE_OR_RETURN(s, c_, sql);
    int i = 1;
    s->Bind(i++, tenant_);
    s->Bind(i++, kind);
    s->Bind(i++, after_id);
    if (!customer.empty()) s->Bind(i++, customer);
    s->Bind(i++, static_cast<int64_t>(limit));
    return ReadDocs(*s);
  }

  absl::StatusOr<std::optional<InvoiceRow>> GetInvoice(absl::string_view id) override {
    PREPARE_OR_RETURN(s, c_, absl::StrCat(kInvCols, "WHERE tenant=? AND id=?"));
    s->Bind(1, tenant_).Bind(2, id);
    return OneInvoice(*s);
  }
  absl::StatusOr<std::optional<InvoiceRow>> FindInvoiceByRef(absl::string_view ref) override {
    PREPARE_OR_RETURN(s, c_, absl::StrCat(kInvCols, "WHERE tenant=? AND ref=?"));
    s->Bind(1, tenant_).Bind(2, ref);
    return OneInvoice(*s);
  }
  absl::StatusOr<std::optional<InvoiceRow>> FindInvoiceByNumber(absl::string_view customer,
                                                                absl::string_view number) override {
    PREPARE_OR_RETURN(s, c_, absl::StrCat(kInvCols, "WHERE tenant=? AND customer=? AND number=? "
                                                    "ORDER BY id LIMIT 1"));
    s->Bind(1, tenant_).Bind(2, customer).Bind(3, number);
    return OneInvoice(*s);
  }
  absl::Status PutInvoice(const InvoiceRow& r) override {
    PREPARE_OR_RETURN(
        s, c_,
        "INSERT INTO invoices(tenant, id, customer, ref, number, currency, issue_day, due_day, "
        "total, amount_due, status, body) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) "
        "ON CONFLICT(tenant, id) DO UPDATE SET customer=excluded.customer, ref=excluded.ref, "
        "number=excluded.number, currency=excluded.currency, issue_day=excluded.issue_day, "
        "due_day=excluded.due_day, total=excluded.total, amount_due=excluded.amount_due, "
        "status=excluded.status, body=excluded.body");
    s->Bind(1, tenant_).Bind(2, r.id).Bind(3, r.customer).BindNullable(4, r.ref);
    s->Bind(5, r.number).Bind(6, r.currency).Bind(7, r.issue_day).Bind(8, r.due_day);
    s->Bind(9, r.total).Bind(10, r.amount_due).Bind(11, static_cast<int64_t>(r.status));
    s->BindBlob(12, r.body);
    return s->Exec();
  }
  absl::StatusOr<std::vector<InvoiceRow>> ListInvoices(const InvoiceFilter& f) override {
    std::string sql = absl::StrCat(kInvCols, "WHERE tenant=? AND id>? ");
    if (!f.customer.empty()) sql += "AND customer=? ";
    if (!f.currency.empty()) sql += "AND currency=? ";
    if (!f.statuses.empty()) {
      absl::StrAppend(&sql, "AND status IN (", absl::StrJoin(f.statuses, ","), ") ");
    }
    if (f.overdue_as_of_day) {
      absl::StrAppend(&sql, "AND amount_due>0 AND ", OutstandingStatusSql(), " AND due_day<? ");
    }
    sql += "ORDER BY id LIMIT ?";
    PREPARE_OR_RETURN(s, c_, sql);
    int i = 1;
    s->Bind(i++, tenant_);
    s->Bind(i++, f.after_id);
    if (!f.customer.empty()) s->Bind(i++, f.customer);
    if (!f.currency.empty()) s->Bind(i++, f.currency);
    if (f.overdue_as_of_day) s->Bind(i++, *f.overdue_as_of_day);
    s->Bind(i++, static_cast<int64_t>(f.limit));
    std::vector<InvoiceRow> out;
    while (true) {
      ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      out.push_back(ReadInvoice(*s));
    }
    return out;
  }

  absl::StatusOr<std::vector<SettlementRow>> ListSettlements(
      const std::vector<std::string>& invoice_ids) override {
    std::vector<SettlementRow> out;
    PREPARE_OR_RETURN(s, c_,
                      "SELECT invoice_id, source_kind, source_id, day, amount FROM settlements "
                      "WHERE tenant=? AND invoice_id=? ORDER BY rowid");
    for (const auto& id : invoice_ids) {
      s->Bind(1, tenant_).Bind(2, id);
      RETURN_IF_ERROR(ReadSettlements(*s, &out));
      s->Reset();
    }
    return out;
  }
  absl::StatusOr<std::vector<SettlementRow>> ListSettlementsBySource(
      absl::string_view kind, absl::string_view id) override {
    std::vector<SettlementRow> out;
    PREPARE_OR_RETURN(s, c_,
                      "SELECT invoice_id, source_kind, source_id, day, amount FROM settlements "
                      "WHERE tenant=? AND source_kind=? AND source_id=? ORDER BY rowid");
    s->Bind(1, tenant_).Bind(2, kind).Bind(3, id);
    RETURN_IF_ERROR(ReadSettlements(*s, &out));
    return out;
  }
  absl::Status ReplaceSettlements(absl::string_view kind, absl::string_view id,
                                  const std::vector<SettlementRow>& rows) override {
    {
      PREPARE_OR_RETURN(
          d, c_, "DELETE FROM settlements WHERE tenant=? AND source_kind=? AND source_id=?");
      d->Bind(1, tenant_).Bind(2, kind).Bind(3, id);
      RETURN_IF_ERROR(d->Exec());
    }
    for (const auto& r : rows) {
      PREPARE_OR_RETURN(s, c_,
                        "INSERT INTO settlements(tenant, invoice_id, source_kind, source_id, day, "
                        "amount) VALUES (?,?,?,?,?,?)");
      s->Bind(1, tenant_).Bind(2, r.invoice_id).Bind(3, kind).Bind(4, id).Bind(5, r.day);
      s->Bind(6, r.amount);
      RETURN_IF_ERROR(s->Exec());
    }
    return absl::OkStatus();
  }

  absl::StatusOr<int64_t> AppendEvent(const EventRow& e) override {
    PREPARE_OR_RETURN(s, c_,
                      "INSERT INTO events(tenant, customer, resource, body) VALUES (?,?,?,?)");
    s->Bind(1, tenant_).Bind(2, e.customer).Bind(3, e.resource).BindBlob(4, e.body);
    RETURN_IF_ERROR(s->Exec());
    wrote_event_ = true;
    return sqlite3_last_insert_rowid(c_.db());
  }

  absl::StatusOr<std::optional<StoredRequest>> GetRequest(absl::string_view request_id) override {
    PREPARE_OR_RETURN(s, c_,
                      "SELECT method, request_hash, response FROM requests "
                      "WHERE tenant=? AND request_id=?");
    s->Bind(1, tenant_).Bind(2, request_id);
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return std::optional<StoredRequest>();
    return std::optional<StoredRequest>(StoredRequest{s->Text(0), s->Text(1), s->Text(2)});
  }
  absl::Status PutRequest(absl::string_view request_id, const StoredRequest& r) override {
    PREPARE_OR_RETURN(s, c_,
                      "INSERT INTO requests(tenant, request_id, method, request_hash, response) "
                      "VALUES (?,?,?,?,?)");
    s->Bind(1, tenant_).Bind(2, request_id).Bind(3, r.method).Bind(4, r.request_hash);
    s->BindBlob(5, r.response);
    return s->Exec();
  }

  absl::StatusOr<std::vector<std::string>> ListDocKinds() override {
    PREPARE_OR_RETURN(s, c_, "SELECT DISTINCT kind FROM docs WHERE tenant=? ORDER BY kind");
    s->Bind(1, tenant_);
    std::vector<std::string> out;
    while (true) {
      ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      out.push_back(s->Text(0));
    }
    return out;
  }
  absl::StatusOr<std::vector<std::pair<std::string, StoredRequest>>> ListRequests(
      absl::string_view after_id, int limit) override {
    PREPARE_OR_RETURN(s, c_,
                      "SELECT request_id, method, request_hash, response FROM requests "
                      "WHERE tenant=? AND request_id>? ORDER BY request_id LIMIT ?");
    s->Bind(1, tenant_).Bind(2, after_id).Bind(3, static_cast<int64_t>(limit));
    std::vector<std::pair<std::string, StoredRequest>> out;
    while (true) {
      ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      out.emplace_back(s->Text(0), StoredRequest{s->Text(1), s->Text(2), s->Text(3)});
    }
    return out;
  }
  absl::StatusOr<std::vector<std::pair<int64_t, SettlementRow>>> ListSettlementsInOrder(
      int64_t after, int limit) override {
    PREPARE_OR_RETURN(s, c_,
                      "SELECT rowid, invoice_id, source_kind, source_id, day, amount "
                      "FROM settlements WHERE tenant=? AND rowid>? ORDER BY rowid LIMIT ?");
    s->Bind(1, tenant_).Bind(2, after).Bind(3, static_cast<int64_t>(limit));
    std::vector<std::pair<int64_t, SettlementRow>> out;
    while (true) {
      ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      out.emplace_back(s->Int(0),
                       SettlementRow{s->Text(1), s->Text(2), s->Text(3), s->Int(4), s->Int(5)});
    }
    return out;
  }

  absl::StatusOr<std::optional<CaseRow>> GetCase(absl::string_view customer) override {
    PREPARE_OR_RETURN(s, c_, absl::StrCat(kCaseCols, "WHERE tenant=? AND customer=?"));
    s->Bind(1, tenant_).Bind(2, customer);
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return std::optional<CaseRow>();
    return std::optional<CaseRow>(ReadCase(*s));
  }
  absl::Status PutCase(const CaseRow& r) override {
    PREPARE_OR_RETURN(s, c_,
                      "INSERT INTO cases(tenant, customer, state, stage, paused, owner, priority, "
                      "currency, overdue, due_day, body) VALUES (?,?,?,?,?,?,?,?,?,?,?) "
                      "ON CONFLICT(tenant, customer) DO UPDATE SET state=excluded.state, "
                      "stage=excluded.stage, paused=excluded.paused, owner=excluded.owner, "
                      "priority=excluded.priority, currency=excluded.currency, "
                      "overdue=excluded.overdue, due_day=excluded.due_day, body=excluded.body");
    s->Bind(1, tenant_).Bind(2, r.customer).Bind(3, int64_t{r.state}).Bind(4, int64_t{r.stage});
    s->Bind(5, int64_t{r.paused ? 1 : 0}).Bind(6, r.owner).Bind(7, r.priority);
    s->Bind(8, r.currency).Bind(9, r.overdue).Bind(10, r.due_day).BindBlob(11, r.body);
    return s->Exec();
  }
  absl::StatusOr<int64_t> CountCases(const CaseFilter& filter) override {
    CaseFilter f = filter;
    f.has_after = false;
    std::string sql = absl::StrCat("SELECT COUNT(*) FROM cases WHERE tenant=? ",
                                   CaseConditions(f));
    PREPARE_OR_RETURN(s, c_, sql);
    s->Bind(1, tenant_);
    if (!f.owner.empty()) s->Bind(2, f.owner);
    ASSIGN_OR_RETURN(bool row, s->Step());
    return row ? s->Int(0) : 0;
  }
  static std::string CaseConditions(const CaseFilter& f) {
    std::string sql;
    if (!f.states.empty()) {
      absl::StrAppend(&sql, "AND state IN (", absl::StrJoin(f.states, ","), ") ");
    }
    if (f.stage != 0) absl::StrAppend(&sql, "AND stage=", f.stage, " ");
    if (f.paused) absl::StrAppend(&sql, "AND paused=", *f.paused ? 1 : 0, " ");
    if (!f.owner.empty()) absl::StrAppend(&sql, "AND owner=? ");
    if (f.min_overdue) absl::StrAppend(&sql, "AND overdue>=", *f.min_overdue, " ");
    if (f.max_overdue) absl::StrAppend(&sql, "AND overdue<=", *f.max_overdue, " ");
    if (f.overdue_only) absl::StrAppend(&sql, "AND overdue>0 ");
    if (f.has_after) absl::StrAppend(&sql, "AND (priority<? OR (priority=? AND customer>?)) ");
    return sql;
  }
  absl::StatusOr<std::vector<CaseRow>> ListCases(const CaseFilter& f) override {
    std::string sql = absl::StrCat(kCaseCols, "WHERE tenant=? ", CaseConditions(f));
    absl::StrAppend(&sql, "ORDER BY priority DESC, customer LIMIT ?");
    PREPARE_OR_RETURN(s, c_, sql);
    int i = 1;
    s->Bind(i++, tenant_);
    if (!f.owner.empty()) s->Bind(i++, f.owner);
    if (f.has_after) {
      s->Bind(i, f.after_priority);
      s->Bind(i + 1, f.after_priority);
      s->Bind(i + 2, f.after_customer);
      i += 3;
    }
    s->Bind(i++, static_cast<int64_t>(f.limit));
    std::vector<CaseRow> out;
    while (true) {
      ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      out.push_back(ReadCase(*s));
    }
    return out;
  }
  absl::StatusOr<std::vector<std::string>> ListDueCases(int64_t day, absl::string_view after,
                                                        int limit) override {
    PREPARE_OR_RETURN(s, c_,
                      "SELECT customer FROM cases WHERE tenant=? AND due_day<=? AND customer>? "
                      "ORDER BY customer LIMIT ?");
    s->Bind(1, tenant_).Bind(2, day).Bind(3, after).Bind(4, static_cast<int64_t>(limit));
    std::vector<std::string> out;
    while (true) {
      ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      out.push_back(s->Text(0));
    }
    return out;
  }

  absl::Status MarkCasesStale(const std::vector<StaleCase>& cases) override {
    PREPARE_OR_RETURN(s, c_,
                      "INSERT INTO stale_cases(tenant, customer, event, day) VALUES (?,?,?,?) "
                      "ON CONFLICT(tenant, customer) DO UPDATE SET event=excluded.event, "
                      "day=excluded.day");
    for (const StaleCase& c : cases) {
      s->Bind(1, tenant_).Bind(2, c.customer).Bind(3, c.event).Bind(4, c.day);
      RETURN_IF_ERROR(s->Exec());
      s->Reset();
    }
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<StaleCase>> ListStaleCases(absl::string_view customer,
                                                        int limit) override {
    PREPARE_OR_RETURN(s, c_,
                      "SELECT customer, event, day FROM stale_cases WHERE tenant=? "
                      "AND (?='' OR customer=?) ORDER BY customer LIMIT ?");
    // An empty view may have no data pointer, which SQLite would bind as NULL.
    const std::string who(customer);
    s->Bind(1, tenant_).Bind(2, who).Bind(3, who).Bind(4, static_cast<int64_t>(limit));
    std::vector<StaleCase> out;
    while (true) {
      ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      out.push_back(StaleCase{s->Text(0), s->Text(1), s->Int(2)});
    }
    return out;
  }
  absl::Status ClearStaleCases(const std::vector<std::string>& customers) override {
    PREPARE_OR_RETURN(s, c_, "DELETE FROM stale_cases WHERE tenant=? AND customer=?");
    for (const std::string& c : customers) {
      s->Bind(1, tenant_).Bind(2, c);
      RETURN_IF_ERROR(s->Exec());
      s->Reset();
    }
    return absl::OkStatus();
  }

  bool wrote_event() const { return wrote_event_; }

 private:
  static absl::StatusOr<std::optional<Doc>> OneDoc(Stmt& s) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<Doc>();
    return std::optional<Doc>(ReadDoc(s));
  }
  static absl::StatusOr<std::optional<InvoiceRow>> OneInvoice(Stmt& s) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<InvoiceRow>();
    return std::optional<InvoiceRow>(ReadInvoice(s));
  }
  static absl::Status ReadSettlements(Stmt& s, std::vector<SettlementRow>* out) {
    while (true) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out->push_back(SettlementRow{s.Text(0), s.Text(1), s.Text(2), s.Int(3), s.Int(4)});
    }
    // Leave the statement ready for the next binding.
    return absl::OkStatus();
  }

  Connection& c_;
  std::string tenant_;
  bool wrote_event_ = false;
};

}  // namespace

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
                        NotVoidStatusSql(), " AND issue_day<=?1",
                        filter, " GROUP BY ", group, ", b ORDER BY ", group, ", b");
  }
  if (as_stored) {
    return absl::StrCat("SELECT ", q.by_customer ? "customer" : "''", ", currency, ", bucket,
                        " AS b, SUM(amount_due), COUNT(*) FROM invoices INDEXED BY invoices_aging "
                        "WHERE tenant=?2 AND ", OutstandingStatusSql(),
                        filter, " GROUP BY ", group, ", b ORDER BY ", group, ", b");
  }
  return absl::StrCat(
      "SELECT ", q.by_customer ? "customer" : "''", ", currency, ", bucket,
      " AS b, SUM(due), COUNT(*) FROM (SELECT customer, currency, due_day, total - "
      "COALESCE((SELECT SUM(s.amount) FROM settlements s INDEXED BY settlements_invoice "
      "WHERE s.tenant=i.tenant AND "
      "s.invoice_id=i.id AND s.day<=?1), 0) AS due FROM invoices i WHERE tenant=?2 AND ",
      NotVoidStatusSql(), " AND issue_day<=?1",
      filter, ") WHERE due>0 GROUP BY ", group, ", b ORDER BY ", group, ", b");
}

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
    RETURN_IF_ERROR(Migrate());
    memory_ = memory;
    return absl::OkStatus();
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
      std::string sql = "SELECT seq, tenant, customer, resource, body FROM events WHERE tenant=? AND seq>? ";
      if (!f.customer.empty()) sql += "AND customer=? ";
      if (!f.resource_prefix.empty()) sql += "AND substr(resource, 1, ?)=? ";
      sql += "ORDER BY seq LIMIT ?";
      PREPARE_OR_RETURN(s, c, sql);
      int i = 1;
      s->Bind(i++, tenant);
      s->Bind(i++, f.after_sequence);
      if (!f.customer.empty()) s->Bind(i++, f.customer);
      if (!f.resource_prefix.empty()) {
        s->Bind(i++, static_cast<int64_t>(f.resource_prefix.size()));
        s->Bind(i++, f.resource_prefix);
      }
      s->Bind(i++, static_cast<int64_t>(f.limit));
      while (true) {
        ASSIGN_OR_RETURN(bool row, s->Step());
        if (!row) break;
        out.push_back(EventRow{s->Int(0), s->Text(1), s->Text(2), s->Text(3), s->Text(4), ""});
      }
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
    absl::Status st = WithReader([&](Connection& c) -> absl::Status {
      // Fast path: nothing was issued or settled after as_of, so the stored
      // amount_due is the amount due as of that day.
      bool exact_now = false;
      {
        PREPARE_OR_RETURN(s, c,
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
      while (true) {
        ASSIGN_OR_RETURN(bool row, s->Step());
        if (!row) break;
        out.push_back(AgingCell{s->Text(0), s->Text(1), static_cast<int>(s->Int(2)), s->Int(3),
                                s->Int(4)});
      }
      return absl::OkStatus();
    });
    if (!st.ok()) return st;
    if (!q.customers.empty()) {
      std::vector<AgingCell> kept;
      for (auto& cell : out) {
        for (const auto& c : q.customers) {
          if (c == cell.customer) {
            kept.push_back(std::move(cell));
            break;
          }
        }
      }
      out = std::move(kept);
    }
    return out;
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
  absl::Status Migrate() {
    RETURN_IF_ERROR(writer_->ExecScript(
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"));
    int64_t version = 0;
    {
      ASSIGN_OR_RETURN(auto s, writer_->Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version"));
      ASSIGN_OR_RETURN(bool row, s->Step());
      if (row) version = s->Int(0);
    }
    const int64_t target = sizeof(kMigrations) / sizeof(kMigrations[0]);
    if (version > target) {
      return absl::FailedPreconditionError(absl::StrCat(
          "database schema version ", version, " is newer than this build (", target, ")"));
    }
    for (int64_t v = version; v < target; ++v) {
      RETURN_IF_ERROR(writer_->ExecScript("BEGIN IMMEDIATE"));
      absl::Status st = writer_->ExecScript(kMigrations[v]);
      if (st.ok()) {
        st = writer_->ExecScript(
            absl::StrCat("INSERT INTO schema_version(version) VALUES (", v + 1, ")").c_str());
      }
      if (!st.ok()) {
        writer_->ExecScript("ROLLBACK").IgnoreError();
        return st;
      }
      RETURN_IF_ERROR(writer_->ExecScript("COMMIT"));
    }
    return absl::OkStatus();
  }

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
};

}  // namespace

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
  auto store = std::make_unique<SqliteStore>(std::string(path), std::move(synchronous));
  RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace collections::store
