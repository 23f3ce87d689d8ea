// bench_tool: the measuring half of the benchmark (tests/bench/run_bench.sh
// is the orchestrating half). Every subcommand prints one JSON object per
// measurement on stdout, so the runner only collects lines.
//
//   bench_tool ingest      --target=127.0.0.1:P --customers=N --invoices=M --seed=S
//   bench_tool raw-insert  --db=floor.db --customers=N --invoices=M --seed=S
//   bench_tool sql-aging   --db=ledger.db --reps=R
//   bench_tool aging-rpc   --target=... --reps=R
//   bench_tool run-collections --target=... [--dry_run] [--phase=NAME]   (one run, reply size)
//   bench_tool calls       --target=... --server_pid=P [--methods=a,b] [--calls=N]
//                          (every per-customer call, a random page of the work queue and of
//                          the cases by page token, and full walks of both)
//   bench_tool rss-repeat  --target=... --server_pid=P --calls=1000  (memory over repeated
//                          recovery calls)
//   bench_tool dump        --target=... --method=summary|recommendation --out=FILE
//   bench_tool load        --target=... --method=summary|recommendation
//                          --channels=C --inflight=N [--rate=QPS] --duration_s=D --warmup_s=W
//   bench_tool read-file   --file=PATH
//   bench_tool exec        -- program args...      (wall time and peak RSS of a child)
//   bench_tool pg-server   --out=FILE   (a throwaway PostgreSQL cluster, tests/store/pg_harness.h;
//                          writes a fresh database's URI to FILE, serves until SIGTERM)
//
// With --server_pid, every measured phase also reports the server's CPU
// (utime + stime of /proc/<pid>/stat, all threads) divided by its calls:
// on a shared machine wall time mostly measures the CPU share we got.
//
// Loopback only: --target must name 127.0.0.1.
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
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/strings/str_split.h"
#include "collections_sidecar/v1/cases.grpc.pb.h"
#include "collections_sidecar/v1/ledger.grpc.pb.h"
#include "collections_sidecar/v1/recovery.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "service/base/dates.h"
#include "service/store/sqlite/sqlite_store.h"
#include "service/store/store.h"
#include "tests/bench/bench_data.h"
#include "tests/store/pg_harness.h"

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
ABSL_FLAG(int, server_pid, 0, "collectionsd's pid: report its CPU per call and its memory");
ABSL_FLAG(std::string, methods, "all", "calls: comma-separated methods to measure, or all");
ABSL_FLAG(int, calls, 200, "calls / rss-repeat: calls per method (at least)");
ABSL_FLAG(double, min_s, 2, "calls: measure each method for at least this many seconds");
ABSL_FLAG(double, max_s, 60, "calls: and at most this many (at least one call)");
ABSL_FLAG(double, walk_max_s, 300, "calls: stop a full walk of a list after this many seconds");
ABSL_FLAG(int, page_size, 50, "calls: page size of ListWorkQueue and ListCases");
ABSL_FLAG(bool, dry_run, false, "run-collections: evaluate without writing");
ABSL_FLAG(std::string, phase, "", "run-collections: the name of this run in the report");

namespace collections::bench {

namespace v1 = ::collections_sidecar::v1;
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

// CPU seconds (user + system) this process has used.
double SelfCpuSeconds() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
         ru.ru_stime.tv_usec / 1e6;
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

// ------------------------------------------------- the server's CPU and memory

// CPU seconds (user + system, every thread, live or exited) the server has
// used so far; -1 without --server_pid. Resolution: one clock tick (10 ms),
// so phases are measured over many calls.
double ServerCpuSeconds() {
  const int pid = absl::GetFlag(FLAGS_server_pid);
  if (pid <= 0) return -1;
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after the command name, which is in parentheses and may hold
  // spaces: state is field 3, utime 14, stime 15 (proc(5)).
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) Fail(absl::StrCat("cannot read /proc/", pid, "/stat"));
  std::vector<std::string> f = absl::StrSplit(stat.substr(close + 2), ' ');
  if (f.size() < 13) Fail(absl::StrCat("short /proc/", pid, "/stat"));
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  return (std::stod(f[11]) + std::stod(f[12])) / ticks;
}

