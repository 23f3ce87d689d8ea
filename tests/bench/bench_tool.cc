// bench_tool: the measuring half of the benchmark (tests/bench/run_bench.sh
// is the orchestrating half). Every subcommand prints one JSON object per
// measurement on stdout, so the runner only collects lines.
//
//   bench_tool ingest      --target=127.0.0.1:P --customers=N --invoices=M --seed=S
//   bench_tool raw-insert  --db=floor.db --customers=N --invoices=M --seed=S
//   bench_tool sql-aging   --db=ledger.db --reps=R
//   bench_tool aging-rpc   --target=... --reps=R
//   bench_tool run-collections --target=... --reps=R
//   bench_tool dump        --target=... --method=summary|recommendation --out=FILE
//   bench_tool load        --target=... --method=summary|recommendation
//                          --channels=C --inflight=N [--rate=QPS] --duration_s=D --warmup_s=W
//   bench_tool read-file   --file=PATH
//   bench_tool exec        -- program args...      (wall time and peak RSS of a child)
//
// Loopback only: --target must name 127.0.0.1.
#include <grpcpp/grpcpp.h>
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
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "collections/v1/ledger.grpc.pb.h"
#include "collections/v1/recovery.grpc.pb.h"
#include "service/domain/dates.h"
#include "service/store/sqlite/sqlite_store.h"
#include "service/store/store.h"
#include "tests/bench/bench_data.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "server address (loopback only)");
ABSL_FLAG(int64_t, customers, 100000, "customers in the generated ledger");
ABSL_FLAG(int64_t, invoices, 1000000, "invoices in the generated ledger");
ABSL_FLAG(uint64_t, seed, 42, "seed of the generated ledger");
ABSL_FLAG(std::string, as_of, "2026-06-30", "as-of day of the generated ledger and queries");
ABSL_FLAG(int, chunk, 1000, "records per SyncLedger call");
ABSL_FLAG(std::string, db, "", "SQLite database file");
ABSL_FLAG(int, reps, 3, "repetitions");
ABSL_FLAG(std::string, method, "summary", "summary | recommendation");
ABSL_FLAG(int, channels, 2, "gRPC channels (separate connections)");
ABSL_FLAG(int, inflight, 8, "calls in flight per channel (closed loop) or the cap (paced)");
ABSL_FLAG(double, rate, 0, "paced (open-loop) calls per second; 0 = closed loop");
ABSL_FLAG(double, duration_s, 10, "measured seconds");
ABSL_FLAG(double, warmup_s, 2, "warm-up seconds before measuring");
ABSL_FLAG(std::string, label, "", "label copied into the JSON output");
ABSL_FLAG(std::string, out, "", "output file (dump)");
ABSL_FLAG(std::string, file, "", "input file (read-file)");

