// POST /v1/tenants/{tenant}/paymentNotifications on collectionsd's HTTP
// port: a payment provider, or the host's bridge to one, says that an
// invoice was paid. The request is authenticated by its signature alone
// (signing/signed_payload.h) under the tenant's secret, the file named by the
// tenant id in the secrets folder; the body is the generic format of
// app/payment_notification.h, recorded as a payment with the event id as
// request id. docs/payment-notifications.md is the user's guide.
//
// Answers are JSON. 200 {"payment": ..., "invoice": ..., "unapplied_minor":
// ...} for a recorded (or redelivered) event; otherwise {"error": {"code":
// REASON, "message": ..., "field": ...}} with 401 (SIGNATURE_MISSING,
// SIGNATURE_INVALID, TIMESTAMP_OUT_OF_WINDOW; also for a tenant without a
// secret, so that the answer does not tell which tenants exist), 400
// (NOTIFICATION_INVALID and other bad input), 422 (INVOICE_NOT_FOUND,
// INVOICE_AMBIGUOUS and other refusals of the ledger), 503 (try again:
// the store is busy or down) or 500. Providers retry on anything but 2xx;
// a 4xx other than 401 will not succeed by retrying the same body.
#ifndef COLLECTIONS_SERVER_PAYMENT_NOTIFICATION_ENDPOINT_H_
#define COLLECTIONS_SERVER_PAYMENT_NOTIFICATION_ENDPOINT_H_

#include <string>

#include "absl/time/time.h"
#include "service/app/payment_notification.h"
#include "service/base/dates.h"
#include "service/server/http_endpoint.h"

namespace collections::server {

inline constexpr char kPaymentNotificationRoute[] = "/v1/tenants/([^/]+)/paymentNotifications";

struct PaymentNotificationOptions {
  std::string secrets_dir;
  absl::Duration tolerance = absl::Minutes(5);
};

// The POST handler for kPaymentNotificationRoute. Its timestamp window is
// measured on `clock` (the service's clock, so a --clock=fixed demo signs
// with that time). Logs one JSON line per request on stderr (tenant, event
// id, outcome; never the secret or the signature).
HttpHandler PaymentNotificationHandler(PaymentNotificationOptions options,
                                       app::PaymentNotifications& notifications,
                                       const domain::Clock& clock);

}  // namespace collections::server

#endif  // COLLECTIONS_SERVER_PAYMENT_NOTIFICATION_ENDPOINT_H_