// A "VmRSS:" / "VmHWM:" line of the server's /proc/<pid>/status, in KiB; -1
// without --server_pid.
int64_t ServerMemoryKb(absl::string_view field) {
  const int pid = absl::GetFlag(FLAGS_server_pid);
  if (pid <= 0) return -1;
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, field)) return std::stoll(line.substr(field.size()));
  }
  return -1;
}

// ",\"server_cpu_ms\":X" per unit over a phase, or nothing without a pid.
std::string CpuField(const char* name, double cpu0, double cpu1, int64_t units) {
  if (cpu0 < 0 || units <= 0) return "";
  return absl::StrFormat(",\"%s\":%.4f", name, (cpu1 - cpu0) * 1000.0 / units);
}

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
  const double cpu0 = SelfCpuSeconds();
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
  // CPU per row too: on a shared machine it is the floor's figure that
  // compares with the server's CPU per row.
  Emit(absl::StrFormat(
      "\"kind\":\"raw_insert\",\"rows\":%d,\"s\":%.4f,\"rows_per_s\":%.1f,"
      "\"cpu_ms_per_row\":%.5f%s",
      rows.size(), secs, rows.size() / secs, (SelfCpuSeconds() - cpu0) * 1000.0 / rows.size(),
      LabelField()));
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

// A reply's size and every singular field (counts, cursors), with each
// repeated field replaced by its length, so the figures follow whatever the
// response carries.
std::string ReplyFields(const google::protobuf::Message& reply) {
  std::unique_ptr<google::protobuf::Message> copy(reply.New());
  copy->CopyFrom(reply);
  const google::protobuf::Descriptor* d = copy->GetDescriptor();
  const google::protobuf::Reflection* r = copy->GetReflection();
  std::vector<std::string> lengths;
  for (int i = 0; i < d->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* f = d->field(i);
    if (!f->is_repeated()) continue;
    lengths.push_back(absl::StrFormat("\"%s\":%d", f->name(), r->FieldSize(*copy, f)));
    r->ClearField(copy.get(), f);
  }
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  opts.always_print_primitive_fields = true;
  std::string singular;
  (void)google::protobuf::util::MessageToJsonString(*copy, &singular, opts);
  return absl::StrFormat("\"reply_bytes\":%d,\"reply\":%s,\"repeated_sizes\":{%s}",
                         reply.ByteSizeLong(), singular, absl::StrJoin(lengths, ","));
}

