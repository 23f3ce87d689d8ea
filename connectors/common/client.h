// The connectors' gRPC client of LedgerService: every call gets a deadline,
// and calls that failed for a reason that goes away by itself are retried
// with exponential backoff and full jitter:
//   UNAVAILABLE        the server is down, restarting or unreachable;
//   DEADLINE_EXCEEDED  the call may or may not have been applied;
//   ABORTED            a store transaction conflicted;
//   RESOURCE_EXHAUSTED the server shed load; a RetryInfo detail, when the
//                      server sends one, sets the wait.
// Retrying is safe because every call the connectors make is idempotent:
// sync records are upserts keyed by ExternalRef, whose replay is UNCHANGED.
// Anything else (INVALID_ARGUMENT, PERMISSION_DENIED, ...) is returned at
// once with its machine reason and field violations (grpc_status/status_convert.h).
//
// One SyncLedger call carries exactly one chunk, so that the response
// acknowledges that chunk: the runner checkpoints after each one.
//
// Thread-compatible: use one client per thread.
#ifndef COLLECTIONS_CONNECTORS_COMMON_CLIENT_H_
#define COLLECTIONS_CONNECTORS_COMMON_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "collections_sidecar/v1/ledger.grpc.pb.h"

namespace collections::connectors {

namespace v1 = ::collections_sidecar::v1;

struct ClientOptions {
  // Deadline of each attempt.
  absl::Duration call_timeout = absl::Seconds(60);
  // Attempts per call, the first included (>= 1).
  int max_attempts = 8;
  // Backoff before retry n (n = 1, 2, ...) is uniform in
  // [0, min(max_backoff, initial_backoff * multiplier^(n-1))] ("full jitter").
  absl::Duration initial_backoff = absl::Milliseconds(250);
  absl::Duration max_backoff = absl::Seconds(8);
  double backoff_multiplier = 2.0;
  // Seed of the jitter; 0 seeds from the system.
  uint64_t jitter_seed = 0;
  // Bearer token sent as "authorization" metadata; empty = none.
  std::string bearer_token;
  // Polled while waiting between attempts; a true answer stops the retries
  // with CANCELLED (SIGINT/SIGTERM).
  const std::atomic<bool>* interrupted = nullptr;
  // Receives one line per retry ("UNAVAILABLE: ...; retry 2 of 7 in 0.4s").
  std::function<void(absl::string_view)> log;
};

// A channel to `target` ("127.0.0.1:50051") whose reconnect backoff is short
// (0.1..2 s), so that a restarted server is found again within the client's
// own retry schedule. Plaintext, unless $COLLECTIONS_TLS_CA names a CA bundle
// (PEM): then TLS, with a client certificate from $COLLECTIONS_TLS_CERT and
// $COLLECTIONS_TLS_KEY when set, and $COLLECTIONS_TLS_SERVER_NAME overriding
// the name checked against the server certificate.
std::shared_ptr<grpc::Channel> MakeConnectorChannel(const std::string& target);

// Which failures are retried (see the header comment).
bool IsRetryable(grpc::StatusCode code);
// The wait a RESOURCE_EXHAUSTED (or any) status asks for in a RetryInfo
// detail; nullopt when it carries none.
std::optional<absl::Duration> RetryDelayOf(const grpc::Status& status);
// The upper bound of the jittered wait before retry `retry` (1-based).
absl::Duration BackoffCeiling(int retry, const ClientOptions& options);

class LedgerClient {
 public:
  LedgerClient(std::shared_ptr<grpc::Channel> channel, ClientOptions options = {});

  // Sends `chunk` as a SyncLedger call of one message and returns the
  // server's response (outcomes of every record). Errors after the retries:
  // UNAVAILABLE (or the last retryable code) when the server stayed out of
  // reach, CANCELLED when interrupted, or the server's refusal with its
  // reason and field violations.
  absl::StatusOr<v1::SyncLedgerResponse> SyncChunk(const v1::SyncLedgerRequest& chunk);

  absl::StatusOr<v1::ListCustomersResponse> ListCustomers(const v1::ListCustomersRequest& r);
  absl::StatusOr<v1::ListInvoicesResponse> ListInvoices(const v1::ListInvoicesRequest& r);
  absl::StatusOr<v1::ListCreditNotesResponse> ListCreditNotes(const v1::ListCreditNotesRequest& r);
  absl::StatusOr<v1::ListPaymentsResponse> ListPayments(const v1::ListPaymentsRequest& r);
  absl::StatusOr<v1::AccountSummary> GetAccountSummary(const v1::GetAccountSummaryRequest& r);

  // Retries made so far over all calls (for reports and tests).
  int64_t retries() const { return retries_; }

  // Runs `attempt` (one RPC of any service on this client's channel, with a
  // context carrying the deadline and the bearer token) until it succeeds,
  // fails for good, or the attempts are used up; errors as SyncChunk's.
  // Only for idempotent calls (reads, or writes with a request_id).
  absl::Status Call(absl::string_view method,
                    const std::function<grpc::Status(grpc::ClientContext&)>& attempt);
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }

 private:
  template <typename Request, typename Response>
  absl::StatusOr<Response> Unary(absl::string_view method,
                                 grpc::Status (v1::LedgerService::Stub::*rpc)(grpc::ClientContext*,
                                                                              const Request&,
                                                                              Response*),
                                 const Request& request) {
    Response out;
    absl::Status st = Call(method, [&](grpc::ClientContext& ctx) {
      out.Clear();
      return (stub_.get()->*rpc)(&ctx, request, &out);
    });
    if (!st.ok()) return st;
    return out;
  }
  // Sleeps `d` in small steps; false when interrupted meanwhile.
  bool SleepUnlessInterrupted(absl::Duration d);

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::LedgerService::Stub> stub_;
  ClientOptions options_;
  std::mt19937_64 rng_;
  int64_t retries_ = 0;
};

}  // namespace collections::connectors

#endif  // COLLECTIONS_CONNECTORS_COMMON_CLIENT_H_
