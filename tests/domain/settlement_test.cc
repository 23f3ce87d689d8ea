#include "service/domain/settlement.h"

#include "gtest/gtest.h"
#include "service/domain/errors.h"

namespace collections::domain {
namespace {

// A balance of EUR 10,000.00 and three alternatives to settling:
//   internal: 60% in 90 days, staff cost 200.00
//     net = 1,000,000 x 0.60 - 20,000 = 580,000
//     PV  = 580,000 x 3,650,000 / (3,650,000 + 1000 x 90) = 566,042 (floor)
//   agency: 50% in 180 days, 25% commission
//     net = 1,000,000 x 0.50 x 0.75 = 375,000; PV = 375,000 x 3,650,000 / 3,830,000 = 357,375
//   legal: 70% in 365 days, cost 2,500.00
//     net = 700,000 - 250,000 = 450,000; PV = 450,000 x 3,650,000 / 4,015,000 = 409,090
std::vector<SettlementAlternative> Alternatives() {
  SettlementAlternative internal{RecoveryPath::kInternal, 6000, 90, 0, 20000};
  SettlementAlternative agency{RecoveryPath::kAgency, 5000, 180, 2500, 0};
  SettlementAlternative legal{RecoveryPath::kLegal, 7000, 365, 0, 250000};
  return {internal, agency, legal};
}

SettlementPolicy Policy() {
  SettlementPolicy p;
  p.margin_floor_bp = 7000;   // never below 70% of the balance
  p.max_discount_bp = 4000;   // never more than 40% off
  p.annual_discount_rate_bp = 1000;
  return p;
}

TEST(Settlement, FiguresCountCommissionCostAndTime) {
  auto f = ComputeSettlementFigures(Money{"EUR", 1000000}, Alternatives(), Policy());
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->alternatives[0].net_expected, 580000);
  EXPECT_EQ(f->alternatives[0].present_value, 566042);
  EXPECT_EQ(f->alternatives[1].net_expected, 375000);
  EXPECT_EQ(f->alternatives[1].present_value, 357375);
  EXPECT_EQ(f->alternatives[2].net_expected, 450000);
  EXPECT_EQ(f->alternatives[2].present_value, 409090);
  EXPECT_EQ(f->best_alternative, 566042);
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
  auto f = ComputeSettlementFigures(Money{"EUR", 1000000}, Alternatives(), Policy());
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
  auto f = ComputeSettlementFigures(Money{"EUR", 1000000}, alts, Policy());
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->minimum_acceptable, 892663);
  EXPECT_EQ(ReasonOf(CheckSettlementOffer(*f, 800000)), "SETTLEMENT_BELOW_EXPECTED_RECOVERY");
  EXPECT_TRUE(CheckSettlementOffer(*f, 892663).ok());
}

TEST(Settlement, BadAlternativeNamesTheField) {
  std::vector<SettlementAlternative> alts = Alternatives();
  alts[1].commission_bp = 12000;
  auto f = ComputeSettlementFigures(Money{"EUR", 1000000}, alts, Policy());
  EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldsOf(f.status())[0].field, "alternatives[1].commission_bp");
}

TEST(Settlement, PresentValueAndFormatting) {
  EXPECT_EQ(PresentValue(1000000, 1000, 365), 909090);  // 1e6 / 1.1
  EXPECT_EQ(PresentValue(1000000, 0, 365), 1000000);
  EXPECT_EQ(FormatBasisPoints(1325), "13.25%");
  EXPECT_EQ(FormatBasisPoints(-5), "-0.05%");
}

}  // namespace
}  // namespace collections::domain
