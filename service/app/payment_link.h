// Payment links in letters: the tenant's link template (TenantProfile in
// letters.proto) filled per invoice, or for the whole amount, with a token
// the payment portal verifies. The token is an HMAC-SHA256 under the
// tenant's secret over the tenant, the account, the invoice(s), the amount,
// the currency and an expiry, so a link cannot be altered to pay less or
// for another invoice, nor used after it expires. Only the portal and
// collectionsd know the secret.
#ifndef COLLECTIONS_APP_PAYMENT_LINK_H_
#define COLLECTIONS_APP_PAYMENT_LINK_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "service/base/money.h"
#include "service/domain/templates.h"

namespace collections::app {

// What a payment link pays, and so what its token signs.
struct PaymentLinkFields {
  std::string tenant;
  std::string customer_reference;  // the account number printed on the letter
  std::string invoice_number;      // several: joined by ","
  domain::Money amount;
  int64_t expires_unix = 0;  // the token is valid before this instant
};

// "<expires_unix>.<mac>", mac = unpadded base64url HMAC-SHA256 under
// `secret` of "collections.v1.pay\n" tenant "\n" customer_reference "\n"
// invoice_number "\n" amount.minor "\n" amount.currency "\n" expires_unix.
std::string PaymentToken(absl::string_view secret, const PaymentLinkFields& fields);

// OK when `token` was made by PaymentToken for `fields` (whose expires_unix
// is ignored: the token carries it) and has not expired at `now`.
// PermissionDenied (reason PAYMENT_TOKEN_INVALID or PAYMENT_TOKEN_EXPIRED)
// otherwise. Compares in constant time.
absl::Status VerifyPaymentToken(absl::string_view secret, PaymentLinkFields fields,
                                absl::string_view token, absl::Time now);

// The first 16 hex digits of SHA-256 of `secret` (names the key without
// revealing it).
std::string PaymentKeyId(absl::string_view secret);

// Checks a link template: https://, at most 2,000 characters, only the
// placeholders letters.proto lists. `uses_token` receives whether {{token}}
// appears. InvalidArgument (reason INVALID_PROFILE) naming `field`.
absl::Status ValidatePaymentLinkTemplate(absl::string_view link_template, absl::string_view field,
                                         bool* uses_token);

struct PaymentLinkSettings {
  std::string tenant;
  std::string link_template;  // empty = no links
  std::string secret;         // empty = no {{token}} (validated on update)
  int valid_days = 30;
};

// Fills `in`'s payment links from `settings`: one per invoice row, and one
// for the whole amount when every invoice is in one currency. Expiry: the
// end (UTC) of in.as_of + valid_days. No-op without a link template. Call
// after domain::MakeRenderInput.
void AddPaymentLinks(const PaymentLinkSettings& settings, domain::RenderInput& in);

}  // namespace collections::app

#endif  // COLLECTIONS_APP_PAYMENT_LINK_H_
