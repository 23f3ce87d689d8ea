// collectionsd: the collections sidecar.
//
//   collectionsd --listen=127.0.0.1:50051 --store=sqlite:/var/lib/collections/ledger.db
//
// Serves collections_sidecar.v1 over gRPC with the standard health service and
// server reflection. SIGTERM/SIGINT stop accepting, let in-flight calls
// finish (up to --shutdown_grace), then close the store.
//
// Exit codes (documented in README "Operations"): 0 stopped by a signal,
// 2 a bad flag or an unsafe combination, 3 the store cannot be opened
// (unknown scheme, unwritable path, unreachable PostgreSQL, failed
// migration), 4 an address cannot be bound (in use, not local), 1 anything
// else. --help and --version exit 0. Every line on stderr is one JSON object
// with ts, level and msg (service/base/json_text.h), gRPC's and protobuf's
// own messages included.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include <grpc/support/log.h>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/protobuf/stubs/logging.h"
#include "service/base/json_text.h"
#include "service/cmdline/build_info.h"
#include "service/cmdline/command_line.h"
#include "service/domain/amount_limits.h"
#include "service/server/production_flags.h"
#include "service/server/server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "host:port to serve on; plaintext only on loopback unless --allow_insecure_remote");
ABSL_FLAG(std::string, local_listen, "",
          "a second address, plaintext, on loopback or unix: only, for health checks inside the "
          "host or container when --listen has TLS (e.g. 127.0.0.1:50052); tokens are still "
          "required for the API");
ABSL_FLAG(std::string, store, "sqlite:collections.db",
          "store URI: sqlite:<path>, sqlite::memory: or postgresql://...");
ABSL_FLAG(int, workers, 8, "worker threads for store work");
ABSL_FLAG(int, max_queue, 4096, "queued calls beyond which RESOURCE_EXHAUSTED is answered");
ABSL_FLAG(int, max_queue_per_tenant, 0,
          "queued calls one tenant may hold (queue served round-robin by tenant); 0 = "
          "--max_queue / 4");
ABSL_FLAG(int, max_streams, 128, "open WatchEvents and StreamActions streams in all");
ABSL_FLAG(int, max_streams_per_tenant, 16, "open WatchEvents and StreamActions streams per tenant");
ABSL_FLAG(int, max_message_bytes, 16 << 20, "largest request or response message");
ABSL_FLAG(std::string, policy, "", "collection policy file (proto text or JSON)");
ABSL_FLAG(std::string, clock, "system",
          "the service's clock: system, fixed:YYYY-MM-DD (that day at 12:00 UTC) or "
          "fixed:YYYY-MM-DDTHH:MM:SSZ; a fixed clock runs the whole service as of that day "
          "(default as_of of every call, promises, plans, settlements, stored times)");
ABSL_FLAG(std::string, company_name, "Our company",
          "the creditor's name on letters of tenants without a profile (LetterService)");
ABSL_FLAG(bool, allow_insecure_remote, false,
          "allow plaintext gRPC on a non-loopback address (not recommended)");
ABSL_FLAG(bool, log_requests, true, "one JSON log line per request on stderr");
ABSL_FLAG(int64_t, max_document_amount, collections::domain::kDefaultMaxDocumentMajorUnits,
          "largest amount of one document (invoice, payment, credit note, line, allocation), in "
          "major units of its currency; larger amounts are INVALID_ARGUMENT AMOUNT_TOO_LARGE");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(10),
          "how long in-flight calls may run after SIGTERM");

