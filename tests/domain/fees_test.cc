#include "service/domain/fees.h"

#include "gtest/gtest.h"
#include "service/base/errors.h"

namespace collections::domain {
namespace {

InvoiceState Invoice(const std::string& ccy, int64_t total, absl::CivilDay due) {
  InvoiceState inv;
  inv.id = "inv-1";
  inv.number = "INV-1";
  inv.currency = ccy;
  inv.issue_date = due - 30;
  inv.due_date = due;
  inv.total = total;
  return inv;
}

LateFeeTerms Statutory(const std::string& pack) {
  LateFeeTerms t;
  t.kind = LateFeeKind::kStatutory;
  t.statutory_pack = pack;
  return t;
}

const FeeLine* Find(const FeeAssessment& a, FeeKind kind) {
  for (const auto& l : a.lines) {
    if (l.kind == kind) return &l;
  }
  return nullptr;
}

TEST(Fees, NoFeeWhenTheTermsHaveNone) {
  FeeInput in;
  in.invoice = Invoice("GBP", 500000, absl::CivilDay(2024, 3, 15));
  in.invoice_terms.kind = LateFeeKind::kNone;
  // Even a statutory contract clause does not override the invoice's NONE.
  in.contract_terms = Statutory("UK_LATE_PAYMENT_1998");
  in.stages_reached = 3;
  auto a = AssessLateFees(in, DefaultFeeRules(), absl::CivilDay(2024, 9, 1));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_TRUE(a->lines.empty());
  EXPECT_NE(a->skipped.find("no late-fee"), std::string::npos) << a->skipped;

  // Neither invoice nor contract has a clause: nothing either.
  FeeInput bare;
  bare.invoice = in.invoice;
  auto b = AssessLateFees(bare, DefaultFeeRules(), absl::CivilDay(2024, 9, 1));
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->lines.empty());
}

// UK worked example (Late Payment of Commercial Debts (Interest) Act 1998):
// GBP 5,000.00 due 2024-03-15, unpaid, assessed on 2024-04-14.
//  * Interest runs from the day after the due date (s.4): 2024-03-16 to
//    2024-04-14 inclusive = 30 days.
//  * It starts in January-June, so the reference rate is the Bank of England
//    rate in force on 31 December 2023: 5.25% (since 2023-08-03). Statutory
//    rate = 5.25% + 8% = 13.25% (Rate of Interest Order 2002 art. 4).
//  * Simple interest = 500,000p x 13.25% x 30 / 365
//                    = 500,000 x 1325 x 30 / (10,000 x 365)
//                    = 19,875,000,000 / 3,650,000 = 5,445.205p -> 5,445p = GBP 54.45.
//  * Compensation (s.5A): a debt from GBP 1,000 to 9,999.99 -> GBP 70.
TEST(Fees, UkStatutoryInterestWorkedExample) {
  FeeInput in;
  in.invoice = Invoice("GBP", 500000, absl::CivilDay(2024, 3, 15));
  in.contract_terms = Statutory("UK_LATE_PAYMENT_1998");
  in.country = "GB";
  auto a = AssessLateFees(in, DefaultFeeRules(), absl::CivilDay(2024, 4, 14));
  ASSERT_TRUE(a.ok()) << a.status();
  const FeeLine* interest = Find(*a, FeeKind::kStatutoryInterest);
  ASSERT_NE(interest, nullptr);
  EXPECT_EQ(interest->amount, 5445);
  EXPECT_EQ(interest->annual_rate_bp, 1325);
  EXPECT_EQ(interest->accrued_from, absl::CivilDay(2024, 3, 16));
  EXPECT_EQ(interest->accrued_to, absl::CivilDay(2024, 4, 14));
  const FeeLine* comp = Find(*a, FeeKind::kStatutoryCompensation);
  ASSERT_NE(comp, nullptr);
  EXPECT_EQ(comp->amount, 7000);
  EXPECT_EQ(comp->pack, "UK_LATE_PAYMENT_1998");
}

// s.5A bands: < GBP 1,000 -> 40; 1,000 to 9,999.99 -> 70; >= 10,000 -> 100.
TEST(Fees, UkCompensationBands) {
  const StatutoryPack uk = UkLatePayment1998();
  EXPECT_EQ(StatutoryCompensation(uk, "GBP", 99999), 4000);
  EXPECT_EQ(StatutoryCompensation(uk, "GBP", 100000), 7000);
  EXPECT_EQ(StatutoryCompensation(uk, "GBP", 999999), 7000);
  EXPECT_EQ(StatutoryCompensation(uk, "GBP", 1000000), 10000);
  EXPECT_EQ(StatutoryCompensation(uk, "EUR", 1000000), 0);  // no conversion
}

// The UK rate is fixed when interest starts: a debt falling due on
// 2024-07-10 uses the rate of 30 June 2024 (5.25%, before the 2024-08-01
// cut) for its whole life: 13.25% even in 2025.
TEST(Fees, UkRateIsFixedForTheLifeOfTheDebt) {
  const StatutoryPack uk = UkLatePayment1998();
  const RateTable& boe = BankOfEnglandBankRate();
  const absl::CivilDay start(2024, 7, 11);
  EXPECT_EQ(*StatutoryRateOn(uk, boe, start, start), 1325);
  EXPECT_EQ(*StatutoryRateOn(uk, boe, start, absl::CivilDay(2025, 6, 1)), 1325);
  // A debt starting in 2025 H1 uses 31 Dec 2024: 4.75% + 8% = 12.75%.
  EXPECT_EQ(*StatutoryRateOn(uk, boe, absl::CivilDay(2025, 2, 1), absl::CivilDay(2025, 2, 1)),
            1275);
}

// EU worked example (Directive 2011/7/EU): EUR 10,000.00 due 2024-06-20,
// unpaid, assessed on 2024-07-20.
//  * The reference rate changes per half-year (art. 3(4)): H1 2024 uses the
//    ECB MRO rate of 1 January 2024 = 4.50%, H2 2024 that of 1 July 2024 =
//    4.25% (cut on 2024-06-12). Statutory rates 12.50% and 12.25%.
//  * 2024-06-21..06-30 = 10 days at 12.50%; 2024-07-01..07-20 = 20 days at 12.25%.
//  * Interest = 1,000,000c x (1250 x 10 + 1225 x 20) / (10,000 x 365)
//             = 1,000,000 x 37,000 / 3,650,000 = 10,136.986c -> 10,137c = EUR 101.37.
//  * Compensation (art. 6): EUR 40.
TEST(Fees, EuStatutoryInterestWorkedExample) {
  FeeInput in;
  in.invoice = Invoice("EUR", 1000000, absl::CivilDay(2024, 6, 20));
  in.invoice_terms = Statutory("EU_2011_7");
  in.country = "IE";
  auto a = AssessLateFees(in, DefaultFeeRules(), absl::CivilDay(2024, 7, 20));
  ASSERT_TRUE(a.ok()) << a.status();
  const FeeLine* interest = Find(*a, FeeKind::kStatutoryInterest);
  ASSERT_NE(interest, nullptr);
  EXPECT_EQ(interest->amount, 10137);
  EXPECT_EQ(interest->annual_rate_bp, 1225);  // the last day's rate
  const FeeLine* comp = Find(*a, FeeKind::kStatutoryCompensation);
  ASSERT_NE(comp, nullptr);
  EXPECT_EQ(comp->amount, 4000);
}

// Charging in steps gives the same total as charging once (one rounding of
// the accrued total; each step charges accrued-to-date minus charged).
TEST(Fees, IncrementalChargesSumToTheSameTotal) {
  FeeInput in;
  in.invoice = Invoice("GBP", 500000, absl::CivilDay(2024, 3, 15));
  in.contract_terms = Statutory("UK_LATE_PAYMENT_1998");
  const FeeRules rules = DefaultFeeRules();
  auto first = AssessLateFees(in, rules, absl::CivilDay(2024, 3, 31));
  ASSERT_TRUE(first.ok());
  for (const auto& l : first->lines) in.charged.push_back({l.kind, l.amount, l.stage});
  auto second = AssessLateFees(in, rules, absl::CivilDay(2024, 4, 14));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(Find(*second, FeeKind::kStatutoryCompensation), nullptr);  // once per debt
  const FeeLine* i1 = Find(*first, FeeKind::kStatutoryInterest);
  const FeeLine* i2 = Find(*second, FeeKind::kStatutoryInterest);
  ASSERT_NE(i1, nullptr);
  ASSERT_NE(i2, nullptr);
  EXPECT_EQ(i1->amount + i2->amount, 5445);
}

// A part payment stops interest on its amount from its value date:
// GBP 5,000 late from 2024-03-16; GBP 3,000 paid on 2024-03-31.
// 15 days on 500,000 + 15 days on 200,000 at 13.25%:
//   (500,000 x 15 + 200,000 x 15) x 1325 / 3,650,000 = 3,811.64 -> 3,812p.
TEST(Fees, PartPaymentReducesThePrincipal) {
  FeeInput in;
  in.invoice = Invoice("GBP", 500000, absl::CivilDay(2024, 3, 15));
  in.invoice.settlements.push_back({SettlementKind::kPayment, absl::CivilDay(2024, 3, 31), 300000});
  in.contract_terms = Statutory("UK_LATE_PAYMENT_1998");
  auto a = AssessLateFees(in, DefaultFeeRules(), absl::CivilDay(2024, 4, 14));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(Find(*a, FeeKind::kStatutoryInterest)->amount, 3812);
  // Compensation uses the debt when it became late.
  EXPECT_EQ(Find(*a, FeeKind::kStatutoryCompensation)->amount, 7000);
}

TEST(Fees, StatutoryPacksSkipConsumerDebts) {
  FeeInput in;
  in.invoice = Invoice("GBP", 500000, absl::CivilDay(2024, 3, 15));
  in.contract_terms = Statutory("UK_LATE_PAYMENT_1998");
  in.customer_kind = CustomerKind::kConsumer;
  auto a = AssessLateFees(in, DefaultFeeRules(), absl::CivilDay(2024, 4, 14));
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->lines.empty());
  EXPECT_NE(a->skipped.find("commercial debts only"), std::string::npos);
}

