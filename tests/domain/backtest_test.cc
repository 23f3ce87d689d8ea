// The backtest (backtest.h): its scores against independent definitions,
// the walk-forward risk replay on the synthetic ledger, the reminder fit and
// the policy replay.
#include "service/domain/backtest.h"

#include <cmath>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/common/synthetic_ledger.h"
#include "tests/domain/recovery_fixtures.h"

namespace collections::domain {
namespace {

// The AUC by its definition: over every (late, on-time) pair, 1 when the
// late one has the higher probability, 1/2 when tied.
double PairwiseAuc(const std::vector<RiskPrediction>& ps) {
  double wins = 0;
  int64_t pairs = 0;
  for (const auto& a : ps) {
    if (!a.late) continue;
    for (const auto& b : ps) {
      if (b.late) continue;
      ++pairs;
      wins += a.probability > b.probability ? 1.0 : a.probability == b.probability ? 0.5 : 0.0;
    }
  }
  return wins / pairs;
}

RiskPrediction P(double p, bool late, int expected = 0, int actual = -1) {
  RiskPrediction r;
  r.probability = p;
  r.late = late;
  r.expected_days_late = expected;
  r.days_late = actual;
  return r;
}

TEST(Backtest, AucEqualsThePairwiseDefinitionWithTies) {
  std::vector<RiskPrediction> ps;
  uint64_t x = 7;
  for (int i = 0; i < 400; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    const double p = static_cast<double>((x >> 33) % 21) / 20;  // many ties
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    const bool late = static_cast<double>((x >> 33) % 1000) / 1000 < p * 0.8 + 0.1;
    ps.push_back(P(p, late));
  }
  EXPECT_NEAR(Auc(ps), PairwiseAuc(ps), 1e-12);
  EXPECT_GT(Auc(ps), 0.6);
  EXPECT_EQ(Auc({P(0.2, true), P(0.8, false)}), 0.0);
  EXPECT_EQ(Auc({P(0.2, true), P(0.2, false)}), 0.5);
  EXPECT_EQ(Auc({P(0.2, true)}), 0.5);  // one class only
}

TEST(Backtest, BrierMaeAndCalibrationByHand) {
  const std::vector<RiskPrediction> ps = {P(0.05, false, 0, 0), P(0.15, true, 0, 4),
                                          P(0.95, true, 10, 14), P(0.92, false, 9, 0),
                                          P(0.91, true, 9, -1)};
  const RiskScores s = ScoreRisk(ps);
  EXPECT_EQ(s.predictions, 5);
  EXPECT_DOUBLE_EQ(s.observed_late_rate, 0.6);
  EXPECT_NEAR(s.brier, (0.0025 + 0.7225 + 0.0025 + 0.8464 + 0.0081) / 5, 1e-12);
  EXPECT_NEAR(s.days_late_mae, (0 + 4 + 4 + 9) / 4.0, 1e-12);  // the unknown delay left out
  EXPECT_NEAR(s.days_late_mae_always_zero, (0 + 4 + 14 + 0) / 4.0, 1e-12);
  ASSERT_EQ(s.calibration.size(), 10u);
  EXPECT_EQ(s.calibration[0].count, 1);
  EXPECT_EQ(s.calibration[1].count, 1);
  EXPECT_DOUBLE_EQ(s.calibration[1].observed_rate, 1.0);
  EXPECT_EQ(s.calibration[9].count, 3);
  EXPECT_NEAR(s.calibration[9].mean_predicted, (0.95 + 0.92 + 0.91) / 3, 1e-12);
  EXPECT_NEAR(s.calibration[9].observed_rate, 2.0 / 3, 1e-12);
  EXPECT_EQ(s.calibration[5].count, 0);
}

// The ledger as it stood on `day`: invoices issued and settlements dated on
// or before it.
std::vector<AccountContext> AsItStood(const std::vector<AccountContext>& accounts,
                                      absl::CivilDay day) {
  std::vector<AccountContext> out;
  for (const auto& a : accounts) {
    AccountContext b = a;
    b.invoices.clear();
    for (auto inv : a.invoices) {
      if (inv.state.issue_date > day) continue;
      std::vector<Settlement> kept;
      for (const auto& s : inv.state.settlements) {
        if (s.day <= day) kept.push_back(s);
      }
      inv.state.settlements = kept;
      b.invoices.push_back(inv);
    }
    out.push_back(b);
  }
  return out;
}

TEST(Backtest, RiskReplaySeesOnlyWhatWasKnownOnTheIssueDay) {
  synthetic::SyntheticOptions o;
  o.customers_per_segment = 3;
  o.days = 300;
  o.seed = 3;
  const synthetic::SyntheticLedger ledger = synthetic::GenerateSyntheticLedger(o);
  const std::vector<RiskPrediction> ps = ReplayRisk(ledger.accounts, o.start, ledger.end, nullptr);
  ASSERT_GT(ps.size(), 50u);
  // Recompute a few predictions from the ledger cut at their day, with the
  // prior from a scan of that cut.
  for (size_t k = 10; k < ps.size(); k += ps.size() / 7) {
    const RiskPrediction& p = ps[k];
    const std::vector<AccountContext> cut = AsItStood(ledger.accounts, p.issue_date);
    std::vector<const AccountContext*> all;
    const AccountContext* mine = nullptr;
    for (const auto& a : cut) {
      all.push_back(&a);
      if (a.customer.id == p.customer) mine = &a;
    }
    ASSERT_NE(mine, nullptr);
    const PortfolioPrior prior = EstimatePortfolioPrior(all, p.issue_date);
    const InvoiceState* inv = nullptr;
    for (const auto& i : mine->invoices) {
      if (i.state.id == p.invoice) inv = &i.state;
    }
    ASSERT_NE(inv, nullptr);
    const RiskEstimate r = EstimateInvoiceRisk(*mine, *inv, prior, p.issue_date);
    EXPECT_EQ(static_cast<int>(std::lround(p.probability * 10000)), r.late_probability_bp)
        << p.invoice << " on " << p.issue_date;
    EXPECT_EQ(p.expected_days_late, r.expected_days_late);
  }
}

// The customer's late rate so far (portfolio rate without history): the
// baseline the issue measured the old model against.
double BaselineBrier(const synthetic::SyntheticLedger& ledger,
                     const std::vector<RiskPrediction>& ps) {
  std::map<std::string, const AccountContext*> by_id;
  for (const auto& a : ledger.accounts) by_id[a.customer.id] = &a;
  double sum = 0;
  for (const auto& p : ps) {
    int64_t n = 0, k = 0;
    for (const auto& inv : by_id[p.customer]->invoices) {
      const auto o = OutcomeAsOf(inv.state, p.issue_date);
      if (!o) continue;
      ++n;
      k += o->late;
    }
    const double q = n > 0 ? static_cast<double>(k) / n : 0.4;
    sum += (q - p.late) * (q - p.late);
  }
  return sum / ps.size();
}

TEST(Backtest, WalkForwardOnTheSyntheticLedgerBeatsTheCustomersRateAndIsCalibratedOnStablePayers) {
  const synthetic::SyntheticLedger ledger = synthetic::GenerateSyntheticLedger({});
  int calls = 0;
  const std::vector<RiskPrediction> ps =
      ReplayRisk(ledger.accounts, ledger.options.start, ledger.end, [&](int done, int total) {
        ++calls;
        EXPECT_LE(done, total);
        return true;
      });
  EXPECT_GT(calls, 50);
  const RiskScores s = ScoreRisk(ps);
  EXPECT_GT(s.predictions, 4000);
  EXPECT_GT(s.auc, 0.6);
  EXPECT_LT(s.brier, BaselineBrier(ledger, ps) - 0.005);
  // Where the model's assumption (a stable rate per customer) holds, each
  // decile with enough invoices is within 0.08 of what happened.
  std::vector<RiskPrediction> stable;
  for (const auto& p : ps) {
    if (p.customer.rfind("stable-", 0) == 0) stable.push_back(p);
  }
  for (const CalibrationBin& b : ScoreRisk(stable).calibration) {
    if (b.count < 100) continue;
    EXPECT_NEAR(b.mean_predicted, b.observed_rate, 0.08) << b.from << "-" << b.to;
  }
}

TEST(Backtest, FitsTheReminderEffectTheGeneratorPutIn) {
  synthetic::SyntheticOptions o;
  o.reminder_response = 0.4;
  const synthetic::SyntheticLedger ledger = synthetic::GenerateSyntheticLedger(o);
  const ReminderEffect e = FitReminderEffect(ledger.accounts, o.start, ledger.end);
  ASSERT_TRUE(e.fitted);
  EXPECT_NEAR(e.response_bp, 4000, 1000);
  EXPECT_EQ(e.lag_days, 3);
  // Without reminders in the history: the stated default.
  const ReminderEffect none =
      FitReminderEffect(synthetic::GenerateSyntheticLedger({}).accounts, o.start, ledger.end);
  EXPECT_FALSE(none.fitted);
  EXPECT_EQ(none.reminded, 0);
  EXPECT_GT(none.unreminded, kMinReminderSample);
  EXPECT_EQ(none.response_bp, ReminderEffect{}.response_bp);
  EXPECT_NE(BacktestAssumptions(none)[0].find("a default"), std::string::npos);
}

TEST(Backtest, PolicyReplayCountsStepsAndMovesPaymentsByTheStatedEffect) {
  synthetic::SyntheticOptions o;
  o.customers_per_segment = 6;
  o.days = 365;
  const synthetic::SyntheticLedger ledger = synthetic::GenerateSyntheticLedger(o);
  const ReminderEffect effect;  // the default: 30 %, 7 days
  // The default ladder without its external steps: reminders and letters.
  CollectionPolicy reminders = DefaultPolicy();
  for (auto* rules :
       {&reminders.default_rules, &reminders.segments[0].rules, &reminders.segments[1].rules}) {
    rules->stages.resize(4);
  }
  const PolicyOutcome standard =
      ReplayPolicy(ledger.accounts, reminders, o.start, ledger.end, effect, nullptr);
  EXPECT_GT(standard.contacts, 0);
  EXPECT_GT(standard.customers_contacted, 0);
  EXPECT_LE(standard.customers_contacted, static_cast<int>(ledger.accounts.size()));
  EXPECT_EQ(standard.currency, "EUR");
  int64_t by_kind = 0;
  for (const auto& [action, n] : standard.actions) by_kind += n;
  EXPECT_GE(by_kind, standard.contacts);
  EXPECT_FALSE(standard.stages_reached.empty());
  // The history has no reminders, so the policy's bring payments forward.
  EXPECT_LT(standard.dso_simulated, standard.dso_actual);
  EXPECT_GE(standard.recovered_simulated, standard.recovered_actual);
  EXPECT_EQ(standard.referrals, 0);

  // The whole default ladder refers the chronic late payers; what they
  // still owed then comes back at the agency's net rate, not in full.
  const PolicyOutcome full =
      ReplayPolicy(ledger.accounts, DefaultPolicy(), o.start, ledger.end, effect, nullptr);
  EXPECT_GT(full.referrals, 0);
  EXPECT_LT(full.recovered_simulated, standard.recovered_simulated);

  // A policy that does nothing changes nothing.
  CollectionPolicy silent = DefaultPolicy();
  silent.default_rules.stages.clear();
  silent.default_rules.pre_due_reminder_days.clear();
  silent.segments.clear();
  const PolicyOutcome none =
      ReplayPolicy(ledger.accounts, silent, o.start, ledger.end, effect, nullptr);
  EXPECT_EQ(none.contacts, 0);
  EXPECT_EQ(none.referrals, 0);
  EXPECT_DOUBLE_EQ(none.dso_simulated, none.dso_actual);
  EXPECT_EQ(none.recovered_simulated, none.recovered_actual);
  EXPECT_DOUBLE_EQ(none.dso_actual, standard.dso_actual);

  // DSO by hand for one invoice: issued day 0, 1000 paid on day 40, the
  // range ends day 99: 40 days.
  AccountContext one = testing::NewBusiness();
  one.customer.channels.push_back({Channel::kEmail, "ap@northwind.example"});
  InvoiceContext inv = testing::Invoice("x", o.start, o.start + 30, 1000);
  inv.state.settlements.push_back({SettlementKind::kPayment, o.start + 40, 1000});
  one.invoices.push_back(inv);
  const PolicyOutcome single = ReplayPolicy({one}, silent, o.start, o.start + 99, effect, nullptr);
  EXPECT_DOUBLE_EQ(single.dso_actual, 40.0);
  EXPECT_EQ(single.recovered_actual, 1000);
  // With the default policy: the friendly reminder on the first overdue day
  // (day 31), so 30 % of the invoice is paid on day 38.
  const PolicyOutcome reminded =
      ReplayPolicy({one}, DefaultPolicy(), o.start, o.start + 99, effect, nullptr);
  ASSERT_GT(reminded.contacts, 0);
  EXPECT_NEAR(reminded.dso_simulated, 0.7 * 40 + 0.3 * 38, 1e-9);
  EXPECT_EQ(reminded.recovered_simulated, 1000);
}

// Fees: the invoice's own late-fee terms, assessed by AssessLateFees as of
// the last day with the policy's stages and the simulated payment day.
TEST(Backtest, PolicyReplayChargesTheInvoicesOwnFeeTermsAsApplyLateFeesWould) {
  const absl::CivilDay start = testing::Day(2026, 1, 1);
  const absl::CivilDay end = start + 99;
  // EUR 1,000.00 issued day 0, due day 30, paid day 40.
  AccountContext one = testing::NewBusiness();
  one.customer.channels.push_back({Channel::kEmail, "ap@northwind.example"});
  InvoiceContext inv = testing::Invoice("x", start, start + 30, 100000);
  inv.state.settlements.push_back({SettlementKind::kPayment, start + 40, 100000});
  one.invoices.push_back(inv);
  const ReminderEffect effect;  // 30 % of reminded invoices paid 7 days after the reminder
  const FeeRules rules = DefaultFeeRules();
  auto replay = [&](const CollectionPolicy& policy, const LateFeeTerms& terms,
                    const AccountContext& account) {
    FeeReplay fees{&rules, {{terms}}};
    return ReplayPolicy({account}, policy, start, end, effect, nullptr, fees);
  };
  CollectionPolicy silent = DefaultPolicy();
  silent.default_rules.stages.clear();
  silent.default_rules.pre_due_reminder_days.clear();
  silent.segments.clear();
  // Only the friendly reminder, on the first overdue day (day 31).
  CollectionPolicy friendly = silent;
  friendly.default_rules.stages = {*DefaultPolicy().default_rules.Find(Stage::kFriendlyReminder)};

  // Contract interest, 10 % a year on the amount due each late day: days
  // 31..39 without a reminder (9 days: EUR 2.47), days 31..37 when the
  // reminder brings the payment to day 38 (7 days: EUR 1.92).
  LateFeeTerms interest;
  interest.kind = LateFeeKind::kDailyInterest;
  interest.annual_rate_bp = 1000;
  const PolicyOutcome quiet = replay(silent, interest, one);
  EXPECT_EQ(quiet.fees_simulated, 247);
  EXPECT_EQ(quiet.fee_invoices, 1);
  const PolicyOutcome reminded = replay(friendly, interest, one);
  ASSERT_EQ(reminded.contacts, 1);
  EXPECT_NEAR(reminded.fees_simulated, 0.7 * 247 + 0.3 * 192, 1);

  // A fixed fee per ladder stage carried out after the due date: none
  // without steps, one for the friendly reminder.
  LateFeeTerms fixed;
  fixed.kind = LateFeeKind::kFixedFee;
  fixed.fixed_fee = {"EUR", 2500};
  EXPECT_EQ(replay(silent, fixed, one).fees_simulated, 0);
  EXPECT_EQ(replay(silent, fixed, one).fee_invoices, 0);
  EXPECT_EQ(replay(friendly, fixed, one).fees_simulated, 2500);

  // No clause, no fee; a clause the rules refuse is counted, not charged.
  EXPECT_EQ(replay(friendly, LateFeeTerms{}, one).fees_simulated, 0);
  LateFeeTerms wrong = fixed;
  wrong.fixed_fee = {"USD", 2500};
  const PolicyOutcome refused = replay(friendly, wrong, one);
  EXPECT_EQ(refused.fees_simulated, 0);
  EXPECT_EQ(refused.fees_unassessed, 1);

  // Unpaid and disputed on the last day: paused, as ApplyLateFees is.
  AccountContext disputed = one;
  disputed.invoices[0].state.settlements.clear();
  Dispute d;
  d.invoice_id = "x";
  d.opened_date = start + 35;
  disputed.disputes.push_back(d);
  EXPECT_EQ(replay(silent, interest, disputed).fees_simulated, 0);

  // A part-payment counts as recovered in every scenario: EUR 400.00 paid
  // on day 20, the rest never; the reminder brings all of it in 30 % of
  // the time.
  AccountContext part = one;
  part.invoices[0].state.settlements = {{SettlementKind::kPayment, start + 20, 40000}};
  const PolicyOutcome partly = replay(friendly, interest, part);
  EXPECT_EQ(partly.recovered_actual, 40000);
  EXPECT_EQ(partly.recovered_simulated, 58000);

  // The history's own fees (not waived) are the actual figure.
  AccountContext charged = one;
  charged.fees.push_back({"f1", "x", Stage::kFriendlyReminder, {"EUR", 500}, start + 31, false});
  charged.fees.push_back({"f2", "x", Stage::kSecondReminder, {"EUR", 700}, start + 35, true});
  EXPECT_EQ(replay(silent, interest, charged).fees_actual, 500);
}

}  // namespace
}  // namespace collections::domain
