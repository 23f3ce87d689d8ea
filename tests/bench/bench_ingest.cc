// bench_tool's write side: `ingest` (the generated ledger through
// SyncLedger) and the plain-SQLite floors it is compared with, `raw-insert`
// (the same rows without the service) and `sql-aging` (the aging SQL on the
// service's own database).
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "collections_sidecar/v1/cases.grpc.pb.h"
#include "collections_sidecar/v1/ledger.grpc.pb.h"
#include "collections_sidecar/v1/recovery.grpc.pb.h"
#include "collections_sidecar/v1/stored_event.pb.h"
#include "google/protobuf/util/json_util.h"
#include "service/base/dates.h"
#include "service/store/sqlite/sqlite_store.h"
#include "service/store/store.h"
#include "tests/bench/bench_data.h"
#include "tests/bench/bench_tool_internal.h"
#include "tests/store/pg_harness.h"

namespace collections::bench {

// ------------------------------------------------------------------ ingest

int Ingest() {
  const Dataset ds(Options());
  auto stub = v1::LedgerService::NewStub(Channel(0));
  auto cases = v1::CaseService::NewStub(Channel(0));
  const int chunk = absl::GetFlag(FLAGS_chunk);
  const std::string parent = absl::StrCat("tenants/", kTenant);
  auto phase = [&](const char* name, const std::vector<int64_t>& items,
                   const std::function<v1::SyncRecord(int64_t)>& record) {
    double rpc_s = 0;
    const auto wall0 = Clock::now();
    const double cpu0 = ServerCpuSeconds();
    int64_t index = 0;
    for (size_t at = 0; at < items.size(); at += chunk) {
      v1::SyncLedgerRequest req;
      req.set_parent(parent);
      req.set_sync_id(absl::StrCat("bench-", name, "-", at / chunk));
      req.set_chunk_index(0);
      for (size_t k = at; k < std::min(items.size(), at + chunk); ++k) {
        *req.add_records() = record(items[k]);
      }
      grpc::ClientContext ctx;
      v1::SyncLedgerResponse resp;
      const auto t0 = Clock::now();
      auto writer = stub->SyncLedger(&ctx, &resp);
      writer->Write(req);
      writer->WritesDone();
      grpc::Status st = writer->Finish();
      rpc_s += Seconds(Clock::now() - t0);
      if (!st.ok()) Fail(absl::StrCat("SyncLedger ", name, ": ", st.error_message()));
      if (resp.rejected() != 0 || resp.chunks_rejected() != 0) {
        std::string why;
        for (const auto& o : resp.outcomes()) {
          if (o.kind() == v1::RecordOutcome::REJECTED && o.reason() != "CHUNK_REJECTED") {
            why = absl::StrCat(o.reason(), " ", o.field(), " ", o.description());
            break;
          }
        }
        Fail(absl::StrCat("SyncLedger ", name, " rejected records: ", why));
      }
      index += req.records_size();
    }
    // A bulk sync defers the cases it touched (cases_app.h); the ingest is
    // done when they are current too, so the figure includes that catch-up
    // (a ListCases call waits for it), and the commit-only rate is beside it.
    const double commit_s = rpc_s;
    {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::hours(1));
      v1::ListCasesRequest lr;
      lr.set_parent(parent);
      lr.set_page_size(1);
      v1::ListCasesResponse lresp;
      const auto t0 = Clock::now();
      grpc::Status st = cases->ListCases(&ctx, lr, &lresp);
      rpc_s += Seconds(Clock::now() - t0);
      if (!st.ok()) Fail(absl::StrCat("ListCases after ", name, ": ", st.error_message()));
    }
    const double wall_s = Seconds(Clock::now() - wall0);
    Emit(absl::StrFormat(
        "\"kind\":\"ingest\",\"phase\":\"%s\",\"rows\":%d,\"rpc_s\":%.4f,\"wall_s\":%.4f,"
        "\"rows_per_s\":%.1f,\"cases_catch_up_s\":%.4f,\"rows_per_s_commit_only\":%.1f%s%s",
        name, index, rpc_s, wall_s, rpc_s > 0 ? index / rpc_s : 0.0, rpc_s - commit_s,
        commit_s > 0 ? index / commit_s : 0.0,
        CpuField("server_cpu_ms_per_row", cpu0, ServerCpuSeconds(), index), LabelField()));
  };
  std::vector<int64_t> all_customers(ds.customers().size());
  for (size_t i = 0; i < all_customers.size(); ++i) all_customers[i] = i;
  std::vector<int64_t> all_invoices(ds.invoices().size()), paid;
  for (size_t i = 0; i < all_invoices.size(); ++i) {
    all_invoices[i] = i;
    if (ds.invoices()[i].paid > 0) paid.push_back(i);
  }
  phase("customers", all_customers, [&](int64_t i) { return ds.CustomerRecord(i); });
  phase("invoices", all_invoices, [&](int64_t i) { return ds.InvoiceRecord(i); });
  phase("payments", paid, [&](int64_t i) { return ds.PaymentRecord(i); });
  Emit(
      absl::StrFormat("\"kind\":\"dataset\",\"customers\":%d,\"invoices\":%d,\"open_invoices\":%d,"
                      "\"payments\":%d,\"seed\":%d",
                      ds.customers().size(), ds.invoices().size(), ds.open_invoices(),
                      ds.payments(), ds.options().seed));
  return 0;
}