// One RunCollections (live, or --dry_run) as of --as_of; `--phase` names it
// (dry, live, rerun, next_day ...). The reply must stay small at any ledger
// size, so its serialized size is reported with the time.
int RunCollections() {
  auto stub = v1::RecoveryService::NewStub(Channel(0));
  v1::RunCollectionsRequest req;
  req.set_parent(absl::StrCat("tenants/", kTenant));
  *req.mutable_as_of() = ToDate(AsOf());
  req.set_dry_run(absl::GetFlag(FLAGS_dry_run));
  grpc::ClientContext ctx;
  v1::RunCollectionsResponse resp;
  const double cpu0 = ServerCpuSeconds();
  const auto t0 = Clock::now();
  grpc::Status st = stub->RunCollections(&ctx, req, &resp);
  const double secs = Seconds(Clock::now() - t0);
  const double cpu1 = ServerCpuSeconds();
  const std::string head = absl::StrFormat(
      "\"kind\":\"run_collections\",\"phase\":\"%s\",\"as_of\":\"%s\",\"dry_run\":%s",
      absl::GetFlag(FLAGS_phase), absl::GetFlag(FLAGS_as_of), req.dry_run() ? "true" : "false");
  if (st.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
    Emit(absl::StrCat(head, ",\"available\":false,\"reason\":\"RecoveryService is not served\"",
                      LabelField()));
    return 0;
  }
  if (!st.ok()) {
    // Reported, not fatal: a reply above the message limit is a finding.
    Emit(absl::StrFormat("%s,\"available\":true,\"s\":%.4f,\"error\":\"%s\",\"error_code\":%d%s%s",
                         head, secs, absl::StrReplaceAll(st.error_message(), {{"\"", "'"}}),
                         st.error_code(), CpuField("server_cpu_ms", cpu0, cpu1, 1),
                         LabelField()));
    return 0;
  }
  Emit(absl::StrFormat("%s,\"available\":true,\"s\":%.4f,%s%s%s", head, secs,
                       ReplyFields(resp), CpuField("server_cpu_ms", cpu0, cpu1, 1),
                       LabelField()));
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

// ------------------------------------------------ every call, one at a time

// One call of a method: fills *bytes with the response size.
using OneCall = std::function<grpc::Status(Rng& rng, int64_t* bytes)>;

// Calls `call` sequentially (one in flight) after two warm-up calls, for at
// least --calls calls and --min_s seconds, and at most --max_s seconds, then
// prints wall time per call and the server's CPU per call.
void Measure(const std::string& method, const OneCall& call, Rng& rng) {
  int64_t bytes = 0;
  for (int i = 0; i < 2; ++i) (void)call(rng, &bytes);
  const int want = absl::GetFlag(FLAGS_calls);
  const double min_s = absl::GetFlag(FLAGS_min_s), max_s = absl::GetFlag(FLAGS_max_s);
  std::vector<double> lat_ms;
  int64_t errors = 0, total_bytes = 0;
  std::string first_error;
  const double cpu0 = ServerCpuSeconds();
  const auto t0 = Clock::now();
  while (true) {
    const double elapsed = Seconds(Clock::now() - t0);
    const int64_t done = static_cast<int64_t>(lat_ms.size()) + errors;
    if (done > 0 && (elapsed >= max_s || (done >= want && elapsed >= min_s))) break;
    const auto c0 = Clock::now();
    grpc::Status st = call(rng, &bytes);
    if (!st.ok()) {
      if (first_error.empty()) first_error = st.error_message();
      ++errors;
      continue;
    }
    lat_ms.push_back(Seconds(Clock::now() - c0) * 1000.0);
    total_bytes += bytes;
  }
  const double wall_s = Seconds(Clock::now() - t0);
  const double cpu1 = ServerCpuSeconds();
  const int64_t calls = static_cast<int64_t>(lat_ms.size()) + errors;
  std::sort(lat_ms.begin(), lat_ms.end());
  auto pct = [&](double p) {
    return lat_ms.empty() ? 0.0 : lat_ms[static_cast<size_t>(p * (lat_ms.size() - 1))];
  };
  Emit(absl::StrFormat(
      "\"kind\":\"call\",\"method\":\"%s\",\"calls\":%d,\"errors\":%d,\"wall_s\":%.4f,"
      "\"wall_ms\":%.4f,\"p50_ms\":%.4f,\"p90_ms\":%.4f,\"bytes\":%d%s%s%s",
      method, calls, errors, wall_s, wall_s * 1000.0 / calls, pct(0.5), pct(0.9),
      lat_ms.empty() ? 0 : total_bytes / static_cast<int64_t>(lat_ms.size()),
      CpuField("server_cpu_ms", cpu0, cpu1, calls),
      first_error.empty()
          ? ""
          : absl::StrFormat(",\"first_error\":\"%s\"",
                            absl::StrReplaceAll(first_error, {{"\"", "'"}})),
      LabelField()));
}

// A unary call keyed by a uniformly random customer of the ledger.
template <typename Stub, typename Req, typename Resp>
OneCall CustomerCall(
    std::shared_ptr<Stub> stub,
    grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
    std::type_identity_t<std::function<void(Req&, const std::string& customer)>> fill) {
  const int64_t customers = absl::GetFlag(FLAGS_customers);
  return [=](Rng& rng, int64_t* bytes) {
    Req req;
    fill(req, CustomerName(rng.Between(0, customers - 1)));
    Resp resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(600));
    grpc::Status st = ((*stub).*method)(&ctx, req, &resp);
    *bytes = static_cast<int64_t>(resp.ByteSizeLong());
    return st;
  };
}

