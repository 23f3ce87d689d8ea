// Ledger arithmetic: status derivation, the oldest-due-first allocation rule,
// aging buckets, "as of" replays, payment history and DSO.
#include "service/domain/ledger.h"

#include <gtest/gtest.h>

#include <climits>

#include "service/base/errors.h"
#include "service/domain/amount_limits.h"

namespace collections::domain {
namespace {

using absl::CivilDay;

InvoiceState Inv(const char* id, CivilDay issue, CivilDay due, int64_t total) {
  InvoiceState s;
  s.id = id;
  s.number = id;
  s.customer = "c1";
  s.currency = "EUR";
  s.issue_date = issue;
  s.due_date = due;
  s.total = total;
  return s;
}

TEST(Ledger, DerivesStatusFromSettlements) {
  InvoiceState inv = Inv("i1", CivilDay(2026, 1, 1), CivilDay(2026, 1, 31), 1000);
  EXPECT_EQ(DeriveStatus(inv), InvoiceStatus::kOpen);
  inv.settlements.push_back({SettlementKind::kPayment, CivilDay(2026, 2, 5), 400});
  EXPECT_EQ(DeriveStatus(inv), InvoiceStatus::kPartiallyPaid);
  inv.settlements.push_back({SettlementKind::kCreditNote, CivilDay(2026, 2, 9), 600});
  EXPECT_EQ(DeriveStatus(inv), InvoiceStatus::kPaid);
  EXPECT_EQ(*inv.PaidDate(), CivilDay(2026, 2, 9));
  EXPECT_EQ(inv.AmountDueAsOf(CivilDay(2026, 2, 6)), 600);
  InvoiceState w = Inv("i2", CivilDay(2026, 1, 1), CivilDay(2026, 1, 31), 500);
  w.settlements.push_back({SettlementKind::kWriteOff, CivilDay(2026, 6, 1), 500});
  EXPECT_EQ(DeriveStatus(w), InvoiceStatus::kWrittenOff);
  w.voided = true;
  EXPECT_EQ(DeriveStatus(w), InvoiceStatus::kVoid);
}

TEST(Allocation, OldestDueFirstThenUnapplied) {
  InvoiceState a = Inv("a", CivilDay(2026, 1, 1), CivilDay(2026, 3, 1), 300);
  InvoiceState b = Inv("b", CivilDay(2026, 1, 5), CivilDay(2026, 2, 1), 200);
  InvoiceState c =
      Inv("c", CivilDay(2026, 1, 2), CivilDay(2026, 2, 1), 100);  // same due, older issue
  int64_t unapplied = -1;
  auto lines = AllocateOldestFirst({&a, &b, &c}, 350, &unapplied);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].invoice_id, "c");
  EXPECT_EQ(lines[0].amount, 100);
  EXPECT_EQ(lines[1].invoice_id, "b");
  EXPECT_EQ(lines[1].amount, 200);
  EXPECT_EQ(lines[2].invoice_id, "a");
  EXPECT_EQ(lines[2].amount, 50);
  EXPECT_EQ(unapplied, 0);
  lines = AllocateOldestFirst({&a, &b, &c}, 700, &unapplied);
  EXPECT_EQ(unapplied, 100);
}

TEST(Aging, BucketBoundariesAreInclusive) {
  auto buckets = *MakeBuckets(DefaultBucketBounds());
  ASSERT_EQ(buckets.size(), 6u);
  EXPECT_EQ(buckets[5].label, "over 120");
  struct {
    int dpd;
    int bucket;
  } cases[] = {{-10, 0}, {0, 0},  {1, 1},  {30, 1},  {31, 2},  {60, 2},
               {61, 3},  {90, 3}, {91, 4}, {120, 4}, {121, 5}, {5000, 5}};
  for (const auto& c : cases) EXPECT_EQ(BucketIndex(buckets, c.dpd), c.bucket) << c.dpd;
}

