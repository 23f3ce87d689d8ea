#include "service/server/payment_notification_endpoint.h"

#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "service/auth/pem.h"
#include "service/base/errors.h"
#include "service/base/json_text.h"
#include "service/base/resource_names.h"
#include "service/signing/signed_payload.h"

namespace collections::server {

namespace v1 = ::collections_sidecar::v1;
namespace {

constexpr char kJson[] = "application/json";
// Secrets shorter than this are refused as if absent: a guessable key
// would make the signature worthless.
constexpr size_t kMinSecretBytes = 16;

int HttpStatusOf(const absl::Status& st) {
  switch (st.code()) {
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAlreadyExists:
      return 422;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kDeadlineExceeded:
      return 503;
    default:
      return 500;
  }
}

HttpResponse ErrorResponse(const absl::Status& st) {
  std::string reason = domain::ReasonOf(st);
  if (reason.empty()) reason = absl::StatusCodeToString(st.code());
  std::string field;
  const auto fields = domain::FieldsOf(st);
  if (!fields.empty()) {
    field = absl::StrCat(",\"field\":\"", base::JsonEscape(fields.front().field), "\"");
  }
  HttpResponse out{
      HttpStatusOf(st),
      kJson,
      absl::StrCat("{\"error\":{\"code\":\"", base::JsonEscape(reason), "\",\"message\":\"",
                   base::JsonEscape(st.message()), "\"", field, "}}\n"),
      {}};
  if (out.status == 503) out.headers.emplace("Retry-After", "5");
  return out;
}

void Log(absl::string_view tenant, absl::string_view event_id, int status,
         absl::string_view outcome) {
  base::WriteLog(
      status >= 500   ? base::LogLevel::kError
      : status >= 400 ? base::LogLevel::kWarning
                      : base::LogLevel::kInfo,
      "payment notification",
      {{"tenant", tenant}, {"event_id", event_id}, {"status", status}, {"outcome", outcome}});
}

// The tenant's secret; UNAUTHENTICATED (SIGNATURE_INVALID) when none is
// usable, worded like a bad signature.
absl::StatusOr<std::string> TenantSecret(const std::string& dir, const std::string& tenant) {
  const absl::Status refused = domain::WithReason(
      absl::UnauthenticatedError("no valid signature for this tenant"), "SIGNATURE_INVALID");
  // The tenant id becomes a file name: only valid ids, so never "../x".
  if (!app::IsValidTenantId(tenant)) return refused;
  auto secret = auth::ReadFile(absl::StrCat(dir, "/", tenant));
  if (!secret.ok()) return refused;
  std::string s(absl::StripTrailingAsciiWhitespace(*secret));
  if (s.size() < kMinSecretBytes) return refused;
  return s;
}

}  // namespace

HttpHandler PaymentNotificationHandler(PaymentNotificationOptions options,
                                       app::PaymentNotifications& notifications,
                                       const domain::Clock& clock) {
  return [options = std::move(options), &notifications, &clock](const HttpRequest& req) {
    const std::string tenant = req.path_params.empty() ? "" : req.path_params.front();
    auto fail = [&](const absl::Status& st, absl::string_view event_id) {
      HttpResponse out = ErrorResponse(st);
      Log(tenant, event_id, out.status, domain::ReasonOf(st));
      return out;
    };
    auto secret = TenantSecret(options.secrets_dir, tenant);
    if (!secret.ok()) return fail(secret.status(), "");
    if (absl::Status st = signing::VerifySignedPayload(
            *secret, req.Header(signing::kTimestampHeader), req.Header(signing::kSignatureHeader),
            req.body, clock.Now(), options.tolerance);
        !st.ok()) {
      return fail(st, "");
    }
    auto notification = app::ParsePaymentNotification(req.body);
    if (!notification.ok()) return fail(notification.status(), "");
    const app::CallContext who{absl::StrCat("payment-notification:", tenant), tenant};
    auto recorded = notifications.Record(who, tenant, *notification);
    if (!recorded.ok()) return fail(recorded.status(), notification->event_id);
    const v1::Payment& p = recorded->payment;
    Log(tenant, notification->event_id, 200, "RECORDED");
    return HttpResponse{
        200,
        kJson,
        absl::StrCat("{\"payment\":\"", base::JsonEscape(p.name()), "\",\"invoice\":\"",
                     base::JsonEscape(recorded->invoice), "\",\"event_id\":\"",
                     base::JsonEscape(notification->event_id),
                     "\",\"amount_minor\":", p.amount().minor_units(), ",\"currency\":\"",
                     base::JsonEscape(p.amount().currency_code()),
                     "\",\"unapplied_minor\":", p.unapplied().minor_units(), "}\n"),
        {}};
  };
}

}  // namespace collections::server
