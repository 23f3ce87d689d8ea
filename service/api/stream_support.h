// Server-streaming calls (AuditService.WatchEvents, RecoveryService.
// StreamActions) without a thread per stream, bounded per tenant, and ended
// when their credential stops being valid.
//
// A stream alternates between three states: polling (one task on the worker
// pool reads the next page after its cursor), writing (the page goes out one
// message at a time from gRPC's own callbacks), and parked (nothing new: the
// StreamHub's single thread wakes every parked stream when the store commits
// events, and at least every poll interval). Each poll first re-checks the
// caller's credential, so a revoked token ends its streams with
// UNAUTHENTICATED within one poll interval, even when the revocation came
// from another process (collectionsctl tokens revoke).
#ifndef COLLECTIONS_API_STREAM_SUPPORT_H_
#define COLLECTIONS_API_STREAM_SUPPORT_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/api/call_support.h"
#include "service/base/errors.h"
#include "service/store/store.h"

namespace collections::api {

// Open streams, process-wide and per tenant. Thread-safe.
class StreamLimits {
 public:
  StreamLimits(int max_total, int max_per_tenant)
      : max_total_(max_total), max_per_tenant_(max_per_tenant) {}
  // Takes a slot for `tenant`; RESOURCE_EXHAUSTED (reason TOO_MANY_STREAMS,
  // with a retry delay) when the tenant or the process is at its limit.
  absl::Status Acquire(const std::string& tenant);
  void Release(const std::string& tenant);

 private:
  const int max_total_;
  const int max_per_tenant_;
  absl::Mutex mu_;
  int total_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, int> per_tenant_ ABSL_GUARDED_BY(mu_);
};

// A stream that can be parked in the hub.
class Parkable {
 public:
  virtual ~Parkable() = default;
  // Called by the hub's thread: schedule the next poll.
  virtual void Wake() = 0;
};

// The one thread that wakes parked streams. Thread-safe.
class StreamHub {
 public:
  StreamHub(store::Store& store, absl::Duration poll_interval = absl::Milliseconds(500));
  ~StreamHub();  // Stop()
  // Wakes `s` at the next store commit with events or within the interval.
  void Park(Parkable* s);
  // Joins the thread; streams still parked are woken one last time first.
  // Call after the gRPC server has shut down (no stream is left then).
  void Stop();

 private:
  void Loop();
  store::Store& store_;
  const absl::Duration poll_interval_;
  absl::Mutex mu_;
  std::vector<Parkable*> parked_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

// What one streaming method reads: the page of messages after `after` (a
// sequence number), each with its own sequence.
template <typename Msg>
using PageFetcher = std::function<absl::StatusOr<std::vector<std::pair<int64_t, Msg>>>(
    const app::CallContext& caller, int64_t after)>;

struct StreamEnv {
  const ServiceEnv* env = nullptr;
  StreamHub* hub = nullptr;
  StreamLimits* limits = nullptr;
};

// The reactor of one server stream. Created by StartStream below.
template <typename Msg>
class PolledStream final : public grpc::ServerWriteReactor<Msg>, public Parkable {
 public:
  PolledStream(const StreamEnv& senv, grpc::CallbackServerContext* ctx, const char* method,
               std::string tenant, app::CallContext caller, std::string request_id, int64_t cursor,
               bool follow, PageFetcher<Msg> fetch, absl::Time start)
      : senv_(senv),
        ctx_(ctx),
        method_(method),
        tenant_(std::move(tenant)),
        caller_(std::move(caller)),
        request_id_(std::move(request_id)),
        cursor_(cursor),
        follow_(follow),
        fetch_(std::move(fetch)),
        start_(start) {}

  void Wake() override {
    if (!senv_.env->pool->Submit([this] { Poll(); }, tenant_)) senv_.hub->Park(this);
  }
  void OnWriteDone(bool ok) override {
    if (!ok || cancelled_.load()) {
      Done(grpc::Status(grpc::StatusCode::CANCELLED, "the client went away"));
    } else if (!pending_.empty()) {
      WriteNext();
    } else {
      Wake();
    }
  }
  void OnCancel() override { cancelled_.store(true); }
  void OnDone() override {
    senv_.limits->Release(tenant_);
    delete this;
  }