TEST(Fees, RateTablesAreDataAndCanBeReplaced) {
  FeeRules rules = DefaultFeeRules();
  auto table = RateTable::Parse("boe_bank_rate", "# test table\n2023-01-01,1.00\n2024-01-01,2.5\n");
  ASSERT_TRUE(table.ok()) << table.status();
  SetRateTable(rules, *table);
  FeeInput in;
  in.invoice = Invoice("GBP", 365000, absl::CivilDay(2024, 3, 15));
  in.contract_terms = Statutory("UK_LATE_PAYMENT_1998");
  // Reference day 2023-12-31 -> 1.00% + 8% = 9%: 365,000 x 900 x 10 / 3,650,000 = 900p.
  auto a = AssessLateFees(in, rules, absl::CivilDay(2024, 3, 25));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(Find(*a, FeeKind::kStatutoryInterest)->amount, 900);

  auto bad = RateTable::Parse("t", "2024-01-01,2.5\n2023-01-01,1\n");
  EXPECT_EQ(ReasonOf(bad.status()), "INVALID_RATE_TABLE");
  auto garbage = RateTable::Parse("t", "2024-01-01,2.555\n");
  EXPECT_EQ(FieldsOf(garbage.status())[0].field, "t line 1");
  EXPECT_EQ(table->RateOn(absl::CivilDay(2022, 12, 31)), std::nullopt);
}