TEST(Aging, CustomBoundsValidated) {
  EXPECT_EQ(MakeBuckets({15, 45})->size(), 4u);
  EXPECT_FALSE(MakeBuckets({30, 30}).ok());
  EXPECT_FALSE(MakeBuckets({0}).ok());
  EXPECT_FALSE(MakeBuckets({-5, 10}).ok());
}

TEST(Summary, AsOfIgnoresLaterIssuesAndSettlements) {
  const CivilDay as_of(2026, 4, 30);
  std::vector<InvoiceState> invs = {
      Inv("old", CivilDay(2026, 1, 1), CivilDay(2026, 1, 31), 1000),   // 89 dpd
      Inv("mid", CivilDay(2026, 3, 1), CivilDay(2026, 3, 31), 500),    // 30 dpd
      Inv("new", CivilDay(2026, 4, 20), CivilDay(2026, 5, 20), 250),   // current
      Inv("future", CivilDay(2026, 5, 2), CivilDay(2026, 6, 1), 999),  // not yet issued
  };
  invs[0].settlements.push_back({SettlementKind::kPayment, CivilDay(2026, 4, 10), 200});
  invs[1].settlements.push_back({SettlementKind::kPayment, CivilDay(2026, 5, 15), 500});  // later
  auto buckets = *MakeBuckets(DefaultBucketBounds());
  AccountFacts f =
      *SummarizeAccount(invs, {{"EUR", CivilDay(2026, 4, 1), 70}},
                        {CivilDay(2026, 4, 10), CivilDay(2026, 5, 15)}, as_of, buckets);
  ASSERT_EQ(f.positions.size(), 1u);
  const auto& p = f.positions[0];
  EXPECT_EQ(p.balance, 800 + 500 + 250);
  EXPECT_EQ(p.overdue, 800 + 500);
  EXPECT_EQ(p.unapplied, 70);
  EXPECT_EQ(p.buckets[0].amount, 250);
  EXPECT_EQ(p.buckets[1].amount, 500);
  EXPECT_EQ(p.buckets[3].amount, 800);
  EXPECT_EQ(f.oldest_days_past_due, 89);
  EXPECT_EQ(*f.history.last_payment_date, CivilDay(2026, 4, 10));
  EXPECT_EQ(f.history.invoices_paid, 0);
}

TEST(Summary, PaymentHistoryCountsLatePayers) {
  std::vector<InvoiceState> invs = {
      Inv("a", CivilDay(2026, 1, 1), CivilDay(2026, 1, 31), 100),
      Inv("b", CivilDay(2026, 2, 1), CivilDay(2026, 2, 28), 100),
      Inv("c", CivilDay(2026, 3, 1), CivilDay(2026, 3, 31), 100),
  };
  invs[0].settlements.push_back({SettlementKind::kPayment, CivilDay(2026, 1, 20), 100});  // early
  invs[1].settlements.push_back({SettlementKind::kPayment, CivilDay(2026, 3, 10), 100});  // 10 late
  invs[2].settlements.push_back({SettlementKind::kPayment, CivilDay(2026, 5, 1), 100});   // 31 late
  AccountFacts f = *SummarizeAccount(invs, {}, {}, CivilDay(2026, 6, 1), *MakeBuckets({30}));
  EXPECT_EQ(f.history.invoices_paid, 3);
  EXPECT_EQ(f.history.paid_late_bp, 6666);
  EXPECT_EQ(f.history.average_days_late_centi, 2050);
  EXPECT_EQ(f.history.worst_days_late, 31);
}