// One page of a list: the page at `token`; fills *next and *items.
using PageCall = std::function<grpc::Status(const std::string& token, std::string* next,
                                            int64_t* items, int64_t* bytes)>;

// The pages of a List method: `fill` sets everything but the page token,
// `items` counts a page's entries.
template <typename Stub, typename Req, typename Resp>
PageCall Pager(std::shared_ptr<Stub> stub,
               grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
               std::type_identity_t<std::function<void(Req&)>> fill,
               std::type_identity_t<std::function<int64_t(const Resp&)>> items) {
  return [=](const std::string& token, std::string* next, int64_t* n, int64_t* bytes) {
    Req req;
    fill(req);
    req.set_page_token(token);
    Resp resp;
    grpc::ClientContext ctx;
    grpc::Status st = ((*stub).*method)(&ctx, req, &resp);
    *next = resp.next_page_token();
    *n = items(resp);
    *bytes = static_cast<int64_t>(resp.ByteSizeLong());
    return st;
  };
}

// Walks a list from its first page to its last (or until --walk_max_s),
// printing the total and per-page server CPU, and returns the token of
// every page walked ("" for the first).
std::vector<std::string> Walk(const std::string& method, const PageCall& page) {
  std::vector<std::string> tokens = {""};
  int64_t items = 0, bytes = 0, pages = 0;
  bool complete = false;
  std::string error;
  const double cpu0 = ServerCpuSeconds();
  const auto t0 = Clock::now();
  while (Seconds(Clock::now() - t0) < absl::GetFlag(FLAGS_walk_max_s)) {
    std::string next;
    int64_t n = 0, b = 0;
    grpc::Status st = page(tokens.back(), &next, &n, &b);
    if (!st.ok()) {
      error = st.error_message();
      break;
    }
    ++pages;
    items += n;
    bytes += b;
    if (next.empty()) {
      complete = true;
      break;
    }
    tokens.push_back(next);
  }
  const double wall_s = Seconds(Clock::now() - t0);
  const double cpu1 = ServerCpuSeconds();
  Emit(absl::StrFormat(
      "\"kind\":\"walk\",\"method\":\"%s\",\"pages\":%d,\"items\":%d,\"complete\":%s,"
      "\"wall_s\":%.4f,\"wall_ms_per_page\":%.4f,\"bytes\":%d%s%s%s%s",
      method, pages, items, complete ? "true" : "false", wall_s,
      pages > 0 ? wall_s * 1000.0 / pages : 0.0, bytes,
      CpuField("server_cpu_ms_per_page", cpu0, cpu1, pages),
      cpu0 < 0 ? "" : absl::StrFormat(",\"server_cpu_s\":%.4f", cpu1 - cpu0),
      error.empty() ? "" : absl::StrFormat(",\"error\":\"%s\"",
                                           absl::StrReplaceAll(error, {{"\"", "'"}})),
      LabelField()));
  if (!complete) tokens.pop_back();  // the page that failed or was not reached
  return tokens;
}

// A walk of a list, then single pages at random points of it (by the
// tokens the walk returned).
void MeasureList(const std::string& method, const PageCall& page, Rng& rng) {
  const std::vector<std::string> tokens = Walk(absl::StrCat(method, "_walk"), page);
  if (tokens.empty()) return;
  Measure(absl::StrCat(method, "_page"),
          [&](Rng& r, int64_t* bytes) {
            std::string next;
            int64_t items = 0;
            return page(tokens[r.Between(0, static_cast<int64_t>(tokens.size()) - 1)], &next,
                        &items, bytes);
          },
          rng);
}

bool Wanted(const std::string& method) {
  const std::string list = absl::GetFlag(FLAGS_methods);
  if (list == "all") return true;
  for (absl::string_view m : absl::StrSplit(list, ',')) {
    if (m == method) return true;
  }
  return false;
}

