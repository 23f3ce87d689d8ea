// Settlement economics: the largest discount worth offering for a lump sum
// now. Each alternative to settling (continued internal collection, an
// agency, legal action) is worth what it is expected to recover, net of
// commission and cost, discounted for the time it takes: the one model of
// economics.h, with the tenant's figures (EstimateAllRecoveries). A lump sum is worth
// accepting when it is at least the best alternative, never below the
// policy's margin floor, and never a discount beyond the policy's maximum.
// Exact integer arithmetic (basis points, __int128 intermediates); the
// rounding of every figure is stated where it happens.
#ifndef COLLECTIONS_DOMAIN_SETTLEMENT_H_
#define COLLECTIONS_DOMAIN_SETTLEMENT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "service/base/money.h"
#include "service/domain/economics.h"

namespace collections::domain {

// One way of collecting the balance instead of settling.
struct SettlementAlternative {
  RecoveryPath path = RecoveryPath::kInternal;
  int probability_bp = 0;  // chance of recovering the balance, 0..10000
  int expected_days = 0;   // until the money arrives, 0..3650
  int commission_bp = 0;   // share of what is collected kept by the agent
  int64_t cost = 0;        // minor units spent whether or not it succeeds
  // Output: recovered - commission - cost, undiscounted (see economics.h).
  int64_t net_expected = 0;
  // Output: ValueRecovery(...).net, the alternative's worth today; may be < 0.
  int64_t present_value = 0;
};

// The settlement rules of a collection policy (CollectionPolicy.arrangements
// settlement_*). The member initializers are the defaults.
struct SettlementPolicy {
  int margin_floor_bp = 7000;  // never settle below this share of the balance
  int max_discount_bp = 2500;  // never discount more than this share

  friend bool operator==(const SettlementPolicy&, const SettlementPolicy&) = default;
};

// InvalidArgument (INVALID_POLICY) naming every field outside 0..10000
// ("settlement_margin_floor_bp", "settlement_max_discount_bp").
absl::Status ValidateSettlementPolicy(const SettlementPolicy& policy);

struct SettlementFigures {
  std::string currency;
  int64_t balance = 0;
  std::vector<SettlementAlternative> alternatives;  // with outputs filled
  int64_t best_alternative = 0;                     // max present value, >= 0
  int64_t margin_floor = 0;                         // balance x margin_floor_bp, rounded up
  int64_t discount_cap_floor = 0;  // balance - balance x max_discount_bp (rounded down)
  int64_t minimum_acceptable = 0;  // max of the three above
  int64_t max_discount = 0;        // balance - minimum_acceptable
  int discount_bp = 0;             // max_discount / balance in bp, rounded down
  RecoveryPath best_path = RecoveryPath::kInternal;
  std::vector<std::string> reasons;  // plain-English explanation
};

// Computes the figures for `balance` (> 0, a known currency), discounting at
// `annual_discount_rate_bp` (the tenant's economics, 0..10000). Alternatives
// are validated (InvalidArgument INVALID_ALTERNATIVE with
// "alternatives[i].field").
// The smallest lump sum worth accepting is
//   max(best present value, margin floor, balance - max discount),
// each rounded in the creditor's favour (up to a whole minor unit).
absl::StatusOr<SettlementFigures> ComputeSettlementFigures(
    const Money& balance, std::vector<SettlementAlternative> alternatives,
    const SettlementPolicy& policy, int annual_discount_rate_bp);

// Checks a lump sum against the figures. OK when minimum_acceptable <=
// amount <= balance. FailedPrecondition with reason
// SETTLEMENT_BELOW_MARGIN_FLOOR when below the margin floor or beyond the
// policy's maximum discount, SETTLEMENT_BELOW_EXPECTED_RECOVERY when above
// those but below what the best alternative is expected to recover;
// InvalidArgument (INVALID_SETTLEMENT) when amount <= 0 or > balance.
absl::Status CheckSettlementOffer(const SettlementFigures& figures, int64_t amount);

// "12.50%" for 1250 basis points (display only).
std::string FormatBasisPoints(int64_t bp);

}  // namespace collections::domain

#endif  // COLLECTIONS_DOMAIN_SETTLEMENT_H_
