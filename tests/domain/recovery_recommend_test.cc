// The recommendation engine: the ladder, its timing, exclusions, reasons,
// relationship sense and economics.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "service/domain/recommend.h"
#include "service/domain/work_queue.h"
#include "tests/domain/recovery_fixtures.h"

namespace collections::domain {
namespace {

using testing::Day;
using testing::Invoice;
using testing::NoonUtc;
using testing::Sent;

const PortfolioPrior kPrior{};

// One EUR 5,000.00 invoice issued 2026-01-01, due 2026-01-31.
AccountContext OneInvoice(AccountContext ctx) {
  ctx.invoices.push_back(Invoice("A", Day(2026, 1, 1), Day(2026, 1, 31), 500000));
  return ctx;
}

struct TransitionCase {
  const char* name;
  std::vector<std::pair<absl::CivilDay, Stage>> done;  // contacts carried out
  absl::CivilDay as_of;
  Stage want_stage;
  Action want_action;
};

TEST(RecommendLadder, EveryStageTransition) {
  const std::vector<TransitionCase> cases = {
      {"pre-due", {}, Day(2026, 1, 28), Stage::kPreDueReminder, Action::kEmail},
      {"nothing yet before pre-due window", {}, Day(2026, 1, 20), Stage::kNone, Action::kNoAction},
      {"first day overdue", {}, Day(2026, 2, 1), Stage::kFriendlyReminder, Action::kEmail},
      {"friendly -> second",
       {{Day(2026, 2, 1), Stage::kFriendlyReminder}},
       Day(2026, 2, 14),
       Stage::kSecondReminder,
       Action::kEmail},
      {"second -> formal notice",
       {{Day(2026, 2, 1), Stage::kFriendlyReminder}, {Day(2026, 2, 14), Stage::kSecondReminder}},
       Day(2026, 3, 2),
       Stage::kFormalNotice,
       Action::kLetter},
      {"formal -> final demand",
       {{Day(2026, 2, 1), Stage::kFriendlyReminder},
        {Day(2026, 2, 14), Stage::kSecondReminder},
        {Day(2026, 3, 2), Stage::kFormalNotice}},
       Day(2026, 3, 17),
       Stage::kFinalDemand,
       Action::kLetter},
      {"final -> agency",
       {{Day(2026, 2, 1), Stage::kFriendlyReminder},
        {Day(2026, 2, 14), Stage::kSecondReminder},
        {Day(2026, 3, 2), Stage::kFormalNotice},
        {Day(2026, 3, 17), Stage::kFinalDemand}},
       Day(2026, 5, 1),
       Stage::kAgencyReferral,
       Action::kReferToAgency},
      {"agency -> legal review",
       {{Day(2026, 2, 1), Stage::kFriendlyReminder},
        {Day(2026, 2, 14), Stage::kSecondReminder},
        {Day(2026, 3, 2), Stage::kFormalNotice},
        {Day(2026, 3, 17), Stage::kFinalDemand},
        {Day(2026, 5, 1), Stage::kAgencyReferral}},
       Day(2026, 5, 31),
       Stage::kLegalReview,
       Action::kLegalReview},
      {"legal -> write-off review",
       {{Day(2026, 2, 1), Stage::kFriendlyReminder},
        {Day(2026, 2, 14), Stage::kSecondReminder},
        {Day(2026, 3, 2), Stage::kFormalNotice},
        {Day(2026, 3, 17), Stage::kFinalDemand},
        {Day(2026, 5, 1), Stage::kAgencyReferral},
        {Day(2026, 5, 31), Stage::kLegalReview}},
       Day(2026, 7, 30),
       Stage::kWriteOffReview,
       Action::kWriteOffReview},
      {"ladder complete",
       {{Day(2026, 2, 1), Stage::kFriendlyReminder},
        {Day(2026, 2, 14), Stage::kSecondReminder},
        {Day(2026, 3, 2), Stage::kFormalNotice},
        {Day(2026, 3, 17), Stage::kFinalDemand},
        {Day(2026, 5, 1), Stage::kAgencyReferral},
        {Day(2026, 5, 31), Stage::kLegalReview},
        {Day(2026, 7, 30), Stage::kWriteOffReview}},
       Day(2026, 9, 1),
       Stage::kNone,
       Action::kNoAction},
  };
  const CollectionPolicy policy = DefaultPolicy();
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    AccountContext ctx = OneInvoice(testing::NewBusiness());
    for (const auto& [day, stage] : c.done) {
      const bool task = stage >= Stage::kAgencyReferral;
      ctx.contacts.push_back(Sent(day, stage, task ? Channel::kUnspecified : Channel::kEmail,
                                  task ? ContactOutcome::kDone : ContactOutcome::kSent));
    }
    const Recommendation rec = Recommend(ctx, policy, kPrior, c.as_of);
    EXPECT_EQ(rec.action, c.want_action) << ActionName(rec.action) << ": " << rec.explanation;
    if (c.want_action != Action::kNoAction) {
      EXPECT_EQ(rec.stage, c.want_stage);
    }
    EXPECT_FALSE(rec.explanation.empty());
  }
}

TEST(RecommendLadder, WaitsForTheNextStageAndSaysWhen) {
  AccountContext ctx = OneInvoice(testing::NewBusiness());
  ctx.contacts.push_back(Sent(Day(2026, 2, 1), Stage::kFriendlyReminder));
  const Recommendation rec = Recommend(ctx, DefaultPolicy(), kPrior, Day(2026, 2, 10));
  EXPECT_EQ(rec.action, Action::kNoAction);
  EXPECT_TRUE(rec.HasReason("WAITING"));
  ASSERT_TRUE(rec.next_action_date.has_value());
  EXPECT_EQ(*rec.next_action_date, Day(2026, 2, 14));
  EXPECT_EQ(rec.current_stage, Stage::kFriendlyReminder);
}

// Runs the engine every `step` days from `start`, carrying out whatever it
// recommends, and returns the stages in the order they were taken.
std::vector<Stage> Simulate(AccountContext ctx, absl::CivilDay start, int step, int days) {
  std::vector<Stage> taken;
  const CollectionPolicy policy = DefaultPolicy();
  for (absl::CivilDay d = start; d < start + days; d += step) {
    const Recommendation rec = Recommend(ctx, policy, kPrior, d);
    if (!rec.Actionable()) continue;
    taken.push_back(rec.stage);
    ctx.contacts.push_back(
        Sent(d, rec.stage, rec.channel == Channel::kUnspecified ? Channel::kEmail : rec.channel,
             ContactOutcome::kDone));
  }
  return taken;
}

TEST(RecommendLadder, NoStageSkippedWhenRunsAreMissed) {
  const std::vector<Stage> ladder = {
      Stage::kFriendlyReminder, Stage::kSecondReminder, Stage::kFormalNotice,  Stage::kFinalDemand,
      Stage::kAgencyReferral,   Stage::kLegalReview,    Stage::kWriteOffReview};
  // Chased from day 1, with runs missed: every rung in order, one at a time.
  for (int step : {1, 3, 10, 30}) {
    SCOPED_TRACE(step);
    const std::vector<Stage> taken =
        Simulate(OneInvoice(testing::NewBusiness()), Day(2026, 2, 1), step, 500);
    EXPECT_EQ(taken, ladder);
  }
  // First chased 100 days after the due date: a reminder saying the debt
  // may have been overlooked is not credible, so collection opens with the
  // formal notice and climbs one rung at a time from there.
  const std::vector<Stage> neglected(ladder.begin() + 2, ladder.end());
  for (int step : {1, 3, 10, 30}) {
    SCOPED_TRACE(step);
    const std::vector<Stage> taken =
        Simulate(OneInvoice(testing::NewBusiness()), Day(2026, 5, 11), step, 500);
    EXPECT_EQ(taken, neglected);
  }
  const Recommendation first =
      Recommend(OneInvoice(testing::NewBusiness()), DefaultPolicy(), kPrior, Day(2026, 5, 11));
  EXPECT_EQ(first.stage, Stage::kFormalNotice);
  EXPECT_TRUE(first.HasReason("NEGLECTED_DEBT"));
  EXPECT_EQ(first.oldest_days_past_due, 100);
  // From the formal notice on the message names the consequence and its day.
  EXPECT_EQ(first.consequence_stage, Stage::kAgencyReferral);
  ASSERT_TRUE(first.consequence_date.has_value());
  EXPECT_GE(*first.consequence_date, Day(2026, 5, 11) + 14);
}

TEST(RecommendLadder, PartialPaymentReanchorsTimingInsteadOfJumping) {
  AccountContext ctx = OneInvoice(testing::NewBusiness());
  ctx.contacts = {Sent(Day(2026, 2, 1), Stage::kFriendlyReminder),
                  Sent(Day(2026, 2, 14), Stage::kSecondReminder),
                  Sent(Day(2026, 3, 2), Stage::kFormalNotice)};
  const CollectionPolicy policy = DefaultPolicy();
  // Without a payment the final demand is due on 2026-03-17 (45 days).
  EXPECT_EQ(Recommend(ctx, policy, kPrior, Day(2026, 3, 17)).stage, Stage::kFinalDemand);

  // EUR 1,000 paid on 2026-03-10: at that date the account re-enters the
  // formal-notice stage (30 days), so the final demand follows 15 days after
  // the payment, on 2026-03-25, and never the agency.
  ctx.invoices[0].state.settlements.push_back({SettlementKind::kPayment, Day(2026, 3, 10), 100000});
  const Recommendation waiting = Recommend(ctx, policy, kPrior, Day(2026, 3, 17));
  EXPECT_EQ(waiting.action, Action::kNoAction);
  EXPECT_TRUE(waiting.HasReason("REANCHORED_AFTER_PARTIAL_PAYMENT"));
  EXPECT_EQ(waiting.next_action_date, Day(2026, 3, 25));
  const Recommendation late = Recommend(ctx, policy, kPrior, Day(2026, 5, 5));
  EXPECT_EQ(late.stage, Stage::kFinalDemand) << late.explanation;
  EXPECT_EQ(late.amounts, (std::vector<Money>{{"EUR", 400000}}));
}

TEST(RecommendExclusions, DisputePausesOnlyTheDisputedInvoice) {
  AccountContext ctx = OneInvoice(testing::NewBusiness());
  ctx.invoices.push_back(Invoice("B", Day(2026, 1, 5), Day(2026, 1, 31), 200000));
  Dispute d;
  d.id = "d1";
  d.invoice_id = "B";
  d.reason = "QUALITY";
  d.opened_date = Day(2026, 1, 25);
  ctx.disputes.push_back(d);
  const CollectionPolicy policy = DefaultPolicy();
  Recommendation rec = Recommend(ctx, policy, kPrior, Day(2026, 2, 1));
  EXPECT_EQ(rec.stage, Stage::kFriendlyReminder);
  EXPECT_EQ(rec.invoice_ids, std::vector<std::string>{"A"});
  EXPECT_EQ(rec.amounts, (std::vector<Money>{{"EUR", 500000}}));
  ASSERT_EQ(rec.excluded.size(), 1u);
  EXPECT_EQ(rec.excluded[0].invoice_id, "B");
  EXPECT_EQ(rec.excluded[0].code, "DISPUTED");

  // A line dispute holds back only the disputed amount.
  ctx.disputes[0].line_id = "L2";
  ctx.disputes[0].amount = 50000;
  rec = Recommend(ctx, policy, kPrior, Day(2026, 2, 1));
  EXPECT_EQ(rec.invoice_ids, (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(rec.amounts, (std::vector<Money>{{"EUR", 650000}}));
  EXPECT_TRUE(rec.HasReason("PARTLY_DISPUTED"));

  // Resolved: B is collected again.
  ctx.disputes[0].status = DisputeStatus::kRejected;
  rec = Recommend(ctx, policy, kPrior, Day(2026, 2, 1));
  EXPECT_EQ(rec.amounts, (std::vector<Money>{{"EUR", 700000}}));

  // Only disputed invoices: pause.
  AccountContext only;
  only.customer = ctx.customer;
  only.invoices = {ctx.invoices[1]};
  only.disputes = {d};
  rec = Recommend(only, policy, kPrior, Day(2026, 2, 1));
  EXPECT_EQ(rec.action, Action::kPause);
  EXPECT_TRUE(rec.HasReason("DISPUTE_OPEN"));
}

TEST(RecommendExclusions, PromisePausesUntilGraceEndAndBrokenPromiseResumes) {
  AccountContext ctx = OneInvoice(testing::NewBusiness());
  ctx.contacts.push_back(Sent(Day(2026, 2, 1), Stage::kFriendlyReminder));
  Promise p;
  p.id = "p1";
  p.amount = {"EUR", 500000};
  p.promised_date = Day(2026, 2, 20);
  p.grace_end = Day(2026, 2, 23);
  p.invoice_ids = {"A"};
  ctx.promises.push_back(p);
  const CollectionPolicy policy = DefaultPolicy();
  Recommendation rec = Recommend(ctx, policy, kPrior, Day(2026, 2, 16));
  EXPECT_EQ(rec.action, Action::kPause);
  EXPECT_TRUE(rec.HasReason("PROMISE_PENDING"));
  // Grace over, the promise still pending in the snapshot: no longer pauses.
  rec = Recommend(ctx, policy, kPrior, Day(2026, 2, 24));
  EXPECT_EQ(rec.stage, Stage::kSecondReminder);
  // Broken: the ladder resumes and says why.
  ctx.promises[0].status = PromiseStatus::kBroken;
  ctx.promises[0].resolved_date = Day(2026, 2, 24);
  rec = Recommend(ctx, policy, kPrior, Day(2026, 2, 24));
  EXPECT_EQ(rec.stage, Stage::kSecondReminder);
  EXPECT_TRUE(rec.HasReason("BROKEN_PROMISE"));
}

TEST(RecommendExclusions, MinimumBalanceAndEndStates) {
  AccountContext ctx = testing::NewBusiness();
  ctx.invoices.push_back(Invoice("T", Day(2026, 1, 1), Day(2026, 1, 31), 300));  // EUR 3.00
  Recommendation rec = Recommend(ctx, DefaultPolicy(), kPrior, Day(2026, 3, 1));
  EXPECT_EQ(rec.action, Action::kNoAction);
  EXPECT_TRUE(rec.HasReason("BELOW_MINIMUM_BALANCE"));

  ctx = OneInvoice(testing::NewBusiness());
  ctx.referral.state = EndState::kAgency;
  ctx.referral.since = Day(2026, 5, 1);
  rec = Recommend(ctx, DefaultPolicy(), kPrior, Day(2026, 6, 1));
  EXPECT_TRUE(rec.HasReason("END_STATE"));
  ctx.referral.recalled = true;
  EXPECT_TRUE(Recommend(ctx, DefaultPolicy(), kPrior, Day(2026, 6, 1)).Actionable());
}

TEST(RecommendRelationship, ValuedCustomerGetsACallBeforeAFormalNotice) {
  // Same debt, same history: 62 days past due, two reminders without reply.
  auto history = [](AccountContext ctx) {
    ctx = OneInvoice(ctx);
    ctx.contacts = {Sent(Day(2026, 2, 1), Stage::kFriendlyReminder),
                    Sent(Day(2026, 2, 14), Stage::kSecondReminder)};
    return ctx;
  };
  const CollectionPolicy policy = DefaultPolicy();
  const absl::CivilDay as_of = Day(2026, 4, 3);
  const Recommendation fresh = Recommend(history(testing::NewBusiness()), policy, kPrior, as_of);
  EXPECT_EQ(fresh.stage, Stage::kFormalNotice);
  EXPECT_EQ(fresh.action, Action::kLetter);

  const Recommendation valued =
      Recommend(history(testing::ValuedBusiness()), policy, kPrior, as_of);
  EXPECT_EQ(valued.action, Action::kCallTask);
  EXPECT_EQ(valued.stage, Stage::kSecondReminder);
  EXPECT_EQ(valued.assignee, "maria@acme.example");
  EXPECT_EQ(valued.tone, Tone::kFriendly);
  EXPECT_TRUE(valued.HasReason("VALUED_RELATIONSHIP_CALL_FIRST"));
  EXPECT_EQ(valued.explanation,
            "62 days past due on 1 invoice (EUR 5,000.00), 2 reminders without reply, customer "
            "since 2019 with EUR 48,000.00 lifetime revenue: call before a formal notice");

  // After the call the formal notice follows, a week later.
  AccountContext called = history(testing::ValuedBusiness());
  ContactRecord call = Sent(as_of, Stage::kSecondReminder, Channel::kPhone, ContactOutcome::kSpoke);
  called.contacts.push_back(call);
  EXPECT_EQ(Recommend(called, policy, kPrior, as_of + 3).action, Action::kNoAction);
  EXPECT_EQ(Recommend(called, policy, kPrior, as_of + 7).stage, Stage::kFormalNotice);

  // A customer still ordering counts as well.
  AccountContext ordering = history(testing::NewBusiness());
  ordering.customer.last_order_date = as_of - 10;
  EXPECT_EQ(Recommend(ordering, policy, kPrior, as_of).action, Action::kCallTask);
}

TEST(RecommendReasons, NonPaymentReasonChangesTheAnswer) {
  auto with_reason = [](NonPaymentReason reason) {
    AccountContext ctx = OneInvoice(testing::NewBusiness());
    ctx.contacts = {Sent(Day(2026, 2, 1), Stage::kFriendlyReminder)};
    ContactRecord reply;
    reply.time = NoonUtc(Day(2026, 2, 3));
    reply.channel = Channel::kPhone;
    reply.direction = Direction::kInbound;
    reply.outcome = ContactOutcome::kSpoke;
    reply.reason = reason;
    ctx.contacts.push_back(reply);
    return Recommend(ctx, DefaultPolicy(), kPrior, Day(2026, 2, 14));
  };
  Recommendation r = with_reason(NonPaymentReason::kOversight);
  EXPECT_EQ(r.action, Action::kEmail);
  EXPECT_EQ(r.stage, Stage::kSecondReminder);
  EXPECT_TRUE(r.HasReason("REASON_OVERSIGHT"));

  r = with_reason(NonPaymentReason::kCashFlow);
  EXPECT_EQ(r.action, Action::kOfferPaymentPlan);
  EXPECT_EQ(r.template_id, "payment_plan_offer.email");

  r = with_reason(NonPaymentReason::kDispute);
  EXPECT_EQ(r.action, Action::kPause);
  EXPECT_TRUE(r.HasReason("PAUSE_TO_RESOLVE"));

  r = with_reason(NonPaymentReason::kDissatisfied);
  EXPECT_EQ(r.action, Action::kPause);
}

TEST(RecommendEconomics, AgencyWithheldWhenExpectedNetRecoveryIsNegative) {
  CollectionPolicy policy = DefaultPolicy();
  policy.default_rules.stages[4].min_overdue_amount.clear();  // agency for any amount
  auto at_agency_stage = [&](int64_t total) {
    AccountContext ctx = testing::NewBusiness();
    ctx.invoices.push_back(Invoice("A", Day(2026, 1, 1), Day(2026, 1, 31), total));
    ctx.contacts = {Sent(Day(2026, 2, 1), Stage::kFriendlyReminder),
                    Sent(Day(2026, 2, 14), Stage::kSecondReminder),
                    Sent(Day(2026, 3, 2), Stage::kFormalNotice),
                    Sent(Day(2026, 3, 17), Stage::kFinalDemand)};
    return Recommend(ctx, policy, kPrior, Day(2026, 5, 1));
  };
  // EUR 5,000 (economics.h): 50 % recovered in 6 months (183 days) at 8 %
  // a year = 2,403.59, cost 25 % commission (600.89) + EUR 15 staff =
  // 615.89, net 1,787.70.
  const Recommendation big = at_agency_stage(500000);
  EXPECT_EQ(big.action, Action::kReferToAgency);
  ASSERT_TRUE(big.economics.has_value());
  EXPECT_EQ(big.economics->expected_recovery, (Money{"EUR", 240359}));
  EXPECT_EQ(big.economics->cost, (Money{"EUR", 61589}));
  EXPECT_EQ(big.economics->net, (Money{"EUR", 178770}));

  // EUR 40: recovery 19.22 against 19.80 of cost: not worth it, and legal
  // even less; the ladder goes on to a write-off review, showing why.
  const Recommendation small = at_agency_stage(4000);
  EXPECT_NE(small.action, Action::kReferToAgency);
  EXPECT_EQ(small.action, Action::kWriteOffReview);
  EXPECT_TRUE(small.HasReason("AGENCY_NOT_WORTH_COST"));
  // Legal follows an agency referral unless the policy allows it directly.
  EXPECT_TRUE(small.HasReason("LEGAL_FOLLOWS_AGENCY"));
  EXPECT_FALSE(small.HasReason("LEGAL_NOT_WORTH_COST"));
  EXPECT_NE(small.explanation.find("net EUR -0.58"), std::string::npos) << small.explanation;
}

TEST(RecommendCompliance, ConsumerCeaseAndOptOutShapeTheAction) {
  AccountContext ctx = OneInvoice(testing::Consumer("America/New_York"));
  ctx.customer.channels = {{Channel::kEmail, "sam@example.com", true}};
  Recommendation rec = Recommend(ctx, DefaultPolicy(), kPrior, Day(2026, 2, 1));
  EXPECT_EQ(rec.action, Action::kLetter);  // e-mail opted out
  EXPECT_TRUE(rec.HasReason("CHANNEL_OPTED_OUT"));

  ctx.customer.cease_communication = true;
  rec = Recommend(ctx, DefaultPolicy(), kPrior, Day(2026, 2, 1));
  EXPECT_EQ(rec.action, Action::kNoAction);
  EXPECT_TRUE(rec.HasReason("REG_F_1006_6_C_CEASE_COMMUNICATION"));
}

TEST(RecommendCompliance, EarliestTimeIsInsideTheDebtorsWindow) {
  AccountContext ctx = OneInvoice(testing::Consumer("America/Los_Angeles"));
  const Recommendation rec = Recommend(ctx, DefaultPolicy(), kPrior, Day(2026, 2, 2));
  EXPECT_EQ(rec.earliest_time, testing::At(Day(2026, 2, 2), 8, 0, "America/Los_Angeles"));
}

TEST(WorkQueue, RanksAndFlagsNeglectedAccounts) {
  const CollectionPolicy policy = DefaultPolicy();
  const absl::CivilDay as_of = Day(2026, 3, 15);
  AccountContext neglected = OneInvoice(testing::NewBusiness());
  neglected.customer.id = "neglected";
  neglected.contacts = {Sent(Day(2026, 2, 1), Stage::kFriendlyReminder),
                        Sent(Day(2026, 2, 14), Stage::kSecondReminder)};
  AccountContext small = testing::NewBusiness();
  small.customer.id = "small";
  small.invoices.push_back(Invoice("S", Day(2026, 2, 1), Day(2026, 3, 1), 10000));
  AccountContext paid = testing::NewBusiness();
  paid.customer.id = "paid";

  std::vector<WorkQueueEntry> entries;
  for (const AccountContext* ctx : {&small, &paid, &neglected}) {
    entries.push_back(ScoreAccount(*ctx, Recommend(*ctx, policy, kPrior, as_of), policy, as_of));
  }
  const std::vector<WorkQueueEntry> queue = RankWorkQueue(entries);
  ASSERT_EQ(queue.size(), 2u);
  EXPECT_EQ(queue[0].customer, "neglected");
  EXPECT_EQ(queue[0].alerts, std::vector<Alert>{Alert::kNeglected});
  EXPECT_EQ(queue[0].days_since_last_contact, 29);
  EXPECT_EQ(queue[1].customer, "small");
  EXPECT_GT(queue[0].priority, queue[1].priority);
  EXPECT_NE(queue[0].priority_explanation.find("alerts 100"), std::string::npos);
}

}  // namespace
}  // namespace collections::domain
