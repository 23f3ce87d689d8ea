// LettersApp: the LetterService operations on collections_sidecar.v1 messages,
// without gRPC. The tenant profile is the document ("tenant_profile",
// "current"); a tenant's replaced templates are ("message_template",
// "<id>.<locale>") documents, versioned, over the shipped ones (see
// letters.h). Every mutation runs in one write transaction with request_id
// idempotency and appends its audit event there; audit events never carry
// the payment-link secret. Thread-safe.
#ifndef COLLECTIONS_APP_LETTERS_APP_H_
#define COLLECTIONS_APP_LETTERS_APP_H_

#include "absl/status/statusor.h"
#include "collections_sidecar/v1/letters.pb.h"
#include "service/app/app_common.h"
#include "service/app/recovery_app.h"
#include "service/store/store.h"

namespace collections::app {

namespace v1 = ::collections_sidecar::v1;

class LettersApp {
 public:
  // `recovery` renders previews (the account's recommendation and letters).
  LettersApp(store::Store& store, const domain::Clock& clock, RecoveryApp& recovery)
      : store_(store), clock_(clock), recovery_(recovery) {}

  // NOT_FOUND (PROFILE_NOT_FOUND) when the tenant never set a profile.
  absl::StatusOr<v1::TenantProfile> GetTenantProfile(const CallContext& ctx,
                                                     const v1::GetTenantProfileRequest& r);
  // INVALID_ARGUMENT (INVALID_PROFILE, field path) for a bad field or mask
  // path; ABORTED (PROFILE_VERSION_MISMATCH) on an expected_version
  // mismatch. Nothing is written on error.
  absl::StatusOr<v1::TenantProfile> UpdateTenantProfile(const CallContext& ctx,
                                                        const v1::UpdateTenantProfileRequest& r);
  absl::StatusOr<v1::ListMessageTemplatesResponse> ListMessageTemplates(
      const CallContext& ctx, const v1::ListMessageTemplatesRequest& r);
  absl::StatusOr<v1::MessageTemplate> GetMessageTemplate(const CallContext& ctx,
                                                         const v1::GetMessageTemplateRequest& r);
  // INVALID_ARGUMENT (TEMPLATE_INVALID / TEMPLATE_TONE_REFUSED, field path
  // under "template.") for a bad template; ABORTED
  // (TEMPLATE_VERSION_MISMATCH) on an expected_version mismatch.
  absl::StatusOr<v1::MessageTemplate> ReplaceMessageTemplate(
      const CallContext& ctx, const v1::ReplaceMessageTemplateRequest& r);
  // Validated as ReplaceMessageTemplate, rendered as RenderMessage; writes
  // nothing.
  absl::StatusOr<v1::RenderMessageResponse> PreviewMessageTemplate(
      const CallContext& ctx, const v1::PreviewMessageTemplateRequest& r);

 private:
  store::Store& store_;
  const domain::Clock& clock_;
  RecoveryApp& recovery_;
};

}  // namespace collections::app

#endif  // COLLECTIONS_APP_LETTERS_APP_H_
