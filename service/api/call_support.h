// Plumbing shared by every gRPC service of the sidecar: who the caller is
// (the Authenticator hook), running a handler's blocking work on the worker
// pool, mapping its absl::Status, and one structured log line per request.
#ifndef COLLECTIONS_API_CALL_SUPPORT_H_
#define COLLECTIONS_API_CALL_SUPPORT_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "service/api/worker_pool.h"
#include "service/app/app_common.h"
#include "service/grpc_status/status_convert.h"

namespace collections::api {

// Establishes the caller of a request from its metadata or peer. Returning
// an error refuses the call with that status (UNAUTHENTICATED, ...).
// `method` is e.g. "LedgerService/GetCustomer"; `tenant` the tenant the
// request names (empty when it names none).
using Authenticator = std::function<absl::StatusOr<app::CallContext>(
    const grpc::CallbackServerContext& ctx, absl::string_view method, absl::string_view tenant)>;

// Accepts every caller, recording "x-collections-actor" metadata (or the
// peer address) as the actor. The default for loopback deployments.
absl::StatusOr<app::CallContext> AnonymousAuthenticator(const grpc::CallbackServerContext& ctx,
                                                        absl::string_view method,
                                                        absl::string_view tenant);

// Observes finished calls (metrics, logs). Thread-safe.
using CallObserver = std::function<void(absl::string_view method, absl::string_view tenant,
                                        grpc::StatusCode code, absl::Duration latency)>;

// Counts business events for metrics, e.g. ("sync_records", "acme",
// "created", 12). Thread-safe.
using EventCounter = std::function<void(absl::string_view name, absl::string_view tenant,
                                        absl::string_view label, int64_t n)>;

struct ServiceEnv {
  WorkerPool* pool = nullptr;
  Authenticator authenticate = AnonymousAuthenticator;
  // Re-checks the caller of an open stream (stream_support.h); empty = use
  // `authenticate`. Set to the authenticator without its rate limit, so
  // that a stream's re-checks do not spend its tenant's request budget.
  Authenticator recheck;
  CallObserver observe;  // may be empty
  EventCounter count;    // may be empty
  bool log_requests = true;
};

// The call's request id: the client's "x-request-id" metadata when it is 1..128
// characters of [A-Za-z0-9._:-], otherwise a new random one. Also sent back
// to the client as "x-request-id" initial metadata, so either side can quote
// it. Call once per call, before the first response is sent.
std::string RequestIdOf(grpc::CallbackServerContext* ctx);

// Writes one JSON log line for a finished call to stderr.
void LogCall(absl::string_view method, absl::string_view tenant, const app::CallContext* caller,
             grpc::StatusCode code, absl::Duration latency, absl::string_view message,
             absl::string_view request_id = "");

// Finishes a call's bookkeeping: log line and observer.
void FinishCall(const ServiceEnv& env, absl::string_view method, absl::string_view tenant,
                const app::CallContext* caller, const grpc::Status& status, absl::Time start,
                absl::string_view request_id = "");

// RESOURCE_EXHAUSTED for a call the worker pool refused, with a machine
// reason (SERVER_OVERLOADED or TENANT_QUEUE_FULL) and a RetryInfo delay,
// like a rate-limit answer.
absl::Status OverloadStatus(WorkerPool::Refusal why, absl::string_view tenant);

// Runs `fn(caller)` on the worker pool and finishes the unary call with its
// result. `fn` returns absl::StatusOr<Resp>; on success it is moved into
// *response. `resource` is the resource name the request is about (its name
// or parent): it selects the tenant and is named in the error details.
template <typename Resp, typename Fn>
grpc::ServerUnaryReactor* HandleUnary(const ServiceEnv& env, grpc::CallbackServerContext* ctx,
                                      const char* method, std::string resource, Resp* response,
                                      Fn fn) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  std::string tenant = grpc_status::TenantOf(resource);
  const absl::Time start = absl::Now();
  std::string request_id = RequestIdOf(ctx);
  auto work = [&env, ctx, method, tenant, resource, response, reactor, start, request_id,
               fn = std::move(fn)]() mutable {
    absl::StatusOr<app::CallContext> caller = env.authenticate(*ctx, method, tenant);
    grpc::Status st;
    if (!caller.ok()) {
      st = grpc_status::ToGrpcStatus(caller.status(), resource);
    } else if (ctx->IsCancelled()) {
      st = grpc::Status(grpc::StatusCode::CANCELLED, "cancelled by the client");
    } else if (absl::FromChrono(ctx->deadline()) < absl::Now()) {
      st = grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                        "deadline passed before the work began");
    } else {
      absl::StatusOr<Resp> result = fn(*caller);
      if (result.ok()) {
        *response = *std::move(result);
      } else {
        st = grpc_status::ToGrpcStatus(result.status(), resource);
      }
    }
    FinishCall(env, method, tenant, caller.ok() ? &*caller : nullptr, st, start, request_id);
    reactor->Finish(st);
  };
  WorkerPool::Refusal why = WorkerPool::Refusal::kNone;
  if (!env.pool->Submit(std::move(work), tenant, &why)) {
    grpc::Status busy = grpc_status::ToGrpcStatus(OverloadStatus(why, tenant), resource);
    FinishCall(env, method, tenant, nullptr, busy, start, request_id);
    reactor->Finish(busy);
  }
  return reactor;
}

}  // namespace collections::api

#endif  // COLLECTIONS_API_CALL_SUPPORT_H_
