// Payment-risk estimate: the probability that an invoice is paid after its
// due date, and how late it is likely to be paid, for each open invoice and
// for the account. Every figure comes with its explanation in words.
//
// Why this model (its predecessor counted paid invoices only and predicted
// 11-13 % late against ~50 % actual, docs/risk.md): it
// stays a blend of the customer's own record with the tenant's portfolio,
// which a collector can check by hand, but each part is estimated from the
// data instead of assumed:
//
//   Outcomes. An invoice counts once it has *matured*: it was paid (closed)
//     on or before the day of the estimate, or its due date has passed. It is
//     late when it was closed after its due date or is still unpaid past it.
//     Counting unpaid overdue invoices removes the bias of a record built
//     from paid invoices only (early on, only the quick payers have paid).
//
//   Own record, recency-weighted. A matured invoice weighs
//     w = 0.5 ^ (days since its due date / kRecencyHalfLifeDays); the own
//     rate is r = sum(w late) / sum(w), worth n = (sum w)^2 / sum(w^2)
//     invoices (Kish's effective sample size: weighting shifts the emphasis
//     to recent invoices without discarding the evidence of older ones).
//
//   Prior (empirical Bayes). The portfolio's late rate mu over matured
//     invoices, worth M invoices:   p = (n r + M mu) / (n + M).
//     M is estimated from how much the customers' late rates differ
//     (beta-binomial method of moments, PriorStrengthFromTotals): customers
//     that differ a lot get a weak prior, so a customer who is never late is
//     not pulled toward the portfolio. M is clamped to
//     [kMinPriorStrength, kMaxPriorStrength], and kDefaultPriorStrength is
//     used while fewer than kMinCustomersForStrength customers have matured
//     invoices.
//
//   Cold start. mu = (late + kColdStartWeight x 50 %) / (matured +
//     kColdStartWeight): 50 % (the least committal rate, worst-case Brier
//     0.25) until the portfolio's own matured invoices outweigh it.
//
//   Seasons (invoice estimates, by the invoice's due month). The
//     customer's matured invoices due in the same calendar month of any
//     year, recency-weighted as above (rate r_m worth n_m invoices), pull
//     p toward their rate:   p_m = (n_m r_m + K p) / (n_m + K).
//     K is estimated like M, from how much the customer's own twelve
//     monthly late rates differ (PriorStrengthFromTotals with the months as
//     the groups), at least kMinSeasonStrength: a customer whose months
//     differ no more than chance gets K near kMaxPriorStrength and barely
//     moves; one late every December gets a small K. No blend while fewer
//     than kMinCustomersForStrength months have matured invoices. The
//     account estimate has no due month and keeps the yearly figure.
//
//   Signals, as odds multipliers on p (chosen, not fitted; the backtest
//     shows their effect on a tenant's history):
//       OPEN_DISPUTE     an open dispute on the account          x 1.25
//       RECENT_DISPUTE   a dispute opened in the last 180 days   x 1.1
//       BROKEN_PROMISE   per promise broken in the last 365 days x 1.5 (two at most)
//       PLAN_IN_ARREARS  an active payment plan in arrears        x 2
//       and, for one invoice, a dispute open on that invoice      x 3.
//     The two account dispute signals are left out for a customer with 3 or
//     more disputes opened in the last 365 days: disputing is its habit, its
//     own record already carries the effect, and the odds would count it
//     twice (on the synthetic ledger they pushed its disputers, late 44 %
//     of the time, above 50 %).
//
//   Days late. "If late, about N days": the median (and quartiles) of the
//     delay of late payments, Kaplan-Meier so that an open overdue invoice
//     counts as "at least this late"; the customer's own when it has at
//     least kMinOwnLatePayments late payments, else the portfolio's (kept
//     in delay bands, kDelayBandUpper), else kDefaultDelay. The point figure
//     expected_days_late is the median of the whole predicted delay: 0 when
//     paying on time is at least as likely as not, else the (1 - 0.5/p)
//     quantile of the late delays. A median, not a mean, because it is the
//     figure with the smallest expected absolute error (MAE) when p is
//     calibrated; "if late, about N days" stays next to it.
//
// The portfolio part is a tenant aggregate (PortfolioTotals) that the case
// keeping updates by each customer's change of RiskContribution in the write
// transaction, so an estimate for one customer never scans the ledger.
#ifndef COLLECTIONS_DOMAIN_RISK_H_
#define COLLECTIONS_DOMAIN_RISK_H_

#include <array>
#include <climits>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "service/domain/account_context.h"

