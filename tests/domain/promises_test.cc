#include "service/domain/promises.h"

#include "gtest/gtest.h"
#include "service/base/errors.h"

namespace collections::domain {
namespace {

// A promise made on 2026-03-01 to pay EUR 500.00 by 2026-03-10, grace 3 days.
Promise MakePromise() {
  Promise p;
  p.id = "p1";
  p.made_time = absl::FromCivil(absl::CivilSecond(2026, 3, 1, 10, 0, 0), absl::UTCTimeZone());
  p.amount = Money{"EUR", 50000};
  p.promised_date = absl::CivilDay(2026, 3, 10);
  p.grace_end = PromiseGraceEnd(p.promised_date, 3);
  p.invoice_ids = {"inv-1"};
  return p;
}

TEST(Promises, KeptWhenPaymentsReachTheAmountWithinGrace) {
  const Promise p = MakePromise();
  // 300.00 before the date and 200.00 inside the grace period.
  const std::vector<DatedAmount> pays = {{absl::CivilDay(2026, 3, 12), 20000},
                                         {absl::CivilDay(2026, 3, 5), 30000}};
  const PromiseEvaluation ev = EvaluatePromise(p, pays, absl::CivilDay(2026, 3, 20));
  EXPECT_EQ(ev.status, PromiseStatus::kKept);
  EXPECT_EQ(ev.paid, 50000);
  EXPECT_EQ(ev.shortfall, 0);
  EXPECT_EQ(ev.resolved_date, absl::CivilDay(2026, 3, 12));
  EXPECT_FALSE(ev.pauses_escalation);
}

TEST(Promises, KeptEarlyIsDecidedOnThePaymentDay) {
  const Promise p = MakePromise();
  const PromiseEvaluation ev =
      EvaluatePromise(p, {{absl::CivilDay(2026, 3, 2), 50000}}, absl::CivilDay(2026, 3, 3));
  EXPECT_EQ(ev.status, PromiseStatus::kKept);
  EXPECT_EQ(ev.resolved_date, absl::CivilDay(2026, 3, 2));
}

TEST(Promises, PartlyKeptAfterGraceWithSomePaid) {
  const Promise p = MakePromise();
  const PromiseEvaluation ev =
      EvaluatePromise(p, {{absl::CivilDay(2026, 3, 5), 30000}}, absl::CivilDay(2026, 3, 20));
  EXPECT_EQ(ev.status, PromiseStatus::kPartlyKept);
  EXPECT_EQ(ev.paid, 30000);
  EXPECT_EQ(ev.shortfall, 20000);
  EXPECT_EQ(ev.resolved_date, absl::CivilDay(2026, 3, 14));
  EXPECT_FALSE(ev.pauses_escalation);
}

TEST(Promises, BrokenIgnoresPaymentsOutsideTheWindow) {
  const Promise p = MakePromise();
  // Before the promise was made, and after the grace end: neither counts.
  const std::vector<DatedAmount> pays = {{absl::CivilDay(2026, 2, 27), 50000},
                                         {absl::CivilDay(2026, 3, 14), 50000}};
  const PromiseEvaluation ev = EvaluatePromise(p, pays, absl::CivilDay(2026, 3, 20));
  EXPECT_EQ(ev.status, PromiseStatus::kBroken);
  EXPECT_EQ(ev.paid, 0);
  EXPECT_EQ(ev.resolved_date, absl::CivilDay(2026, 3, 14));

  Promise decided = p;
  decided.status = ev.status;
  decided.resolved_date = ev.resolved_date;
  EXPECT_EQ(BrokenPromiseCount({decided}, absl::CivilDay(2026, 3, 20), false), 1);
  EXPECT_EQ(BrokenPromiseCount({decided}, absl::CivilDay(2026, 3, 13), false), 0);
}

TEST(Promises, PendingPausesEscalationThroughTheGraceEnd) {
  Promise p = MakePromise();
  for (absl::CivilDay day :
       {absl::CivilDay(2026, 3, 1), absl::CivilDay(2026, 3, 10), absl::CivilDay(2026, 3, 13)}) {
    const PromiseEvaluation ev = EvaluatePromise(p, {}, day);
    EXPECT_EQ(ev.status, PromiseStatus::kPending) << day;
    EXPECT_TRUE(ev.pauses_escalation) << day;
  }
  // The engine's view: the pending promise pauses inv-1 until the grace end.
  AccountContext account;
  account.promises.push_back(p);
  EXPECT_NE(account.ActivePromiseFor("inv-1", absl::CivilDay(2026, 3, 13)), nullptr);
  EXPECT_EQ(account.ActivePromiseFor("inv-1", absl::CivilDay(2026, 3, 14)), nullptr);
  EXPECT_EQ(EvaluatePromise(p, {}, absl::CivilDay(2026, 3, 14)).status, PromiseStatus::kBroken);
}

TEST(Promises, ValidationNamesTheField) {
  const absl::CivilDay today(2026, 3, 1);
  Promise p = MakePromise();
  EXPECT_TRUE(ValidatePromise(p, today).ok());

  p.amount.minor = 0;
  absl::Status s = ValidatePromise(p, today);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReasonOf(s), "INVALID_PROMISE");
  ASSERT_EQ(FieldsOf(s).size(), 1u);
  EXPECT_EQ(FieldsOf(s)[0].field, "promise.amount");

  p = MakePromise();
  p.promised_date = absl::CivilDay(2026, 2, 28);
  EXPECT_EQ(FieldsOf(ValidatePromise(p, today))[0].field, "promise.promised_date");

  p = MakePromise();
  p.grace_end = p.promised_date + 61;
  EXPECT_EQ(FieldsOf(ValidatePromise(p, today))[0].field, "promise.grace_days");
}

}  // namespace
}  // namespace collections::domain
