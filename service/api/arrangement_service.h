// gRPC edge of ArrangementService: authenticates, hands the work to the
// pool and maps the status; the application layer (ArrangementsApp) speaks
// collections_sidecar.v1 and does everything else.
#ifndef COLLECTIONS_API_ARRANGEMENT_SERVICE_H_
#define COLLECTIONS_API_ARRANGEMENT_SERVICE_H_

#include "collections_sidecar/v1/arrangements.grpc.pb.h"
#include "service/api/call_support.h"
#include "service/app/arrangements_app.h"

namespace collections::api {

namespace v1 = ::collections_sidecar::v1;

class ArrangementService final : public v1::ArrangementService::CallbackService {
 public:
  ArrangementService(const ServiceEnv& env, app::ArrangementsApp& app) : env_(env), app_(app) {}
  grpc::ServerUnaryReactor* RecordPromise(grpc::CallbackServerContext* c,
                                          const v1::RecordPromiseRequest* r,
                                          v1::PromiseToPay* out) override;
  grpc::ServerUnaryReactor* ListPromises(grpc::CallbackServerContext* c,
                                         const v1::ListPromisesRequest* r,
                                         v1::ListPromisesResponse* out) override;
  grpc::ServerUnaryReactor* ProposePaymentPlan(grpc::CallbackServerContext* c,
                                               const v1::ProposePaymentPlanRequest* r,
                                               v1::PaymentPlan* out) override;
  grpc::ServerUnaryReactor* AcceptPaymentPlan(grpc::CallbackServerContext* c,
                                              const v1::AcceptPaymentPlanRequest* r,
                                              v1::PaymentPlan* out) override;
  grpc::ServerUnaryReactor* GetPaymentPlan(grpc::CallbackServerContext* c,
                                           const v1::GetPaymentPlanRequest* r,
                                           v1::PaymentPlan* out) override;
  grpc::ServerUnaryReactor* ExtendTerms(grpc::CallbackServerContext* c,
                                        const v1::ExtendTermsRequest* r,
                                        v1::PaymentPlan* out) override;
  grpc::ServerUnaryReactor* ProposeSettlement(grpc::CallbackServerContext* c,
                                              const v1::ProposeSettlementRequest* r,
                                              v1::Settlement* out) override;
  grpc::ServerUnaryReactor* AcceptSettlement(grpc::CallbackServerContext* c,
                                             const v1::AcceptSettlementRequest* r,
                                             v1::Settlement* out) override;
  grpc::ServerUnaryReactor* AssessFees(grpc::CallbackServerContext* c,
                                       const v1::AssessFeesRequest* r,
                                       v1::AssessFeesResponse* out) override;
  grpc::ServerUnaryReactor* ApplyLateFees(grpc::CallbackServerContext* c,
                                          const v1::ApplyLateFeesRequest* r,
                                          v1::ApplyLateFeesResponse* out) override;
  grpc::ServerUnaryReactor* OpenDispute(grpc::CallbackServerContext* c,
                                        const v1::OpenDisputeRequest* r, v1::Dispute* out) override;
  grpc::ServerUnaryReactor* ResolveDispute(grpc::CallbackServerContext* c,
                                           const v1::ResolveDisputeRequest* r,
                                           v1::Dispute* out) override;
  grpc::ServerUnaryReactor* WriteOff(grpc::CallbackServerContext* c, const v1::WriteOffRequest* r,
                                     v1::WriteOff* out) override;
  grpc::ServerUnaryReactor* ReverseWriteOff(grpc::CallbackServerContext* c,
                                            const v1::ReverseWriteOffRequest* r,
                                            v1::WriteOff* out) override;
  grpc::ServerUnaryReactor* ReferToAgency(grpc::CallbackServerContext* c,
                                          const v1::ReferToAgencyRequest* r,
                                          v1::Referral* out) override;
  grpc::ServerUnaryReactor* ReferToLegal(grpc::CallbackServerContext* c,
                                         const v1::ReferToLegalRequest* r,
                                         v1::Referral* out) override;
  grpc::ServerUnaryReactor* RecordAgencyCollection(grpc::CallbackServerContext* c,
                                                   const v1::RecordAgencyCollectionRequest* r,
                                                   v1::Referral* out) override;
  grpc::ServerUnaryReactor* RecallReferral(grpc::CallbackServerContext* c,
                                           const v1::RecallReferralRequest* r,
                                           v1::Referral* out) override;
  grpc::ServerUnaryReactor* ListArrangements(grpc::CallbackServerContext* c,
                                             const v1::ListArrangementsRequest* r,
                                             v1::ListArrangementsResponse* out) override;
  grpc::ServerUnaryReactor* RefreshArrangements(grpc::CallbackServerContext* c,
                                                const v1::RefreshArrangementsRequest* r,
                                                v1::RefreshArrangementsResponse* out) override;

 private:
  const ServiceEnv& env_;
  app::ArrangementsApp& app_;
};

}  // namespace collections::api

#endif  // COLLECTIONS_API_ARRANGEMENT_SERVICE_H_