namespace {

// The store URI for logs: a password in "postgresql://user:secret@host/db"
// becomes "***".
std::string RedactedUri(const std::string& uri) {
  const size_t scheme = uri.find("://");
  const size_t at = uri.find('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme) return uri;
  const size_t colon = uri.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return uri;
  return uri.substr(0, colon + 1) + "***" + uri.substr(at);
}

// Exit codes; see the header comment.
constexpr int kExitOther = 1;
constexpr int kExitUsage = 2;
constexpr int kExitStore = 3;
constexpr int kExitListen = 4;

using collections::base::LogLevel;
using collections::base::WriteLog;

// A start-up failure: one log line, then the exit code its kind documents.
int Fail(const absl::Status& st) {
  WriteLog(LogLevel::kError, st.message(),
           {{"code", absl::StatusCodeToString(st.code())}, {"event", "start-up failed"}});
  switch (st.code()) {
    case absl::StatusCode::kInvalidArgument:
      return kExitUsage;
    case absl::StatusCode::kFailedPrecondition:
      return kExitListen;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kPermissionDenied:
      return kExitStore;
    default:
      return kExitOther;
  }
}

bool IsLoopback(const std::string& listen) {
  return absl::StartsWith(listen, "127.") || absl::StartsWith(listen, "[::1]") ||
         absl::StartsWith(listen, "localhost:") || absl::StartsWith(listen, "unix:");
}

// gRPC's and protobuf's own messages as log lines of ours.
void GrpcLog(gpr_log_func_args* args) {
  const LogLevel level = args->severity == GPR_LOG_SEVERITY_ERROR  ? LogLevel::kError
                         : args->severity == GPR_LOG_SEVERITY_INFO ? LogLevel::kInfo
                                                                   : LogLevel::kWarning;
  WriteLog(level, args->message,
           {{"source", "grpc"}, {"file", args->file}, {"line", static_cast<int>(args->line)}});
}

void ProtobufLog(google::protobuf::LogLevel level, const char* file, int line,
                 const std::string& message) {
  WriteLog(level >= google::protobuf::LOGLEVEL_ERROR     ? LogLevel::kError
           : level == google::protobuf::LOGLEVEL_WARNING ? LogLevel::kWarning
                                                         : LogLevel::kInfo,
           message, {{"source", "protobuf"}, {"file", file}, {"line", line}});
}

constexpr char kUsage[] =
    "usage: collectionsd [flags]\n"
    "  e.g. collectionsd --listen=127.0.0.1:50051 --store=sqlite:/var/lib/collections/ledger.db\n"
    "\n"
    "Serves the collections sidecar over gRPC. Flags are snake_case; the kebab spelling\n"
    "(--shutdown-grace) is accepted too. --version prints the version, git commit and build "
    "type.\n\nflags (default after '='):\n";

}  // namespace

int main(int argc, char** argv) {
  gpr_set_log_function(GrpcLog);
  google::protobuf::SetLogHandler(ProtobufLog);
  auto command_line = collections::cmdline::ParseCommandLine(argc, argv);
  if (!command_line.ok()) {
    WriteLog(LogLevel::kError, command_line.status().message(),
             {{"code", "INVALID_ARGUMENT"},
              {"event", "start-up failed"},
              {"help", "collectionsd --help lists the flags"}});
    return kExitUsage;
  }
  if (command_line->help) {
    std::printf("%s%s", kUsage, collections::cmdline::DescribeFlags({"service/server/"}).c_str());
    return 0;
  }
  if (command_line->version) {
    std::printf("%s\n", collections::cmdline::VersionLine("collectionsd").c_str());
    return 0;
  }
  if (!command_line->positional.empty()) {
    WriteLog(LogLevel::kError,
             absl::StrCat("unexpected argument \"", command_line->positional[0],
                          "\"; collectionsd takes flags only"),
             {{"code", "INVALID_ARGUMENT"}, {"event", "start-up failed"}});
    return kExitUsage;
  }

  // Block the stop signals in every thread; one thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGHUP);  // reload TLS files and the mTLS identity map
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  if (absl::Status st =
          collections::domain::SetMaxDocumentMajorUnits(absl::GetFlag(FLAGS_max_document_amount));
      !st.ok()) {
    return Fail(st);
  }
  collections::server::ServerOptions opts;
  opts.listen = absl::GetFlag(FLAGS_listen);
  opts.local_listen = absl::GetFlag(FLAGS_local_listen);
  if (!opts.local_listen.empty() && !IsLoopback(opts.local_listen)) {
    return Fail(absl::InvalidArgumentError(
        absl::StrCat("--local_listen=", opts.local_listen, " is not a loopback or unix: address")));
  }
  opts.store_uri = absl::GetFlag(FLAGS_store);
  opts.workers = absl::GetFlag(FLAGS_workers);
  opts.max_queue = absl::GetFlag(FLAGS_max_queue);
  opts.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  opts.max_queue_per_tenant = absl::GetFlag(FLAGS_max_queue_per_tenant);
  opts.max_streams = absl::GetFlag(FLAGS_max_streams);
  opts.max_streams_per_tenant = absl::GetFlag(FLAGS_max_streams_per_tenant);
  opts.policy_file = absl::GetFlag(FLAGS_policy);
  auto clock = collections::domain::ClockFromSpec(absl::GetFlag(FLAGS_clock));
  if (!clock.ok()) return Fail(clock.status());  // INVALID_CLOCK: usage, exit 2
  opts.clock = clock->get();
  opts.company_name = absl::GetFlag(FLAGS_company_name);
  opts.log_requests = absl::GetFlag(FLAGS_log_requests);
  collections::server::ProductionOptions prod_opts =
      collections::server::ProductionOptionsFromFlags();
  prod_opts.allow_insecure_remote = absl::GetFlag(FLAGS_allow_insecure_remote);
  auto production = collections::server::Production::Prepare(prod_opts, &opts);
  if (!production.ok()) return Fail(production.status());
  if (!IsLoopback(opts.listen) && !absl::GetFlag(FLAGS_allow_insecure_remote) &&
      !opts.credentials) {
    return Fail(absl::InvalidArgumentError(
        absl::StrCat("refusing plaintext on non-loopback address ", opts.listen,
                     "; configure TLS or pass --allow_insecure_remote")));
  }
  auto server = collections::server::Server::Start(opts);
  if (!server.ok()) return Fail(server.status());
  if (absl::Status st = (*production)->Attach(**server); !st.ok()) {
    (*server)->Shutdown(absl::ZeroDuration());
    return Fail(st);
  }
  const auto bound_address = [](const std::string& address, int port) {
    return absl::EndsWith(address, ":0") ? absl::StrCat(address.substr(0, address.size() - 1), port)
                                         : address;
  };
  const std::string bound = bound_address(opts.listen, (*server)->port());
  WriteLog(LogLevel::kInfo, "serving",
           {{"listen", bound},
            {"local_listen", bound_address(opts.local_listen, (*server)->local_port())},
            {"store", RedactedUri(opts.store_uri)},
            {"backend", (*server)->store().Backend()},
            {"auth", prod_opts.auth},
            {"tls", opts.credentials != nullptr},
            {"http_port", (*production)->http_port()},
            {"clock", absl::GetFlag(FLAGS_clock)},
            {"version", collections::cmdline::VersionLine("collectionsd")}});

  int sig = 0;
  while (sigwait(&stop_signals, &sig) == 0 && sig == SIGHUP) {
    absl::Status st = (*production)->Reload();
    WriteLog(
        st.ok() ? LogLevel::kInfo : LogLevel::kError, "reload",
        {{"ok", st.ok()}, {"code", absl::StatusCodeToString(st.code())}, {"error", st.message()}});
  }
  WriteLog(LogLevel::kInfo, "shutting down", {{"signal", strsignal(sig)}});
  (*production)->Detach();
  (*server)->Shutdown(absl::GetFlag(FLAGS_shutdown_grace));
  WriteLog(LogLevel::kInfo, "stopped");
  return 0;
}
