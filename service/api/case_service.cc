#include "service/api/case_service.h"

namespace collections::api {

namespace v1 = ::collections_sidecar::v1;

using grpc::CallbackServerContext;
using grpc::ServerUnaryReactor;

ServerUnaryReactor* CaseService::GetCase(CallbackServerContext* c, const v1::GetCaseRequest* r,
                                         v1::Case* out) {
  return HandleUnary(env_, c, "CaseService/GetCase", r->name(), out,
                     [this, r](const app::CallContext& who) { return app_.GetCase(who, *r); });
}

ServerUnaryReactor* CaseService::ListCases(CallbackServerContext* c, const v1::ListCasesRequest* r,
                                           v1::ListCasesResponse* out) {
  return HandleUnary(env_, c, "CaseService/ListCases", r->parent(), out,
                     [this, r](const app::CallContext& who) { return app_.ListCases(who, *r); });
}

ServerUnaryReactor* CaseService::RebuildCases(CallbackServerContext* c,
                                              const v1::RebuildCasesRequest* r,
                                              v1::RebuildCasesResponse* out) {
  return HandleUnary(env_, c, "CaseService/RebuildCases", r->parent(), out,
                     [this, r](const app::CallContext& who) { return app_.RebuildCases(who, *r); });
}

}  // namespace collections::api