namespace collections::bench {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

absl::CivilDay AsOf() {
  auto d = domain::ParseIsoDay(absl::GetFlag(FLAGS_as_of));
  if (!d.ok()) {
    std::fprintf(stderr, "bad --as_of: %s\n", d.status().ToString().c_str());
    std::exit(2);
  }
  return *d;
}

DataOptions Options() {
  DataOptions o;
  o.customers = absl::GetFlag(FLAGS_customers);
  o.invoices = absl::GetFlag(FLAGS_invoices);
  o.seed = absl::GetFlag(FLAGS_seed);
  o.as_of = AsOf();
  return o;
}

int64_t PeakRssKb() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

void Emit(const std::string& json_fields) {
  std::printf("{%s}\n", json_fields.c_str());
  std::fflush(stdout);
}

std::string LabelField() {
  const std::string l = absl::GetFlag(FLAGS_label);
  return l.empty() ? "" : absl::StrFormat(",\"label\":\"%s\"", l);
}

std::shared_ptr<grpc::Channel> Channel(int index) {
  const std::string target = absl::GetFlag(FLAGS_target);
  if (!absl::StartsWith(target, "127.0.0.1:")) {
    std::fprintf(stderr, "bench_tool: --target must be 127.0.0.1:<port> (loopback only)\n");
    std::exit(2);
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetMaxSendMessageSize(64 << 20);
  // Distinct arguments give each channel its own connection.
  args.SetInt("collections.bench.channel", index);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "bench_tool: %s\n", what.c_str());
  std::exit(1);
}

// ------------------------------------------------------------------ ingest

int Ingest() {
  const Dataset ds(Options());
  auto stub = v1::LedgerService::NewStub(Channel(0));
  const int chunk = absl::GetFlag(FLAGS_chunk);
  const std::string parent = absl::StrCat("tenants/", kTenant);
  auto phase = [&](const char* name, const std::vector<int64_t>& items,
                   const std::function<v1::SyncRecord(int64_t)>& record) {
    double rpc_s = 0;
    const auto wall0 = Clock::now();
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
    const double wall_s = Seconds(Clock::now() - wall0);
    Emit(absl::StrFormat(
        "\"kind\":\"ingest\",\"phase\":\"%s\",\"rows\":%d,\"rpc_s\":%.4f,\"wall_s\":%.4f,"
        "\"rows_per_s\":%.1f%s",
        name, index, rpc_s, wall_s, rpc_s > 0 ? index / rpc_s : 0.0, LabelField()));
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
  Emit(absl::StrFormat(
      "\"kind\":\"dataset\",\"customers\":%d,\"invoices\":%d,\"open_invoices\":%d,"
      "\"payments\":%d,\"seed\":%d",
      ds.customers().size(), ds.invoices().size(), ds.open_invoices(), ds.payments(),
      ds.options().seed));
  return 0;
}

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
  db.Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536; "
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
  const auto t0 = Clock::now();
  db.Exec("BEGIN");
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
  }
  sqlite3_finalize(s);
  db.Exec("COMMIT");
  const double secs = Seconds(Clock::now() - t0);
  Emit(absl::StrFormat(
      "\"kind\":\"raw_insert\",\"rows\":%d,\"s\":%.4f,\"rows_per_s\":%.1f%s", rows.size(), secs,
      rows.size() / secs, LabelField()));
  return 0;
}

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
    sqlite3_stmt* s = db.Prepare("SELECT COUNT(*) FROM invoices WHERE tenant=?1 AND status IN (1,2)");
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

// ------------------------------------------------------------ unary calls

int AgingRpc() {
  auto stub = v1::LedgerService::NewStub(Channel(0));
  for (const auto group : {v1::GetAgingReportRequest::CUSTOMER, v1::GetAgingReportRequest::CURRENCY}) {
    for (int r = 0; r < absl::GetFlag(FLAGS_reps); ++r) {
      v1::GetAgingReportRequest req;
      req.set_parent(absl::StrCat("tenants/", kTenant));
      *req.mutable_as_of() = ToDate(AsOf());
      req.set_group_by(group);
      req.set_page_size(1000);
      grpc::ClientContext ctx;
      v1::AgingReport resp;
      const auto t0 = Clock::now();
      grpc::Status st = stub->GetAgingReport(&ctx, req, &resp);
      const double secs = Seconds(Clock::now() - t0);
      if (!st.ok()) Fail(absl::StrCat("GetAgingReport: ", st.error_message()));
      int64_t count = 0;
      for (const auto& t : resp.currency_totals()) count += t.invoice_count();
      Emit(absl::StrFormat(
          "\"kind\":\"aging_rpc\",\"group_by\":\"%s\",\"rep\":%d,\"s\":%.4f,\"rows\":%d,"
          "\"invoices\":%d,\"bytes\":%d%s",
          group == v1::GetAgingReportRequest::CUSTOMER ? "customer_first_page" : "currency", r,
          secs, resp.rows_size(), count, resp.ByteSizeLong(), LabelField()));
    }
  }
  return 0;
}

int RunCollections() {
  auto stub = v1::RecoveryService::NewStub(Channel(0));
  for (int r = 0; r < absl::GetFlag(FLAGS_reps); ++r) {
    v1::RunCollectionsRequest req;
    req.set_parent(absl::StrCat("tenants/", kTenant));
    *req.mutable_as_of() = ToDate(AsOf());
    // The first run writes its actions; repetitions are dry runs so that they
    // evaluate the same state.
    req.set_dry_run(r > 0);
    grpc::ClientContext ctx;
    v1::RunCollectionsResponse resp;
    const auto t0 = Clock::now();
    grpc::Status st = stub->RunCollections(&ctx, req, &resp);
    const double secs = Seconds(Clock::now() - t0);
    if (st.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
      Emit(absl::StrFormat("\"kind\":\"run_collections\",\"available\":false,\"reason\":\"%s\"",
                           "RecoveryService is not served by collectionsd"));
      return 0;
    }
    if (!st.ok()) Fail(absl::StrCat("RunCollections: ", st.error_message()));
    Emit(absl::StrFormat(
        "\"kind\":\"run_collections\",\"available\":true,\"rep\":%d,\"dry_run\":%s,\"s\":%.4f,"
        "\"evaluated\":%d,\"created\":%lld%s",
        r, r > 0 ? "true" : "false", secs, resp.evaluated(),
        static_cast<long long>(resp.actions_created()), LabelField()));
  }
  return 0;
}

