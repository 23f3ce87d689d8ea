// The one economics model. Whether a costly escalation pays (the ladder's
// agency and legal steps) and how much a lump sum now is worth (settlement
// proposals) are the same question: what does each way of collecting a
// balance bring, net of what it costs, in today's money? Both read the
// tenant's Economics (CollectionPolicy.economics) through this file, so the
// two can never disagree.
//
// For a balance B and a path with recovery probability p, commission c,
// up-front cost K (staff time, court fees) and delay d days, at an annual
// discount rate r (simple interest, 365-day year):
//   recovered         = floor(B x p)
//   commission        = floor(recovered x c)
//   expected_recovery = PV(recovered)                 PV(x) = floor(x / (1 + r x d / 365))
//   cost              = PV(commission) + K           (K is spent now: not discounted)
//   net               = expected_recovery - cost     (may be negative)
// Every rounding is toward negative infinity: what collecting is worth is
// never overstated. Exact integer arithmetic with __int128 intermediates.
#ifndef COLLECTIONS_DOMAIN_ECONOMICS_H_
#define COLLECTIONS_DOMAIN_ECONOMICS_H_

#include <cstdint>
#include <vector>

#include "absl/strings/string_view.h"
#include "service/base/money.h"

namespace collections::domain {

// The tenant's figures (CollectionPolicy.economics). The member initializers
// are the defaults of every unset proto field; DefaultPolicy() adds the
// per-currency costs.
struct Economics {
  int agency_commission_bp = 2500;
  int agency_recovery_bp = 5000;
  int agency_months = 6;
  int legal_months = 12;
  std::vector<Money> legal_cost;  // per currency
  int legal_recovery_bp = 6000;
  std::vector<Money> staff_cost_per_action;  // per currency
  int annual_discount_rate_bp = 800;
  // Continued internal collection (the settlement proposal's first
  // alternative).
  int internal_recovery_bp = 6000;
  int internal_months = 2;
  // Legal review without an agency referral first (when it pays).
  bool allow_direct_legal = false;

  friend bool operator==(const Economics&, const Economics&) = default;
};

enum class RecoveryPath { kInternal, kAgency, kLegal };
const char* RecoveryPathName(RecoveryPath path);

// One way of collecting a balance, as the model counts it.
struct RecoveryEstimate {
  RecoveryPath path = RecoveryPath::kInternal;
  int probability_bp = 0;  // chance of recovering the balance, 0..10000
  int expected_days = 0;   // until the money arrives, 0..3650
  int commission_bp = 0;   // share of what is collected kept by the agent
  int64_t cost = 0;        // minor units spent now, whether or not it succeeds
};

// The estimate of `path` under `economics` for a balance in `currency`:
// probability and months from the path's fields (months x 365 / 12 days,
// rounded half up), commission for the agency only, cost = one staff action
// plus, for legal action, the legal cost. A currency without an entry in a
// per-currency list costs nothing there.
RecoveryEstimate EstimateRecovery(const Economics& economics, RecoveryPath path,
                                  absl::string_view currency);

// The three paths in the order internal, agency, legal.
std::vector<RecoveryEstimate> EstimateAllRecoveries(const Economics& economics,
                                                    absl::string_view currency);

struct RecoveryValue {
  int64_t recovered = 0;          // floor(B x p), undiscounted
  int64_t commission = 0;         // floor(recovered x c), undiscounted
  int64_t expected_recovery = 0;  // PV(recovered)
  int64_t cost = 0;               // PV(commission) + up-front cost
  int64_t net = 0;                // expected_recovery - cost
};

// The formula in this file's header for `balance` (>= 0) minor units. The
// estimate's fields must be in range (callers validate requests first).
RecoveryValue ValueRecovery(int64_t balance, const RecoveryEstimate& estimate,
                            int annual_discount_rate_bp);

// Present value of `amount` received after `days` at a simple annual rate
// (basis points, 365-day year): amount x 3,650,000 / (3,650,000 + rate x
// days), rounded toward negative infinity.
int64_t PresentValue(int64_t amount, int annual_rate_bp, int days);

}  // namespace collections::domain

#endif  // COLLECTIONS_DOMAIN_ECONOMICS_H_