 private:
  // On a worker: re-check the credential, read the next page, write it or
  // park. Exactly one of Poll / a write is in progress at any time.
  void Poll() {
    if (cancelled_.load()) {
      Done(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled by the client"));
      return;
    }
    const auto& recheck = senv_.env->recheck ? senv_.env->recheck : senv_.env->authenticate;
    absl::StatusOr<app::CallContext> still = recheck(*ctx_, method_, tenant_);
    if (!still.ok() &&
        (absl::IsUnauthenticated(still.status()) || absl::IsPermissionDenied(still.status()))) {
      Done(grpc_status::ToGrpcStatus(still.status()));
      return;
    }
    auto page = fetch_(caller_, cursor_);
    if (!page.ok()) {
      Done(grpc_status::ToGrpcStatus(page.status()));
      return;
    }
    if (page->empty()) {
      if (follow_) {
        senv_.hub->Park(this);
      } else {
        Done(grpc::Status::OK);
      }
      return;
    }
    pending_.assign(std::make_move_iterator(page->begin()), std::make_move_iterator(page->end()));
    WriteNext();
  }
  void WriteNext() {
    cursor_ = pending_.front().first;
    current_ = std::move(pending_.front().second);
    pending_.pop_front();
    this->StartWrite(&current_);
  }
  void Done(const grpc::Status& st) {
    FinishCall(*senv_.env, method_, tenant_, &caller_, st, start_, request_id_);
    this->Finish(st);  // OnDone (and delete) may follow at once
  }

  const StreamEnv senv_;
  grpc::CallbackServerContext* ctx_;
  const char* method_;
  const std::string tenant_;
  const app::CallContext caller_;
  const std::string request_id_;
  int64_t cursor_;
  const bool follow_;
  PageFetcher<Msg> fetch_;
  const absl::Time start_;
  std::atomic<bool> cancelled_{false};
  std::deque<std::pair<int64_t, Msg>> pending_;
  Msg current_;
};

// Finishes a streaming call at once with an error.
template <typename Msg>
class RejectedStream final : public grpc::ServerWriteReactor<Msg> {
 public:
  explicit RejectedStream(const grpc::Status& st) { this->Finish(st); }
  void OnDone() override { delete this; }
};

// Authenticates a server-streaming call for `tenant` (already parsed from
// the request), takes a stream slot, and starts polling. `check` validates
// the request further (OK when empty). Returns the reactor to hand to gRPC.
template <typename Msg>
grpc::ServerWriteReactor<Msg>* StartStream(const StreamEnv& senv, grpc::CallbackServerContext* ctx,
                                           const char* method,
                                           const absl::StatusOr<std::string>& tenant,
                                           const absl::Status& check, int64_t cursor, bool follow,
                                           PageFetcher<Msg> fetch) {
  const absl::Time start = absl::Now();
  std::string request_id = RequestIdOf(ctx);
  absl::StatusOr<app::CallContext> who = absl::InternalError("unset");
  absl::Status allowed = tenant.status();
  if (allowed.ok()) {
    who = senv.env->authenticate(*ctx, method, *tenant);
    allowed = who.ok() ? app::CheckTenant(*who, *tenant) : who.status();
  }
  if (allowed.ok()) allowed = check;
  if (allowed.ok()) allowed = senv.limits->Acquire(*tenant);
  if (!allowed.ok()) {
    grpc::Status st = grpc_status::ToGrpcStatus(allowed);
    FinishCall(*senv.env, method, tenant.ok() ? *tenant : "", who.ok() ? &*who : nullptr, st, start,
               request_id);
    return new RejectedStream<Msg>(st);
  }
  auto* s = new PolledStream<Msg>(senv, ctx, method, *tenant, *who, std::move(request_id), cursor,
                                  follow, std::move(fetch), start);
  s->Wake();
  return s;
}

}  // namespace collections::api

#endif  // COLLECTIONS_API_STREAM_SUPPORT_H_