// The customer whose response the no-op server replays: one with a typical
// number of invoices (the generator skews invoices towards low indices).
int64_t TypicalCustomer() { return absl::GetFlag(FLAGS_customers) / 2; }

std::string CustomerName(int64_t i) {
  return absl::StrFormat("tenants/%s/customers/C%07d", kTenant, i + 1);
}

int Dump() {
  const std::string method = absl::GetFlag(FLAGS_method);
  grpc::ClientContext ctx;
  const auto t0 = Clock::now();
  grpc::Status st;
  std::string bytes;
  if (method == "summary") {
    auto stub = v1::LedgerService::NewStub(Channel(0));
    v1::GetAccountSummaryRequest req;
    req.set_customer(CustomerName(TypicalCustomer()));
    *req.mutable_as_of() = ToDate(AsOf());
    v1::AccountSummary resp;
    st = stub->GetAccountSummary(&ctx, req, &resp);
    bytes = resp.SerializeAsString();
  } else {
    auto stub = v1::RecoveryService::NewStub(Channel(0));
    v1::GetRecommendationRequest req;
    req.set_customer(CustomerName(TypicalCustomer()));
    *req.mutable_as_of() = ToDate(AsOf());
    v1::Recommendation resp;
    st = stub->GetRecommendation(&ctx, req, &resp);
    bytes = resp.SerializeAsString();
  }
  if (st.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
    Emit(absl::StrFormat("\"kind\":\"dump\",\"method\":\"%s\",\"available\":false", method));
    return 3;
  }
  const double secs = Seconds(Clock::now() - t0);
  if (!st.ok()) Fail(absl::StrCat("dump ", method, ": ", st.error_message()));
  std::ofstream(absl::GetFlag(FLAGS_out), std::ios::binary) << bytes;
  Emit(absl::StrFormat(
      "\"kind\":\"dump\",\"method\":\"%s\",\"available\":true,\"bytes\":%d,\"s\":%.4f",
      method, bytes.size(), secs));
  return 0;
}

// ------------------------------------------------------------ load generator

// Latencies of calls that started and finished inside the measured window.
class Recorder {
 public:
  Recorder(Clock::time_point window_start, Clock::time_point window_end)
      : start_(window_start), end_(window_end) {}
  void Done(Clock::time_point started, Clock::time_point finished, const grpc::Status& st) {
    if (started < start_ || finished > end_) return;
    absl::MutexLock l(&mu_);
    if (!st.ok()) {
      ++errors_;
      if (first_error_.empty()) first_error_ = st.error_message();
      return;
    }
    lat_us_.push_back(static_cast<float>(
        std::chrono::duration<double, std::micro>(finished - started).count()));
  }
  std::vector<float> Latencies() {
    absl::MutexLock l(&mu_);
    return lat_us_;
  }
  int64_t errors() {
    absl::MutexLock l(&mu_);
    return errors_;
  }
  std::string first_error() {
    absl::MutexLock l(&mu_);
    return first_error_;
  }

 private:
  const Clock::time_point start_, end_;
  absl::Mutex mu_;
  std::vector<float> lat_us_ ABSL_GUARDED_BY(mu_);
  int64_t errors_ ABSL_GUARDED_BY(mu_) = 0;
  std::string first_error_ ABSL_GUARDED_BY(mu_);
};

// One generic unary call of the load: `start` issues it with the callback
// API and arranges for `done` to run on completion.
using StartCall = std::function<void(int channel, Rng& rng, std::function<void(grpc::Status)> done)>;

// The same closed/paced load for any unary read keyed by a customer: a
// uniformly random customer of the generated ledger per call.
template <typename Req, typename Resp, typename Stub, typename Invoke>
StartCall MakeCustomerCall(const std::vector<std::shared_ptr<grpc::Channel>>& channels,
                           Invoke invoke) {
  auto stubs = std::make_shared<std::vector<std::unique_ptr<typename Stub::Stub>>>();
  for (const auto& ch : channels) stubs->push_back(Stub::NewStub(ch));
  const int64_t customers = absl::GetFlag(FLAGS_customers);
  const v1::Date as_of = ToDate(AsOf());
  return [stubs, customers, as_of, invoke](int channel, Rng& rng,
                                           std::function<void(grpc::Status)> done) {
    struct Call {
      grpc::ClientContext ctx;
      Req req;
      Resp resp;
    };
    auto* call = new Call;
    call->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    call->req.set_customer(CustomerName(rng.Between(0, customers - 1)));
    *call->req.mutable_as_of() = as_of;
    invoke(*(*stubs)[channel], &call->ctx, &call->req, &call->resp,
           [call, done = std::move(done)](grpc::Status st) {
             delete call;
             done(std::move(st));
           });
  };
}

