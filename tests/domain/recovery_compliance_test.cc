// The compliance guard: contact windows across zones and DST, the Reg F call
// presumptions, cease-communication, opt-outs, disputes and overrides.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "service/base/errors.h"
#include "service/domain/compliance.h"
#include "tests/domain/recovery_fixtures.h"

namespace collections::domain {
namespace {

using testing::At;
using testing::Day;
using testing::Invoice;

ProposedContact Call(absl::Time t, std::vector<std::string> invoices = {"A"}) {
  ProposedContact c;
  c.time = t;
  c.channel = Channel::kPhone;
  c.invoice_ids = std::move(invoices);
  return c;
}

AccountContext ConsumerWithDebt(absl::string_view zone) {
  AccountContext ctx = testing::Consumer(zone);
  ctx.invoices.push_back(Invoice("A", Day(2026, 1, 1), Day(2026, 1, 31), 50000, "USD"));
  ctx.invoices.push_back(Invoice("B", Day(2026, 1, 1), Day(2026, 1, 31), 20000, "USD"));
  return ctx;
}

struct WindowCase {
  const char* zone;
  absl::Time time;
  bool allowed;
};

TEST(ComplianceHours, ConsumerWindowAcrossZonesAndDst) {
  const absl::TimeZone utc = absl::UTCTimeZone();
  auto utc_at = [&](int y, int m, int d, int h, int min) {
    return absl::FromCivil(absl::CivilSecond(y, m, d, h, min, 0), utc);
  };
  const std::vector<WindowCase> cases = {
      // Local edges of the window.
      {"America/New_York", At(Day(2026, 2, 2), 7, 59, "America/New_York"), false},
      {"America/New_York", At(Day(2026, 2, 2), 8, 0, "America/New_York"), true},
      {"America/New_York", At(Day(2026, 2, 2), 21, 0, "America/New_York"), true},
      {"America/New_York", At(Day(2026, 2, 2), 21, 1, "America/New_York"), false},
      // One instant, 2026-03-10 12:30 UTC: 08:30 EDT in New York, 05:30 PDT
      // in Los Angeles, 21:30 JST in Tokyo.
      {"America/New_York", utc_at(2026, 3, 10, 12, 30), true},
      {"America/Los_Angeles", utc_at(2026, 3, 10, 12, 30), false},
      {"Asia/Tokyo", utc_at(2026, 3, 10, 12, 30), false},
      // US DST starts 2026-03-08. 12:30 UTC is 07:30 EST before the change
      // and 08:30 EDT after it: a fixed UTC-5 offset would get one wrong.
      {"America/New_York", utc_at(2026, 3, 6, 12, 30), false},
      {"America/New_York", utc_at(2026, 3, 9, 12, 30), true},
      // DST ends 2026-11-01: 00:30 UTC on Nov 2 is 19:30 EST (allowed), and
      // 01:30 UTC on Oct 31 is 21:30 EDT (refused).
      {"America/New_York", utc_at(2026, 11, 2, 0, 30), true},
      {"America/New_York", utc_at(2026, 10, 31, 1, 30), false},
  };
  const CollectionPolicy policy = DefaultPolicy();
  for (const auto& c : cases) {
    SCOPED_TRACE(absl::StrCat(c.zone, " ", absl::FormatTime(c.time)));
    const AccountContext ctx = ConsumerWithDebt(c.zone);
    const ComplianceVerdict v = CheckContact(ctx, policy, Call(c.time));
    EXPECT_EQ(v.allowed, c.allowed) << v.message;
    if (!c.allowed) {
      EXPECT_EQ(v.rule, kRuleConsumerHours);
      EXPECT_NE(v.message.find("§1006.6(b)(1)(i)"), std::string::npos);
      ASSERT_TRUE(v.next_allowed.has_value());
      absl::TimeZone tz;
      ASSERT_TRUE(absl::LoadTimeZone(c.zone, &tz));
      const absl::CivilSecond local = absl::ToCivilSecond(*v.next_allowed, tz);
      EXPECT_EQ(local.hour(), 8);
      EXPECT_EQ(local.minute(), 0);
    }
  }
}

TEST(ComplianceHours, EarliestAllowedOnTheDstDayIsEightLocal) {
  const AccountContext ctx = ConsumerWithDebt("America/New_York");
  const absl::Time midnight = At(Day(2026, 3, 8), 0, 0, "America/New_York");
  auto t = EarliestAllowed(ctx, DefaultPolicy(), Channel::kPhone, {"A"}, midnight);
  ASSERT_TRUE(t.ok()) << t.status();
  // 08:00 EDT = 12:00 UTC (the day before it was 13:00 UTC).
  EXPECT_EQ(*t, absl::FromCivil(absl::CivilSecond(2026, 3, 8, 12, 0, 0), absl::UTCTimeZone()));
  // Letters are not time-restricted.
  auto letter = EarliestAllowed(ctx, DefaultPolicy(), Channel::kLetter, {"A"}, midnight);
  ASSERT_TRUE(letter.ok());
  EXPECT_EQ(*letter, midnight);
}

ContactRecord PastCall(absl::Time t, ContactOutcome outcome, std::vector<std::string> invoices) {
  ContactRecord c;
  c.time = t;
  c.channel = Channel::kPhone;
  c.direction = Direction::kOutbound;
  c.outcome = outcome;
  c.invoice_ids = std::move(invoices);
  return c;
}

TEST(ComplianceCalls, SevenCallsInSevenDaysPerDebt) {
  AccountContext ctx = ConsumerWithDebt("America/Chicago");
  for (int d = 1; d <= 7; ++d) {
    ctx.contacts.push_back(
        PastCall(At(Day(2026, 3, d), 10, 0, "America/Chicago"), ContactOutcome::kNoAnswer, {"A"}));
  }
  const CollectionPolicy policy = DefaultPolicy();
  // An eighth call on day 7 about debt A is refused.
  ComplianceVerdict v =
      CheckContact(ctx, policy, Call(At(Day(2026, 3, 7), 15, 0, "America/Chicago")));
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.rule, kRuleCallFrequency);
  EXPECT_NE(v.message.find("12 CFR §1006.14(b)(2)(i)(A)"), std::string::npos);
  ASSERT_TRUE(v.next_allowed.has_value());
  EXPECT_EQ(absl::ToCivilDay(*v.next_allowed, absl::FixedTimeZone(-6 * 3600)), Day(2026, 3, 8));
  // Debt B has had no calls: allowed.
  EXPECT_TRUE(CheckContact(ctx, policy, Call(At(Day(2026, 3, 7), 15, 0, "America/Chicago"), {"B"}))
                  .allowed);
  // Day 8: the window 2..8 holds six calls.
  EXPECT_TRUE(
      CheckContact(ctx, policy, Call(At(Day(2026, 3, 8), 10, 0, "America/Chicago"))).allowed);
  // Six calls: a seventh is still allowed.
  ctx.contacts.pop_back();
  EXPECT_TRUE(
      CheckContact(ctx, policy, Call(At(Day(2026, 3, 7), 15, 0, "America/Chicago"))).allowed);
  // Business debts are not under Reg F.
  ctx = ConsumerWithDebt("America/Chicago");
  ctx.customer.kind = CustomerKind::kBusiness;
  for (int d = 1; d <= 9; ++d) {
    ctx.contacts.push_back(
        PastCall(At(Day(2026, 3, 2), 10, d, "America/Chicago"), ContactOutcome::kNoAnswer, {"A"}));
  }
  EXPECT_TRUE(
      CheckContact(ctx, policy, Call(At(Day(2026, 3, 2), 11, 0, "America/Chicago"))).allowed);
}

TEST(ComplianceCalls, NoCallWithinSevenDaysAfterAConversation) {
  AccountContext ctx = ConsumerWithDebt("America/Denver");
  ctx.contacts.push_back(
      PastCall(At(Day(2026, 4, 1), 18, 0, "America/Denver"), ContactOutcome::kSpoke, {"A"}));
  const CollectionPolicy policy = DefaultPolicy();
  // The conversation day is day one: 19:00 that evening through day seven.
  EXPECT_FALSE(
      CheckContact(ctx, policy, Call(At(Day(2026, 4, 1), 19, 0, "America/Denver"))).allowed);
  for (int d = 2; d <= 7; ++d) {
    SCOPED_TRACE(d);
    const ComplianceVerdict v =
        CheckContact(ctx, policy, Call(At(Day(2026, 4, d), 12, 0, "America/Denver")));
    EXPECT_FALSE(v.allowed);
    EXPECT_EQ(v.rule, kRuleCallAfterConversation);
  }
  EXPECT_TRUE(CheckContact(ctx, policy, Call(At(Day(2026, 4, 8), 9, 0, "America/Denver"))).allowed);
  // Only calls are limited: an e-mail the next day is fine.
  ProposedContact email = Call(At(Day(2026, 4, 2), 9, 0, "America/Denver"));
  email.channel = Channel::kEmail;
  EXPECT_TRUE(CheckContact(ctx, policy, email).allowed);
  // EarliestAllowed finds day 8 at 08:00 local.
  auto t = EarliestAllowed(ctx, policy, Channel::kPhone, {"A"},
                           At(Day(2026, 4, 2), 12, 0, "America/Denver"));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, At(Day(2026, 4, 8), 8, 0, "America/Denver"));
  // An inbound call is a conversation too.
  ctx.contacts[0].direction = Direction::kInbound;
  EXPECT_FALSE(
      CheckContact(ctx, policy, Call(At(Day(2026, 4, 3), 12, 0, "America/Denver"))).allowed);
}