TEST(Fees, ContractFeesAndCaps) {
  FeeInput in;
  in.invoice = Invoice("EUR", 100000, absl::CivilDay(2026, 1, 31));
  in.invoice_terms.kind = LateFeeKind::kFixedFee;
  in.invoice_terms.fixed_fee = Money{"EUR", 1500};
  in.stages_reached = 2;
  in.charged.push_back({FeeKind::kFixedStageFee, 1500, 1});
  auto fixed = AssessLateFees(in, DefaultFeeRules(), absl::CivilDay(2026, 3, 1));
  ASSERT_TRUE(fixed.ok());
  ASSERT_EQ(fixed->lines.size(), 1u);  // stage 1 was charged already
  EXPECT_EQ(fixed->lines[0].stage, 2);

  in.invoice_terms.fixed_fee = Money{"USD", 1500};
  EXPECT_EQ(ReasonOf(AssessLateFees(in, DefaultFeeRules(), absl::CivilDay(2026, 3, 1)).status()),
            "INVALID_FEE_TERMS");

  FeeInput pct;
  pct.invoice = Invoice("EUR", 100000, absl::CivilDay(2026, 1, 31));
  pct.invoice_terms.kind = LateFeeKind::kPercentage;
  pct.invoice_terms.percentage_bp = 150;  // 1.5% of 1,000.00 = 15.00
  auto p = AssessLateFees(pct, DefaultFeeRules(), absl::CivilDay(2026, 2, 1));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->lines.at(0).amount, 1500);

  // Contract interest of 24% a year capped at 12% by the jurisdiction:
  // 100,000 x 1200 x 31 / 3,650,000 = 1,019.18 -> 1,019.
  FeeInput daily;
  daily.invoice = Invoice("EUR", 100000, absl::CivilDay(2026, 1, 31));
  daily.invoice_terms.kind = LateFeeKind::kDailyInterest;
  daily.invoice_terms.annual_rate_bp = 2400;
  daily.country = "XX";
  FeeRules rules = DefaultFeeRules();
  rules.caps["XX"].max_annual_rate_bp = 1200;
  auto d = AssessLateFees(daily, rules, absl::CivilDay(2026, 3, 3));
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->capped);
  EXPECT_EQ(d->lines.at(0).amount, 1019);
  // A total cap of 0.5% of the principal (5.00) trims the charge.
  rules.caps["XX"].max_total_bp = 50;
  d = AssessLateFees(daily, rules, absl::CivilDay(2026, 3, 3));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->lines.at(0).amount, 500);
}