namespace {

// -------------------------------------------------------------- raw floors

class Db {
 public:
  explicit Db(const std::string& path, bool read_only = false) {
    const int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
      Fail(absl::StrCat("open ", path));
    }
  }
  ~Db() { sqlite3_close(db_); }
  void Exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      Fail(absl::StrCat("sqlite: ", err ? err : "?", " in ", sql));
    }
  }
  sqlite3_stmt* Prepare(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) {
      Fail(absl::StrCat("prepare: ", sqlite3_errmsg(db_), " in ", sql));
    }
    return s;
  }
  void Step(sqlite3_stmt* s) {
    if (sqlite3_step(s) != SQLITE_DONE) Fail(absl::StrCat("step: ", sqlite3_errmsg(db_)));
    sqlite3_reset(s);
  }
  sqlite3* get() { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

void Text(sqlite3_stmt* s, int i, const std::string& v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}

}  // namespace

// The storage floor of SyncLedger: the same invoice rows (same columns, same
// serialized body size) written into the store's own schema (every index of
// the invoices table) through one prepared statement in one transaction.
int RawInsert() {
  const std::string path = absl::GetFlag(FLAGS_db);
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
  {
    // The store creates its schema; the floor then bypasses it.
    auto st = store::OpenStore(absl::StrCat("sqlite:", path));
    if (!st.ok()) Fail(st.status().ToString());
  }
  const Dataset ds(Options());
  Db db(path);
  db.Exec(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536; "
      "PRAGMA temp_store=MEMORY; PRAGMA foreign_keys=ON;");
  // Customers first (not timed): invoices reference them only by id.
  db.Exec("BEGIN");
  sqlite3_stmt* c = db.Prepare(
      "INSERT INTO docs(tenant, kind, id, customer, ref, number, body) VALUES (?,?,?,?,?,NULL,?)");
  for (int64_t i = 0; i < static_cast<int64_t>(ds.customers().size()); ++i) {
    const std::string& id = ds.customers()[i].id;
    const std::string ref = absl::StrCat(kSourceSystem, "/", id);
    const std::string body = ds.CustomerRecord(i).customer().SerializeAsString();
    Text(c, 1, kTenant);
    Text(c, 2, "customer");
    Text(c, 3, id);
    Text(c, 4, id);
    Text(c, 5, ref);
    sqlite3_bind_blob(c, 6, body.data(), static_cast<int>(body.size()), SQLITE_STATIC);
    db.Step(c);
  }
  sqlite3_finalize(c);
  db.Exec("COMMIT");

  // Rows built before the clock starts, as the service would hold them.
  struct Row {
    std::string id, customer, ref, currency, body;
    int64_t issue, due, total;
  };
  std::vector<Row> rows;
  rows.reserve(ds.invoices().size());
  for (int64_t i = 0; i < static_cast<int64_t>(ds.invoices().size()); ++i) {
    const InvoiceSpec& inv = ds.invoices()[i];
    v1::Invoice body = ds.InvoiceRecord(i).invoice();
    const std::string& cust = ds.customers()[inv.customer].id;
    body.set_name(absl::StrCat("tenants/", kTenant, "/customers/", cust, "/invoices/", inv.id));
    body.set_status(v1::Invoice::OPEN);
    *body.mutable_amount_due() = body.total();
    body.mutable_create_time()->set_seconds(1782000000);
    body.mutable_update_time()->set_seconds(1782000000);
    rows.push_back(Row{inv.id, cust, absl::StrCat(kSourceSystem, "/", inv.id),
                       ds.customers()[inv.customer].currency, body.SerializeAsString(),
                       domain::DayNumber(inv.issue), domain::DayNumber(inv.due), inv.total});
  }
  // What the write set adds to the floor (--write_set=service): each
  // invoice's audit event, as AppendEvent writes it (a StoredEvent with the
  // invoice as its after state), and each customer's case row once at the
  // end (--case_bytes of body, the cases' average size in the service's
  // store), all committed every --commit_rows invoices as SyncLedger
  // commits each chunk. Validation, look-ups, the case's computation and
  // gRPC are left out: it is a floor for any service that keeps a per-record
  // audit trail and a stored case per customer.
  const bool service_set = absl::GetFlag(FLAGS_write_set) == "service";
  if (!service_set && absl::GetFlag(FLAGS_write_set) != "invoices") {
    Fail("--write_set must be invoices or service");
  }
  const int64_t commit_rows = service_set ? absl::GetFlag(FLAGS_chunk) : 0;
  std::vector<std::string> events;
  if (service_set) {
    events.reserve(rows.size());
    for (const Row& r : rows) {
      v1::StoredEvent e;
      e.mutable_time()->set_seconds(1782000000);
      e.set_actor("bench");
      e.set_type("invoice.created");
      e.set_customer(absl::StrCat("tenants/", kTenant, "/customers/", r.customer));
      e.set_resource(absl::StrCat(e.customer(), "/invoices/", r.id));
      e.set_request_id("bench-request-0000000000");
      e.mutable_after()->set_type_url("type.googleapis.com/collections_sidecar.v1.Invoice");
      e.mutable_after()->set_value(r.body);
      events.push_back(e.SerializeAsString());
    }
  }
  const auto t0 = Clock::now();
  const double cpu0 = SelfCpuSeconds();
  db.Exec("BEGIN");
  sqlite3_stmt* ev = service_set ? db.Prepare(
                                       "INSERT INTO events(tenant, customer, resource, body) "
                                       "VALUES (?,?,?,?)")
                                 : nullptr;
  // The statement PutInvoice runs (sqlite_store.cc).
  sqlite3_stmt* s = db.Prepare(
      "INSERT INTO invoices(tenant, id, customer, ref, number, currency, issue_day, due_day, "
      "total, amount_due, status, body) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) "
      "ON CONFLICT(tenant, id) DO UPDATE SET customer=excluded.customer, ref=excluded.ref, "
      "number=excluded.number, currency=excluded.currency, issue_day=excluded.issue_day, "
      "due_day=excluded.due_day, total=excluded.total, amount_due=excluded.amount_due, "
      "status=excluded.status, body=excluded.body");
  for (const Row& r : rows) {
    Text(s, 1, kTenant);
    Text(s, 2, r.id);
    Text(s, 3, r.customer);
    Text(s, 4, r.ref);
    Text(s, 5, r.id);
    Text(s, 6, r.currency);
    sqlite3_bind_int64(s, 7, r.issue);
    sqlite3_bind_int64(s, 8, r.due);
    sqlite3_bind_int64(s, 9, r.total);
    sqlite3_bind_int64(s, 10, r.total);
    sqlite3_bind_int64(s, 11, 1);
    sqlite3_bind_blob(s, 12, r.body.data(), static_cast<int>(r.body.size()), SQLITE_STATIC);
    db.Step(s);
    if (!service_set) continue;
    const size_t i = &r - rows.data();
    const std::string customer = absl::StrCat("tenants/", kTenant, "/customers/", r.customer);
    const std::string resource = absl::StrCat(customer, "/invoices/", r.id);
    Text(ev, 1, kTenant);
    Text(ev, 2, customer);
    Text(ev, 3, resource);
    sqlite3_bind_blob(ev, 4, events[i].data(), static_cast<int>(events[i].size()), SQLITE_STATIC);
    db.Step(ev);
    if ((i + 1) % commit_rows == 0) db.Exec("COMMIT; BEGIN");
  }
  sqlite3_finalize(s);
  if (ev != nullptr) sqlite3_finalize(ev);
  if (service_set) {
    const std::string body(absl::GetFlag(FLAGS_case_bytes), 'c');
    sqlite3_stmt* c = db.Prepare(
        "INSERT INTO cases(tenant, customer, state, stage, paused, owner, priority, currency, "
        "overdue, due_day, body) VALUES (?,?,2,3,0,'',?,?,?,?,?)");
    for (int64_t i = 0; i < static_cast<int64_t>(ds.customers().size()); ++i) {
      const auto& cust = ds.customers()[i];
      Text(c, 1, kTenant);
      Text(c, 2, cust.id);
      sqlite3_bind_int64(c, 3, (i * 7919) % 1000003);  // spread like real priorities
      Text(c, 4, cust.currency);
      sqlite3_bind_int64(c, 5, 100 * i);
      sqlite3_bind_int64(c, 6, domain::DayNumber(AsOf()) + i % 30);
      sqlite3_bind_blob(c, 7, body.data(), static_cast<int>(body.size()), SQLITE_STATIC);
      db.Step(c);
      if ((i + 1) % commit_rows == 0) db.Exec("COMMIT; BEGIN");
    }
    sqlite3_finalize(c);
  }
  db.Exec("COMMIT");
  const double secs = Seconds(Clock::now() - t0);
  // CPU per row too: on a shared machine it is the floor's figure that
  // compares with the server's CPU per row.
  Emit(absl::StrFormat(
      "\"kind\":\"raw_insert\",\"write_set\":\"%s\",\"commit_rows\":%d,"
      "\"rows\":%d,\"s\":%.4f,\"rows_per_s\":%.1f,\"cpu_ms_per_row\":%.5f%s",
      absl::GetFlag(FLAGS_write_set), commit_rows, rows.size(), secs, rows.size() / secs,
      (SelfCpuSeconds() - cpu0) * 1000.0 / rows.size(), LabelField()));
  return 0;
}

