// gRPC edge of CaseService: authenticates, hands the work to the pool, maps
// the status. All logic lives in app::CasesApp.
#ifndef COLLECTIONS_API_CASE_SERVICE_H_
#define COLLECTIONS_API_CASE_SERVICE_H_

#include "collections_sidecar/v1/cases.grpc.pb.h"
#include "service/api/call_support.h"
#include "service/app/cases_app.h"

namespace collections::api {

namespace v1 = ::collections_sidecar::v1;

class CaseService final : public v1::CaseService::CallbackService {
 public:
  CaseService(const ServiceEnv& env, app::CasesApp& app) : env_(env), app_(app) {}

  grpc::ServerUnaryReactor* GetCase(grpc::CallbackServerContext* c, const v1::GetCaseRequest* r,
                                    v1::Case* out) override;
  grpc::ServerUnaryReactor* ListCases(grpc::CallbackServerContext* c, const v1::ListCasesRequest* r,
                                      v1::ListCasesResponse* out) override;
  grpc::ServerUnaryReactor* RebuildCases(grpc::CallbackServerContext* c,
                                         const v1::RebuildCasesRequest* r,
                                         v1::RebuildCasesResponse* out) override;

 private:
  const ServiceEnv& env_;
  app::CasesApp& app_;
};

}  // namespace collections::api

#endif  // COLLECTIONS_API_CASE_SERVICE_H_
