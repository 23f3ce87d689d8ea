#include "service/api/recovery_service.h"

#include <deque>
#include <memory>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "service/base/resource_names.h"
#include "service/base/status_macros.h"

namespace collections::api {

namespace v1 = ::collections_sidecar::v1;

using grpc::CallbackServerContext;
using grpc::ServerUnaryReactor;

ServerUnaryReactor* RecoveryService::GetPolicy(CallbackServerContext* c,
                                               const v1::GetPolicyRequest* r,
                                               v1::CollectionPolicy* out) {
  return HandleUnary(env_, c, "RecoveryService/GetPolicy", r->name(), out,
                     [this, r](const app::CallContext& who) { return app_.GetPolicy(who, *r); });
}

ServerUnaryReactor* RecoveryService::ReplacePolicy(CallbackServerContext* c,
                                                   const v1::ReplacePolicyRequest* r,
                                                   v1::CollectionPolicy* out) {
  return HandleUnary(
      env_, c, "RecoveryService/ReplacePolicy", r->policy().name(), out,
      [this, r](const app::CallContext& who) { return app_.ReplacePolicy(who, *r); });
}

ServerUnaryReactor* RecoveryService::GetRecommendation(CallbackServerContext* c,
                                                       const v1::GetRecommendationRequest* r,
                                                       v1::Recommendation* out) {
  return HandleUnary(
      env_, c, "RecoveryService/GetRecommendation", r->customer(), out,
      [this, r](const app::CallContext& who) { return app_.GetRecommendation(who, *r); });
}

ServerUnaryReactor* RecoveryService::ListRecommendations(CallbackServerContext* c,
                                                         const v1::ListRecommendationsRequest* r,
                                                         v1::ListRecommendationsResponse* out) {
  return HandleUnary(
      env_, c, "RecoveryService/ListRecommendations", r->parent(), out,
      [this, r](const app::CallContext& who) { return app_.ListRecommendations(who, *r); });
}

ServerUnaryReactor* RecoveryService::ListWorkQueue(CallbackServerContext* c,
                                                   const v1::ListWorkQueueRequest* r,
                                                   v1::ListWorkQueueResponse* out) {
  return HandleUnary(
      env_, c, "RecoveryService/ListWorkQueue", r->parent(), out,
      [this, r](const app::CallContext& who) { return app_.ListWorkQueue(who, *r); });
}

ServerUnaryReactor* RecoveryService::RecordContact(CallbackServerContext* c,
                                                   const v1::RecordContactRequest* r,
                                                   v1::ContactRecord* out) {
  return HandleUnary(
      env_, c, "RecoveryService/RecordContact", r->parent(), out,
      [this, r](const app::CallContext& who) { return app_.RecordContact(who, *r); });
}

ServerUnaryReactor* RecoveryService::ListContacts(CallbackServerContext* c,
                                                  const v1::ListContactsRequest* r,
                                                  v1::ListContactsResponse* out) {
  return HandleUnary(env_, c, "RecoveryService/ListContacts", r->parent(), out,
                     [this, r](const app::CallContext& who) { return app_.ListContacts(who, *r); });
}

ServerUnaryReactor* RecoveryService::ExportCaseFile(CallbackServerContext* c,
                                                    const v1::ExportCaseFileRequest* r,
                                                    v1::ExportCaseFileResponse* out) {
  return HandleUnary(
      env_, c, "RecoveryService/ExportCaseFile", r->customer(), out,
      [this, r](const app::CallContext& who) { return app_.ExportCaseFile(who, *r); });
}

ServerUnaryReactor* RecoveryService::RenderMessage(CallbackServerContext* c,
                                                   const v1::RenderMessageRequest* r,
                                                   v1::RenderMessageResponse* out) {
  return HandleUnary(
      env_, c, "RecoveryService/RenderMessage", r->customer(), out,
      [this, r](const app::CallContext& who) { return app_.RenderMessage(who, *r); });
}

ServerUnaryReactor* RecoveryService::RunCollections(CallbackServerContext* c,
                                                    const v1::RunCollectionsRequest* r,
                                                    v1::RunCollectionsResponse* out) {
  return HandleUnary(
      env_, c, "RecoveryService/RunCollections", r->parent(), out,
      [this, r](const app::CallContext& who) { return app_.RunCollections(who, *r); });
}

ServerUnaryReactor* RecoveryService::CompleteAction(CallbackServerContext* c,
                                                    const v1::CompleteActionRequest* r,
                                                    v1::OutboxAction* out) {
  return HandleUnary(
      env_, c, "RecoveryService/CompleteAction", r->name(), out,
      [this, r](const app::CallContext& who) { return app_.CompleteAction(who, *r); });
}

ServerUnaryReactor* RecoveryService::GetPaymentRisk(CallbackServerContext* c,
                                                    const v1::GetPaymentRiskRequest* r,
                                                    v1::PaymentRisk* out) {
  return HandleUnary(
      env_, c, "RecoveryService/GetPaymentRisk", r->name(), out,
      [this, r](const app::CallContext& who) { return app_.GetPaymentRisk(who, *r); });
}

ServerUnaryReactor* RecoveryService::CheckAction(CallbackServerContext* c,
                                                 const v1::CheckActionRequest* r,
                                                 v1::ActionCheck* out) {
  return HandleUnary(
      env_, c, "RecoveryService/CheckAction", r->name(), out,
      [this, r](const app::CallContext& who) { return checker_.CheckAction(who, *r); });
}

grpc::ServerWriteReactor<v1::OutboxAction>* RecoveryService::StreamActions(
    CallbackServerContext* c, const v1::StreamActionsRequest* r) {
  // Pages through the outbox after the cursor; in follow mode the stream
  // stays open for the actions later runs create.
  PageFetcher<v1::OutboxAction> fetch =
      [this, req = *r](
          const app::CallContext& caller,
          int64_t after) -> absl::StatusOr<std::vector<std::pair<int64_t, v1::OutboxAction>>> {
    v1::StreamActionsRequest page = req;
    page.set_after_sequence(after);
    ASSIGN_OR_RETURN(auto actions, app_.ListActions(caller, page, 200));
    std::vector<std::pair<int64_t, v1::OutboxAction>> out;
    for (auto& a : actions) out.emplace_back(a.sequence(), std::move(a));
    return out;
  };
  return StartStream<v1::OutboxAction>(
      streams_, c, "RecoveryService/StreamActions", app::ParseTenantName(r->parent(), "parent"),
      absl::OkStatus(), r->after_sequence(), r->follow(), std::move(fetch));
}

namespace {

// The BacktestPolicy stream. The backtest runs on a worker and queues
// progress; gRPC's callbacks write the queue one message at a time. Only
// one operation (a write or the finish) is started at a time, and it is
// started as the last thing its thread does with the reactor, so OnDone
// may delete it right after.
class BacktestReactor final : public grpc::ServerWriteReactor<v1::BacktestProgress> {
 public:
  BacktestReactor(const ServiceEnv& env, app::RecoveryApp& app, CallbackServerContext* ctx,
                  const v1::BacktestPolicyRequest& request)
      : env_(env),
        app_(app),
        ctx_(ctx),
        request_(request),
        tenant_(grpc_status::TenantOf(request.parent())),
        request_id_(RequestIdOf(ctx)) {}