namespace {

store::AgingQuery DefaultAgingQuery() {
  store::AgingQuery q;
  q.as_of_day = domain::DayNumber(AsOf());
  q.bucket_bounds = {30, 60, 90, 120};
  q.by_customer = true;
  return q;
}

// Times one SQL statement to completion (every row stepped and read).
double TimeQuery(Db& db, const std::string& sql, int64_t as_of_day, int64_t* rows_out) {
  const auto t0 = Clock::now();
  sqlite3_stmt* s = db.Prepare(sql);
  sqlite3_bind_int64(s, 1, as_of_day);
  sqlite3_bind_text(s, 2, kTenant, -1, SQLITE_STATIC);
  int64_t rows = 0, checksum = 0;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    ++rows;
    checksum += sqlite3_column_int64(s, 3);
  }
  if (rc != SQLITE_DONE) Fail(absl::StrCat("query: ", sqlite3_errmsg(db.get())));
  sqlite3_finalize(s);
  *rows_out = rows + (checksum == -1 ? 1 : 0);
  return Seconds(Clock::now() - t0);
}

}  // namespace

// The plain-SQL floors of the aging report, on the service's own database:
// the store's statement run bare, and a one-row-per-group pivot form.
int SqlAging() {
  Db db(absl::GetFlag(FLAGS_db), /*read_only=*/true);
  db.Exec("PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;");
  const store::AgingQuery q = DefaultAgingQuery();
  std::string pivot = "SELECT customer, currency";
  int lo = -1000000;
  std::vector<int> bounds = {0, 30, 60, 90, 120};
  for (int b : bounds) {
    absl::StrAppend(&pivot, ", SUM(CASE WHEN ?1 - due_day > ", lo, " AND ?1 - due_day <= ", b,
                    " THEN amount_due END)");
    lo = b;
  }
  absl::StrAppend(&pivot, ", SUM(CASE WHEN ?1 - due_day > ", lo,
                  " THEN amount_due END), COUNT(*) FROM invoices INDEXED BY invoices_aging "
                  "WHERE tenant=?2 AND status IN (1,2) GROUP BY customer, currency");
  const std::vector<std::pair<std::string, std::string>> variants = {
      {"store_sql", store::SqliteAgingSql(q, /*as_stored=*/true)},
      {"pivot_sql", pivot},
      {"store_sql_asof_replay", store::SqliteAgingSql(q, /*as_stored=*/false)},
  };
  int64_t open = 0;
  {
    sqlite3_stmt* s =
        db.Prepare("SELECT COUNT(*) FROM invoices WHERE tenant=?1 AND status IN (1,2)");
    sqlite3_bind_text(s, 1, kTenant, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW) open = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
  }
  for (const auto& [name, sql] : variants) {
    for (int r = 0; r < absl::GetFlag(FLAGS_reps); ++r) {
      int64_t rows = 0;
      const double secs = TimeQuery(db, sql, q.as_of_day, &rows);
      Emit(absl::StrFormat(
          "\"kind\":\"sql_aging\",\"variant\":\"%s\",\"rep\":%d,\"s\":%.4f,\"rows\":%d,"
          "\"open_invoices\":%d%s",
          name, r, secs, rows, open, LabelField()));
    }
  }
  return 0;
}

}  // namespace collections::bench

