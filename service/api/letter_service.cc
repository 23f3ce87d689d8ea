#include "service/api/letter_service.h"

namespace collections::api {

namespace v1 = ::collections_sidecar::v1;

using grpc::CallbackServerContext;
using grpc::ServerUnaryReactor;

ServerUnaryReactor* LetterService::GetTenantProfile(CallbackServerContext* c,
                                                    const v1::GetTenantProfileRequest* r,
                                                    v1::TenantProfile* out) {
  return HandleUnary(
      env_, c, "LetterService/GetTenantProfile", r->name(), out,
      [this, r](const app::CallContext& who) { return app_.GetTenantProfile(who, *r); });
}

ServerUnaryReactor* LetterService::UpdateTenantProfile(CallbackServerContext* c,
                                                       const v1::UpdateTenantProfileRequest* r,
                                                       v1::TenantProfile* out) {
  return HandleUnary(
      env_, c, "LetterService/UpdateTenantProfile", r->profile().name(), out,
      [this, r](const app::CallContext& who) { return app_.UpdateTenantProfile(who, *r); });
}

ServerUnaryReactor* LetterService::ListMessageTemplates(CallbackServerContext* c,
                                                        const v1::ListMessageTemplatesRequest* r,
                                                        v1::ListMessageTemplatesResponse* out) {
  return HandleUnary(
      env_, c, "LetterService/ListMessageTemplates", r->parent(), out,
      [this, r](const app::CallContext& who) { return app_.ListMessageTemplates(who, *r); });
}

ServerUnaryReactor* LetterService::GetMessageTemplate(CallbackServerContext* c,
                                                      const v1::GetMessageTemplateRequest* r,
                                                      v1::MessageTemplate* out) {
  return HandleUnary(
      env_, c, "LetterService/GetMessageTemplate", r->name(), out,
      [this, r](const app::CallContext& who) { return app_.GetMessageTemplate(who, *r); });
}

ServerUnaryReactor* LetterService::ReplaceMessageTemplate(
    CallbackServerContext* c, const v1::ReplaceMessageTemplateRequest* r,
    v1::MessageTemplate* out) {
  return HandleUnary(
      env_, c, "LetterService/ReplaceMessageTemplate", r->parent(), out,
      [this, r](const app::CallContext& who) { return app_.ReplaceMessageTemplate(who, *r); });
}

ServerUnaryReactor* LetterService::PreviewMessageTemplate(
    CallbackServerContext* c, const v1::PreviewMessageTemplateRequest* r,
    v1::RenderMessageResponse* out) {
  return HandleUnary(
      env_, c, "LetterService/PreviewMessageTemplate", r->customer(), out,
      [this, r](const app::CallContext& who) { return app_.PreviewMessageTemplate(who, *r); });
}

}  // namespace collections::api
