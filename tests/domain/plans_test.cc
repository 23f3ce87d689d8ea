#include "service/domain/plans.h"

#include <numeric>

#include "gtest/gtest.h"
#include "service/base/errors.h"

namespace collections::domain {
namespace {

int64_t Sum(const std::vector<PlanInstallment>& v) {
  return std::accumulate(v.begin(), v.end(), int64_t{0},
                         [](int64_t s, const PlanInstallment& i) { return s + i.amount; });
}

PlanPolicy Policy() {
  PlanPolicy p;
  p.min_installment = {{"EUR", 15000}};  // 150.00
  p.max_installments = 12;
  p.max_duration_months = 11;
  p.grace_days = 5;
  p.cure_days = 10;
  p.max_renegotiations = 1;
  p.restore_waived_fees_on_default = true;
  return p;
}

TEST(Plans, EqualInstallmentsFitTheMinimum) {
  PlanRequest req;
  req.currency = "EUR";
  req.balance = 100000;  // 1,000.00
  req.first_due = absl::CivilDay(2026, 1, 31);
  auto plan = ProposeInstallments(req, Policy());
  ASSERT_TRUE(plan.ok()) << plan.status();
  // 1,000.00 / 150.00 = 6 installments at most: 5 x 166.66 and 166.70.
  ASSERT_EQ(plan->size(), 6u);
  EXPECT_EQ((*plan)[0].amount, 16666);
  EXPECT_EQ((*plan)[5].amount, 16670);
  EXPECT_EQ(Sum(*plan), 100000);
  EXPECT_EQ((*plan)[0].due_date, absl::CivilDay(2026, 1, 31));
  EXPECT_EQ((*plan)[1].due_date, absl::CivilDay(2026, 2, 28));  // clamped
  EXPECT_EQ((*plan)[2].due_date, absl::CivilDay(2026, 3, 31));
}

TEST(Plans, CapacityPicksTheFewestInstallments) {
  PlanRequest req;
  req.currency = "EUR";
  req.balance = 100000;
  req.first_due = absl::CivilDay(2026, 1, 15);
  req.monthly_capacity = 30000;
  auto plan = ProposeInstallments(req, Policy());
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->size(), 4u);  // ceil(1000 / 300)
  EXPECT_EQ((*plan)[3].amount, 25000);

  req.monthly_capacity = 5000;  // needs 20 installments; the policy allows 12
  auto too_long = ProposeInstallments(req, Policy());
  EXPECT_EQ(too_long.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReasonOf(too_long.status()), "PLAN_EXCEEDS_POLICY");
}

TEST(Plans, RequestedCountBelowTheMinimumIsRefused) {
  PlanRequest req;
  req.currency = "EUR";
  req.balance = 100000;
  req.first_due = absl::CivilDay(2026, 1, 15);
  req.installments = 8;  // 125.00 each < 150.00
  auto plan = ProposeInstallments(req, Policy());
  EXPECT_EQ(ReasonOf(plan.status()), "PLAN_EXCEEDS_POLICY");
  EXPECT_EQ(FieldsOf(plan.status())[0].field, "installments");
}

TEST(Plans, SeasonalScheduleFollowsTheWeights) {
  PlanRequest req;
  req.currency = "EUR";
  req.balance = 120000;
  req.first_due = absl::CivilDay(2026, 5, 10);
  req.installments = 4;
  // A summer business: nothing in May, double in July and August.
  req.seasonal_weights = {100, 100, 100, 100, 0, 100, 200, 200, 100, 100, 100, 100};
  auto plan = ProposeInstallments(req, Policy());
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->size(), 4u);
  EXPECT_EQ((*plan)[0].due_date, absl::CivilDay(2026, 6, 10));  // May skipped
  // Weights 100:200:200:100 of 1,200.00.
  EXPECT_EQ((*plan)[0].amount, 20000);
  EXPECT_EQ((*plan)[1].amount, 40000);
  EXPECT_EQ((*plan)[2].amount, 40000);
  EXPECT_EQ((*plan)[3].amount, 20000);
  EXPECT_EQ((*plan)[3].due_date, absl::CivilDay(2026, 9, 10));
}

