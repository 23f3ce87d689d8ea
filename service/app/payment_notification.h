// Inbound payment notifications: "this invoice was paid" from a payment
// provider (or the host's bridge to one), posted to collectionsd's HTTP port
// as POST /v1/tenants/{tenant}/paymentNotifications (service/server wires
// the route and checks the signature, signing/signed_payload.h). This file
// holds what follows the signature: the generic JSON format, and its
// mapping to LedgerService.RecordPayment.
//
// The format (docs/payment-notifications.md maps a card provider's
// "payment succeeded" event onto it):
//   {"event_id": "evt_1Q2w3E",        the provider's id of this event, 1..128
//                                     printable ASCII; the RecordPayment
//                                     request_id, so a redelivery changes nothing
//    "invoice": "INV-1001",           the invoice number, or its payment
//                                     reference (spaces and case ignored)
//    "amount_minor": 12345,           > 0, minor units of `currency`
//    "currency": "EUR",               ISO 4217
//    "paid_at": "2026-11-20T10:15:00Z",  RFC 3339; its UTC day is the value date
//    "payer": "Sam Lee",              optional, the payer's name
//    "method": "card"}                optional: card, bank_transfer,
//                                     direct_debit, other (default card)
#ifndef COLLECTIONS_APP_PAYMENT_NOTIFICATION_H_
#define COLLECTIONS_APP_PAYMENT_NOTIFICATION_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "collections_sidecar/v1/ledger.pb.h"
#include "service/app/app_common.h"
#include "service/app/ledger_app.h"

namespace collections::app {

namespace v1 = ::collections_sidecar::v1;

struct PaymentNotification {
  std::string event_id;
  std::string invoice;  // number or payment reference
  int64_t amount_minor = 0;
  std::string currency;
  absl::Time paid_at;
  std::string payer;
  v1::Payment::Method method = v1::Payment::CARD;
};

// Parses and validates the JSON above. INVALID_ARGUMENT with reason
// NOTIFICATION_INVALID naming the field (unknown fields are ignored, so
// that a provider may send more).
absl::StatusOr<PaymentNotification> ParsePaymentNotification(absl::string_view json);

// Records notifications as payments. Thread-safe.
class PaymentNotifications {
 public:
  explicit PaymentNotifications(LedgerApp& ledger) : ledger_(ledger) {}

  struct Recorded {
    std::string invoice;  // the invoice's resource name
    v1::Payment payment;
  };
  // Finds the tenant's invoice (voided ones excepted) by number, else by
  // payment reference, and records the payment on its customer through
  // LedgerApp::RecordPayment with request_id = event_id: allocated to that
  // invoice up to its amount due (in its currency), the rest kept as the
  // customer's credit. A redelivered event returns the first answer.
  // Errors: NOT_FOUND (INVOICE_NOT_FOUND), FAILED_PRECONDITION
  // (INVOICE_AMBIGUOUS: the number belongs to invoices of several
  // customers), RecordPayment's errors (an amount too large, an event id
  // reused for another payment: REQUEST_ID_REUSED, ...). On error
  // nothing is written.
  absl::StatusOr<Recorded> Record(const CallContext& ctx, absl::string_view tenant,
                                  const PaymentNotification& n);

 private:
  LedgerApp& ledger_;
};

}  // namespace collections::app

#endif  // COLLECTIONS_APP_PAYMENT_NOTIFICATION_H_
