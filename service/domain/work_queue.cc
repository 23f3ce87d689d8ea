#include "service/domain/work_queue.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace collections::domain {

const char* AlertName(Alert alert) {
  switch (alert) {
    case Alert::kNeglected:
      return "NEGLECTED";
    case Alert::kBrokenPromise:
      return "BROKEN_PROMISE";
    case Alert::kOpenDispute:
      return "OPEN_DISPUTE";
    case Alert::kPromiseDue:
      return "PROMISE_DUE";
  }
  return "UNSPECIFIED";
}

bool WorkQueueEntry::NeedsAttention() const {
  return recommendation.Actionable() || !alerts.empty();
}

WorkQueueEntry ScoreAccount(const AccountContext& ctx, const Recommendation& rec,
                            const CollectionPolicy& policy, absl::CivilDay as_of) {
  WorkQueueEntry e;
  e.customer = ctx.customer.id;
  e.display_name = ctx.customer.display_name;
  e.kind = ctx.customer.kind;
  e.recommendation = rec;
  absl::TimeZone tz;
  if (!absl::LoadTimeZone(ctx.customer.time_zone, &tz)) tz = absl::UTCTimeZone();
  if (rec.last_contact_time) {
    e.days_since_last_contact =
        static_cast<int>(as_of - absl::ToCivilDay(*rec.last_contact_time, tz));
  }
  const PolicyRules& rules = RulesFor(policy, ctx.customer, rec.amounts, nullptr);
  // Trifles below the minimum balance are left alone on purpose.
  const bool overdue = !rec.amounts.empty() && rec.oldest_days_past_due > 0 &&
                       !rec.HasReason("BELOW_MINIMUM_BALANCE");
  if (overdue && rec.action != Action::kPause) {
    const int idle =
        e.days_since_last_contact >= 0 ? e.days_since_last_contact : rec.oldest_days_past_due;
    if (idle >= rules.neglected_after_days) e.alerts.push_back(Alert::kNeglected);
  }
  for (const auto& p : ctx.promises) {
    if (p.status == PromiseStatus::kBroken && p.resolved_date && as_of - *p.resolved_date <= 30 &&
        *p.resolved_date <= as_of) {
      e.alerts.push_back(Alert::kBrokenPromise);
      break;
    }
  }
  for (const auto& p : ctx.promises) {
    if (p.status == PromiseStatus::kPending && p.promised_date <= as_of && as_of <= p.grace_end) {
      e.alerts.push_back(Alert::kPromiseDue);
      break;
    }
  }
  for (const auto& d : ctx.disputes) {
    if (d.status == DisputeStatus::kOpen) {
      e.alerts.push_back(Alert::kOpenDispute);
      break;
    }
  }

  // Points: amount (log scale, up to 400), age (2 per day, up to 300), risk
  // (up to 200), relationship (+100: protect it by acting early), alerts.
  double major = 0;
  for (const auto& m : rec.amounts) {
    const int exp = CurrencyExponent(m.currency).value_or(2);
    major += static_cast<double>(m.minor) / std::pow(10.0, exp);
  }
  const int64_t amount_points = std::min<int64_t>(400, std::llround(80 * std::log10(1 + major)));
  const int64_t age_points = std::min<int64_t>(300, int64_t{2} * rec.oldest_days_past_due);
  const int64_t risk_points = rec.risk.late_probability_bp / 50;
  const bool valued = IsValuedRelationship(ctx.customer, policy.relationship, as_of, nullptr);
  const int64_t relationship_points = valued ? 100 : 0;
  int64_t alert_points = 0;
  for (Alert a : e.alerts) {
    alert_points += a == Alert::kBrokenPromise ? 150 : a == Alert::kNeglected ? 100 : 25;
  }
  e.priority = amount_points + age_points + risk_points + relationship_points + alert_points;
  std::vector<std::string> parts = {absl::StrCat("amount ", amount_points),
                                    absl::StrCat("age ", age_points),
                                    absl::StrCat("risk ", risk_points)};
  if (relationship_points > 0) parts.push_back(absl::StrCat("relationship ", relationship_points));
  if (alert_points > 0) parts.push_back(absl::StrCat("alerts ", alert_points));
  e.priority_explanation =
      absl::StrCat("priority ", e.priority, " = ", absl::StrJoin(parts, " + "));
  return e;
}

std::vector<WorkQueueEntry> RankWorkQueue(std::vector<WorkQueueEntry> entries) {
  entries.erase(std::remove_if(entries.begin(), entries.end(),
                               [](const WorkQueueEntry& e) { return !e.NeedsAttention(); }),
                entries.end());
  std::sort(entries.begin(), entries.end(), [](const WorkQueueEntry& a, const WorkQueueEntry& b) {
    if (a.priority != b.priority) return a.priority > b.priority;
    return a.customer < b.customer;
  });
  return entries;
}

}  // namespace collections::domain
