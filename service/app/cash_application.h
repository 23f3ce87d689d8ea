// Cash application inside the ledger: what happens to a bank payment that
// arrives without a customer (SyncRecord.customer_ref empty, as the camt
// connector sends every statement line). The pure matcher
// (service/domain/cash_matching.h) ranks the tenant's open invoices; a
// confident match is recorded as an ordinary payment of the matched
// customer, anything else waits in the unapplied-cash review queue
// (collections_sidecar.v1.UnappliedCash, proto/collections_sidecar/v1/cash.proto) with the
// matcher's suggestions. A reversal undoes the payment it names.
//
// Bank payments are facts that do not change: a payment whose external
// reference is already known (as a payment, a review item or a reversal) is
// UNCHANGED, so importing the same statement twice writes nothing.
#ifndef COLLECTIONS_APP_CASH_APPLICATION_H_
#define COLLECTIONS_APP_CASH_APPLICATION_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "collections_sidecar/v1/cash.pb.h"
#include "collections_sidecar/v1/ledger.pb.h"
#include "service/app/ledger_ops.h"
#include "service/domain/cash_matching.h"
#include "service/store/store.h"

namespace collections::app {

namespace v1 = ::collections_sidecar::v1;

inline constexpr char kUnappliedCashKind[] = "unapplied_cash";
inline constexpr char kPaymentReversalKind[] = "payment_reversal";
inline constexpr char kUnappliedCashCollection[] = "unappliedCash";

// tenants/{tenant}/unappliedCash/{id}.
std::string UnappliedCashName(absl::string_view tenant, absl::string_view id);

// Applies customer-less bank payments inside one write transaction,
// remembering the tenant's open invoices between payments (a statement of
// N lines reads them once, not N times). Invoices must not change behind
// its back except through Apply: create one per SyncLedger chunk, after the
// chunk's invoices and credit notes were applied. Not thread-safe.
class BankPaymentApplier {
 public:
  BankPaymentApplier(LedgerOps& ops, const domain::Clock& clock, const CallContext& ctx,
                     domain::MatchPolicy policy = {})
      : ops_(ops), clock_(clock), ctx_(ctx), policy_(policy) {}
  // As ApplyBankPayment below.
  absl::StatusOr<ApplyResult> Apply(const v1::Payment& payment);

 private:
  absl::StatusOr<const std::vector<domain::OpenItem>*> OpenItems(const std::string& currency);

  LedgerOps& ops_;
  const domain::Clock& clock_;
  const CallContext& ctx_;
  domain::MatchPolicy policy_;
  std::map<std::string, std::vector<domain::OpenItem>> open_;  // by currency
  std::map<std::string, std::string> names_;                   // customer id -> display name
  bool retrying_ = false;
};

// Applies one customer-less bank payment inside `ops`' write transaction.
// Outcomes: CREATED with the payment's resource name (applied
// automatically), the review item's name (queued), or for a reversal the
// name of what it undid; UNCHANGED when the payment's external reference was
// seen before. Errors: the payment's validation errors (INVALID_ARGUMENT),
// store errors.
absl::StatusOr<ApplyResult> ApplyBankPayment(LedgerOps& ops, const domain::Clock& clock,
                                             const CallContext& ctx, const v1::Payment& payment,
                                             const domain::MatchPolicy& policy = {});

// The review queue's RPCs (CashApplicationService). Thread-safe: each call
// runs in its own store transaction.
class CashApp {
 public:
  CashApp(store::Store& store, const domain::Clock& clock) : store_(store), clock_(clock) {}

  // Items of the tenant, ids ascending, optionally of one status.
  absl::StatusOr<v1::ListUnappliedCashResponse> ListUnappliedCash(
      const CallContext& ctx, const v1::ListUnappliedCashRequest& r);
  // Records the item's payment under r.customer with r.allocations (or the
  // best suggestion for that customer, or the default rule) and marks the
  // item APPLIED, with an audit event. Errors: NOT_FOUND
  // (UNAPPLIED_CASH_NOT_FOUND), FAILED_PRECONDITION (UNAPPLIED_CASH_NOT_OPEN,
  // UNAPPLIED_CASH_IS_REVERSAL), the payment's allocation errors
  // (PAYMENT_OVER_ALLOCATED, INVOICE_OVER_ALLOCATED, ...). On error nothing
  // is written.
  absl::StatusOr<v1::UnappliedCash> ApplyUnappliedCash(const CallContext& ctx,
                                                       const v1::ApplyUnappliedCashRequest& r);
  // Marks an OPEN item DISMISSED with the reason, audited.
  absl::StatusOr<v1::UnappliedCash> DismissUnappliedCash(const CallContext& ctx,
                                                         const v1::DismissUnappliedCashRequest& r);

 private:
  store::Store& store_;
  const domain::Clock& clock_;
};

}  // namespace collections::app

#endif  // COLLECTIONS_APP_CASH_APPLICATION_H_
