// The order in which a payment could pay off what the customer owes when
// fees exist beside the principal. Two orders are defined here, with their
// parser, and tested; neither is wired yet: the ledger applies every
// payment oldest due first (ledger.h AllocateOldestFirst) whatever the
// debt's class, and no policy field selects an order. A per-tenant setting
// would call AllocateInOrder from the ledger's payment application.
//  * PRINCIPAL_FIRST (what a setting would default to): principal
//    invoices, then interest, then costs (fixed fees and statutory
//    compensation), so fees never keep a trade invoice open;
//  * COSTS_INTEREST_PRINCIPAL: costs, then interest, then principal, as
//    German BGB §367(1) prescribes for a debtor who owes all three.
// Within one class the ledger's order applies: oldest due date first, then
// issue date, number and id (ledger.h AllocateOldestFirst).
#ifndef COLLECTIONS_DOMAIN_ALLOCATION_ORDER_H_
#define COLLECTIONS_DOMAIN_ALLOCATION_ORDER_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/domain/fees.h"
#include "service/domain/ledger.h"

namespace collections::domain {

enum class AllocationOrder { kPrincipalFirst, kCostsInterestPrincipal };

// "" and "PRINCIPAL_FIRST" → kPrincipalFirst; "COSTS_INTEREST_PRINCIPAL" →
// kCostsInterestPrincipal; anything else InvalidArgument
// (INVALID_ALLOCATION_ORDER).
absl::StatusOr<AllocationOrder> ParseAllocationOrder(absl::string_view text);
const char* AllocationOrderName(AllocationOrder order);

enum class DebtClass { kCost, kInterest, kPrincipal };
// Interest kinds are interest; fixed, percentage and compensation are costs.
DebtClass ClassOfFee(FeeKind kind);

// An open invoice and what it represents (a trade invoice is principal; a
// fee invoice carries its fee's class).
struct ClassifiedInvoice {
  const InvoiceState* invoice = nullptr;
  DebtClass debt_class = DebtClass::kPrincipal;
};

// Allocates `amount` over `open` (same currency) in `order`, each invoice at
// most its amount due; the rest is returned in *unapplied.
std::vector<AllocationLine> AllocateInOrder(const std::vector<ClassifiedInvoice>& open,
                                            int64_t amount, AllocationOrder order,
                                            int64_t* unapplied);

}  // namespace collections::domain

#endif  // COLLECTIONS_DOMAIN_ALLOCATION_ORDER_H_