  void Start() {
    WorkerPool::Refusal why = WorkerPool::Refusal::kNone;
    if (!env_.pool->Submit([this] { Run(); }, tenant_, &why)) {
      Complete(grpc_status::ToGrpcStatus(OverloadStatus(why, tenant_)), nullptr);
    }
  }

  void OnWriteDone(bool ok) override {
    absl::ReleasableMutexLock l(&mu_);
    writing_ = false;
    if (!ok) broken_ = true;
    Next(l);
  }
  void OnCancel() override {
    absl::MutexLock l(&mu_);
    cancelled_ = true;
  }
  void OnDone() override { delete this; }

 private:
  static constexpr absl::Duration kProgressInterval = absl::Seconds(1);

  void Run() {
    const char* method = "RecoveryService/BacktestPolicy";
    absl::StatusOr<app::CallContext> caller = env_.authenticate(*ctx_, method, tenant_);
    grpc::Status st;
    v1::BacktestProgress last;
    if (!caller.ok()) {
      st = grpc_status::ToGrpcStatus(caller.status());
    } else {
      absl::Time next_progress = absl::InfinitePast();
      absl::StatusOr<v1::BacktestReport> report =
          app_.BacktestPolicy(*caller, request_, [&](const v1::BacktestProgress& p) {
            absl::MutexLock l(&mu_);
            if (cancelled_ || broken_) return false;
            const absl::Time now = absl::Now();
            if (now < next_progress) return true;
            next_progress = now + kProgressInterval;
            // Only the newest progress waits: a slow reader skips some.
            if (!queue_.empty()) queue_.pop_back();
            queue_.push_back(p);
            return true;
          });
      if (report.ok()) {
        last.set_phase("DONE");
        *last.mutable_report() = *std::move(report);
      } else {
        st = grpc_status::ToGrpcStatus(report.status());
      }
    }
    FinishCall(env_, method, tenant_, caller.ok() ? &*caller : nullptr, st, start_, request_id_);
    Complete(st, st.ok() ? &last : nullptr);
  }

  // The work is over: queue the report (if any) and finish after it.
  void Complete(const grpc::Status& status, const v1::BacktestProgress* last) {
    absl::ReleasableMutexLock l(&mu_);
    if (last != nullptr) queue_.push_back(*last);
    status_ = status;
    done_ = true;
    Next(l);
  }

  // Starts the next write or the finish, if none is in flight. Releases
  // the lock first; the caller must not touch the reactor afterwards.
  void Next(absl::ReleasableMutexLock& l) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || finished_) return;
    if (!queue_.empty() && !broken_) {
      current_ = std::move(queue_.front());
      queue_.pop_front();
      writing_ = true;
      l.Release();
      StartWrite(&current_);
      return;
    }
    if (!done_) return;
    finished_ = true;
    const grpc::Status st = broken_ && status_.ok()
                                ? grpc::Status(grpc::StatusCode::CANCELLED, "the client went away")
                                : status_;
    l.Release();
    Finish(st);
  }

  const ServiceEnv& env_;
  app::RecoveryApp& app_;
  CallbackServerContext* ctx_;
  const v1::BacktestPolicyRequest request_;
  const std::string tenant_;
  const std::string request_id_;
  const absl::Time start_ = absl::Now();
  absl::Mutex mu_;
  std::deque<v1::BacktestProgress> queue_ ABSL_GUARDED_BY(mu_);
  v1::BacktestProgress current_;  // the message being written
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

grpc::ServerWriteReactor<v1::BacktestProgress>* RecoveryService::BacktestPolicy(
    CallbackServerContext* c, const v1::BacktestPolicyRequest* r) {
  auto* reactor = new BacktestReactor(env_, app_, c, *r);
  reactor->Start();
  return reactor;
}

}  // namespace collections::api
