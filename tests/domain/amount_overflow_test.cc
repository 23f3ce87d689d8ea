// Arithmetic on amounts near the int64 limits (all arithmetic on
// amounts is overflow-checked in the domain): sums fail with OUT_OF_RANGE
// AMOUNT_SUM_OVERFLOW or saturate where the contract says so, and never
// wrap. Each case below wrapped before AmountSum.
#include <gtest/gtest.h>

#include <climits>

#include "service/base/errors.h"
#include "service/base/money.h"
#include "service/domain/account_context.h"
#include "service/domain/amount_limits.h"
#include "service/domain/fees.h"
#include "service/domain/ledger.h"
#include "service/domain/plans.h"
#include "service/domain/promises.h"

namespace collections::domain {
namespace {

constexpr int64_t kHalf = INT64_MAX / 2 + 1;  // two of them pass INT64_MAX

void ExpectSumOverflow(const absl::Status& st) {
  EXPECT_EQ(st.code(), absl::StatusCode::kOutOfRange) << st;
  EXPECT_EQ(ReasonOf(st), "AMOUNT_SUM_OVERFLOW") << st;
}

TEST(AmountSum, ExactInsideInt64AndAnErrorOutside) {
  AmountSum s(INT64_MAX);
  EXPECT_EQ(*s.Get("x"), INT64_MAX);
  s += 1;
  EXPECT_FALSE(s.Fits());
  ExpectSumOverflow(s.Get("the EUR balance").status());
  EXPECT_NE(s.Get("the EUR balance").status().message().find("the EUR balance"),
            absl::string_view::npos);
  EXPECT_EQ(s.Clamped(), INT64_MAX);
  // An intermediate excursion past the range does not poison the result.
  s -= 2;
  EXPECT_EQ(*s.Get("x"), INT64_MAX - 1);

  AmountSum low(INT64_MIN);
  EXPECT_EQ(*low.Get("x"), INT64_MIN);
  low -= 1;
  ExpectSumOverflow(low.Get("x").status());
  EXPECT_EQ(low.Clamped(), INT64_MIN);
  EXPECT_TRUE(low.Negative());
}

TEST(AmountSum, ManyTermsAtTheCeilingOfTheLargestConfigurableLimit) {
  // 10^14 major units of a 4-decimal currency: the largest one document holds.
  const int64_t doc = kLargestMaxDocumentMajorUnits * 10'000;
  AmountSum s;
  int fitted = 0;
  for (int i = 0; i < 1000; ++i) {
    s += doc;
    if (s.Fits()) fitted = i + 1;
  }
  EXPECT_EQ(fitted, 9);  // 9 x 10^18 < 2^63 - 1 < 10 x 10^18
  EXPECT_EQ(s.Clamped(), INT64_MAX);
  for (int i = 0; i < 1000; ++i) s -= doc;
  EXPECT_EQ(*s.Get("x"), 0);
}

TEST(AmountSum, AddAndSubtractAmounts) {
  EXPECT_EQ(*AddAmounts(INT64_MAX - 1, 1, "x"), INT64_MAX);
  ExpectSumOverflow(AddAmounts(INT64_MAX, 1, "x").status());
  ExpectSumOverflow(AddAmounts(INT64_MIN, -1, "x").status());
  EXPECT_EQ(*SubtractAmounts(-1, INT64_MAX, "x"), INT64_MIN);
  ExpectSumOverflow(SubtractAmounts(0, INT64_MIN, "x").status());
  ExpectSumOverflow(SubtractAmounts(INT64_MAX, -1, "x").status());
}

TEST(AmountSum, BasisPointsSaturateInsteadOfWrapping) {
  EXPECT_EQ(ApplyBasisPoints(INT64_MAX, 10000), INT64_MAX);
  EXPECT_EQ(ApplyBasisPoints(INT64_MAX, 20000), INT64_MAX);
  EXPECT_EQ(ApplyBasisPoints(INT64_MIN, 20000), INT64_MIN);
  EXPECT_EQ(ApplyBasisPoints(INT64_MAX, 5000), INT64_MAX / 2 + 1);  // half rounds up
}

InvoiceState Invoice(const std::string& id, const std::string& ccy, int64_t total) {
  InvoiceState s;
  s.id = id;
  s.number = "INV-" + id;
  s.currency = ccy;
  s.issue_date = absl::CivilDay(2026, 1, 1);
  s.due_date = absl::CivilDay(2026, 1, 31);
  s.total = total;
  return s;
}

InvoiceContext Open(InvoiceState s) {
  InvoiceContext c;
  c.state = std::move(s);
  return c;
}

TEST(AccountAmountsFit, RefusesAnAccountWhoseAmountsPassInt64InOneCurrency) {
  AccountContext ok;
  ok.customer.id = "c-1";
  ok.invoices.push_back(Open(Invoice("a", "EUR", INT64_MAX)));
  ok.invoices.push_back(Open(Invoice("b", "USD", INT64_MAX)));  // another currency
  EXPECT_TRUE(AccountAmountsFit(ok).ok());

  AccountContext two_halves = ok;
  two_halves.invoices.push_back(Open(Invoice("c", "JPY", kHalf)));
  two_halves.invoices.push_back(Open(Invoice("d", "JPY", kHalf)));
  const absl::Status st = AccountAmountsFit(two_halves);
  ExpectSumOverflow(st);
  EXPECT_NE(st.message().find("JPY amounts of customer c-1"), absl::string_view::npos) << st;

  // Magnitudes count, not the net: an invoice of half the range settled in
  // full is refused too. The rule is simple enough to make every derived
  // figure safe; with the per-document ceiling no real account comes near it.
  AccountContext settled;
  InvoiceState inv = Invoice("e", "EUR", kHalf);
  inv.settlements.push_back({SettlementKind::kPayment, absl::CivilDay(2026, 2, 1), kHalf});
  settled.invoices.push_back(Open(inv));
  ExpectSumOverflow(AccountAmountsFit(settled));

  // Every kind of amount counts: a promise and a fee beside an invoice.
  AccountContext promised;
  promised.invoices.push_back(Open(Invoice("f", "EUR", kHalf)));
  Promise p;
  p.amount = Money{"EUR", kHalf};
  promised.promises.push_back(p);
  ExpectSumOverflow(AccountAmountsFit(promised));
  AccountContext fees;
  fees.invoices.push_back(Open(Invoice("g", "EUR", kHalf)));
  FeeCharge f;
  f.amount = Money{"EUR", kHalf};
  fees.fees.push_back(f);
  ExpectSumOverflow(AccountAmountsFit(fees));
}

TEST(AmountOverflow, SummarizeAccountFailsInsteadOfWrappingTheBalance) {
  std::vector<InvoiceState> invoices = {Invoice("a", "EUR", kHalf), Invoice("b", "EUR", kHalf)};
  auto buckets = MakeBuckets(DefaultBucketBounds());
  ASSERT_TRUE(buckets.ok());
  auto facts = SummarizeAccount(invoices, {}, {}, absl::CivilDay(2026, 3, 1), *buckets);
  ExpectSumOverflow(facts.status());
}

TEST(AmountOverflow, ExtendedTermsMilestonesPastInt64AreRefused) {
  // The sum of two milestones wrapped to a negative number, which passed the
  // "must leave a remainder" check and made the last installment overflow.
  // Each milestone alone leaves a remainder.
  auto out = ExtendedTermsSchedule(INT64_MAX, absl::CivilDay(2026, 9, 1),
                                   {{absl::CivilDay(2026, 6, 1), INT64_MAX - 1, 0},
                                    {absl::CivilDay(2026, 7, 1), INT64_MAX - 1, 0}});
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument) << out.status();
  EXPECT_EQ(ReasonOf(out.status()), "INVALID_EXTENDED_TERMS");
}

TEST(AmountOverflow, PromisePaidPastInt64IsKeptNotBroken) {
  Promise p;
  p.made_time = absl::FromCivil(absl::CivilSecond(2026, 3, 1, 10, 0, 0), absl::UTCTimeZone());
  p.amount = Money{"EUR", INT64_MAX};
  p.promised_date = absl::CivilDay(2026, 3, 10);
  p.grace_end = PromiseGraceEnd(p.promised_date, 3);
  const PromiseEvaluation ev =
      EvaluatePromise(p, {{absl::CivilDay(2026, 3, 2), kHalf}, {absl::CivilDay(2026, 3, 3), kHalf}},
                      absl::CivilDay(2026, 3, 20));
  EXPECT_EQ(ev.status, PromiseStatus::kKept);
  EXPECT_EQ(ev.paid, INT64_MAX);  // saturated, never negative
  EXPECT_EQ(ev.shortfall, 0);
}

TEST(AmountOverflow, InterestPastInt64IsAnErrorNotAWrappedFee) {
  // 100% a year on INT64_MAX for two years.
  InvoiceState inv = Invoice("a", "EUR", INT64_MAX);
  auto rate = [](absl::CivilDay) -> absl::StatusOr<int> { return 10000; };
  auto one_day = SimpleInterest(inv, absl::CivilDay(2026, 2, 1), absl::CivilDay(2026, 2, 1), rate,
                                365, nullptr);
  ASSERT_TRUE(one_day.ok()) << one_day.status();
  EXPECT_EQ(*one_day, 25269512429739112LL);  // round(INT64_MAX / 365)
  auto two_years = SimpleInterest(inv, absl::CivilDay(2026, 2, 1), absl::CivilDay(2028, 2, 1), rate,
                                  365, nullptr);
  ExpectSumOverflow(two_years.status());
}

}  // namespace
}  // namespace collections::domain