// Every read the service offers per customer, the aging report, and the
// two lists, each measured on its own (see Measure and MeasureList).
int Calls() {
  auto channel = Channel(0);
  auto ledger = std::shared_ptr<v1::LedgerService::Stub>(v1::LedgerService::NewStub(channel));
  auto recovery =
      std::shared_ptr<v1::RecoveryService::Stub>(v1::RecoveryService::NewStub(channel));
  auto cases = std::shared_ptr<v1::CaseService::Stub>(v1::CaseService::NewStub(channel));
  const v1::Date as_of = ToDate(AsOf());
  const std::string parent = absl::StrCat("tenants/", kTenant);
  Rng rng(absl::GetFlag(FLAGS_seed) * 7919);
  using LS = v1::LedgerService::Stub;
  using RS = v1::RecoveryService::Stub;
  using CS = v1::CaseService::Stub;
  auto by_customer = [&](auto& r, const std::string& c) {
    r.set_customer(c);
    *r.mutable_as_of() = as_of;
  };
  const std::vector<std::pair<std::string, OneCall>> per_customer = {
      {"summary", CustomerCall(ledger, &LS::GetAccountSummary, by_customer)},
      {"recommendation", CustomerCall(recovery, &RS::GetRecommendation, by_customer)},
      {"payment_risk", CustomerCall(recovery, &RS::GetPaymentRisk,
                                    [&](auto& r, const std::string& c) {
                                      r.set_name(c);
                                      *r.mutable_as_of() = as_of;
                                    })},
      {"render_message", CustomerCall(recovery, &RS::RenderMessage, by_customer)},
      {"export_case_file", CustomerCall(recovery, &RS::ExportCaseFile, by_customer)},
      {"get_case", CustomerCall(cases, &CS::GetCase, [](auto& r, const std::string& c) {
         r.set_name(absl::StrCat(c, "/case"));
       })},
  };
  for (const auto& [name, call] : per_customer) {
    if (Wanted(name)) Measure(name, call, rng);
  }
  const int page_size = absl::GetFlag(FLAGS_page_size);
  if (Wanted("work_queue")) {
    MeasureList("work_queue",
                Pager(recovery, &RS::ListWorkQueue,
                      [&](v1::ListWorkQueueRequest& r) {
                        r.set_parent(parent);
                        *r.mutable_as_of() = as_of;
                        r.set_page_size(page_size);
                      },
                      [](const v1::ListWorkQueueResponse& r) { return r.items_size(); }),
                rng);
  }
  if (Wanted("list_cases")) {
    MeasureList("list_cases",
                Pager(cases, &CS::ListCases,
                      [&](v1::ListCasesRequest& r) {
                        r.set_parent(parent);
                        r.set_page_size(page_size);
                        r.set_omit_history(true);
                      },
                      [](const v1::ListCasesResponse& r) { return r.cases_size(); }),
                rng);
  }
  if (Wanted("aging")) {
    Measure("aging",
            [&](Rng&, int64_t* bytes) {
              v1::GetAgingReportRequest req;
              req.set_parent(parent);
              *req.mutable_as_of() = as_of;
              req.set_page_size(1000);
              v1::AgingReport resp;
              grpc::ClientContext ctx;
              grpc::Status st = ledger->GetAgingReport(&ctx, req, &resp);
              *bytes = static_cast<int64_t>(resp.ByteSizeLong());
              return st;
            },
            rng);
  }
  return 0;
}

