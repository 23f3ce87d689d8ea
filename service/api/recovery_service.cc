#include "service/api/recovery_service.h"

#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "service/app/resource_names.h"

namespace collections::api {

using grpc::CallbackServerContext;
using grpc::ServerUnaryReactor;

ServerUnaryReactor* RecoveryService::GetPolicy(CallbackServerContext* c, const v1::GetPolicyRequest* r,
                                    v1::CollectionPolicy* out) {
  return HandleUnary(env_, c, "RecoveryService/GetPolicy", TenantOf(r->name()), out,
                     [this, r](const app::CallContext& who) { return app_.GetPolicy(who, *r); });
}

ServerUnaryReactor* RecoveryService::ReplacePolicy(CallbackServerContext* c, const v1::ReplacePolicyRequest* r,
                                    v1::CollectionPolicy* out) {
  return HandleUnary(env_, c, "RecoveryService/ReplacePolicy", TenantOf(r->policy().name()), out,
                     [this, r](const app::CallContext& who) { return app_.ReplacePolicy(who, *r); });
}

ServerUnaryReactor* RecoveryService::GetRecommendation(CallbackServerContext* c, const v1::GetRecommendationRequest* r,
                                    v1::Recommendation* out) {
  return HandleUnary(env_, c, "RecoveryService/GetRecommendation", TenantOf(r->customer()), out,
                     [this, r](const app::CallContext& who) { return app_.GetRecommendation(who, *r); });
}

ServerUnaryReactor* RecoveryService::ListRecommendations(CallbackServerContext* c, const v1::ListRecommendationsRequest* r,
                                    v1::ListRecommendationsResponse* out) {
  return HandleUnary(env_, c, "RecoveryService/ListRecommendations", TenantOf(r->parent()), out,
                     [this, r](const app::CallContext& who) { return app_.ListRecommendations(who, *r); });
}

ServerUnaryReactor* RecoveryService::ListWorkQueue(CallbackServerContext* c, const v1::ListWorkQueueRequest* r,
                                    v1::ListWorkQueueResponse* out) {
  return HandleUnary(env_, c, "RecoveryService/ListWorkQueue", TenantOf(r->parent()), out,
                     [this, r](const app::CallContext& who) { return app_.ListWorkQueue(who, *r); });
}

ServerUnaryReactor* RecoveryService::RecordContact(CallbackServerContext* c, const v1::RecordContactRequest* r,
                                    v1::ContactRecord* out) {
  return HandleUnary(env_, c, "RecoveryService/RecordContact", TenantOf(r->parent()), out,
                     [this, r](const app::CallContext& who) { return app_.RecordContact(who, *r); });
}

ServerUnaryReactor* RecoveryService::ListContacts(CallbackServerContext* c, const v1::ListContactsRequest* r,
                                    v1::ListContactsResponse* out) {
  return HandleUnary(env_, c, "RecoveryService/ListContacts", TenantOf(r->parent()), out,
                     [this, r](const app::CallContext& who) { return app_.ListContacts(who, *r); });
}

ServerUnaryReactor* RecoveryService::ExportCaseFile(CallbackServerContext* c, const v1::ExportCaseFileRequest* r,
                                    v1::ExportCaseFileResponse* out) {
  return HandleUnary(env_, c, "RecoveryService/ExportCaseFile", TenantOf(r->customer()), out,
                     [this, r](const app::CallContext& who) { return app_.ExportCaseFile(who, *r); });
}

ServerUnaryReactor* RecoveryService::RenderMessage(CallbackServerContext* c, const v1::RenderMessageRequest* r,
                                    v1::RenderMessageResponse* out) {
  return HandleUnary(env_, c, "RecoveryService/RenderMessage", TenantOf(r->customer()), out,
                     [this, r](const app::CallContext& who) { return app_.RenderMessage(who, *r); });
}

ServerUnaryReactor* RecoveryService::RunCollections(CallbackServerContext* c, const v1::RunCollectionsRequest* r,
                                    v1::RunCollectionsResponse* out) {
  return HandleUnary(env_, c, "RecoveryService/RunCollections", TenantOf(r->parent()), out,
                     [this, r](const app::CallContext& who) { return app_.RunCollections(who, *r); });
}

ServerUnaryReactor* RecoveryService::CompleteAction(CallbackServerContext* c, const v1::CompleteActionRequest* r,
                                    v1::OutboxAction* out) {
  return HandleUnary(env_, c, "RecoveryService/CompleteAction", TenantOf(r->name()), out,
                     [this, r](const app::CallContext& who) { return app_.CompleteAction(who, *r); });
}

ServerUnaryReactor* RecoveryService::GetPaymentRisk(CallbackServerContext* c, const v1::GetPaymentRiskRequest* r,
                                    v1::PaymentRisk* out) {
  return HandleUnary(env_, c, "RecoveryService/GetPaymentRisk", TenantOf(r->name()), out,
                     [this, r](const app::CallContext& who) { return app_.GetPaymentRisk(who, *r); });
}

namespace {

// Finishes a streaming call at once with an error.
class RejectStream : public grpc::ServerWriteReactor<v1::OutboxAction> {
 public:
  explicit RejectStream(const grpc::Status& st) { Finish(st); }
  void OnDone() override { delete this; }
};

struct StreamState {
  absl::Mutex mu;
  bool write_done = true;
  bool cancelled = false;
  bool write_failed = false;
};

// Pages through the outbox after the cursor on its own thread; in follow
// mode it keeps polling (every 500 ms) for actions new runs create.
class ActionStream : public grpc::ServerWriteReactor<v1::OutboxAction> {
 public:
  ActionStream(const ServiceEnv& env, app::RecoveryApp& app, const v1::StreamActionsRequest& req,
               std::atomic<int>& streams)
      : env_(env), app_(app), req_(req), streams_(streams),
        state_(std::make_shared<StreamState>()), start_(absl::Now()) {}

