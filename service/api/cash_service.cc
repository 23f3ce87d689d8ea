#include "service/api/cash_service.h"

namespace collections::api {

namespace v1 = ::collections_sidecar::v1;

using grpc::CallbackServerContext;
using grpc::ServerUnaryReactor;

ServerUnaryReactor* CashService::ListUnappliedCash(CallbackServerContext* c,
                                                   const v1::ListUnappliedCashRequest* r,
                                                   v1::ListUnappliedCashResponse* out) {
  return HandleUnary(
      env_, c, "CashApplicationService/ListUnappliedCash", r->parent(), out,
      [this, r](const app::CallContext& who) { return app_.ListUnappliedCash(who, *r); });
}

ServerUnaryReactor* CashService::ApplyUnappliedCash(CallbackServerContext* c,
                                                    const v1::ApplyUnappliedCashRequest* r,
                                                    v1::UnappliedCash* out) {
  return HandleUnary(
      env_, c, "CashApplicationService/ApplyUnappliedCash", r->name(), out,
      [this, r](const app::CallContext& who) { return app_.ApplyUnappliedCash(who, *r); });
}

ServerUnaryReactor* CashService::DismissUnappliedCash(CallbackServerContext* c,
                                                      const v1::DismissUnappliedCashRequest* r,
                                                      v1::UnappliedCash* out) {
  return HandleUnary(
      env_, c, "CashApplicationService/DismissUnappliedCash", r->name(), out,
      [this, r](const app::CallContext& who) { return app_.DismissUnappliedCash(who, *r); });
}

}  // namespace collections::api
