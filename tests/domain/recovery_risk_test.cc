// The payment-risk model (risk.h): outcomes, the empirical-Bayes prior, cold
// start, signals, days late, and the segments of the synthetic ledger.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "service/domain/risk.h"
#include "tests/common/synthetic_ledger.h"
#include "tests/domain/recovery_fixtures.h"

namespace collections::domain {
namespace {

using testing::Day;

// An invoice due 30 days after `issue`, paid `late_by` days after the due
// date (negative: early), or unpaid when `late_by` is nullopt.
InvoiceContext Paid(const std::string& id, absl::CivilDay issue, std::optional<int> late_by) {
  InvoiceContext inv = testing::Invoice(id, issue, issue + 30, 10000);
  if (late_by)
    inv.state.settlements.push_back({SettlementKind::kPayment, issue + 30 + *late_by, 10000});
  return inv;
}

bool HasSignal(const RiskEstimate& r, const std::string& code) {
  return std::find(r.signals.begin(), r.signals.end(), code) != r.signals.end();
}

TEST(PaymentRisk, OutcomesCountUnpaidOverdueInvoicesAsLateAndIgnoreTheFuture) {
  const absl::CivilDay as_of = Day(2026, 3, 1);
  InvoiceContext on_time = Paid("a", Day(2026, 1, 1), -2);
  InvoiceContext paid_late = Paid("b", Day(2026, 1, 1), 9);
  InvoiceContext unpaid = Paid("c", Day(2026, 1, 5), std::nullopt);    // due 2026-02-04
  InvoiceContext not_due = Paid("d", Day(2026, 2, 20), std::nullopt);  // due 2026-03-22
  InvoiceContext paid_later = Paid("e", Day(2026, 1, 10), 40);         // paid after as_of
  EXPECT_FALSE(OutcomeAsOf(on_time.state, as_of)->late);
  EXPECT_EQ(OutcomeAsOf(paid_late.state, as_of)->days_late, 9);
  EXPECT_TRUE(OutcomeAsOf(paid_late.state, as_of)->paid);
  const auto open = OutcomeAsOf(unpaid.state, as_of);
  ASSERT_TRUE(open.has_value());
  EXPECT_TRUE(open->late);
  EXPECT_FALSE(open->paid);
  EXPECT_EQ(open->days_late, 25);
  EXPECT_FALSE(OutcomeAsOf(not_due.state, as_of).has_value());
  // Paid on 2026-03-21, after as_of: on as_of it is unpaid 20 days past due.
  EXPECT_FALSE(OutcomeAsOf(paid_later.state, as_of)->paid);
  EXPECT_EQ(OutcomeAsOf(paid_later.state, as_of)->days_late, 20);
  // Before its issue date an invoice does not exist.
  EXPECT_FALSE(OutcomeAsOf(on_time.state, Day(2025, 12, 31)).has_value());

  AccountContext ctx = testing::NewBusiness();
  ctx.invoices = {on_time, paid_late, unpaid, not_due, paid_later};
  const RiskContribution c = RiskContributionOf(ctx, as_of);
  EXPECT_EQ(c.matured, 4);
  EXPECT_EQ(c.late, 3);
  EXPECT_EQ(c.delays_paid[DelayBand(9)], 1);
  EXPECT_EQ(c.delays_open[DelayBand(25)] + c.delays_open[DelayBand(20)], 2);
  EXPECT_EQ(EstimateAccountRisk(ctx, PortfolioPrior{}, as_of).own_history_count, 4);
}

// Contributions of customers with `invoices` matured invoices each and the
// given late counts.
PortfolioTotals TotalsOf(const std::vector<int>& late_counts, int invoices) {
  PortfolioTotals t;
  for (int k : late_counts) {
    RiskContribution c;
    c.matured = invoices;
    c.late = k;
    t.Add(c, +1);
  }
  return t;
}

TEST(PaymentRisk, PriorStrengthFollowsHowMuchCustomersDiffer) {
  // 40 customers of 40 invoices each. Alike: every customer late on 12 +- 3
  // (binomial spread around 30 %). Different: 2 % to 85 % late.
  std::vector<int> alike, different;
  const int alike_counts[] = {9, 12, 15, 11, 13, 10, 14, 12};
  const int rates_pct[] = {2, 5, 10, 20, 40, 60, 85, 30};
  for (int i = 0; i < 40; ++i) {
    alike.push_back(alike_counts[i % 8]);
    different.push_back(rates_pct[i % 8] * 40 / 100);
  }
  const std::optional<double> m_alike = PriorStrengthFromTotals(TotalsOf(alike, 40));
  const std::optional<double> m_different = PriorStrengthFromTotals(TotalsOf(different, 40));
  ASSERT_TRUE(m_alike && m_different);
  EXPECT_GE(*m_alike, 30.0);     // customers are alike: lean on the portfolio
  EXPECT_LE(*m_different, 2.0);  // they differ: a customer's record speaks for itself
  EXPECT_GE(*m_different, kMinPriorStrength);
  EXPECT_LE(*m_alike, kMaxPriorStrength);

  // A customer never late in 20 invoices is predicted near 0 against the
  // heterogeneous portfolio, not dragged toward its 31 %.
  const PortfolioPrior prior = PriorFromTotals(TotalsOf(different, 40));
  EXPECT_TRUE(prior.strength_estimated);
  AccountContext reliable = testing::NewBusiness();
  for (int i = 0; i < 20; ++i)
    reliable.invoices.push_back(Paid(absl::StrCat("r", i), Day(2025, 1, 1) + 14 * i, -1));
  const RiskEstimate r = EstimateAccountRisk(reliable, prior, Day(2026, 3, 1));
  EXPECT_LT(r.late_probability_bp, 600) << r.explanation;
  EXPECT_NE(r.explanation.find("estimated from how much customers' late rates differ"),
            std::string::npos);

  // Too few customers: the documented default.
  EXPECT_FALSE(PriorStrengthFromTotals(TotalsOf({1, 2, 3}, 10)).has_value());
  EXPECT_EQ(PriorFromTotals(TotalsOf({1, 2, 3}, 10)).strength, kDefaultPriorStrength);
}

TEST(PaymentRisk, TotalsMoveExactlyByContributions) {
  PortfolioTotals t = TotalsOf({3, 0, 7}, 9);
  const PortfolioTotals before = t;
  RiskContribution c;
  c.matured = 13;
  c.late = 5;
  c.delays_paid[3] = 2;
  c.delays_open[10] = 3;
  t.Add(c, +1);
  EXPECT_EQ(t.customers, before.customers + 1);
  EXPECT_EQ(t.matured_sq, before.matured_sq + 169);
  EXPECT_EQ(t.late_sq_over_n_micro, before.late_sq_over_n_micro + 25 * 1000000 / 13);
  t.Add(c, -1);
  EXPECT_EQ(t, before);
}

TEST(PaymentRisk, ColdStartUsesThePortfolioRateOverMaturedInvoices) {
  // No portfolio at all: the documented 50 % default.
  AccountContext fresh = testing::NewBusiness();
  const RiskEstimate empty = EstimateAccountRisk(fresh, PriorFromTotals({}), Day(2026, 3, 1));
  EXPECT_EQ(empty.late_probability_bp, kColdStartLateBp);
  EXPECT_TRUE(HasSignal(empty, "COLD_START"));
  EXPECT_NE(empty.explanation.find("no matured invoices of its own"), std::string::npos);

  // 190 of 390 matured invoices late: (190 + 10 x 0.5) / (390 + 10) = 48.75 %.
  PortfolioTotals t;
  RiskContribution c;
  c.matured = 390;
  c.late = 190;
  t.Add(c, +1);
  const RiskEstimate r = EstimateAccountRisk(fresh, PriorFromTotals(t), Day(2026, 3, 1));
  EXPECT_EQ(r.late_probability_bp, 4875);
  EXPECT_EQ(r.own_weight_bp, 0);
}

TEST(PaymentRisk, DaysLateIsTheMedianOfTheLateDelaysAndOpenInvoicesCountAsAtLeastThatLate) {
  const absl::CivilDay as_of = Day(2026, 6, 1);
  AccountContext ctx = testing::NewBusiness();
  const int delays[] = {3, 5, 5, 8, 12};
  for (int i = 0; i < 5; ++i)
    ctx.invoices.push_back(Paid(absl::StrCat("p", i), Day(2025, 6, 1) + 20 * i, delays[i]));
  for (int i = 0; i < 5; ++i)
    ctx.invoices.push_back(Paid(absl::StrCat("q", i), Day(2025, 3, 1) + 20 * i, -3));
  const PortfolioPrior prior;
  const RiskEstimate r = EstimateAccountRisk(ctx, prior, as_of);
  EXPECT_EQ(r.if_late.median, 5);
  EXPECT_EQ(r.if_late.low, 5);
  EXPECT_EQ(r.if_late.high, 8);
  EXPECT_EQ(r.if_late.payments, 5);
  EXPECT_NE(r.explanation.find("If late, about 5 days"), std::string::npos) << r.explanation;

  // Five invoices open 40+ days past due: at least that late, so the median
  // of the late delays moves past the paid ones.
  AccountContext slow = ctx;
  for (int i = 0; i < 5; ++i)
    slow.invoices.push_back(Paid(absl::StrCat("o", i), Day(2026, 3, 1) + i, std::nullopt));
  const RiskEstimate s = EstimateAccountRisk(slow, prior, as_of);
  EXPECT_EQ(s.if_late.median, 12);
  EXPECT_GT(s.late_probability_bp, r.late_probability_bp);

  // The point figure is the median of the whole prediction: on time when
  // paying on time is the likelier outcome, else a late delay.
  AccountContext mostly_on_time = testing::NewBusiness();
  AccountContext mostly_late = testing::NewBusiness();
  for (int i = 0; i < 20; ++i) {
    mostly_on_time.invoices.push_back(
        Paid(absl::StrCat("t", i), Day(2025, 1, 1) + 14 * i, i < 2 ? 10 : -1));
    mostly_late.invoices.push_back(
        Paid(absl::StrCat("l", i), Day(2025, 1, 1) + 14 * i, i < 18 ? 10 : -1));
  }
  EXPECT_EQ(EstimateAccountRisk(mostly_on_time, prior, as_of).expected_days_late, 0);
  EXPECT_EQ(EstimateAccountRisk(mostly_late, prior, as_of).expected_days_late, 10);

  // An invoice already 20 days late: the median of the delays beyond 20.
  AccountContext overdue = slow;
  const InvoiceState& open = overdue.invoices.back().state;
  const RiskEstimate inv = EstimateInvoiceRisk(overdue, open, prior, open.due_date + 20);
  EXPECT_EQ(inv.late_probability_bp, 10000);
  EXPECT_GE(inv.expected_days_late, 21);
  EXPECT_EQ(inv.expected_payment_date, open.due_date + inv.expected_days_late);
}

TEST(PaymentRisk, DisputesBrokenPromisesAndPlansInArrearsRaiseTheOdds) {
  const absl::CivilDay as_of = Day(2026, 3, 1);
  AccountContext ctx = testing::NewBusiness();
  for (int i = 0; i < 10; ++i)
    ctx.invoices.push_back(
        Paid(absl::StrCat("p", i), Day(2025, 1, 1) + 30 * i, i % 3 == 0 ? 6 : -1));
  ctx.invoices.push_back(Paid("new", Day(2026, 2, 20), std::nullopt));
  const PortfolioPrior prior;
  const RiskEstimate base = EstimateAccountRisk(ctx, prior, as_of);
  EXPECT_TRUE(base.signals.empty());

  AccountContext disputed = ctx;
  Dispute d;
  d.invoice_id = "new";
  d.opened_date = Day(2026, 2, 25);
  disputed.disputes.push_back(d);
  const RiskEstimate open = EstimateAccountRisk(disputed, prior, as_of);
  EXPECT_TRUE(HasSignal(open, "OPEN_DISPUTE"));
  EXPECT_GT(open.late_probability_bp, base.late_probability_bp);
  EXPECT_NE(open.explanation.find("open dispute"), std::string::npos);
  // The disputed invoice itself more so.
  const RiskEstimate inv =
      EstimateInvoiceRisk(disputed, disputed.invoices.back().state, prior, as_of);
  EXPECT_TRUE(HasSignal(inv, "INVOICE_DISPUTED"));
  EXPECT_GT(inv.late_probability_bp, open.late_probability_bp);
  // Resolved two months ago: a recent dispute, a smaller step. A dispute
  // opened after as_of is not known yet.
  disputed.disputes[0].opened_date = Day(2025, 12, 1);
  disputed.disputes[0].status = DisputeStatus::kResolved;
  disputed.disputes[0].resolved_date = Day(2025, 12, 20);
  const RiskEstimate recent = EstimateAccountRisk(disputed, prior, as_of);
  EXPECT_TRUE(HasSignal(recent, "RECENT_DISPUTE"));
  EXPECT_GT(recent.late_probability_bp, base.late_probability_bp);
  EXPECT_LT(recent.late_probability_bp, open.late_probability_bp);
  disputed.disputes[0].opened_date = Day(2026, 3, 2);
  EXPECT_TRUE(EstimateAccountRisk(disputed, prior, as_of).signals.empty());

  AccountContext promised = ctx;
  Promise p;
  p.status = PromiseStatus::kBroken;
  p.resolved_date = Day(2026, 2, 10);
  promised.promises.push_back(p);
  const RiskEstimate broken = EstimateAccountRisk(promised, prior, as_of);
  EXPECT_TRUE(HasSignal(broken, "BROKEN_PROMISE"));
  EXPECT_GT(broken.late_probability_bp, base.late_probability_bp);

  AccountContext plan = ctx;
  PaymentPlan pl;
  pl.in_arrears = true;
  plan.plans.push_back(pl);
  const RiskEstimate arrears = EstimateAccountRisk(plan, prior, as_of);
  EXPECT_TRUE(HasSignal(arrears, "PLAN_IN_ARREARS"));
  EXPECT_NE(arrears.explanation.find("doubles the odds"), std::string::npos);
}

// The model on the synthetic ledger at its last day, per segment.
TEST(PaymentRisk, RecoversTheSegmentsOfTheSyntheticLedger) {
  const synthetic::SyntheticLedger ledger = synthetic::GenerateSyntheticLedger({});
  std::vector<const AccountContext*> all;
  for (const auto& a : ledger.accounts) all.push_back(&a);
  const absl::CivilDay as_of = ledger.end;
  const PortfolioPrior prior = EstimatePortfolioPrior(all, as_of);
  ASSERT_TRUE(prior.strength_estimated);
  // Most customers are near the portfolio's rate and a quarter spread from
  // 2 % to 85 %: a moderate prior.
  EXPECT_GT(prior.strength, 3.0);
  EXPECT_LT(prior.strength, 20.0);

  double stable_error = 0;
  int stable = 0;
  double disputer_sum = 0;
  int disputers = 0;
  double drift_up_gap = 0, drift_down_gap = 0;
  int up = 0, down = 0;
  for (size_t i = 0; i < ledger.accounts.size(); ++i) {
    const auto& truth = ledger.customers[i];
    const RiskEstimate r = EstimateAccountRisk(ledger.accounts[i], prior, as_of);
    const double p = r.late_probability_bp / 10000.0;
    const RiskContribution own = RiskContributionOf(ledger.accounts[i], as_of);
    const double raw = static_cast<double>(own.late) / own.matured;
    switch (truth.segment) {
      case synthetic::PayerSegment::kStable:
        stable_error += std::abs(p - truth.late_start);
        ++stable;
        // The reliable ones stay far below the portfolio's 36 %.
        if (truth.late_start <= 0.05) {
          EXPECT_LT(p, 0.16) << truth.id << ": " << r.explanation;
        }
        break;
      case synthetic::PayerSegment::kDrifting:
        // Recent invoices weigh more: the estimate leans to the newer rate.
        if (truth.late_end > truth.late_start) {
          drift_up_gap += p - raw;
          ++up;
        } else {
          drift_down_gap += p - raw;
          ++down;
        }
        break;
      case synthetic::PayerSegment::kSeasonal:
        // The account's figure has no due month: the yearly average,
        // 27.5 % (invoices: SeasonalPayersAreLateInTheirSeason).
        EXPECT_NEAR(p, 0.275, 0.15) << truth.id;
        break;
      case synthetic::PayerSegment::kDisputer:
        // Their disputed invoices are 30-60 days late.
        EXPECT_GE(r.if_late.high, 30) << truth.id;
        disputer_sum += p;
        ++disputers;
        break;
    }
  }
  EXPECT_LT(stable_error / stable, 0.08);
  EXPECT_NEAR(disputer_sum / disputers, 0.44, 0.1);
  EXPECT_GT(drift_up_gap / up, 0.02);
  EXPECT_LT(drift_down_gap / down, -0.02);
}

// A customer late in July, August and December and on time otherwise: an
// invoice due in its season is predicted late, one due out of it on time,
// and the figure says why. Customers without seasons barely move. Without
// the seasonal blend both invoices get the same figure and this fails.
TEST(PaymentRisk, SeasonalPayersAreLateInTheirSeason) {
  const synthetic::SyntheticLedger ledger = synthetic::GenerateSyntheticLedger({});
  std::vector<const AccountContext*> all;
  for (const auto& a : ledger.accounts) all.push_back(&a);
  const absl::CivilDay as_of = ledger.end;
  const PortfolioPrior prior = EstimatePortfolioPrior(all, as_of);
  const int next = static_cast<int>(as_of.year()) + 1;
  double in_season = 0, off_season = 0, stable_gap = 0;
  int seasonal = 0, stable = 0, explained = 0;
  for (size_t i = 0; i < ledger.accounts.size(); ++i) {
    const AccountContext& a = ledger.accounts[i];
    auto estimate = [&](int month) {
      InvoiceState s = a.invoices.back().state;
      s.id = "next";
      s.settlements.clear();
      s.issue_date = as_of;
      s.due_date = Day(next, month, 15);
      return EstimateInvoiceRisk(a, s, prior, as_of);
    };
    const RiskEstimate july = estimate(7);
    const RiskEstimate march = estimate(3);
    const double gap = (july.late_probability_bp - march.late_probability_bp) / 10000.0;
    switch (ledger.customers[i].segment) {
      case synthetic::PayerSegment::kSeasonal:
        in_season += july.late_probability_bp / 10000.0;
        off_season += march.late_probability_bp / 10000.0;
        ++seasonal;
        if (HasSignal(july, "SEASONAL") &&
            july.explanation.find("invoices due in July were late") != std::string::npos) {
          ++explained;
        }
        break;
      case synthetic::PayerSegment::kStable:
        stable_gap += std::abs(gap);
        ++stable;
        break;
      default:
        break;
    }
  }
  // Truth: 80 % in season, 10 % out of it.
  EXPECT_GT(in_season / seasonal, 0.5) << off_season / seasonal;
  EXPECT_LT(off_season / seasonal, 0.23);  // the yearly average is 27.5 %
  EXPECT_GT(explained, seasonal * 3 / 4);
  EXPECT_LT(stable_gap / stable, 0.05);
}

// A customer who disputes every few weeks has that habit in its record
// already: its disputes do not raise the odds again. A first dispute does.
TEST(PaymentRisk, HabitualDisputesAreAlreadyInTheRecord) {
  const absl::CivilDay as_of = Day(2026, 3, 1);
  AccountContext ctx = testing::NewBusiness();
  for (int i = 0; i < 12; ++i) {
    ctx.invoices.push_back(
        Paid(absl::StrCat("p", i), Day(2025, 1, 1) + 30 * i, i % 3 == 0 ? 40 : -1));
  }
  const PortfolioPrior prior;
  const RiskEstimate base = EstimateAccountRisk(ctx, prior, as_of);
  for (int k = 0; k < 3; ++k) {
    Dispute d;
    d.invoice_id = absl::StrCat("p", 9 + k);
    d.opened_date = Day(2025, 6, 1) + 90 * k;
    ctx.disputes.push_back(d);
  }
  // Three in the last year, one of them open: a habit.
  const RiskEstimate habit = EstimateAccountRisk(ctx, prior, as_of);
  EXPECT_FALSE(HasSignal(habit, "OPEN_DISPUTE"));
  EXPECT_EQ(habit.late_probability_bp, base.late_probability_bp);
  // The oldest more than a year ago: two in the year, the open one raises the odds.
  ctx.disputes[0].opened_date = Day(2025, 2, 1);
  const RiskEstimate news = EstimateAccountRisk(ctx, prior, as_of);
  EXPECT_TRUE(HasSignal(news, "OPEN_DISPUTE"));
  EXPECT_GT(news.late_probability_bp, base.late_probability_bp);
}

}  // namespace
}  // namespace collections::domain
