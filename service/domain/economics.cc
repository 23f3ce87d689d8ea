#include "service/domain/economics.h"

#include "service/domain/amount_limits.h"
#include "service/domain/policy.h"

namespace collections::domain {
namespace {

constexpr int64_t kBp = 10000;

__int128 FloorDiv(__int128 a, __int128 b) {
  __int128 q = a / b;
  if ((a % b != 0) && (a < 0)) --q;
  return q;
}

int DaysOfMonths(int months) { return (months * 365 + 6) / 12; }

}  // namespace

const char* RecoveryPathName(RecoveryPath path) {
  switch (path) {
    case RecoveryPath::kInternal:
      return "INTERNAL";
    case RecoveryPath::kAgency:
      return "AGENCY";
    case RecoveryPath::kLegal:
      return "LEGAL";
  }
  return "UNSPECIFIED";
}

RecoveryEstimate EstimateRecovery(const Economics& e, RecoveryPath path,
                                  absl::string_view currency) {
  RecoveryEstimate r;
  r.path = path;
  r.cost = AmountFor(e.staff_cost_per_action, currency).value_or(0);
  switch (path) {
    case RecoveryPath::kInternal:
      r.probability_bp = e.internal_recovery_bp;
      r.expected_days = DaysOfMonths(e.internal_months);
      break;
    case RecoveryPath::kAgency:
      r.probability_bp = e.agency_recovery_bp;
      r.expected_days = DaysOfMonths(e.agency_months);
      r.commission_bp = e.agency_commission_bp;
      break;
    case RecoveryPath::kLegal:
      r.probability_bp = e.legal_recovery_bp;
      r.expected_days = DaysOfMonths(e.legal_months);
      // Saturates: a cost past int64 rules the path out just the same.
      r.cost = (AmountSum(r.cost) += AmountFor(e.legal_cost, currency).value_or(0)).Clamped();
      break;
  }
  return r;
}

std::vector<RecoveryEstimate> EstimateAllRecoveries(const Economics& e,
                                                    absl::string_view currency) {
  return {EstimateRecovery(e, RecoveryPath::kInternal, currency),
          EstimateRecovery(e, RecoveryPath::kAgency, currency),
          EstimateRecovery(e, RecoveryPath::kLegal, currency)};
}

int64_t PresentValue(int64_t amount, int annual_rate_bp, int days) {
  const __int128 denom = 365 * kBp + static_cast<__int128>(annual_rate_bp) * days;
  return static_cast<int64_t>(FloorDiv(static_cast<__int128>(amount) * (365 * kBp), denom));
}

RecoveryValue ValueRecovery(int64_t balance, const RecoveryEstimate& e, int rate_bp) {
  RecoveryValue v;
  v.recovered = static_cast<int64_t>(static_cast<__int128>(balance) * e.probability_bp / kBp);
  v.commission = static_cast<int64_t>(static_cast<__int128>(v.recovered) * e.commission_bp / kBp);
  v.expected_recovery = PresentValue(v.recovered, rate_bp, e.expected_days);
  v.cost = (AmountSum(PresentValue(v.commission, rate_bp, e.expected_days)) += e.cost).Clamped();
  v.net = (AmountSum(v.expected_recovery) -= v.cost).Clamped();
  return v;
}

}  // namespace collections::domain
