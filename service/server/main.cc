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
// else. Each failure is one line on stderr.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "service/domain/amount_limits.h"
#include "service/server/production_flags.h"
#include "service/server/server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "host:port to serve on; plaintext only on loopback unless --allow_insecure_remote");
ABSL_FLAG(std::string, store, "sqlite:collections.db",
          "store URI: sqlite:<path>, sqlite::memory: or postgresql://...");
ABSL_FLAG(int, workers, 8, "worker threads for store work");
ABSL_FLAG(int, max_queue, 4096, "queued calls beyond which RESOURCE_EXHAUSTED is answered");
ABSL_FLAG(int, max_queue_per_tenant, 0,
          "queued calls one tenant may hold (queue served round-robin by tenant); 0 = "
          "--max_queue / 4");
ABSL_FLAG(int, max_streams, 128, "open WatchEvents and StreamActions streams in all");
ABSL_FLAG(int, max_streams_per_tenant, 16,
          "open WatchEvents and StreamActions streams per tenant");
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

// A start-up failure: one line, then the exit code its kind documents.
int Fail(const absl::Status& st) {
  std::string line(st.message());
  for (char& c : line) {
    if (c == '\n') c = ' ';
  }
  std::fprintf(stderr, "collectionsd: %s\n", line.c_str());
  switch (st.code()) {
    case absl::StatusCode::kInvalidArgument: return kExitUsage;
    case absl::StatusCode::kFailedPrecondition: return kExitListen;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kPermissionDenied: return kExitStore;
    default: return kExitOther;
  }
}

bool IsLoopback(const std::string& listen) {
  return absl::StartsWith(listen, "127.") || absl::StartsWith(listen, "[::1]") ||
         absl::StartsWith(listen, "localhost:") || absl::StartsWith(listen, "unix:");
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "collectionsd --listen=127.0.0.1:50051 --store=sqlite:/path/ledger.db");
  absl::ParseCommandLine(argc, argv);

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
  if (!IsLoopback(opts.listen) && !absl::GetFlag(FLAGS_allow_insecure_remote) && !opts.credentials) {
    std::fprintf(stderr,
                 "collectionsd: refusing plaintext on non-loopback address %s; configure TLS or "
                 "pass --allow_insecure_remote\n",
                 opts.listen.c_str());
    return kExitUsage;
  }
  auto server = collections::server::Server::Start(opts);
  if (!server.ok()) return Fail(server.status());
  if (absl::Status st = (*production)->Attach(**server); !st.ok()) {
    (*server)->Shutdown(absl::ZeroDuration());
    return Fail(st);
  }
  std::string bound = opts.listen;
  if (absl::EndsWith(bound, ":0")) {
    bound = absl::StrCat(bound.substr(0, bound.size() - 1), (*server)->port());
  }
  std::fprintf(stderr,
               "{\"msg\":\"serving\",\"listen\":\"%s\",\"store\":\"%s\",\"backend\":\"%s\","
               "\"auth\":\"%s\",\"tls\":%s,\"http_port\":%d,\"clock\":\"%s\"}\n",
               bound.c_str(), RedactedUri(opts.store_uri).c_str(),
               std::string((*server)->store().Backend()).c_str(), prod_opts.auth.c_str(),
               opts.credentials ? "true" : "false", (*production)->http_port(),
               absl::GetFlag(FLAGS_clock).c_str());
  std::fflush(stderr);

  int sig = 0;
  while (sigwait(&stop_signals, &sig) == 0 && sig == SIGHUP) {
    absl::Status st = (*production)->Reload();
    std::fprintf(stderr, "{\"msg\":\"reload\",\"ok\":%s,\"error\":\"%s\"}\n",
                 st.ok() ? "true" : "false", std::string(st.message()).c_str());
    std::fflush(stderr);
  }
  std::fprintf(stderr, "{\"msg\":\"shutting down\",\"signal\":%d}\n", sig);
  (*production)->Detach();
  (*server)->Shutdown(absl::GetFlag(FLAGS_shutdown_grace));
  std::fprintf(stderr, "{\"msg\":\"stopped\"}\n");
  return 0;
}