TEST(Plans, SeasonalInstallmentsBelowTheMinimumMerge) {
  PlanPolicy policy = Policy();
  policy.min_installment = {{"EUR", 30000}};
  PlanRequest req;
  req.currency = "EUR";
  req.balance = 100000;
  req.first_due = absl::CivilDay(2026, 1, 1);
  req.installments = 3;
  req.seasonal_weights = {10, 45, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  auto plan = ProposeInstallments(req, policy);
  ASSERT_TRUE(plan.ok()) << plan.status();
  // 100.00 in January is below 300.00 and merges into February.
  ASSERT_EQ(plan->size(), 2u);
  EXPECT_EQ((*plan)[0].due_date, absl::CivilDay(2026, 2, 1));
  EXPECT_EQ((*plan)[0].amount, 55000);
  EXPECT_EQ((*plan)[1].amount, 45000);
}

PaymentPlan ThreeMonthPlan() {
  PaymentPlan plan;
  plan.id = "plan-1";
  plan.status = PlanStatus::kActive;
  plan.currency = "EUR";
  plan.invoice_ids = {"inv-1"};
  plan.accepted_date = absl::CivilDay(2026, 1, 20);
  plan.installments = {{absl::CivilDay(2026, 2, 1), 30000, 0},
                       {absl::CivilDay(2026, 3, 1), 30000, 0},
                       {absl::CivilDay(2026, 4, 1), 30000, 0}};
  return plan;
}

TEST(Plans, PaidOnTimeCompletes) {
  const PaymentPlan plan = ThreeMonthPlan();
  const std::vector<DatedAmount> pays = {{absl::CivilDay(2026, 2, 1), 30000},
                                         {absl::CivilDay(2026, 3, 1), 30000},
                                         {absl::CivilDay(2026, 3, 30), 30000}};
  const PlanEvaluation mid = EvaluatePlan(plan, pays, Policy(), absl::CivilDay(2026, 3, 15));
  EXPECT_EQ(mid.status, PlanStatus::kActive);
  EXPECT_FALSE(mid.in_arrears);
  EXPECT_EQ(mid.statuses[0], InstallmentStatus::kPaid);
  EXPECT_EQ(mid.statuses[1], InstallmentStatus::kPaid);
  EXPECT_EQ(mid.statuses[2], InstallmentStatus::kUpcoming);
  EXPECT_EQ(mid.remaining, 30000);

  const PlanEvaluation end = EvaluatePlan(plan, pays, Policy(), absl::CivilDay(2026, 4, 2));
  EXPECT_EQ(end.status, PlanStatus::kCompleted);
  EXPECT_EQ(end.completed_date, absl::CivilDay(2026, 3, 30));
  EXPECT_EQ(end.remaining, 0);
  EXPECT_EQ(end.action, PlanAction::kNone);
}

TEST(Plans, MissedInstallmentRemindsThenDefaultsAndReentersTheLadder) {
  PaymentPlan plan = ThreeMonthPlan();
  // Only the first installment is paid; the second (due 2026-03-01) is not.
  const std::vector<DatedAmount> pays = {{absl::CivilDay(2026, 1, 30), 30000}};
  AccountContext account;
  account.plans.push_back(plan);
  EXPECT_NE(account.ActivePlanFor("inv-1"), nullptr);  // off the ladder

  // Within grace (due + 5): due, not missed.
  PlanEvaluation ev = EvaluatePlan(plan, pays, Policy(), absl::CivilDay(2026, 3, 6));
  EXPECT_EQ(ev.statuses[1], InstallmentStatus::kDue);
  EXPECT_FALSE(ev.in_arrears);
  EXPECT_EQ(ev.action, PlanAction::kNone);

  // After grace: missed, a reminder during the cure period (10 days).
  ev = EvaluatePlan(plan, pays, Policy(), absl::CivilDay(2026, 3, 7));
  EXPECT_EQ(ev.statuses[1], InstallmentStatus::kMissed);
  EXPECT_TRUE(ev.in_arrears);
  EXPECT_EQ(ev.action, PlanAction::kReminder);
  EXPECT_EQ(ev.status, PlanStatus::kActive);
  ev = EvaluatePlan(plan, pays, Policy(), absl::CivilDay(2026, 3, 16));
  EXPECT_EQ(ev.action, PlanAction::kReminder);

  // Cure period over: default.
  ev = EvaluatePlan(plan, pays, Policy(), absl::CivilDay(2026, 3, 17));
  EXPECT_EQ(ev.action, PlanAction::kDefault);
  EXPECT_EQ(ev.status, PlanStatus::kDefaulted);
  EXPECT_EQ(ev.default_date, absl::CivilDay(2026, 3, 17));
  EXPECT_EQ(ev.remaining, 60000);

  FeeCharge waived;
  waived.id = "fee-1";
  waived.invoice_id = "inv-1";
  waived.amount = Money{"EUR", 4000};
  waived.waived = true;
  FeeCharge other = waived;
  other.id = "fee-2";
  other.invoice_id = "inv-9";  // not in the plan
  auto outcome = DefaultPlan(plan, ev, {waived, other}, Policy());
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(outcome->remaining, 60000);
  EXPECT_EQ(outcome->invoice_ids, std::vector<std::string>{"inv-1"});
  EXPECT_EQ(outcome->restored_fee_ids, std::vector<std::string>{"fee-1"});
  EXPECT_EQ(plan.status, PlanStatus::kDefaulted);

  // Back on the ladder: the engine no longer sees a plan pausing inv-1.
  account.plans[0] = plan;
  EXPECT_EQ(account.ActivePlanFor("inv-1"), nullptr);

  // A second default is refused; nothing changes.
  auto again = DefaultPlan(plan, ev, {waived}, Policy());
  EXPECT_EQ(ReasonOf(again.status()), "PLAN_NOT_ACTIVE");
}

TEST(Plans, LatePaymentWithinCureClearsArrears) {
  const PaymentPlan plan = ThreeMonthPlan();
  const std::vector<DatedAmount> pays = {{absl::CivilDay(2026, 2, 1), 30000},
                                         {absl::CivilDay(2026, 3, 10), 30000}};
  const PlanEvaluation ev = EvaluatePlan(plan, pays, Policy(), absl::CivilDay(2026, 3, 12));
  EXPECT_FALSE(ev.in_arrears);
  EXPECT_EQ(ev.action, PlanAction::kNone);
}

TEST(Plans, RenegotiationIsLimited) {
  PaymentPlan plan = ThreeMonthPlan();
  EXPECT_TRUE(CheckRenegotiation(plan, Policy()).ok());
  plan.renegotiations = 1;
  absl::Status s = CheckRenegotiation(plan, Policy());
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(s), "PLAN_RENEGOTIATION_LIMIT");
  plan.renegotiations = 0;
  plan.status = PlanStatus::kCompleted;
  EXPECT_EQ(ReasonOf(CheckRenegotiation(plan, Policy())), "PLAN_NOT_RENEGOTIABLE");
}

