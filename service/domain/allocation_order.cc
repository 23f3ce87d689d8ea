#include "service/domain/allocation_order.h"

#include "absl/strings/str_cat.h"
#include "service/base/errors.h"

namespace collections::domain {

absl::StatusOr<AllocationOrder> ParseAllocationOrder(absl::string_view text) {
  if (text.empty() || text == "PRINCIPAL_FIRST") return AllocationOrder::kPrincipalFirst;
  if (text == "COSTS_INTEREST_PRINCIPAL") return AllocationOrder::kCostsInterestPrincipal;
  return InvalidInput(
      "INVALID_ALLOCATION_ORDER", "allocation_order",
      absl::StrCat("\"", text, "\": expected PRINCIPAL_FIRST or COSTS_INTEREST_PRINCIPAL"));
}

const char* AllocationOrderName(AllocationOrder order) {
  return order == AllocationOrder::kPrincipalFirst ? "PRINCIPAL_FIRST" : "COSTS_INTEREST_PRINCIPAL";
}

DebtClass ClassOfFee(FeeKind kind) {
  return IsInterest(kind) ? DebtClass::kInterest : DebtClass::kCost;
}

std::vector<AllocationLine> AllocateInOrder(const std::vector<ClassifiedInvoice>& open,
                                            int64_t amount, AllocationOrder order,
                                            int64_t* unapplied) {
  const std::vector<DebtClass> sequence =
      order == AllocationOrder::kPrincipalFirst
          ? std::vector<DebtClass>{DebtClass::kPrincipal, DebtClass::kInterest, DebtClass::kCost}
          : std::vector<DebtClass>{DebtClass::kCost, DebtClass::kInterest, DebtClass::kPrincipal};
  std::vector<AllocationLine> out;
  for (DebtClass cls : sequence) {
    std::vector<const InvoiceState*> group;
    for (const auto& item : open) {
      if (item.debt_class == cls && item.invoice != nullptr) group.push_back(item.invoice);
    }
    int64_t left = 0;
    for (auto& line : AllocateOldestFirst(group, amount, &left)) out.push_back(std::move(line));
    amount = left;
  }
  *unapplied = amount;
  return out;
}

}  // namespace collections::domain