TEST(Fees, NothingBeforeTheDueDateOrWhilePaused) {
  FeeInput in;
  in.invoice = Invoice("GBP", 500000, absl::CivilDay(2024, 3, 15));
  in.contract_terms = Statutory("UK_LATE_PAYMENT_1998");
  auto early = AssessLateFees(in, DefaultFeeRules(), absl::CivilDay(2024, 3, 15));
  ASSERT_TRUE(early.ok());
  EXPECT_TRUE(early->lines.empty());
  in.paused_reason = "open dispute d-1";
  auto paused = AssessLateFees(in, DefaultFeeRules(), absl::CivilDay(2024, 4, 14));
  ASSERT_TRUE(paused.ok());
  EXPECT_TRUE(paused->lines.empty());
  EXPECT_EQ(paused->skipped, "open dispute d-1");
}

TEST(Fees, BuiltInTablesParse) {
  EXPECT_EQ(BankOfEnglandBankRate().RateOn(absl::CivilDay(2023, 12, 31)), 525);
  EXPECT_EQ(BankOfEnglandBankRate().RateOn(absl::CivilDay(2020, 3, 19)), 10);
  EXPECT_EQ(EcbMainRefinancingRate().RateOn(absl::CivilDay(2024, 1, 1)), 450);
  EXPECT_EQ(EcbMainRefinancingRate().RateOn(absl::CivilDay(2024, 7, 1)), 425);
}

}  // namespace
}  // namespace collections::domain
