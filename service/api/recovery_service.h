// gRPC edge of RecoveryService: authenticates, hands the work to the pool,
// maps the status; StreamActions feeds the outbox from a cursor as a polled
// stream (stream_support.h), BacktestPolicy streams a long call's progress.
// All logic lives in app::RecoveryApp.
#ifndef COLLECTIONS_API_RECOVERY_SERVICE_H_
#define COLLECTIONS_API_RECOVERY_SERVICE_H_

#include "collections_sidecar/v1/recovery.grpc.pb.h"
#include "service/api/call_support.h"
#include "service/api/stream_support.h"
#include "service/app/action_check.h"
#include "service/app/recovery_app.h"

namespace collections::api {

namespace v1 = ::collections_sidecar::v1;

class RecoveryService final : public v1::RecoveryService::CallbackService {
 public:
  // StreamActions streams share `streams` (limits, hub) with every other
  // server stream.
  RecoveryService(const ServiceEnv& env, app::RecoveryApp& app, app::ActionChecker& checker,
                  const StreamEnv& streams)
      : env_(env), app_(app), checker_(checker), streams_(streams) {}

  grpc::ServerUnaryReactor* GetPolicy(grpc::CallbackServerContext* c, const v1::GetPolicyRequest* r,
                                      v1::CollectionPolicy* out) override;
  grpc::ServerUnaryReactor* ReplacePolicy(grpc::CallbackServerContext* c,
                                          const v1::ReplacePolicyRequest* r,
                                          v1::CollectionPolicy* out) override;
  grpc::ServerUnaryReactor* GetRecommendation(grpc::CallbackServerContext* c,
                                              const v1::GetRecommendationRequest* r,
                                              v1::Recommendation* out) override;
  grpc::ServerUnaryReactor* ListRecommendations(grpc::CallbackServerContext* c,
                                                const v1::ListRecommendationsRequest* r,
                                                v1::ListRecommendationsResponse* out) override;
  grpc::ServerUnaryReactor* ListWorkQueue(grpc::CallbackServerContext* c,
                                          const v1::ListWorkQueueRequest* r,
                                          v1::ListWorkQueueResponse* out) override;
  grpc::ServerUnaryReactor* RecordContact(grpc::CallbackServerContext* c,
                                          const v1::RecordContactRequest* r,
                                          v1::ContactRecord* out) override;
  grpc::ServerUnaryReactor* ListContacts(grpc::CallbackServerContext* c,
                                         const v1::ListContactsRequest* r,
                                         v1::ListContactsResponse* out) override;
  grpc::ServerUnaryReactor* ExportCaseFile(grpc::CallbackServerContext* c,
                                           const v1::ExportCaseFileRequest* r,
                                           v1::ExportCaseFileResponse* out) override;
  grpc::ServerUnaryReactor* RenderMessage(grpc::CallbackServerContext* c,
                                          const v1::RenderMessageRequest* r,
                                          v1::RenderMessageResponse* out) override;
  grpc::ServerUnaryReactor* RunCollections(grpc::CallbackServerContext* c,
                                           const v1::RunCollectionsRequest* r,
                                           v1::RunCollectionsResponse* out) override;
  grpc::ServerWriteReactor<v1::OutboxAction>* StreamActions(
      grpc::CallbackServerContext* c, const v1::StreamActionsRequest* r) override;
  grpc::ServerUnaryReactor* CompleteAction(grpc::CallbackServerContext* c,
                                           const v1::CompleteActionRequest* r,
                                           v1::OutboxAction* out) override;
  grpc::ServerUnaryReactor* GetPaymentRisk(grpc::CallbackServerContext* c,
                                           const v1::GetPaymentRiskRequest* r,
                                           v1::PaymentRisk* out) override;
  grpc::ServerUnaryReactor* CheckAction(grpc::CallbackServerContext* c,
                                        const v1::CheckActionRequest* r,
                                        v1::ActionCheck* out) override;
  // Runs the backtest on the worker pool (it holds one worker for its
  // duration: minutes at 100k invoices) and streams its progress, at most
  // about one message a second, then the report.
  grpc::ServerWriteReactor<v1::BacktestProgress>* BacktestPolicy(
      grpc::CallbackServerContext* c, const v1::BacktestPolicyRequest* r) override;

 private:
  const ServiceEnv& env_;
  app::RecoveryApp& app_;
  app::ActionChecker& checker_;
  const StreamEnv streams_;
};

}  // namespace collections::api

#endif  // COLLECTIONS_API_RECOVERY_SERVICE_H_