namespace collections::domain {

inline constexpr int kRecencyHalfLifeDays = 365;
inline constexpr double kMinPriorStrength = 1.0;
inline constexpr double kMaxPriorStrength = 50.0;
inline constexpr double kDefaultPriorStrength = 4.0;
inline constexpr int kMinCustomersForStrength = 5;
inline constexpr int kColdStartWeight = 10;
inline constexpr int kColdStartLateBp = 5000;
inline constexpr int kMinOwnLatePayments = 3;
// The least weight, in invoices, of the customer's overall rate against its
// record in one calendar month (chosen: with a month's two or three
// invoices a year, a weaker floor lets chance differences between months
// through; the backtest shows the effect on a tenant's history).
inline constexpr double kMinSeasonStrength = 4.0;
// Version of the model whose contributions the aggregate holds (cases.proto
// PaidRecord.model); contributions of another version count as nothing.
inline constexpr int kRiskModelVersion = 2;

// Days late, upper bounds of the bands the portfolio keeps its delays in
// (inclusive; the last band is open-ended).
inline constexpr int kDelayBands = 16;
inline constexpr std::array<int, kDelayBands> kDelayBandUpper = {
    1, 2, 3, 5, 7, 10, 14, 21, 30, 45, 60, 90, 120, 180, 365, INT_MAX};
// The band of a delay of `days` (>= 1) days.
int DelayBand(int days);

// The outcome of one invoice as known on a day.
struct InvoiceOutcome {
  bool late = false;
  // Closed (paid or credited, not written off) on `closed`.
  bool paid = false;
  absl::CivilDay closed;
  // Days after the due date: the delay when paid late, else the days it
  // has been overdue so far (a lower bound) when late, else 0.
  int days_late = 0;
};
// The invoice's outcome on `as_of`, or nullopt when it has not matured (not
// yet due and not yet closed), is void or has no amount. Only settlements
// dated on or before `as_of` count.
std::optional<InvoiceOutcome> OutcomeAsOf(const InvoiceState& invoice, absl::CivilDay as_of);

// One customer's part of the tenant aggregate: its matured invoices, the
// late ones, and the late delays by band (paid late / still open or written
// off: censored).
struct RiskContribution {
  int64_t matured = 0;
  int64_t late = 0;
  std::array<int64_t, kDelayBands> delays_paid{};
  std::array<int64_t, kDelayBands> delays_open{};

  bool operator==(const RiskContribution&) const = default;
};
// The account's contribution on `as_of`.
RiskContribution RiskContributionOf(const AccountContext& ctx, absl::CivilDay as_of);

// Sums of contributions over the tenant's customers, with the moments the
// prior strength needs. Add(c, +1) then Add(c, -1) restores it exactly.
struct PortfolioTotals {
  int64_t customers = 0;  // with at least one matured invoice
  int64_t matured = 0;
  int64_t late = 0;
  int64_t matured_sq = 0;            // sum of matured^2
  int64_t late_sq_over_n_micro = 0;  // sum of floor(1e6 late^2 / matured)
  std::array<int64_t, kDelayBands> delays_paid{};
  std::array<int64_t, kDelayBands> delays_open{};

  void Add(const RiskContribution& c, int sign);
  bool operator==(const PortfolioTotals&) const = default;
};

// "If late, about N days": quartiles of the delay of late payments.
struct DelayQuartiles {
  int low = 0;
  int median = 0;
  int high = 0;
  // Late payments they come from (0 = kDefaultDelay).
  int64_t payments = 0;
};
inline constexpr DelayQuartiles kDefaultDelay = {5, 14, 30, 0};

// The portfolio's behaviour, derived from PortfolioTotals.
struct PortfolioPrior {
  int late_bp = kColdStartLateBp;           // mu, with the cold-start blend
  double strength = kDefaultPriorStrength;  // M, in invoices
  bool strength_estimated = false;          // false: kDefaultPriorStrength
  int64_t matured = 0;
  int64_t customers = 0;
  DelayQuartiles if_late = kDefaultDelay;
  // The portfolio's late delays by band (PortfolioTotals).
  std::array<int64_t, kDelayBands> delays_paid{};
  std::array<int64_t, kDelayBands> delays_open{};
};

// M by the beta-binomial method of moments: with p_i = k_i/n_i, the
// weighted spread S = sum n_i (p_i - mu)^2 has expectation
//   mu(1-mu) [(N-1) + rho (sum n - sum n^2 / sum n - (N-1))],
// rho = 1/(M+1) the intra-customer correlation; solved for rho, clamped.
// nullopt while the totals cannot support an estimate.
std::optional<double> PriorStrengthFromTotals(const PortfolioTotals& totals);

// The prior from the tenant aggregate.
PortfolioPrior PriorFromTotals(const PortfolioTotals& totals);

// The prior over every account's contribution on `as_of` (a scan: for
// callers without the aggregate, and for tests).
PortfolioPrior EstimatePortfolioPrior(const std::vector<const AccountContext*>& accounts,
                                      absl::CivilDay as_of);

struct RiskEstimate {
  std::string subject;  // customer id or invoice id
  int late_probability_bp = 0;
  int expected_days_late = 0;
  absl::CivilDay expected_payment_date;  // for invoices; as_of-based for accounts
  int own_history_count = 0;             // matured invoices
  int own_weight_bp = 0;
  DelayQuartiles if_late;
  int portfolio_late_bp = 0;
  int prior_strength_centi = 0;
  std::vector<std::string> signals;
  std::string explanation;
};

// The account-level estimate: how the customer's next invoice will be paid.
RiskEstimate EstimateAccountRisk(const AccountContext& ctx, const PortfolioPrior& prior,
                                 absl::CivilDay as_of);

// One invoice. An invoice already past due is late with probability 1 and
// its expected delay is the median of the late delays longer than its age.
RiskEstimate EstimateInvoiceRisk(const AccountContext& ctx, const InvoiceState& invoice,
                                 const PortfolioPrior& prior, absl::CivilDay as_of);

}  // namespace collections::domain

#endif  // COLLECTIONS_DOMAIN_RISK_H_
