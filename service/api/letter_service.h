// gRPC edge of LetterService (tenant profile and message templates):
// authenticates, hands the work to the pool, maps the status. All logic
// lives in app::LettersApp.
#ifndef COLLECTIONS_API_LETTER_SERVICE_H_
#define COLLECTIONS_API_LETTER_SERVICE_H_

#include "collections_sidecar/v1/letters.grpc.pb.h"
#include "service/api/call_support.h"
#include "service/app/letters_app.h"

namespace collections::api {

namespace v1 = ::collections_sidecar::v1;

class LetterService final : public v1::LetterService::CallbackService {
 public:
  LetterService(const ServiceEnv& env, app::LettersApp& app) : env_(env), app_(app) {}

  grpc::ServerUnaryReactor* GetTenantProfile(grpc::CallbackServerContext* c,
                                             const v1::GetTenantProfileRequest* r,
                                             v1::TenantProfile* out) override;
  grpc::ServerUnaryReactor* UpdateTenantProfile(grpc::CallbackServerContext* c,
                                                const v1::UpdateTenantProfileRequest* r,
                                                v1::TenantProfile* out) override;
  grpc::ServerUnaryReactor* ListMessageTemplates(grpc::CallbackServerContext* c,
                                                 const v1::ListMessageTemplatesRequest* r,
                                                 v1::ListMessageTemplatesResponse* out) override;
  grpc::ServerUnaryReactor* GetMessageTemplate(grpc::CallbackServerContext* c,
                                               const v1::GetMessageTemplateRequest* r,
                                               v1::MessageTemplate* out) override;
  grpc::ServerUnaryReactor* ReplaceMessageTemplate(grpc::CallbackServerContext* c,
                                                   const v1::ReplaceMessageTemplateRequest* r,
                                                   v1::MessageTemplate* out) override;
  grpc::ServerUnaryReactor* PreviewMessageTemplate(grpc::CallbackServerContext* c,
                                                   const v1::PreviewMessageTemplateRequest* r,
                                                   v1::RenderMessageResponse* out) override;

 private:
  const ServiceEnv& env_;
  app::LettersApp& app_;
};

}  // namespace collections::api

#endif  // COLLECTIONS_API_LETTER_SERVICE_H_
