// gRPC edge of CashApplicationService: authenticates, hands the
// work to the pool, maps the status. All logic lives in app::CashApp.
#ifndef COLLECTIONS_API_CASH_SERVICE_H_
#define COLLECTIONS_API_CASH_SERVICE_H_

#include "collections_sidecar/v1/cash.grpc.pb.h"
#include "service/api/call_support.h"
#include "service/app/cash_application.h"

namespace collections::api {

namespace v1 = ::collections_sidecar::v1;

class CashService final : public v1::CashApplicationService::CallbackService {
 public:
  CashService(const ServiceEnv& env, app::CashApp& app) : env_(env), app_(app) {}

  grpc::ServerUnaryReactor* ListUnappliedCash(grpc::CallbackServerContext* c,
                                              const v1::ListUnappliedCashRequest* r,
                                              v1::ListUnappliedCashResponse* out) override;
  grpc::ServerUnaryReactor* ApplyUnappliedCash(grpc::CallbackServerContext* c,
                                               const v1::ApplyUnappliedCashRequest* r,
                                               v1::UnappliedCash* out) override;
  grpc::ServerUnaryReactor* DismissUnappliedCash(grpc::CallbackServerContext* c,
                                                 const v1::DismissUnappliedCashRequest* r,
                                                 v1::UnappliedCash* out) override;

 private:
  const ServiceEnv& env_;
  app::CashApp& app_;
};

}  // namespace collections::api

#endif  // COLLECTIONS_API_CASH_SERVICE_H_