// collectionsd's memory over --calls repeated recovery calls on random
// customers (recommendation, payment risk, message, case file in turn):
// VmRSS every 100 calls and the least-squares growth per call. A server
// that keeps nothing per call stays flat whatever it allocates per call.
int RssRepeat() {
  if (absl::GetFlag(FLAGS_server_pid) <= 0) Fail("rss-repeat needs --server_pid");
  auto recovery =
      std::shared_ptr<v1::RecoveryService::Stub>(v1::RecoveryService::NewStub(Channel(0)));
  const v1::Date as_of = ToDate(AsOf());
  using RS = v1::RecoveryService::Stub;
  auto by_customer = [&](auto& r, const std::string& c) {
    r.set_customer(c);
    *r.mutable_as_of() = as_of;
  };
  const std::vector<OneCall> calls = {
      CustomerCall(recovery, &RS::GetRecommendation, by_customer),
      CustomerCall(recovery, &RS::GetPaymentRisk,
                   [&](auto& r, const std::string& c) {
                     r.set_name(c);
                     *r.mutable_as_of() = as_of;
                   }),
      CustomerCall(recovery, &RS::RenderMessage, by_customer),
      CustomerCall(recovery, &RS::ExportCaseFile, by_customer),
  };
  Rng rng(absl::GetFlag(FLAGS_seed) * 104729);
  int64_t bytes = 0, errors = 0;
  for (int i = 0; i < 100; ++i) (void)calls[i % calls.size()](rng, &bytes);  // warm-up
  const int n = absl::GetFlag(FLAGS_calls);
  const int64_t hwm0 = ServerMemoryKb("VmHWM:");
  std::vector<std::pair<int, int64_t>> samples = {{0, ServerMemoryKb("VmRSS:")}};
  const auto t0 = Clock::now();
  for (int i = 1; i <= n; ++i) {
    if (!calls[i % calls.size()](rng, &bytes).ok()) ++errors;
    if (i % 100 == 0 || i == n) samples.emplace_back(i, ServerMemoryKb("VmRSS:"));
  }
  const double secs = Seconds(Clock::now() - t0);
  // Least-squares slope of RSS over calls, in bytes per call.
  double mx = 0, my = 0;
  for (const auto& [x, y] : samples) {
    mx += x;
    my += static_cast<double>(y);
  }
  mx /= samples.size();
  my /= samples.size();
  double sxy = 0, sxx = 0;
  for (const auto& [x, y] : samples) {
    sxy += (x - mx) * (static_cast<double>(y) - my);
    sxx += (x - mx) * (x - mx);
  }
  std::vector<std::string> pts;
  for (const auto& [x, y] : samples) pts.push_back(absl::StrFormat("[%d,%d]", x, y));
  Emit(absl::StrFormat(
      "\"kind\":\"rss_repeat\",\"calls\":%d,\"errors\":%d,\"s\":%.3f,\"rss_start_kb\":%d,"
      "\"rss_end_kb\":%d,\"hwm_start_kb\":%d,\"hwm_end_kb\":%d,"
      "\"growth_bytes_per_call\":%.1f,\"samples\":[%s]%s",
      n, errors, secs, samples.front().second, samples.back().second, hwm0,
      ServerMemoryKb("VmHWM:"), sxx > 0 ? sxy / sxx * 1024.0 : 0.0, absl::StrJoin(pts, ","),
      LabelField()));
  return 0;
}

// A throwaway PostgreSQL cluster for a benchmark run, the tests' own
// (tests/store/pg_harness.h): writes a fresh database's URI to --out and
// serves until SIGTERM or SIGINT, then stops the cluster and removes it.
int PgServer() {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  // Blocked before any thread starts, so sigwait below receives them.
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  absl::StatusOr<std::string> uri = collections::testing::FreshPostgresDatabase();
  if (!uri.ok()) Fail(uri.status().ToString());
  {
    const std::string out = absl::GetFlag(FLAGS_out);
    std::ofstream(out + ".tmp") << *uri << "\n";
    std::rename((out + ".tmp").c_str(), out.c_str());
  }
  int sig = 0;
  sigwait(&stop, &sig);
  return 0;  // exit() runs the harness's handler, which stops the cluster
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
                         "run-collections|calls|rss-repeat|dump|load|read-file|exec|"
                         "pg-server> [flags]\n");
    return 2;
  }
  const std::string cmd = positional[1];
  if (cmd == "ingest") return Ingest();
  if (cmd == "raw-insert") return RawInsert();
  if (cmd == "sql-aging") return SqlAging();
  if (cmd == "aging-rpc") return AgingRpc();
  if (cmd == "run-collections") return RunCollections();
  if (cmd == "calls") return Calls();
  if (cmd == "rss-repeat") return RssRepeat();
  if (cmd == "pg-server") return PgServer();
  if (cmd == "dump") return Dump();
  if (cmd == "load") return Load();
  if (cmd == "read-file") return ReadFile();
  if (cmd == "exec") return Exec(child);
  std::fprintf(stderr, "bench_tool: unknown command %s\n", cmd.c_str());
  return 2;
}
