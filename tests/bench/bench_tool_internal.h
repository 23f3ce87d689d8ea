// What bench_tool's files share: its flags, the helpers every subcommand
// uses (the generated ledger's options, JSON output, channels, the server's
// CPU and memory) and the subcommands that main() dispatches to. Internal to
// tests/bench.
//
// The files, by meaning: bench_tool.cc (flags, the shared helpers, pg-server,
// read-file, exec and main), bench_ingest.cc (ingest and the plain-SQLite
// floors), bench_calls.cc (the reads one call at a time), bench_load.cc (the
// load generator).
#ifndef COLLECTIONS_TESTS_BENCH_BENCH_TOOL_INTERNAL_H_
#define COLLECTIONS_TESTS_BENCH_BENCH_TOOL_INTERNAL_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/flags/declare.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "tests/bench/bench_data.h"

ABSL_DECLARE_FLAG(std::string, target);
ABSL_DECLARE_FLAG(int64_t, customers);
ABSL_DECLARE_FLAG(int64_t, invoices);
ABSL_DECLARE_FLAG(uint64_t, seed);
ABSL_DECLARE_FLAG(std::string, as_of);
ABSL_DECLARE_FLAG(std::string, write_set);
ABSL_DECLARE_FLAG(int, case_bytes);
ABSL_DECLARE_FLAG(int, chunk);
ABSL_DECLARE_FLAG(std::string, db);
ABSL_DECLARE_FLAG(int, reps);
ABSL_DECLARE_FLAG(int, rss_warmup_calls);
ABSL_DECLARE_FLAG(std::string, method);
ABSL_DECLARE_FLAG(int, channels);
ABSL_DECLARE_FLAG(int, inflight);
ABSL_DECLARE_FLAG(double, rate);
ABSL_DECLARE_FLAG(double, duration_s);
ABSL_DECLARE_FLAG(double, warmup_s);
ABSL_DECLARE_FLAG(std::string, label);
ABSL_DECLARE_FLAG(std::string, out);
ABSL_DECLARE_FLAG(std::string, file);
ABSL_DECLARE_FLAG(int, server_pid);
ABSL_DECLARE_FLAG(std::string, methods);
ABSL_DECLARE_FLAG(int, calls);
ABSL_DECLARE_FLAG(double, min_s);
ABSL_DECLARE_FLAG(double, max_s);
ABSL_DECLARE_FLAG(double, walk_max_s);
ABSL_DECLARE_FLAG(int, page_size);
ABSL_DECLARE_FLAG(bool, dry_run);
ABSL_DECLARE_FLAG(std::string, phase);

namespace collections::bench {

namespace v1 = ::collections_sidecar::v1;

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d);
// --as_of, or exit 2.
absl::CivilDay AsOf();
// The generated ledger of --customers, --invoices, --seed and --as_of.
DataOptions Options();
// CPU seconds (user + system) this process has used.
double SelfCpuSeconds();
int64_t PeakRssKb();
// Prints one JSON object (the fields without braces) on its own line.
void Emit(const std::string& json_fields);
// ",\"label\":\"...\"" with --label, else nothing.
std::string LabelField();
// A channel to --target (loopback only, else exit 2); each index its own
// connection.
std::shared_ptr<grpc::Channel> Channel(int index);
// The resource name of the generated ledger's customer `i` (0-based).
std::string CustomerName(int64_t i);
// Prints `what` and exits 1.
[[noreturn]] void Fail(const std::string& what);

// The server's CPU seconds so far, its /proc status line `field` in KiB, and
// ",\"name\":X" CPU milliseconds per unit over a phase (see bench_tool.cc).
double ServerCpuSeconds();
int64_t ServerMemoryKb(absl::string_view field);
std::string CpuField(const char* name, double cpu0, double cpu1, int64_t units);

// The subcommands (bench_tool.cc's opening comment lists their flags).
int Ingest();          // bench_ingest.cc
int RawInsert();       // bench_ingest.cc
int SqlAging();        // bench_ingest.cc
int SqlSummary();      // bench_ingest.cc
int AgingRpc();        // bench_calls.cc
int RunCollections();  // bench_calls.cc
int Dump();            // bench_calls.cc
int Calls();           // bench_calls.cc
int RssRepeat();       // bench_calls.cc
int Load();            // bench_load.cc

}  // namespace collections::bench

#endif  // COLLECTIONS_TESTS_BENCH_BENCH_TOOL_INTERNAL_H_