StartCall MakeStartCall(const std::string& method,
                        const std::vector<std::shared_ptr<grpc::Channel>>& channels) {
  if (method == "summary") {
    return MakeCustomerCall<v1::GetAccountSummaryRequest, v1::AccountSummary, v1::LedgerService>(
        channels, [](auto& stub, auto* ctx, auto* req, auto* resp, auto cb) {
          stub.async()->GetAccountSummary(ctx, req, resp, std::move(cb));
        });
  }
  return MakeCustomerCall<v1::GetRecommendationRequest, v1::Recommendation, v1::RecoveryService>(
      channels, [](auto& stub, auto* ctx, auto* req, auto* resp, auto cb) {
        stub.async()->GetRecommendation(ctx, req, resp, std::move(cb));
      });
}

float Percentile(const std::vector<float>& sorted, double p) {
  if (sorted.empty()) return 0;
  return sorted[static_cast<size_t>(p * static_cast<double>(sorted.size() - 1))];
}

int Load() {
  const int n_channels = absl::GetFlag(FLAGS_channels);
  const int inflight = absl::GetFlag(FLAGS_inflight);
  const double rate = absl::GetFlag(FLAGS_rate);
  const double duration = absl::GetFlag(FLAGS_duration_s);
  const std::string method = absl::GetFlag(FLAGS_method);
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < n_channels; ++i) {
    channels.push_back(Channel(i));
    if (!channels.back()->WaitForConnected(std::chrono::system_clock::now() +
                                           std::chrono::seconds(10))) {
      Fail("cannot connect to --target");
    }
  }
  StartCall start = MakeStartCall(method, channels);
  const auto t0 = Clock::now();
  const auto window_start =
      t0 + std::chrono::duration_cast<Clock::duration>(
               std::chrono::duration<double>(absl::GetFlag(FLAGS_warmup_s)));
  const auto window_end = window_start + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(duration));
  Recorder rec(window_start, window_end);
  std::atomic<int> outstanding{0};
  absl::Notification all_done;
  std::atomic<int64_t> shed{0};
  const uint64_t seed = absl::GetFlag(FLAGS_seed);

  // Declared here, not in the branch: in-flight callbacks use them until
  // all_done is notified.
  std::vector<std::unique_ptr<Rng>> rngs;
  std::function<void(int)> issue;
  if (rate <= 0) {
    // Closed loop: every slot re-issues as soon as its call completes.
    const int slots = n_channels * inflight;
    for (int s = 0; s < slots; ++s) rngs.push_back(std::make_unique<Rng>(seed * 1000 + s));
    issue = [&](int slot) {
      const auto started = Clock::now();
      start(slot % n_channels, *rngs[slot], [&, slot, started](grpc::Status st) {
        const auto now = Clock::now();
        rec.Done(started, now, st);
        if (now < window_end) {
          issue(slot);
        } else if (outstanding.fetch_sub(1) == 1) {
          all_done.Notify();
        }
      });
    };
    outstanding = slots;
    for (int s = 0; s < slots; ++s) issue(s);
  } else {
    // Paced (open loop): calls start on a fixed schedule whatever the
    // server's speed; latency counts from the scheduled start, so a stalled
    // server is not hidden (no coordinated omission). More than
    // channels x inflight outstanding calls are shed and counted.
    const int cap = n_channels * inflight;
    rngs.push_back(std::make_unique<Rng>(seed));
    Rng& rng = *rngs.back();
    outstanding = 1;  // the pacer itself
    const auto interval = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(1.0 / rate));
    int64_t k = 0;
    for (auto next = t0; next < window_end; next = t0 + (++k) * interval) {
      std::this_thread::sleep_until(next);
      if (outstanding.load() - 1 >= cap) {
        if (next >= window_start) ++shed;
        continue;
      }
      outstanding.fetch_add(1);
      const auto scheduled = next;
      start(static_cast<int>(k % n_channels), rng, [&, scheduled](grpc::Status st) {
        rec.Done(scheduled, Clock::now(), st);
        if (outstanding.fetch_sub(1) == 1) all_done.Notify();
      });
    }
    if (outstanding.fetch_sub(1) == 1) all_done.Notify();
  }
  std::this_thread::sleep_until(window_end);
  // Calls still running 60 s after the window are reported as unfinished;
  // the process then exits without waiting for them.
  const bool finished = all_done.WaitForNotificationWithTimeout(absl::Seconds(60));
  std::vector<float> lat = rec.Latencies();
  std::sort(lat.begin(), lat.end());
  const int64_t errors = rec.errors();
  Emit(absl::StrFormat(
      "\"kind\":\"load\",\"method\":\"%s\",\"mode\":\"%s\",\"channels\":%d,\"inflight\":%d,"
      "\"rate\":%.1f,\"duration_s\":%.2f,\"calls\":%d,\"errors\":%d,\"shed\":%d,\"qps\":%.1f,"
      "\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f%s%s%s",
      method, rate > 0 ? "paced" : "closed", n_channels, inflight, rate, duration, lat.size(),
      errors, shed.load(), lat.size() / duration, Percentile(lat, 0.5), Percentile(lat, 0.9),
      Percentile(lat, 0.99), lat.empty() ? 0.0f : lat.back(), LabelField(),
      errors > 0 ? absl::StrFormat(",\"first_error\":\"%s\"", rec.first_error()) : "",
      finished ? "" : absl::StrFormat(",\"unfinished\":%d", outstanding.load())));
  if (!finished) std::_Exit(0);
  return 0;
}

