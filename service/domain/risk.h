// Payment-risk estimate: the probability that an invoice is paid after its
// due date and the expected delay, for each open invoice and for the account.
//
// The model is deliberately simple and explainable: a beta-binomial blend of
// the customer's own record of paid invoices with the portfolio's rate as the
// prior (worth kPriorWeight invoices), so a customer with little history
// stays near the portfolio and one with a long record speaks for itself.
// Broken promises count as extra late payments; an invoice already overdue
// is late with certainty and its expected delay is at least its age.
#ifndef COLLECTIONS_DOMAIN_RISK_H_
#define COLLECTIONS_DOMAIN_RISK_H_

#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "service/domain/account_context.h"

namespace collections::domain {

// Pseudo-count of the portfolio prior, in invoices.
inline constexpr int kPriorWeight = 8;

// The portfolio's behaviour: share of paid invoices paid late and mean days
// late over all paid invoices (on-time ones count 0).
struct PortfolioPrior {
  int late_bp = 3000;
  int mean_days_late_centi = 800;  // hundredths of a day
  int invoices = 0;                // how many paid invoices it came from
};

// Paid invoices of one account (or summed over many): the portfolio prior's
// raw material. Fully paid invoices (not written off or voided) count.
struct PaidRecord {
  int64_t paid = 0;
  int64_t late = 0;
  int64_t days_late_sum = 0;

  bool operator==(const PaidRecord&) const = default;
};

// The account's paid invoices on or before `as_of`.
PaidRecord PaidRecordOf(const AccountContext& ctx, absl::CivilDay as_of);

// The prior from totals over the portfolio; the defaults above when empty.
PortfolioPrior PriorFromTotals(const PaidRecord& totals);

struct RiskEstimate {
  std::string subject;     // customer id or invoice id
  int late_probability_bp = 0;
  int expected_days_late = 0;
  absl::CivilDay expected_payment_date;  // for invoices; as_of-based for accounts
  int own_history_count = 0;
  int own_weight_bp = 0;
  std::string explanation;
};

// The prior over every account's invoices paid on or before `as_of`; the
// defaults above when there are none.
PortfolioPrior EstimatePortfolioPrior(const std::vector<const AccountContext*>& accounts,
                                      absl::CivilDay as_of);

// The account-level estimate: how the customer's next invoice will be paid.
RiskEstimate EstimateAccountRisk(const AccountContext& ctx, const PortfolioPrior& prior,
                                 absl::CivilDay as_of);

// One open invoice. An invoice already past due is late with probability 1.
RiskEstimate EstimateInvoiceRisk(const AccountContext& ctx, const InvoiceState& invoice,
                                 const PortfolioPrior& prior, absl::CivilDay as_of);

}  // namespace collections::domain

#endif  // COLLECTIONS_DOMAIN_RISK_H_
