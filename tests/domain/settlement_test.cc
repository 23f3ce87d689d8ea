#include "service/domain/settlement.h"

#include "gtest/gtest.h"
#include "service/base/errors.h"
#include "service/domain/policy.h"
#include "service/domain/recommend.h"

namespace collections::domain {
namespace {

// A balance of EUR 10,000.00 and three alternatives to settling, at 10 %/yr
// (economics.h: the up-front cost is spent now, so it is not discounted):
//   internal: 60% in 90 days, staff cost 200.00
//     net = 1,000,000 x 0.60 - 20,000 = 580,000
//     PV  = 600,000 x 3,650,000 / (3,650,000 + 1000 x 90) - 20,000 = 585,561 - 20,000 = 565,561
//   agency: 50% in 180 days, 25% commission
//     net = 500,000 - 125,000 = 375,000
//     PV  = 500,000 x 3,650,000 / 3,830,000 - 125,000 x 3,650,000 / 3,830,000
//         = 476,501 - 119,125 = 357,376
//   legal: 70% in 365 days, cost 2,500.00
//     net = 700,000 - 250,000 = 450,000; PV = 700,000 x 3,650,000 / 4,015,000 - 250,000 = 386,363
std::vector<SettlementAlternative> Alternatives() {
  SettlementAlternative internal{RecoveryPath::kInternal, 6000, 90, 0, 20000};
  SettlementAlternative agency{RecoveryPath::kAgency, 5000, 180, 2500, 0};
  SettlementAlternative legal{RecoveryPath::kLegal, 7000, 365, 0, 250000};
  return {internal, agency, legal};
}

SettlementPolicy Policy() {
  SettlementPolicy p;
  p.margin_floor_bp = 7000;  // never below 70% of the balance
  p.max_discount_bp = 4000;  // never more than 40% off
  return p;
}

constexpr int kRate = 1000;  // 10 % a year

TEST(Settlement, FiguresCountCommissionCostAndTime) {
  auto f = ComputeSettlementFigures(Money{"EUR", 1000000}, Alternatives(), Policy(), kRate);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->alternatives[0].net_expected, 580000);
  EXPECT_EQ(f->alternatives[0].present_value, 565561);
  EXPECT_EQ(f->alternatives[1].net_expected, 375000);
  EXPECT_EQ(f->alternatives[1].present_value, 357376);
  EXPECT_EQ(f->alternatives[2].net_expected, 450000);
  EXPECT_EQ(f->alternatives[2].present_value, 386363);
  EXPECT_EQ(f->best_alternative, 565561);
  EXPECT_EQ(f->best_path, RecoveryPath::kInternal);
  // The margin floor (7,000.00) is above every alternative and the discount cap (6,000.00).
  EXPECT_EQ(f->margin_floor, 700000);
  EXPECT_EQ(f->discount_cap_floor, 600000);
  EXPECT_EQ(f->minimum_acceptable, 700000);
  EXPECT_EQ(f->max_discount, 300000);
  EXPECT_EQ(f->discount_bp, 3000);
  EXPECT_FALSE(f->reasons.empty());
}

TEST(Settlement, RefusedBelowTheMarginFloorAcceptedAbove) {
  auto f = ComputeSettlementFigures(Money{"EUR", 1000000}, Alternatives(), Policy(), kRate);
  ASSERT_TRUE(f.ok());
  const absl::Status below = CheckSettlementOffer(*f, 650000);
  EXPECT_EQ(below.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(below), "SETTLEMENT_BELOW_MARGIN_FLOOR");
  EXPECT_TRUE(CheckSettlementOffer(*f, 700000).ok());
  EXPECT_TRUE(CheckSettlementOffer(*f, 720000).ok());
  EXPECT_EQ(ReasonOf(CheckSettlementOffer(*f, 1000001)), "INVALID_SETTLEMENT");
}

TEST(Settlement, NeverBelowWhatCollectingIsExpectedToRecover) {
  // A reliable payer: 90% within 30 days, no cost.
  // PV = 900,000 x 3,650,000 / (3,650,000 + 1000 x 30) = 892,663.
  std::vector<SettlementAlternative> alts = {{RecoveryPath::kInternal, 9000, 30, 0, 0}};
  auto f = ComputeSettlementFigures(Money{"EUR", 1000000}, alts, Policy(), kRate);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->minimum_acceptable, 892663);
  EXPECT_EQ(ReasonOf(CheckSettlementOffer(*f, 800000)), "SETTLEMENT_BELOW_EXPECTED_RECOVERY");
  EXPECT_TRUE(CheckSettlementOffer(*f, 892663).ok());
}

TEST(Settlement, BadAlternativeNamesTheField) {
  std::vector<SettlementAlternative> alts = Alternatives();
  alts[1].commission_bp = 12000;
  auto f = ComputeSettlementFigures(Money{"EUR", 1000000}, alts, Policy(), kRate);
  EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldsOf(f.status())[0].field, "alternatives[1].commission_bp");
}

TEST(Settlement, LadderAndSettlementShareOneEconomicsModel) {
  // The ladder's referral figures and a settlement's alternatives are the
  // same numbers for the same account under the same economics.
  const Economics e = DefaultPolicy().economics;
  const Money overdue{"EUR", 500000};
  std::vector<SettlementAlternative> alts;
  for (const auto& est : EstimateAllRecoveries(e, "EUR")) {
    alts.push_back({est.path, est.probability_bp, est.expected_days, est.commission_bp, est.cost});
  }
  auto f = ComputeSettlementFigures(overdue, alts, SettlementPolicy(), e.annual_discount_rate_bp);
  ASSERT_TRUE(f.ok()) << f.status();
  ASSERT_EQ(f->alternatives[1].path, RecoveryPath::kAgency);
  EXPECT_EQ(f->alternatives[1].present_value, AgencyFigures(overdue, e).net.minor);
  ASSERT_EQ(f->alternatives[2].path, RecoveryPath::kLegal);
  EXPECT_EQ(f->alternatives[2].present_value, LegalFigures(overdue, e).net.minor);
  EXPECT_EQ(f->alternatives[2].cost, 150000 + 1500);  // legal cost + one staff action
}

TEST(Settlement, PresentValueAndFormatting) {
  EXPECT_EQ(PresentValue(1000000, 1000, 365), 909090);  // 1e6 / 1.1
  EXPECT_EQ(PresentValue(1000000, 0, 365), 1000000);
  EXPECT_EQ(FormatBasisPoints(1325), "13.25%");
  EXPECT_EQ(FormatBasisPoints(-5), "-0.05%");
}

}  // namespace
}  // namespace collections::domain
