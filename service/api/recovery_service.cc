#include "service/api/recovery_service.h"

#include <memory>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "service/app/resource_names.h"
#include "service/domain/status_macros.h"

namespace collections::api {

namespace v1 = ::collections_sidecar::v1;

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

ServerUnaryReactor* RecoveryService::CheckAction(CallbackServerContext* c, const v1::CheckActionRequest* r,
                                    v1::ActionCheck* out) {
  return HandleUnary(env_, c, "RecoveryService/CheckAction", TenantOf(r->name()), out,
                     [this, r](const app::CallContext& who) { return checker_.CheckAction(who, *r); });
}

grpc::ServerWriteReactor<v1::OutboxAction>* RecoveryService::StreamActions(
    CallbackServerContext* c, const v1::StreamActionsRequest* r) {
  // Pages through the outbox after the cursor; in follow mode the stream
  // stays open for the actions later runs create.
  PageFetcher<v1::OutboxAction> fetch = [this, req = *r](const app::CallContext& caller,
                                                          int64_t after)
      -> absl::StatusOr<std::vector<std::pair<int64_t, v1::OutboxAction>>> {
    v1::StreamActionsRequest page = req;
    page.set_after_sequence(after);
    ASSIGN_OR_RETURN(auto actions, app_.ListActions(caller, page, 200));
    std::vector<std::pair<int64_t, v1::OutboxAction>> out;
    for (auto& a : actions) out.emplace_back(a.sequence(), std::move(a));
    return out;
  };
  return StartStream<v1::OutboxAction>(streams_, c, "RecoveryService/StreamActions",
                                       app::ParseTenantName(r->parent(), "parent"),
                                       absl::OkStatus(), r->after_sequence(), r->follow(),
                                       std::move(fetch));
}

}  // namespace collections::api