// A balance past int64 used to wrap to a negative
// figure; it is now OUT_OF_RANGE AMOUNT_SUM_OVERFLOW.
TEST(Summary, BalancePastInt64FailsInsteadOfWrapping) {
  std::vector<InvoiceState> invs = {
      Inv("a", CivilDay(2026, 1, 1), CivilDay(2026, 1, 31), INT64_MAX),
      Inv("b", CivilDay(2026, 1, 1), CivilDay(2026, 1, 31), 10000),
  };
  auto f = SummarizeAccount(invs, {}, {}, CivilDay(2026, 6, 1), *MakeBuckets({30}));
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(ReasonOf(f.status()), "AMOUNT_SUM_OVERFLOW");
  // Unapplied credit beyond the balance's range fails the same way.
  auto g =
      SummarizeAccount({Inv("c", CivilDay(2026, 1, 1), CivilDay(2026, 1, 31), 5)},
                       {{"EUR", CivilDay(2026, 1, 2), INT64_MAX}, {"EUR", CivilDay(2026, 1, 3), 9}},
                       {}, CivilDay(2026, 6, 1), *MakeBuckets({30}));
  EXPECT_EQ(ReasonOf(g.status()), "AMOUNT_SUM_OVERFLOW");
}

TEST(AmountCeiling, DefaultIsATrillionMajorUnitsOfTheCurrency) {
  EXPECT_EQ(MaxDocumentMinorUnits("EUR"), 100'000'000'000'000);
  EXPECT_EQ(MaxDocumentMinorUnits("JPY"), 1'000'000'000'000);
  EXPECT_EQ(MaxDocumentMinorUnits("KWD"), 1'000'000'000'000'000);
  EXPECT_TRUE(CheckAmountCeiling(100'000'000'000'000, "EUR", "x").ok());
  EXPECT_TRUE(CheckAmountCeiling(-100'000'000'000'000, "EUR", "x").ok());
  absl::Status st = CheckAmountCeiling(100'000'000'000'001, "EUR", "payment.amount.minor_units");
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReasonOf(st), "AMOUNT_TOO_LARGE");
  ASSERT_EQ(FieldsOf(st).size(), 1u);
  EXPECT_EQ(FieldsOf(st)[0].field, "payment.amount.minor_units");
  EXPECT_FALSE(CheckAmountCeiling(INT64_MIN, "EUR", "x").ok());
  EXPECT_FALSE(CheckAmountCeiling(INT64_MAX, "EUR", "x").ok());
  EXPECT_FALSE(SetMaxDocumentMajorUnits(0).ok());
  EXPECT_FALSE(SetMaxDocumentMajorUnits(kLargestMaxDocumentMajorUnits + 1).ok());
}

TEST(Dso, CountbackOverThirtyDayPeriods) {
  const CivilDay as_of(2026, 6, 30);
  std::vector<InvoiceState> invs = {
      Inv("p0", CivilDay(2026, 6, 15), CivilDay(2026, 7, 15), 3000),  // period 0 sales
      Inv("p1", CivilDay(2026, 5, 20), CivilDay(2026, 6, 19), 2000),  // period 1 sales
  };
  // Balance 4000: period 0 covers 3000 (30 days), 1000 of 2000 -> 15 days.
  EXPECT_EQ(CountbackDsoCenti(invs, "EUR", 4000, as_of), 4500);
  EXPECT_EQ(CountbackDsoCenti(invs, "EUR", 0, as_of), 0);
  EXPECT_EQ(CountbackDsoCenti(invs, "USD", 10, as_of), 36000);
}

TEST(Dso, CountbackFromPeriodSalesMatchesTheInvoiceWalk) {
  // The periods of the test above, summed ahead (as the store sums them).
  EXPECT_EQ(CountbackDsoCentiFromPeriods(4000, {3000, 2000}), 4500);
  EXPECT_EQ(CountbackDsoCentiFromPeriods(0, {3000}), 0);
  // A balance no period covers is 12 periods: 360 days.
  EXPECT_EQ(CountbackDsoCentiFromPeriods(10, {}), 36000);
  // Only part of the first period: 1500 of 3000 sold in 30 days is 15 days.
  EXPECT_EQ(CountbackDsoCentiFromPeriods(1500, {3000, 2000}), 1500);
}

}  // namespace
}  // namespace collections::domain