TEST(ComplianceState, CeaseCommunicationAndAuditedOverride) {
  AccountContext ctx = ConsumerWithDebt("Europe/London");
  ctx.customer.cease_communication = true;
  const CollectionPolicy policy = DefaultPolicy();
  ProposedContact letter = Call(At(Day(2026, 2, 2), 12, 0, "Europe/London"));
  letter.channel = Channel::kLetter;
  ComplianceVerdict v = CheckContact(ctx, policy, letter);
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.rule, kRuleCeaseCommunication);
  EXPECT_FALSE(v.next_allowed.has_value());
  const absl::Status st = VerdictStatus(v);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(st), kRuleCeaseCommunication);
  EXPECT_NE(st.message().find("12 CFR §1006.6(c)(1)"), std::string::npos);

  // The debtor may still call in.
  ProposedContact inbound = letter;
  inbound.direction = Direction::kInbound;
  EXPECT_TRUE(CheckContact(ctx, policy, inbound).allowed);

  // An override needs the rule and a real reason.
  letter.override_rule = kRuleCeaseCommunication;
  letter.override_reason = "short";
  EXPECT_FALSE(CheckContact(ctx, policy, letter).allowed);
  letter.override_reason = "notice that collection ends, §1006.6(c)(2)(i)";
  v = CheckContact(ctx, policy, letter);
  EXPECT_TRUE(v.allowed);
  EXPECT_TRUE(v.overridden);
}

