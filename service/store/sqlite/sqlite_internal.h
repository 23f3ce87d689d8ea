// What the SQLite backend's files share (sqlite_store.cc and its parts): a
// prepared statement, one connection with its statement cache, the
// transaction statements, and the Transaction over one connection. Internal
// to service/store/sqlite; everything else uses sqlite_store.h.
//
// The files, by meaning: sqlite_conn.cc (connections and the mapping of
// SQLite errors to status codes), sqlite_schema.cc (migrations),
// sqlite_ledger.cc (documents, invoices, settlements, events, requests, and
// the enumeration that copies a tenant), sqlite_cases.cc (cases and stale
// marks), sqlite_store.cc (the Store: the writer and the reader pool, events,
// aging, tenants, and OpenSqliteStore).
#ifndef COLLECTIONS_STORE_SQLITE_SQLITE_INTERNAL_H_
#define COLLECTIONS_STORE_SQLITE_SQLITE_INTERNAL_H_

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/base/status_macros.h"
#include "service/store/store.h"

namespace collections::store::sqlite {

// The status of the last failed call on `db`: ABORTED for a busy or locked
// database (the caller may retry), AMOUNT_SUM_OVERFLOW for a SUM past int64,
// ALREADY_EXISTS for a constraint, INTERNAL otherwise.
absl::Status SqlError(sqlite3* db, absl::string_view what);

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
  // The column's bytes, valid until the next Step() or Reset().
  absl::string_view TextView(int col) const {
    const void* p = sqlite3_column_blob(s_, col);
    int n = sqlite3_column_bytes(s_, col);
    return p == nullptr ? absl::string_view() : absl::string_view(static_cast<const char*>(p), n);
  }
  int64_t Int(int col) const { return sqlite3_column_int64(s_, col); }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_;
};

class Connection {
 public:
  ~Connection();
  static absl::StatusOr<std::unique_ptr<Connection>> Open(const std::string& path, bool read_only,
                                                          const char* synchronous = "FULL");
  absl::Status ExecScript(const char* sql);
  absl::StatusOr<std::unique_ptr<Stmt>> Prepare(const std::string& sql);
  // One statement without results (BEGIN, COMMIT...), prepared once per
  // connection: sqlite3_exec would parse it again on every transaction.
  absl::Status Exec(const std::string& sql);
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

// The events of `tenant` that `f` selects, in sequence order, read on `c`
// (Store::ListEvents on a reader, Transaction::ListEvents on its own).
absl::StatusOr<std::vector<EventRow>> ReadEvents(Connection& c, absl::string_view tenant,
                                                 const EventFilter& f);

// Applies the schema migrations that `writer` has not applied yet
// (sqlite_schema.cc).
absl::Status Migrate(Connection& writer);

class SqliteTransaction : public Transaction {
 public:
  SqliteTransaction(Connection& c, std::string tenant) : c_(c), tenant_(std::move(tenant)) {}

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
  absl::Status PutInvoice(const InvoiceRow& r) override;
  absl::StatusOr<std::vector<InvoiceRow>> ListInvoices(const InvoiceFilter& f) override;

  absl::StatusOr<std::vector<SettlementRow>> ListSettlements(
      const std::vector<std::string>& invoice_ids) override;
  absl::StatusOr<std::vector<SettlementRow>> ListSettlementsBySource(absl::string_view kind,
                                                                     absl::string_view id) override;
  absl::Status ReplaceSettlements(absl::string_view kind, absl::string_view id,
                                  const std::vector<SettlementRow>& rows) override;

  absl::StatusOr<int64_t> AppendEvent(const EventRow& e) override;
  absl::StatusOr<std::vector<EventRow>> ListEvents(const EventFilter& f) override;

  absl::StatusOr<std::optional<StoredRequest>> GetRequest(absl::string_view request_id) override;
  absl::Status PutRequest(absl::string_view request_id, const StoredRequest& r) override;

  absl::StatusOr<std::vector<std::string>> ListDocKinds() override;
  absl::StatusOr<std::vector<std::pair<std::string, StoredRequest>>> ListRequests(
      absl::string_view after_id, int limit) override;
  absl::StatusOr<std::vector<std::pair<int64_t, SettlementRow>>> ListSettlementsInOrder(
      int64_t after, int limit) override;

  absl::StatusOr<std::optional<CaseRow>> GetCase(absl::string_view customer) override;
  absl::Status PutCase(const CaseRow& r) override;
  absl::StatusOr<int64_t> CountCases(const CaseFilter& filter) override;
  static std::string CaseConditions(const CaseFilter& f);
  absl::StatusOr<std::vector<CaseRow>> ListCases(const CaseFilter& f) override;
  absl::StatusOr<std::vector<std::string>> ListDueCases(int64_t day, absl::string_view after,
                                                        int limit) override;

  absl::Status MarkCasesStale(const std::vector<StaleCase>& cases) override;
  absl::StatusOr<std::vector<StaleCase>> ListStaleCases(absl::string_view customer,
                                                        int limit) override;
  absl::Status ClearStaleCases(const std::vector<std::string>& customers) override;

  bool wrote_event() const { return wrote_event_; }

 private:
  static absl::StatusOr<std::optional<Doc>> OneDoc(Stmt& s);
  static absl::StatusOr<std::optional<InvoiceRow>> OneInvoice(Stmt& s);
  static absl::Status ReadSettlements(Stmt& s, std::vector<SettlementRow>* out);

  Connection& c_;
  std::string tenant_;
  bool wrote_event_ = false;
};

}  // namespace collections::store::sqlite

#endif  // COLLECTIONS_STORE_SQLITE_SQLITE_INTERNAL_H_