TEST(Plans, ExtendedTermsAreAPlanEndingOnTheNewDueDate) {
  const absl::CivilDay new_due(2026, 6, 30);
  auto one = ExtendedTermsSchedule(80000, new_due, {});
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].due_date, new_due);
  EXPECT_EQ((*one)[0].amount, 80000);

  auto with = ExtendedTermsSchedule(80000, new_due, {{absl::CivilDay(2026, 5, 15), 20000, 0}});
  ASSERT_TRUE(with.ok());
  ASSERT_EQ(with->size(), 2u);
  EXPECT_EQ((*with)[1].amount, 60000);

  auto bad = ExtendedTermsSchedule(80000, new_due, {{absl::CivilDay(2026, 7, 1), 20000, 0}});
  EXPECT_EQ(FieldsOf(bad.status())[0].field, "milestones[0].due_date");
  auto all = ExtendedTermsSchedule(80000, new_due, {{absl::CivilDay(2026, 5, 1), 80000, 0}});
  EXPECT_EQ(FieldsOf(all.status())[0].field, "milestones[0].amount");
}

TEST(Plans, AddMonthsClampsToTheMonthEnd) {
  EXPECT_EQ(AddMonthsClamped(absl::CivilDay(2024, 1, 31), 1), absl::CivilDay(2024, 2, 29));
  EXPECT_EQ(AddMonthsClamped(absl::CivilDay(2025, 1, 31), 1), absl::CivilDay(2025, 2, 28));
  EXPECT_EQ(AddMonthsClamped(absl::CivilDay(2025, 1, 31), 2), absl::CivilDay(2025, 3, 31));
  EXPECT_EQ(AddMonthsClamped(absl::CivilDay(2025, 11, 15), 3), absl::CivilDay(2026, 2, 15));
}

}  // namespace
}  // namespace collections::domain
