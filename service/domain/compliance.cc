#include "service/domain/compliance.h"

#include <algorithm>
#include <functional>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "service/base/errors.h"
#include "service/base/money.h"

namespace collections::domain {

const char* RuleCitation(absl::string_view rule) {
  // 12 CFR §1006.6(b)(1)(i), FDCPA §805(a)(1): before 8 a.m. or after 9 p.m.
  // local time at the consumer's location is presumed inconvenient.
  if (rule == kRuleConsumerHours) return "12 CFR §1006.6(b)(1)(i) (FDCPA §805(a)(1))";
  // 12 CFR §1006.14(b)(2)(i)(A): more than seven calls within seven
  // consecutive days about a particular debt is presumed harassment.
  if (rule == kRuleCallFrequency) return "12 CFR §1006.14(b)(2)(i)(A)";
  // 12 CFR §1006.14(b)(2)(i)(B): a call within seven consecutive days after a
  // telephone conversation about the debt; the conversation day is day one.
  if (rule == kRuleCallAfterConversation) return "12 CFR §1006.14(b)(2)(i)(B)";
  // 12 CFR §1006.6(c)(1), FDCPA §805(c): a written request to cease ends
  // communication except the notices of §1006.6(c)(2).
  if (rule == kRuleCeaseCommunication) return "12 CFR §1006.6(c)(1) (FDCPA §805(c))";
  // 12 CFR §1006.14(h)(1): no communication through a medium the consumer
  // asked the collector not to use; §1006.6(e) opt-out for electronic media.
  if (rule == kRuleChannelOptOut) return "12 CFR §1006.14(h)(1), §1006.6(e)";
  // FDCPA §809(b), 12 CFR §1006.34(c)(3)-(4): collection of a disputed debt
  // stops until verification is mailed to the consumer.
  if (rule == kRuleDisputedDebt) return "FDCPA §809(b), 12 CFR §1006.34";
  if (rule == kRuleBusinessHours) return "collection policy: business_hours";
  if (rule == kRuleBusinessOptOut) return "collection policy: customer channel opt-out";
  if (rule == kRuleBusinessDispute) return "collection policy: disputed invoices are paused";
  if (rule == kRuleUnknownTimeZone) return "12 CFR §1006.6(b)(1)(i) needs the debtor's local time";
  return "";
}

bool IsTimeRestricted(Channel channel) {
  switch (channel) {
    case Channel::kPhone:
    case Channel::kSms:
    case Channel::kEmail:
    case Channel::kInPerson:
      return true;
    default:
      return false;
  }
}

namespace {

constexpr int kConsumerStartMinute = 8 * 60;  // 08:00
constexpr int kConsumerEndMinute = 21 * 60;   // 21:00
constexpr int kCallCap = 7;                   // calls in 7 consecutive days
constexpr int kWindowDays = 7;

int IsoWeekday(absl::CivilDay day) {
  switch (absl::GetWeekday(day)) {
    case absl::Weekday::monday:
      return 1;
    case absl::Weekday::tuesday:
      return 2;
    case absl::Weekday::wednesday:
      return 3;
    case absl::Weekday::thursday:
      return 4;
    case absl::Weekday::friday:
      return 5;
    case absl::Weekday::saturday:
      return 6;
    case absl::Weekday::sunday:
      return 7;
  }
  return 1;
}

absl::Time LocalTime(absl::CivilDay day, int minute, const absl::TimeZone& tz) {
  return absl::FromCivil(
      absl::CivilSecond(day.year(), day.month(), day.day(), minute / 60, minute % 60, 0), tz);
}

// Refusal under construction; Check() stops at the first rule not overridden.
struct Refusal {
  std::string rule;
  std::string explanation;
  std::optional<absl::Time> next_allowed;
};

bool Covers(const std::vector<std::string>& ids, absl::string_view id) {
  return ids.empty() || std::find(ids.begin(), ids.end(), id) != ids.end();
}

std::vector<std::string> DebtsOf(const AccountContext& ctx, const ProposedContact& c,
                                 absl::CivilDay day) {
  if (!c.invoice_ids.empty()) return c.invoice_ids;
  std::vector<std::string> ids;
  for (const auto& inv : ctx.invoices) {
    if (!inv.state.voided && inv.state.AmountDueAsOf(day) > 0) ids.push_back(inv.state.id);
  }
  if (ids.empty()) ids.push_back("");  // the account as a whole
  return ids;
}

std::optional<Refusal> CheckHours(const CustomerFacts& customer, const CollectionPolicy& policy,
                                  const absl::TimeZone& tz, absl::Time t, Channel channel) {
  if (!IsTimeRestricted(channel)) return std::nullopt;
  const absl::CivilSecond local = absl::ToCivilSecond(t, tz);
  const absl::CivilDay day(local);
  const int minute = local.hour() * 60 + local.minute();
  const std::string local_text = absl::FormatCivilTime(local);
  if (customer.kind == CustomerKind::kConsumer) {
    const bool ok =
        minute >= kConsumerStartMinute &&
        (minute < kConsumerEndMinute || (minute == kConsumerEndMinute && local.second() == 0));
    if (ok) return std::nullopt;
    const absl::CivilDay next = minute < kConsumerStartMinute ? day : day + 1;
    return Refusal{kRuleConsumerHours,
                   absl::StrCat("consumer contact only between 08:00 and 21:00 local time; it is ",
                                local_text, " in ", customer.time_zone),
                   LocalTime(next, kConsumerStartMinute, tz)};
  }
  const BusinessHours& h = policy.business_hours;
  auto open_day = [&](absl::CivilDay d) {
    const int wd = IsoWeekday(d);
    if (h.days.empty()) return wd <= 5;
    return std::find(h.days.begin(), h.days.end(), wd) != h.days.end();
  };
  if (open_day(day) && minute >= h.start_minute && minute < h.end_minute) return std::nullopt;
  absl::CivilDay next = (open_day(day) && minute < h.start_minute) ? day : day + 1;
  for (int i = 0; i < 8 && !open_day(next); ++i) ++next;
  return Refusal{kRuleBusinessHours,
                 absl::StrCat("business debtors only in business hours; it is ", local_text, " in ",
                              customer.time_zone),
                 open_day(next) ? std::optional<absl::Time>(LocalTime(next, h.start_minute, tz))
                                : std::nullopt};
}

// Reg F §1006.14(b)(2)(i): both presumptions count per debt, by calendar day
// in the consumer's time zone.
std::optional<Refusal> CheckCalls(const AccountContext& ctx, const absl::TimeZone& tz, absl::Time t,
                                  const std::vector<std::string>& debts) {
  const absl::CivilDay day = absl::ToCivilDay(t, tz);
  for (const auto& debt : debts) {
    // (B) the conversation day is day one of the seven.
    std::optional<absl::CivilDay> conversation;
    for (const auto& c : ctx.contacts) {
      if (c.time >= t || !c.IsPhoneConversation() || !Covers(c.invoice_ids, debt)) continue;
      const absl::CivilDay d = absl::ToCivilDay(c.time, tz);
      if (!conversation || d > *conversation) conversation = d;
    }
    if (conversation && day - *conversation < kWindowDays) {
      return Refusal{kRuleCallAfterConversation,
                     absl::StrCat("a telephone conversation about this debt took place on ",
                                  absl::FormatCivilTime(*conversation),
                                  "; no call before seven days have passed"),
                     LocalTime(*conversation + kWindowDays, 0, tz)};
    }
    // (A) at most seven calls in any seven consecutive days, this one included.
    std::vector<absl::CivilDay> call_days;
    for (const auto& c : ctx.contacts) {
      if (c.time >= t || c.channel != Channel::kPhone || c.direction != Direction::kOutbound ||
          !Covers(c.invoice_ids, debt)) {
        continue;
      }
      call_days.push_back(absl::ToCivilDay(c.time, tz));
    }
    auto calls_in_window = [&](absl::CivilDay end) {
      int n = 0;
      for (const auto& d : call_days) n += (d <= end && end - d < kWindowDays) ? 1 : 0;
      return n;
    };
    if (calls_in_window(day) >= kCallCap) {
      absl::CivilDay next = day + 1;
      while (calls_in_window(next) >= kCallCap) ++next;
      return Refusal{
          kRuleCallFrequency,
          absl::StrCat(calls_in_window(day), " calls about this debt in the seven days up to ",
                       absl::FormatCivilTime(day), "; the limit is 7"),
          LocalTime(next, 0, tz)};
    }
  }
  return std::nullopt;
}

ChannelAddress const* AddressFor(const CustomerFacts& customer, Channel channel) {
  for (const auto& a : customer.channels) {
    if (a.channel == channel) return &a;
  }
  return nullptr;
}

}  // namespace

ComplianceVerdict CheckContact(const AccountContext& ctx, const CollectionPolicy& policy,
                               const ProposedContact& contact) {
  ComplianceVerdict verdict;
  if (contact.direction == Direction::kInbound) return verdict;
  const CustomerFacts& customer = ctx.customer;
  const bool consumer = customer.kind == CustomerKind::kConsumer;
  const bool override_given = contact.override_reason.size() >= 10;

  // Each step either passes, is overridden, or ends the check.
  auto refuse = [&](const Refusal& r) {
    if (override_given && contact.override_rule == r.rule) {
      verdict.overridden = true;
      return false;
    }
    verdict.allowed = false;
    verdict.rule = r.rule;
    verdict.message = absl::StrCat(RuleCitation(r.rule), ": ", r.explanation);
    verdict.next_allowed = r.next_allowed;
    return true;
  };

  absl::TimeZone tz;
  if (!absl::LoadTimeZone(customer.time_zone, &tz)) {
    if (refuse({kRuleUnknownTimeZone,
                absl::StrCat("unknown time zone \"", customer.time_zone, "\""), std::nullopt})) {
      return verdict;
    }
    tz = absl::UTCTimeZone();
  }
  const absl::CivilDay local_day = absl::ToCivilDay(contact.time, tz);
  const std::vector<std::string> debts = DebtsOf(ctx, contact, local_day);

  if (consumer && customer.cease_communication &&
      (!customer.cease_communication_time || *customer.cease_communication_time <= contact.time)) {
    if (refuse({kRuleCeaseCommunication,
                "the consumer asked in writing that communication about the debt cease",
                std::nullopt})) {
      return verdict;
    }
  }
  if (const ChannelAddress* a = AddressFor(customer, contact.channel); a && a->opted_out) {
    if (refuse({consumer ? kRuleChannelOptOut : kRuleBusinessOptOut,
                absl::StrCat("the debtor opted out of ", ChannelName(contact.channel)),
                std::nullopt})) {
      return verdict;
    }
  }
  for (const auto& debt : debts) {
    for (const auto& inv : ctx.invoices) {
      if (inv.state.id != debt || debt.empty()) continue;
      const int64_t due = inv.state.AmountDueAsOf(local_day);
      if (due > 0 && ctx.DisputedAmount(inv.state, local_day) >= due) {
        if (refuse({consumer ? kRuleDisputedDebt : kRuleBusinessDispute,
                    absl::StrCat("invoice ", inv.state.number,
                                 " is disputed and not yet validated or resolved"),
                    std::nullopt})) {
          return verdict;
        }
      }
    }
  }
  if (auto r = CheckHours(customer, policy, tz, contact.time, contact.channel); r && refuse(*r)) {
    return verdict;
  }
  if (consumer && contact.channel == Channel::kPhone) {
    if (auto r = CheckCalls(ctx, tz, contact.time, debts); r && refuse(*r)) return verdict;
  }
  return verdict;
}

absl::Status VerdictStatus(const ComplianceVerdict& verdict) {
  if (verdict.allowed) return absl::OkStatus();
  return PreconditionError(verdict.rule, absl::StrCat(verdict.rule, ": ", verdict.message));
}

absl::StatusOr<absl::Time> EarliestAllowed(const AccountContext& ctx,
                                           const CollectionPolicy& policy, Channel channel,
                                           const std::vector<std::string>& invoice_ids,
                                           absl::Time from, absl::Duration horizon) {
  ProposedContact c;
  c.time = from;
  c.channel = channel;
  c.invoice_ids = invoice_ids;
  for (int i = 0; i < 64; ++i) {
    ComplianceVerdict v = CheckContact(ctx, policy, c);
    if (v.allowed) return c.time;
    if (!v.next_allowed || *v.next_allowed > from + horizon || *v.next_allowed <= c.time) {
      return VerdictStatus(v);
    }
    c.time = *v.next_allowed;
  }
  return PreconditionError("NO_CONTACT_WINDOW", "no allowed contact time found");
}

}  // namespace collections::domain
