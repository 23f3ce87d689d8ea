#include "service/domain/risk.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace collections::domain {

namespace {

using History = PaidRecord;

// Invoices fully paid (not written off or voided) on or before as_of.
History PaidHistory(const AccountContext& ctx, absl::CivilDay as_of) {
  History h;
  for (const auto& inv : ctx.invoices) {
    const InvoiceState& s = inv.state;
    if (s.voided || s.total <= 0 || s.Settled(SettlementKind::kWriteOff) > 0) continue;
    if (s.AmountDueAsOf(as_of) != 0) continue;
    absl::CivilDay paid = s.issue_date;
    for (const auto& st : s.settlements) paid = std::max(paid, st.day);
    const int late = std::max(0, DaysPastDue(s.due_date, paid));
    ++h.paid;
    if (late > 0) {
      ++h.late;
      h.days_late_sum += late;
    }
  }
  return h;
}

int BrokenPromises(const AccountContext& ctx, absl::CivilDay as_of) {
  int n = 0;
  for (const auto& p : ctx.promises) {
    if (p.status != PromiseStatus::kBroken && p.status != PromiseStatus::kPartlyKept) continue;
    if (p.resolved_date && *p.resolved_date > as_of) continue;
    ++n;
  }
  return n;
}

std::string Percent(int bp) { return absl::StrFormat("%d%%", (bp + 50) / 100); }

}  // namespace

PaidRecord PaidRecordOf(const AccountContext& ctx, absl::CivilDay as_of) {
  return PaidHistory(ctx, as_of);
}

PortfolioPrior PriorFromTotals(const PaidRecord& all) {
  PortfolioPrior prior;
  if (all.paid <= 0) return prior;
  prior.invoices = static_cast<int>(std::min<int64_t>(all.paid, INT32_MAX));
  prior.late_bp = static_cast<int>(all.late * 10000 / all.paid);
  prior.mean_days_late_centi = static_cast<int>(std::min<int64_t>(all.days_late_sum * 100 / all.paid, INT32_MAX));
  return prior;
}

PortfolioPrior EstimatePortfolioPrior(const std::vector<const AccountContext*>& accounts,
                                      absl::CivilDay as_of) {
  History all;
  for (const AccountContext* a : accounts) {
    History h = PaidHistory(*a, as_of);
    all.paid += h.paid;
    all.late += h.late;
    all.days_late_sum += h.days_late_sum;
  }
  return PriorFromTotals(all);
}

RiskEstimate EstimateAccountRisk(const AccountContext& ctx, const PortfolioPrior& prior,
                                 absl::CivilDay as_of) {
  const History h = PaidHistory(ctx, as_of);
  const int broken = BrokenPromises(ctx, as_of);
  const int n = h.paid + broken;
  const int late = h.late + broken;
  // Beta-binomial posterior mean with the prior worth kPriorWeight invoices,
  // computed in basis points with integers.
  const int64_t k = kPriorWeight;
  const int64_t late_bp = (int64_t{late} * 10000 + int64_t{prior.late_bp} * k) / (n + k);
  // Mean days late (on-time = 0); a broken promise counts as 30 days late.
  const int64_t days_centi =
      ((h.days_late_sum + int64_t{broken} * 30) * 100 + int64_t{prior.mean_days_late_centi} * k) /
      (n + k);
  RiskEstimate r;
  r.subject = ctx.customer.id;
  r.late_probability_bp = static_cast<int>(std::clamp<int64_t>(late_bp, 0, 10000));
  r.expected_days_late = static_cast<int>((days_centi + 50) / 100);
  r.expected_payment_date = as_of;
  r.own_history_count = h.paid;
  r.own_weight_bp = static_cast<int>(int64_t{n} * 10000 / (n + k));
  std::string own =
      h.paid == 0
          ? std::string("no paid invoices yet")
          : absl::StrCat(h.late, " of ", h.paid, " paid invoices were late",
                         h.late > 0 ? absl::StrFormat(" (%.1f days on average)",
                                                      h.days_late_sum / double(h.late))
                                    : std::string());
  r.explanation = absl::StrCat(
      "Late-payment risk ", Percent(r.late_probability_bp), ", about ", r.expected_days_late,
      " days late expected: ", own,
      broken > 0 ? absl::StrCat(", ", broken, " broken promise", broken > 1 ? "s" : "") : "",
      "; portfolio ", Percent(prior.late_bp), " late; own history weighs ",
      Percent(r.own_weight_bp), ".");
  return r;
}

RiskEstimate EstimateInvoiceRisk(const AccountContext& ctx, const InvoiceState& invoice,
                                 const PortfolioPrior& prior, absl::CivilDay as_of) {
  RiskEstimate account = EstimateAccountRisk(ctx, prior, as_of);
  RiskEstimate r = account;
  r.subject = invoice.id;
  const int dpd = DaysPastDue(invoice.due_date, as_of);
  if (dpd > 0) {
    // Already late. Expected further delay: the customer's mean delay when
    // late, but at least a week more than today.
    const History h = PaidHistory(ctx, as_of);
    const int mean_when_late =
        h.late > 0 ? static_cast<int>(h.days_late_sum / h.late)
                   : (prior.late_bp > 0
                          ? static_cast<int>(int64_t{prior.mean_days_late_centi} * 100 /
                                             prior.late_bp)
                          : 14);
    r.late_probability_bp = 10000;
    r.expected_days_late = std::max(mean_when_late, dpd + 7);
    r.explanation = absl::StrCat("Already ", dpd, " days past due; expected payment about ",
                                 r.expected_days_late, " days after the due date. ",
                                 account.explanation);
  } else {
    r.explanation = absl::StrCat("Due ", absl::FormatCivilTime(invoice.due_date), ". ",
                                 account.explanation);
  }
  r.expected_payment_date = invoice.due_date + r.expected_days_late;
  return r;
}

}  // namespace collections::domain