// ------------------------------------------------------------ files, processes

int ReadFile() {
  const std::string path = absl::GetFlag(FLAGS_file);
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) Fail(absl::StrCat("cannot open ", path));
  std::vector<char> buf(1 << 20);
  int64_t bytes = 0;
  uint64_t lines = 0;
  const auto t0 = Clock::now();
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) {
    bytes += static_cast<int64_t>(n);
    // Touch every byte, as any parser must.
    lines += static_cast<uint64_t>(std::count(buf.data(), buf.data() + n, '\n'));
  }
  const double secs = Seconds(Clock::now() - t0);
  std::fclose(f);
  Emit(absl::StrFormat(
      "\"kind\":\"read_file\",\"bytes\":%d,\"lines\":%d,\"s\":%.4f,\"mb_per_s\":%.1f,"
      "\"peak_rss_kb\":%d%s",
      bytes, lines, secs, bytes / 1e6 / secs, PeakRssKb(), LabelField()));
  return 0;
}

int Exec(const std::vector<char*>& argv) {
  if (argv.empty()) Fail("exec: nothing to run");
  std::vector<char*> args(argv);
  args.push_back(nullptr);
  const auto t0 = Clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    // The child's stdout would mix with our JSON lines.
    if (std::freopen("/dev/null", "w", stdout) == nullptr) _exit(127);
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  struct rusage ru;
  wait4(pid, &status, 0, &ru);
  const double secs = Seconds(Clock::now() - t0);
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  Emit(absl::StrFormat(
      "\"kind\":\"exec\",\"program\":\"%s\",\"exit\":%d,\"s\":%.4f,\"peak_rss_kb\":%d,"
      "\"user_s\":%.3f,\"sys_s\":%.3f%s",
      args[0], code, secs, ru.ru_maxrss, ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
      ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6, LabelField()));
  return code;
}

}  // namespace
}  // namespace collections::bench

int main(int argc, char** argv) {
  using namespace collections::bench;  // NOLINT
  // "exec -- program args": everything after "--" belongs to the child.
  std::vector<char*> child;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--") {
      child.assign(argv + i + 1, argv + argc);
      argc = i;
      break;
    }
  }
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  if (positional.size() < 2) {
    std::fprintf(stderr, "usage: bench_tool <ingest|raw-insert|sql-aging|aging-rpc|"
                         "run-collections|dump|load|read-file|exec> [flags]\n");
    return 2;
  }
  const std::string cmd = positional[1];
  if (cmd == "ingest") return Ingest();
  if (cmd == "raw-insert") return RawInsert();
  if (cmd == "sql-aging") return SqlAging();
  if (cmd == "aging-rpc") return AgingRpc();
  if (cmd == "run-collections") return RunCollections();
  if (cmd == "dump") return Dump();
  if (cmd == "load") return Load();
  if (cmd == "read-file") return ReadFile();
  if (cmd == "exec") return Exec(child);
  std::fprintf(stderr, "bench_tool: unknown command %s\n", cmd.c_str());
  return 2;
}
