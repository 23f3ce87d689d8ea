#include "service/api/arrangement_service.h"

namespace collections::api {

namespace v1 = ::collections_sidecar::v1;

using grpc::CallbackServerContext;
using grpc::ServerUnaryReactor;

ServerUnaryReactor* ArrangementService::RecordPromise(CallbackServerContext* c,
                                                      const v1::RecordPromiseRequest* r,
                                                      v1::PromiseToPay* out) {
  return HandleUnary(
      env_, c, "ArrangementService/RecordPromise", r->parent(), out,
      [this, r](const app::CallContext& who) { return app_.RecordPromise(who, *r); });
}

ServerUnaryReactor* ArrangementService::ListPromises(CallbackServerContext* c,
                                                     const v1::ListPromisesRequest* r,
                                                     v1::ListPromisesResponse* out) {
  return HandleUnary(env_, c, "ArrangementService/ListPromises", r->parent(), out,
                     [this, r](const app::CallContext& who) { return app_.ListPromises(who, *r); });
}

ServerUnaryReactor* ArrangementService::ProposePaymentPlan(CallbackServerContext* c,
                                                           const v1::ProposePaymentPlanRequest* r,
                                                           v1::PaymentPlan* out) {
  return HandleUnary(
      env_, c, "ArrangementService/ProposePaymentPlan", r->parent(), out,
      [this, r](const app::CallContext& who) { return app_.ProposePaymentPlan(who, *r); });
}

ServerUnaryReactor* ArrangementService::AcceptPaymentPlan(CallbackServerContext* c,
                                                          const v1::AcceptPaymentPlanRequest* r,
                                                          v1::PaymentPlan* out) {
  return HandleUnary(
      env_, c, "ArrangementService/AcceptPaymentPlan", r->name(), out,
      [this, r](const app::CallContext& who) { return app_.AcceptPaymentPlan(who, *r); });
}

ServerUnaryReactor* ArrangementService::GetPaymentPlan(CallbackServerContext* c,
                                                       const v1::GetPaymentPlanRequest* r,
                                                       v1::PaymentPlan* out) {
  return HandleUnary(
      env_, c, "ArrangementService/GetPaymentPlan", r->name(), out,
      [this, r](const app::CallContext& who) { return app_.GetPaymentPlan(who, *r); });
}

ServerUnaryReactor* ArrangementService::ExtendTerms(CallbackServerContext* c,
                                                    const v1::ExtendTermsRequest* r,
                                                    v1::PaymentPlan* out) {
  return HandleUnary(env_, c, "ArrangementService/ExtendTerms", r->parent(), out,
                     [this, r](const app::CallContext& who) { return app_.ExtendTerms(who, *r); });
}

ServerUnaryReactor* ArrangementService::ProposeSettlement(CallbackServerContext* c,
                                                          const v1::ProposeSettlementRequest* r,
                                                          v1::Settlement* out) {
  return HandleUnary(
      env_, c, "ArrangementService/ProposeSettlement", r->parent(), out,
      [this, r](const app::CallContext& who) { return app_.ProposeSettlement(who, *r); });
}

ServerUnaryReactor* ArrangementService::AcceptSettlement(CallbackServerContext* c,
                                                         const v1::AcceptSettlementRequest* r,
                                                         v1::Settlement* out) {
  return HandleUnary(
      env_, c, "ArrangementService/AcceptSettlement", r->name(), out,
      [this, r](const app::CallContext& who) { return app_.AcceptSettlement(who, *r); });
}

ServerUnaryReactor* ArrangementService::AssessFees(CallbackServerContext* c,
                                                   const v1::AssessFeesRequest* r,
                                                   v1::AssessFeesResponse* out) {
  return HandleUnary(env_, c, "ArrangementService/AssessFees", r->customer(), out,
                     [this, r](const app::CallContext& who) { return app_.AssessFees(who, *r); });
}

ServerUnaryReactor* ArrangementService::ApplyLateFees(CallbackServerContext* c,
                                                      const v1::ApplyLateFeesRequest* r,
                                                      v1::ApplyLateFeesResponse* out) {
  return HandleUnary(
      env_, c, "ArrangementService/ApplyLateFees", r->customer(), out,
      [this, r](const app::CallContext& who) { return app_.ApplyLateFees(who, *r); });
}

ServerUnaryReactor* ArrangementService::OpenDispute(CallbackServerContext* c,
                                                    const v1::OpenDisputeRequest* r,
                                                    v1::Dispute* out) {
  return HandleUnary(env_, c, "ArrangementService/OpenDispute", r->parent(), out,
                     [this, r](const app::CallContext& who) { return app_.OpenDispute(who, *r); });
}

ServerUnaryReactor* ArrangementService::ResolveDispute(CallbackServerContext* c,
                                                       const v1::ResolveDisputeRequest* r,
                                                       v1::Dispute* out) {
  return HandleUnary(
      env_, c, "ArrangementService/ResolveDispute", r->name(), out,
      [this, r](const app::CallContext& who) { return app_.ResolveDispute(who, *r); });
}

ServerUnaryReactor* ArrangementService::WriteOff(CallbackServerContext* c,
                                                 const v1::WriteOffRequest* r, v1::WriteOff* out) {
  return HandleUnary(env_, c, "ArrangementService/WriteOff", r->parent(), out,
                     [this, r](const app::CallContext& who) { return app_.WriteOff(who, *r); });
}

ServerUnaryReactor* ArrangementService::ReverseWriteOff(CallbackServerContext* c,
                                                        const v1::ReverseWriteOffRequest* r,
                                                        v1::WriteOff* out) {
  return HandleUnary(
      env_, c, "ArrangementService/ReverseWriteOff", r->name(), out,
      [this, r](const app::CallContext& who) { return app_.ReverseWriteOff(who, *r); });
}

ServerUnaryReactor* ArrangementService::ReferToAgency(CallbackServerContext* c,
                                                      const v1::ReferToAgencyRequest* r,
                                                      v1::Referral* out) {
  return HandleUnary(
      env_, c, "ArrangementService/ReferToAgency", r->parent(), out,
      [this, r](const app::CallContext& who) { return app_.ReferToAgency(who, *r); });
}

ServerUnaryReactor* ArrangementService::ReferToLegal(CallbackServerContext* c,
                                                     const v1::ReferToLegalRequest* r,
                                                     v1::Referral* out) {
  return HandleUnary(env_, c, "ArrangementService/ReferToLegal", r->parent(), out,
                     [this, r](const app::CallContext& who) { return app_.ReferToLegal(who, *r); });
}

ServerUnaryReactor* ArrangementService::RecordAgencyCollection(
    CallbackServerContext* c, const v1::RecordAgencyCollectionRequest* r, v1::Referral* out) {
  return HandleUnary(
      env_, c, "ArrangementService/RecordAgencyCollection", r->name(), out,
      [this, r](const app::CallContext& who) { return app_.RecordAgencyCollection(who, *r); });
}

ServerUnaryReactor* ArrangementService::RecallReferral(CallbackServerContext* c,
                                                       const v1::RecallReferralRequest* r,
                                                       v1::Referral* out) {
  return HandleUnary(
      env_, c, "ArrangementService/RecallReferral", r->name(), out,
      [this, r](const app::CallContext& who) { return app_.RecallReferral(who, *r); });
}

ServerUnaryReactor* ArrangementService::ListArrangements(CallbackServerContext* c,
                                                         const v1::ListArrangementsRequest* r,
                                                         v1::ListArrangementsResponse* out) {
  return HandleUnary(
      env_, c, "ArrangementService/ListArrangements", r->parent(), out,
      [this, r](const app::CallContext& who) { return app_.ListArrangements(who, *r); });
}

ServerUnaryReactor* ArrangementService::RefreshArrangements(CallbackServerContext* c,
                                                            const v1::RefreshArrangementsRequest* r,
                                                            v1::RefreshArrangementsResponse* out) {
  return HandleUnary(
      env_, c, "ArrangementService/RefreshArrangements", r->customer(), out,
      [this, r](const app::CallContext& who) { return app_.RefreshArrangements(who, *r); });
}

}  // namespace collections::api
