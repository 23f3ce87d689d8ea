// Payment risk on a generated history with known behaviour.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "service/domain/risk.h"
#include "tests/domain/recovery_fixtures.h"

namespace collections::domain {
namespace {

using testing::Day;

// A small deterministic generator (no global state, same on every machine).
class Lcg {
 public:
  explicit Lcg(uint64_t seed) : state_(seed) {}
  // Uniform in [0, 10000).
  int Bp() {
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<int>((state_ >> 33) % 10000);
  }

 private:
  uint64_t state_;
};

// A customer whose invoices are paid late with probability `late_bp`, by
// 1..2*mean_late days when late. One invoice a week from 2025-01-06.
AccountContext Generate(absl::string_view id, int invoices, int late_bp, int mean_late, Lcg& rng) {
  AccountContext ctx = testing::NewBusiness();
  ctx.customer.id = std::string(id);
  for (int i = 0; i < invoices; ++i) {
    const absl::CivilDay issue = Day(2025, 1, 6) + 7 * i;
    InvoiceContext inv = testing::Invoice(absl::StrCat(id, "-", i), issue, issue + 30, 10000);
    const bool late = rng.Bp() < late_bp;
    const int delay = late ? 1 + rng.Bp() % (2 * mean_late) : -(rng.Bp() % 5);
    inv.state.settlements.push_back({SettlementKind::kPayment, issue + 30 + delay, 10000});
    ctx.invoices.push_back(inv);
  }
  return ctx;
}

TEST(PaymentRisk, RecoversKnownBehaviourAndShrinksThinHistoriesToThePortfolio) {
  Lcg rng(42);
  std::vector<AccountContext> portfolio;
  for (int i = 0; i < 20; ++i) {
    portfolio.push_back(Generate(absl::StrCat("p", i), 30, 3000, 10, rng));
  }
  const AccountContext reliable = Generate("reliable", 60, 1000, 5, rng);
  const AccountContext slow = Generate("slow", 60, 8000, 20, rng);
  const AccountContext newcomer = Generate("new", 2, 10000, 20, rng);  // 2 of 2 late
  std::vector<const AccountContext*> all;
  for (const auto& a : portfolio) all.push_back(&a);
  const absl::CivilDay as_of = Day(2026, 6, 1);
  const PortfolioPrior prior = EstimatePortfolioPrior(all, as_of);
  EXPECT_NEAR(prior.late_bp, 3000, 400);
  EXPECT_EQ(prior.invoices, 600);

  const RiskEstimate r = EstimateAccountRisk(reliable, prior, as_of);
  const RiskEstimate s = EstimateAccountRisk(slow, prior, as_of);
  const RiskEstimate n = EstimateAccountRisk(newcomer, prior, as_of);
  EXPECT_NEAR(r.late_probability_bp, 1000 + (3000 - 1000) * 8 / 68, 800);
  EXPECT_NEAR(s.late_probability_bp, 8000 - (8000 - 3000) * 8 / 68, 800);
  EXPECT_LT(r.expected_days_late, s.expected_days_late);
  // Two late invoices do not make a customer certain to pay late: the
  // estimate stays between the portfolio and their own record.
  EXPECT_GT(n.late_probability_bp, prior.late_bp);
  EXPECT_LT(n.late_probability_bp, 6000);
  EXPECT_EQ(n.own_history_count, 2);
  EXPECT_EQ(n.own_weight_bp, 2000);
  EXPECT_NE(s.explanation.find("paid invoices were late"), std::string::npos) << s.explanation;

  // Calibration on fresh invoices: the blended estimate beats the portfolio
  // rate alone (lower Brier score) over both customers.
  Lcg future(7);
  double brier_model = 0;
  double brier_prior = 0;
  int count = 0;
  for (const auto& [est, truth] : {std::pair{r, 1000}, std::pair{s, 8000}}) {
    for (int i = 0; i < 200; ++i) {
      const double outcome = future.Bp() < truth ? 1.0 : 0.0;
      brier_model += std::pow(est.late_probability_bp / 10000.0 - outcome, 2);
      brier_prior += std::pow(prior.late_bp / 10000.0 - outcome, 2);
      ++count;
    }
  }
  EXPECT_LT(brier_model / count, brier_prior / count - 0.03);
}

TEST(PaymentRisk, OverdueInvoiceIsLateWithCertaintyAndBrokenPromisesCount) {
  AccountContext ctx = testing::NewBusiness();
  ctx.invoices.push_back(testing::Invoice("A", Day(2026, 1, 1), Day(2026, 1, 31), 50000));
  const PortfolioPrior prior;
  const RiskEstimate inv = EstimateInvoiceRisk(ctx, ctx.invoices[0].state, prior, Day(2026, 3, 2));
  EXPECT_EQ(inv.late_probability_bp, 10000);
  EXPECT_GE(inv.expected_days_late, 30 + 7);
  EXPECT_EQ(inv.expected_payment_date, Day(2026, 1, 31) + inv.expected_days_late);

  const int before = EstimateAccountRisk(ctx, prior, Day(2026, 3, 2)).late_probability_bp;
  Promise p;
  p.status = PromiseStatus::kBroken;
  p.resolved_date = Day(2026, 2, 20);
  ctx.promises.push_back(p);
  EXPECT_GT(EstimateAccountRisk(ctx, prior, Day(2026, 3, 2)).late_probability_bp, before);
}

}  // namespace
}  // namespace collections::domain