  void Start(const app::CallContext& caller) {
    caller_ = caller;
    std::thread([this, state = state_] { Feed(state); }).detach();
  }
  void OnWriteDone(bool ok) override {
    absl::MutexLock l(&state_->mu);
    state_->write_done = true;
    if (!ok) state_->write_failed = true;
  }
  void OnCancel() override {
    absl::MutexLock l(&state_->mu);
    state_->cancelled = true;
  }
  void OnDone() override {
    streams_.fetch_sub(1);
    delete this;
  }

 private:
  void Feed(std::shared_ptr<StreamState> state) {
    v1::StreamActionsRequest page = req_;
    grpc::Status final_status = grpc::Status::OK;
    while (true) {
      {
        absl::MutexLock l(&state->mu);
        if (state->cancelled || state->write_failed) break;
      }
      auto actions = app_.ListActions(caller_, page, 200);
      if (!actions.ok()) {
        final_status = ToGrpcStatus(actions.status());
        break;
      }
      if (actions->empty()) {
        if (!req_.follow()) break;
        absl::MutexLock l(&state->mu);
        auto cancelled = [&state]() { return state->cancelled; };
        state->mu.AwaitWithTimeout(absl::Condition(&cancelled), absl::Milliseconds(500));
        continue;
      }
      bool stop = false;
      for (auto& a : *actions) {
        action_ = std::move(a);
        {
          absl::MutexLock l(&state->mu);
          state->write_done = false;
        }
        StartWrite(&action_);
        absl::MutexLock l(&state->mu);
        auto written = [&state]() { return state->write_done || state->cancelled; };
        state->mu.Await(absl::Condition(&written));
        if (state->cancelled || state->write_failed) {
          stop = true;
          break;
        }
        page.set_after_sequence(action_.sequence());
      }
      if (stop) break;
    }
    FinishCall(env_, "RecoveryService/StreamActions", TenantOf(req_.parent()), &caller_,
               final_status, start_);
    Finish(final_status);  // the reactor may be deleted from here on
  }

  const ServiceEnv& env_;
  app::RecoveryApp& app_;
  v1::StreamActionsRequest req_;
  std::atomic<int>& streams_;
  std::shared_ptr<StreamState> state_;
  absl::Time start_;
  app::CallContext caller_;
  v1::OutboxAction action_;
};

}  // namespace

grpc::ServerWriteReactor<v1::OutboxAction>* RecoveryService::StreamActions(
    CallbackServerContext* c, const v1::StreamActionsRequest* r) {
  const absl::Time start = absl::Now();
  auto tenant = app::ParseTenantName(r->parent(), "parent");
  if (!tenant.ok()) {
    grpc::Status st = ToGrpcStatus(tenant.status());
    FinishCall(env_, "RecoveryService/StreamActions", "", nullptr, st, start);
    return new RejectStream(st);
  }
  auto who = env_.authenticate(*c, "RecoveryService/StreamActions", *tenant);
  absl::Status allowed = who.ok() ? app::CheckTenant(*who, *tenant) : who.status();
  if (!allowed.ok()) {
    grpc::Status st = ToGrpcStatus(allowed);
    FinishCall(env_, "RecoveryService/StreamActions", *tenant, nullptr, st, start);
    return new RejectStream(st);
  }
  if (streams_.fetch_add(1) >= max_streams_) {
    streams_.fetch_sub(1);
    grpc::Status st(grpc::StatusCode::RESOURCE_EXHAUSTED, "too many StreamActions streams; retry later");
    FinishCall(env_, "RecoveryService/StreamActions", *tenant, &*who, st, start);
    return new RejectStream(st);
  }
  auto* reactor = new ActionStream(env_, app_, *r, streams_);
  reactor->Start(*who);
  return reactor;
}

}  // namespace collections::api
