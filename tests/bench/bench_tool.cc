// bench_tool: the measuring half of the benchmark (tests/bench/run_bench.sh
// is the orchestrating half). Every subcommand prints one JSON object per
// measurement on stdout, so the runner only collects lines.
//
//   bench_tool ingest      --target=127.0.0.1:P --customers=N --invoices=M --seed=S
//   bench_tool raw-insert  --db=floor.db --customers=N --invoices=M --seed=S
//                          [--write_set=service --chunk=1000 --case_bytes=B]
//   bench_tool sql-aging   --db=ledger.db --reps=R
//   bench_tool sql-summary --db=ledger.db --calls=N   (one account's reads in plain SQL)
//   bench_tool aging-rpc   --target=... --reps=R
//   bench_tool run-collections --target=... [--dry_run] [--phase=NAME]   (one run, reply size)
//   bench_tool calls       --target=... --server_pid=P [--methods=a,b] [--calls=N]
//                          (every per-customer call, a random page of the work queue and of
//                          the cases by page token, and full walks of both)
//   bench_tool rss-repeat  --target=... --server_pid=P --calls=1000 [--rss_warmup_calls=W]
//                          (memory over repeated recovery calls, after W of them)
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
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "collections_sidecar/v1/cases.grpc.pb.h"
#include "collections_sidecar/v1/ledger.grpc.pb.h"
#include "collections_sidecar/v1/recovery.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "service/base/dates.h"
#include "service/store/sqlite/sqlite_store.h"
#include "service/store/store.h"
#include "tests/bench/bench_data.h"
#include "tests/bench/bench_tool_internal.h"
#include "tests/store/pg_harness.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "server address (loopback only)");
ABSL_FLAG(int64_t, customers, 100000, "customers in the generated ledger");
ABSL_FLAG(int64_t, invoices, 1000000, "invoices in the generated ledger");
ABSL_FLAG(uint64_t, seed, 42, "seed of the generated ledger");
ABSL_FLAG(std::string, as_of, "2026-06-30", "as-of day of the generated ledger and queries");
ABSL_FLAG(int, chunk, 1000, "records per SyncLedger call");
ABSL_FLAG(std::string, db, "", "SQLite database file");
ABSL_FLAG(std::string, write_set, "invoices",
          "raw-insert: invoices (the invoice rows in one transaction) or service (with "
          "each invoice's audit event and each customer's case, committed every --chunk)");
ABSL_FLAG(int, case_bytes, 3000, "raw-insert --write_set=service: bytes of each case's body");
ABSL_FLAG(int, reps, 3, "repetitions");
ABSL_FLAG(std::string, method, "summary", "summary | recommendation | case");
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
ABSL_FLAG(int, rss_warmup_calls, 100,
          "rss-repeat: calls made before the measured window (caches filling up)");
ABSL_FLAG(double, min_s, 2, "calls: measure each method for at least this many seconds");
ABSL_FLAG(double, max_s, 60, "calls: and at most this many (at least one call)");
ABSL_FLAG(double, walk_max_s, 300, "calls: stop a full walk of a list after this many seconds");
ABSL_FLAG(int, page_size, 50, "calls: page size of ListWorkQueue and ListCases");
ABSL_FLAG(bool, dry_run, false, "run-collections: evaluate without writing");
ABSL_FLAG(std::string, phase, "", "run-collections: the name of this run in the report");
namespace collections::bench {

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

std::string CustomerName(int64_t i) {
  return absl::StrFormat("tenants/%s/customers/C%07d", kTenant, i + 1);
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

namespace {

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
  // The plain-SQLite floors run with the configuration collectionsd gives
  // SQLite.
  collections::store::ConfigureSqliteProcess();
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
    std::fprintf(stderr,
                 "usage: bench_tool <ingest|raw-insert|sql-aging|sql-summary|aging-rpc|"
                 "run-collections|calls|rss-repeat|dump|load|read-file|exec|"
                 "pg-server> [flags]\n");
    return 2;
  }
  const std::string cmd = positional[1];
  if (cmd == "ingest") return Ingest();
  if (cmd == "raw-insert") return RawInsert();
  if (cmd == "sql-summary") return SqlSummary();
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
