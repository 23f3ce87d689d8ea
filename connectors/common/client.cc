#include "connectors/common/client.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "service/base/errors.h"
#include "service/grpc_status/status_convert.h"

namespace collections::connectors {

namespace v1 = ::collections_sidecar::v1;

std::shared_ptr<grpc::Channel> MakeConnectorChannel(const std::string& target) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetMaxSendMessageSize(64 << 20);
  // TLS when COLLECTIONS_TLS_CA names the CA bundle of the server's
  // certificate; mutual TLS adds COLLECTIONS_TLS_CERT and COLLECTIONS_TLS_KEY
  // (docs/erp-guide.md). Plaintext otherwise (a loopback sidecar).
  const char* ca = std::getenv("COLLECTIONS_TLS_CA");
  if (ca == nullptr || *ca == '\0') {
    return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  }
  auto read = [](const char* path) {
    std::ifstream in(path ? path : "", std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  };
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = read(ca);
  if (const char* cert = std::getenv("COLLECTIONS_TLS_CERT"); cert && *cert) {
    tls.pem_cert_chain = read(cert);
    tls.pem_private_key = read(std::getenv("COLLECTIONS_TLS_KEY"));
  }
  if (const char* name = std::getenv("COLLECTIONS_TLS_SERVER_NAME"); name && *name) {
    args.SetSslTargetNameOverride(name);
  }
  return grpc::CreateCustomChannel(target, grpc::SslCredentials(tls), args);
}

bool IsRetryable(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::DEADLINE_EXCEEDED ||
         code == grpc::StatusCode::ABORTED || code == grpc::StatusCode::RESOURCE_EXHAUSTED;
}

std::optional<absl::Duration> RetryDelayOf(const grpc::Status& status) {
  const absl::Duration asked = domain::RetryDelayOf(grpc_status::FromGrpcStatus(status));
  if (asked <= absl::ZeroDuration()) return std::nullopt;
  return asked;
}

absl::Duration BackoffCeiling(int retry, const ClientOptions& options) {
  const double factor = std::pow(options.backoff_multiplier, std::max(0, retry - 1));
  const absl::Duration d = options.initial_backoff * factor;
  return std::min(d, options.max_backoff);
}

LedgerClient::LedgerClient(std::shared_ptr<grpc::Channel> channel, ClientOptions options)
    : channel_(std::move(channel)),
      stub_(v1::LedgerService::NewStub(channel_)),
      options_(std::move(options)),
      rng_(options_.jitter_seed != 0 ? options_.jitter_seed : std::random_device{}()) {
  options_.max_attempts = std::max(1, options_.max_attempts);
}

bool LedgerClient::SleepUnlessInterrupted(absl::Duration d) {
  const absl::Time until = absl::Now() + d;
  while (absl::Now() < until) {
    if (options_.interrupted != nullptr && options_.interrupted->load()) return false;
    absl::SleepFor(std::min(absl::Milliseconds(50), until - absl::Now()));
  }
  return options_.interrupted == nullptr || !options_.interrupted->load();
}

absl::Status LedgerClient::Call(absl::string_view method,
                                const std::function<grpc::Status(grpc::ClientContext&)>& attempt) {
  for (int n = 1;; ++n) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + options_.call_timeout));
    if (!options_.bearer_token.empty()) {
      ctx.AddMetadata("authorization", absl::StrCat("Bearer ", options_.bearer_token));
    }
    const grpc::Status st = attempt(ctx);
    if (st.ok()) return absl::OkStatus();
    if (!IsRetryable(st.error_code()) || n >= options_.max_attempts) {
      absl::Status out = grpc_status::FromGrpcStatus(st);
      if (IsRetryable(st.error_code())) {
        out = absl::Status(out.code(), absl::StrCat(method, ": ", out.message(), " (after ", n,
                                                    n == 1 ? " attempt)" : " attempts)"));
      }
      return out;
    }
    absl::Duration wait;
    if (auto asked = RetryDelayOf(st)) {
      wait = *asked;
    } else {
      const int64_t ceiling_us = absl::ToInt64Microseconds(BackoffCeiling(n, options_));
      std::uniform_int_distribution<int64_t> pick(0, std::max<int64_t>(ceiling_us, 1));
      wait = absl::Microseconds(pick(rng_));
    }
    ++retries_;
    if (options_.log) {
      options_.log(absl::StrFormat(
          "%s: %s: %s; retry %d of %d in %.2fs", method,
          absl::StatusCodeToString(static_cast<absl::StatusCode>(st.error_code())),
          st.error_message(), n, options_.max_attempts - 1, absl::ToDoubleSeconds(wait)));
    }
    if (!SleepUnlessInterrupted(wait)) {
      return domain::WithReason(absl::CancelledError(absl::StrCat(method, ": interrupted")),
                                "INTERRUPTED");
    }
  }
}

absl::StatusOr<v1::SyncLedgerResponse> LedgerClient::SyncChunk(const v1::SyncLedgerRequest& chunk) {
  v1::SyncLedgerResponse out;
  absl::Status st = Call("SyncLedger", [&](grpc::ClientContext& ctx) {
    out.Clear();
    std::unique_ptr<grpc::ClientWriter<v1::SyncLedgerRequest>> writer =
        stub_->SyncLedger(&ctx, &out);
    // A failed Write means the stream broke; Finish() reports why.
    if (writer->Write(chunk)) writer->WritesDone();
    return writer->Finish();
  });
  if (!st.ok()) return st;
  return out;
}

absl::StatusOr<v1::ListCustomersResponse> LedgerClient::ListCustomers(
    const v1::ListCustomersRequest& r) {
  return Unary("ListCustomers", &v1::LedgerService::Stub::ListCustomers, r);
}
absl::StatusOr<v1::ListInvoicesResponse> LedgerClient::ListInvoices(
    const v1::ListInvoicesRequest& r) {
  return Unary("ListInvoices", &v1::LedgerService::Stub::ListInvoices, r);
}
absl::StatusOr<v1::ListCreditNotesResponse> LedgerClient::ListCreditNotes(
    const v1::ListCreditNotesRequest& r) {
  return Unary("ListCreditNotes", &v1::LedgerService::Stub::ListCreditNotes, r);
}
absl::StatusOr<v1::ListPaymentsResponse> LedgerClient::ListPayments(
    const v1::ListPaymentsRequest& r) {
  return Unary("ListPayments", &v1::LedgerService::Stub::ListPayments, r);
}
absl::StatusOr<v1::AccountSummary> LedgerClient::GetAccountSummary(
    const v1::GetAccountSummaryRequest& r) {
  return Unary("GetAccountSummary", &v1::LedgerService::Stub::GetAccountSummary, r);
}

}  // namespace collections::connectors