TEST(ComplianceState, OptOutAndDisputedDebt) {
  AccountContext ctx = ConsumerWithDebt("America/New_York");
  ctx.customer.channels = {{Channel::kSms, "+12125550100", true}};
  const CollectionPolicy policy = DefaultPolicy();
  ProposedContact sms = Call(At(Day(2026, 2, 2), 12, 0, "America/New_York"));
  sms.channel = Channel::kSms;
  ComplianceVerdict v = CheckContact(ctx, policy, sms);
  EXPECT_EQ(v.rule, kRuleChannelOptOut);

  Dispute d;
  d.invoice_id = "A";
  d.opened_date = Day(2026, 1, 20);
  ctx.disputes.push_back(d);
  v = CheckContact(ctx, policy, Call(At(Day(2026, 2, 2), 12, 0, "America/New_York"), {"A"}));
  EXPECT_EQ(v.rule, kRuleDisputedDebt);
  // The other debt is not disputed.
  EXPECT_TRUE(CheckContact(ctx, policy, Call(At(Day(2026, 2, 2), 12, 0, "America/New_York"), {"B"}))
                  .allowed);
  // Verification sent: collection may resume (FDCPA §809(b)).
  ctx.disputes[0].validated = true;
  EXPECT_TRUE(CheckContact(ctx, policy, Call(At(Day(2026, 2, 2), 12, 0, "America/New_York"), {"A"}))
                  .allowed);
}

TEST(ComplianceHours, BusinessHoursAndDays) {
  AccountContext ctx = testing::NewBusiness();  // Europe/Berlin, Mon-Fri 09:00-17:00
  ctx.invoices.push_back(Invoice("A", Day(2026, 1, 1), Day(2026, 1, 31), 50000));
  const CollectionPolicy policy = DefaultPolicy();
  // Saturday 2026-02-07 11:00 Berlin: refused until Monday 09:00.
  ComplianceVerdict v =
      CheckContact(ctx, policy, Call(At(Day(2026, 2, 7), 11, 0, "Europe/Berlin")));
  EXPECT_EQ(v.rule, kRuleBusinessHours);
  ASSERT_TRUE(v.next_allowed.has_value());
  EXPECT_EQ(*v.next_allowed, At(Day(2026, 2, 9), 9, 0, "Europe/Berlin"));
  EXPECT_TRUE(CheckContact(ctx, policy, Call(At(Day(2026, 2, 9), 9, 0, "Europe/Berlin"))).allowed);
  // A policy open on Saturdays allows it.
  CollectionPolicy saturday = policy;
  saturday.business_hours.days = {1, 2, 3, 4, 5, 6};
  EXPECT_TRUE(
      CheckContact(ctx, saturday, Call(At(Day(2026, 2, 7), 11, 0, "Europe/Berlin"))).allowed);
}

}  // namespace
}  // namespace collections::domain