namespace collections::bench {

// The plain-SQL floor of GetAccountSummary, on the service's own database:
// what any implementation must read for one account, in one read
// transaction, with the fewest statements the schema allows. The customer,
// its invoices (with their bodies), their settlements (one join), its
// payments and credit notes (one statement), and its arrangements
// (referrals, write-offs, promises, plans: one statement), every row
// stepped and every body touched; nothing parsed. Its CPU per account next
// to the no-op server's CPU per call bounds the summary ratio any server of
// this schema can reach: noop / (noop + this).
int SqlSummary() {
  const Dataset ds(Options());
  Db db(absl::GetFlag(FLAGS_db), /*read_only=*/true);
  db.Exec("PRAGMA cache_size=-4096;");  // a reader connection's cache (sqlite_conn.cc)
  sqlite3_stmt* customer =
      db.Prepare("SELECT body FROM docs WHERE tenant=?1 AND kind='customer' AND id=?2");
  sqlite3_stmt* invoices = db.Prepare(
      "SELECT id, customer, ref, number, currency, issue_day, due_day, total, amount_due, "
      "status, body FROM invoices WHERE tenant=?1 AND customer=?2 ORDER BY id");
  sqlite3_stmt* settlements = db.Prepare(
      "SELECT s.invoice_id, s.source_kind, s.source_id, s.day, s.amount FROM invoices i CROSS "
      "JOIN settlements s ON s.tenant=i.tenant AND s.invoice_id=i.id "
      "WHERE i.tenant=?1 AND i.customer=?2");
  sqlite3_stmt* docs = db.Prepare(
      "SELECT kind, id, body FROM docs WHERE tenant=?1 AND customer=?2 AND kind IN "
      "('payment','credit_note','referral','write_off','promise','plan') ORDER BY kind, id");
  const std::vector<sqlite3_stmt*> statements = {customer, invoices, settlements, docs};
  const int calls = absl::GetFlag(FLAGS_calls);
  uint64_t state = absl::GetFlag(FLAGS_seed) * 2654435761u + 1;
  int64_t rows = 0, bytes = 0;
  auto one = [&](const std::string& id) {
    db.Exec("BEGIN");
    for (sqlite3_stmt* s : statements) {
      sqlite3_bind_text(s, 1, kTenant, -1, SQLITE_STATIC);
      sqlite3_bind_text(s, 2, id.data(), static_cast<int>(id.size()), SQLITE_STATIC);
      int rc;
      while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        ++rows;
        const int last = sqlite3_column_count(s) - 1;
        bytes += sqlite3_column_bytes(s, last);
        if (sqlite3_column_blob(s, last) == nullptr) --bytes;
      }
      if (rc != SQLITE_DONE) Fail(absl::StrCat("sql-summary: ", sqlite3_errmsg(db.get())));
      sqlite3_reset(s);
    }
    db.Exec("COMMIT");
  };
  auto pick = [&]() -> const std::string& {
    state = state * 6364136223846793005u + 1442695040888963407u;
    return ds.customers()[(state >> 33) % ds.customers().size()].id;
  };
  for (int i = 0; i < std::min(calls, 100); ++i) one(pick());  // warm-up, as the loads have
  rows = bytes = 0;
  const auto t0 = Clock::now();
  const double cpu0 = SelfCpuSeconds();
  for (int i = 0; i < calls; ++i) one(pick());
  const double secs = Seconds(Clock::now() - t0);
  Emit(absl::StrFormat(
      "\"kind\":\"sql_summary\",\"calls\":%d,\"s\":%.4f,\"wall_ms_per_call\":%.4f,"
      "\"cpu_ms_per_call\":%.4f,\"rows_per_call\":%.1f,\"body_bytes_per_call\":%.0f%s",
      calls, secs, secs * 1000.0 / calls, (SelfCpuSeconds() - cpu0) * 1000.0 / calls,
      static_cast<double>(rows) / calls, static_cast<double>(bytes) / calls, LabelField()));
  for (sqlite3_stmt* s : statements) sqlite3_finalize(s);
  return 0;
}

}  // namespace collections::bench
