#include "service/domain/cases.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "service/domain/amount_limits.h"

namespace collections::domain {

const char* CaseStateName(CaseState state) {
  switch (state) {
    case CaseState::kClear:
      return "CLEAR";
    case CaseState::kActive:
      return "ACTIVE";
    case CaseState::kPaused:
      return "PAUSED";
    case CaseState::kAwaitingApproval:
      return "AWAITING_APPROVAL";
    case CaseState::kReferred:
      return "REFERRED";
    case CaseState::kWrittenOff:
      return "WRITTEN_OFF";
    case CaseState::kStalled:
      return "STALLED";
    case CaseState::kUnspecified:
      break;
  }
  return "STATE_UNSPECIFIED";
}

const char* PauseKindName(PauseKind kind) {
  switch (kind) {
    case PauseKind::kDispute:
      return "DISPUTE";
    case PauseKind::kPromise:
      return "PROMISE";
    case PauseKind::kPlan:
      return "PLAN";
    case PauseKind::kSettlement:
      return "SETTLEMENT";
    case PauseKind::kCease:
      return "CEASE";
    case PauseKind::kManualHold:
      return "MANUAL_HOLD";
    case PauseKind::kReferralApproval:
      return "REFERRAL_APPROVAL";
    case PauseKind::kUnspecified:
      break;
  }
  return "KIND_UNSPECIFIED";
}

int64_t Case::MainOverdue() const {
  for (const auto& m : overdue) {
    if (m.currency == priority_currency) return m.minor;
  }
  return 0;
}

namespace {

// (upper bound of the age band in days past due, uncollectible share in bp):
// a provision matrix by ageing band, the conventional way trade receivables
// are provided for; the share grows with age and levels off. Bands, not a
// curve, so that a stored priority stays right until the day its account
// crosses into the next band (NextAgeBandDay), and the work queue never has
// to re-rank everyone per day.
constexpr int kAgeBands[][2] = {{0, 200},    {30, 500},   {60, 1000}, {90, 2000},
                                {180, 3500}, {365, 6000}, {730, 8000}};
constexpr int kOldestBandShare = 9000;  // beyond two years

}  // namespace

int UncollectibleBpByAge(int dpd) {
  for (const auto& band : kAgeBands) {
    if (dpd <= band[0]) return band[1];
  }
  return kOldestBandShare;
}

std::optional<int> NextAgeBandChange(int dpd) {
  for (const auto& band : kAgeBands) {
    if (dpd <= band[0]) return band[0] + 1 - dpd;
  }
  return std::nullopt;
}

namespace {

bool IsEscalation(Stage s) { return s != Stage::kNone && s != Stage::kPreDueReminder; }

Action ActionOfChannel(Channel channel, Stage stage) {
  switch (channel) {
    case Channel::kLetter:
      return Action::kLetter;
    case Channel::kSms:
      return Action::kSms;
    case Channel::kPhone:
    case Channel::kInPerson:
      return Action::kCallTask;
    case Channel::kEmail:
      return Action::kEmail;
    default:
      if (stage == Stage::kAgencyReferral) return Action::kReferToAgency;
      if (stage == Stage::kLegalReview) return Action::kLegalReview;
      if (stage == Stage::kWriteOffReview) return Action::kWriteOffReview;
      return Action::kNoAction;
  }
}

// Open (not voided, issued, amount due > 0) invoices on `day`.
std::vector<const InvoiceState*> OpenInvoices(const AccountContext& ctx, absl::CivilDay day) {
  std::vector<const InvoiceState*> out;
  for (const auto& inv : ctx.invoices) {
    const InvoiceState& s = inv.state;
    if (s.voided || s.issue_date > day) continue;
    if (s.AmountDueAsOf(day) <= 0) continue;
    out.push_back(&s);
  }
  return out;
}

// The highest stage carried out in the current episode: contacts about an
// open invoice, or about the whole account since the oldest open invoice was
// issued. A stage is carried out when the debtor was reached or its attempts
// are used up. The day is when that happened.
void CarriedOut(const AccountContext& ctx, const PolicyRules& rules,
                const std::vector<const InvoiceState*>& open, absl::CivilDay day, absl::TimeZone tz,
                Stage* stage, std::optional<absl::CivilDay>* entered) {
  *stage = Stage::kNone;
  entered->reset();
  if (open.empty()) return;
  absl::CivilDay start = day;
  std::set<std::string> ids;
  for (const InvoiceState* s : open) {
    start = std::min(start, s->issue_date);
    ids.insert(s->id);
  }
  const absl::Time day_end = absl::FromCivil(absl::CivilSecond(day + 1), tz);
  std::map<Stage, int> attempts;
  std::map<Stage, absl::CivilDay> done_on;
  for (const auto& c : ctx.contacts) {
    if (c.time >= day_end || c.direction != Direction::kOutbound) continue;
    if (!IsEscalation(c.stage)) continue;
    bool in_episode = false;
    if (c.invoice_ids.empty()) {
      in_episode = absl::ToCivilDay(c.time, tz) >= start;
    } else {
      for (const auto& id : c.invoice_ids) in_episode = in_episode || ids.count(id) > 0;
    }
    if (!in_episode) continue;
    ++attempts[c.stage];
    const StageRule* r = rules.Find(c.stage);
    const int max_attempts = r != nullptr ? std::max(1, r->max_attempts) : 1;
    if ((c.Reached() || attempts[c.stage] >= max_attempts) && !done_on.count(c.stage)) {
      done_on[c.stage] = absl::ToCivilDay(c.time, tz);
    }
  }
  for (const auto& [s, d] : done_on) {
    if (s > *stage) {
      *stage = s;
      *entered = d;
    }
  }
}

std::vector<Money> SortedMoney(const std::map<std::string, AmountSum>& m) {
  std::vector<Money> out;
  for (const auto& [cur, v] : m) {
    if (v.Clamped() != 0) out.push_back({cur, v.Clamped()});
  }
  return out;
}

bool IsStall(absl::string_view code) {
  return code == "LADDER_COMPLETE" || code == "BELOW_MINIMUM_BALANCE" ||
         code == "NO_ECONOMIC_ESCALATION" || code == "CEASE_COMMUNICATION" ||
         absl::StartsWith(code, "REG_F_") || absl::StartsWith(code, "FDCPA_");
}

std::string Percent(int64_t bp) { return absl::StrFormat("%d%%", (bp + 50) / 100); }

// The last step: the newest outbox action or staged contact up to `day`.
void SetLastStep(const AccountContext& ctx, absl::CivilDay day, absl::TimeZone tz, Case& c) {
  for (const auto& p : ctx.pending) {
    if (!c.last_step.day || p.as_of >= *c.last_step.day) {
      c.last_step = {p.stage, ActionOfChannel(p.channel, p.stage), p.as_of, p.id};
    }
  }
  for (const auto& k : ctx.contacts) {
    if (k.stage == Stage::kNone || k.direction != Direction::kOutbound) continue;
    const absl::CivilDay d = absl::ToCivilDay(k.time, tz);
    if (d > day) continue;
    if (!c.last_step.day || d >= *c.last_step.day) {
      // The contact names its outbox action by resource name; the case
      // keeps the action id.
      const std::string& action = k.outbox_action;
      c.last_step = {k.stage, ActionOfChannel(k.channel, k.stage), d,
                     action.substr(action.rfind('/') + 1)};
    }
  }
}

// Pauses, from the arrangements and holds in force on `day` over the open
// invoices `open_ids`, and the arrangement that governs the case. True when
// a referral waits for the account owner's approval.
bool AddPauses(const AccountContext& ctx, const std::set<std::string>& open_ids, absl::CivilDay day,
               Case& c) {
  auto held = [&](const std::vector<std::string>& ids) {
    std::vector<std::string> out_ids;
    for (const auto& id : ids) {
      if (open_ids.count(id)) out_ids.push_back(id);
    }
    return out_ids;
  };
  const SettlementHold* governing_settlement = nullptr;
  for (const auto& s : ctx.settlements) {
    if (s.status != SettlementStatus::kAccepted || (s.pay_by && *s.pay_by < day)) continue;
    const auto ids = held(s.invoice_ids);
    if (ids.empty() && !s.invoice_ids.empty()) continue;
    c.pauses.push_back({PauseKind::kSettlement, absl::StrCat("settlements/", s.id), ids, s.pay_by,
                        "until the settlement is paid or its pay-by day passes"});
    if (governing_settlement == nullptr) governing_settlement = &s;
  }
  const PaymentPlan* governing_plan = nullptr;
  for (const auto& p : ctx.plans) {
    if (p.status != PlanStatus::kActive) continue;
    if (held(p.invoice_ids).empty() && !p.invoice_ids.empty()) continue;  // all paid
    c.pauses.push_back({PauseKind::kPlan, absl::StrCat("plans/", p.id), held(p.invoice_ids),
                        std::nullopt,
                        p.in_arrears ? "an installment is in arrears: cure period running"
                                     : "while the installments are paid"});
    if (governing_plan == nullptr) governing_plan = &p;
  }
  const Promise* governing_promise = nullptr;
  for (const auto& p : ctx.promises) {
    if (p.status != PromiseStatus::kPending || p.grace_end < day) continue;
    if (held(p.invoice_ids).empty() && !p.invoice_ids.empty()) continue;  // all paid
    c.pauses.push_back({PauseKind::kPromise, absl::StrCat("promises/", p.id), held(p.invoice_ids),
                        p.grace_end,
                        absl::StrCat("promised for ", absl::FormatCivilTime(p.promised_date))});
    if (governing_promise == nullptr) governing_promise = &p;
  }
  for (const auto& d : ctx.disputes) {
    if (d.status != DisputeStatus::kOpen || !open_ids.count(d.invoice_id)) continue;
    c.pauses.push_back({PauseKind::kDispute,
                        absl::StrCat("disputes/", d.id),
                        {d.invoice_id},
                        std::nullopt,
                        "until the dispute is resolved"});
  }
  for (const auto& inv : ctx.invoices) {
    if (!inv.on_hold || !open_ids.count(inv.state.id)) continue;
    if (inv.hold_until && *inv.hold_until < day) continue;
    c.pauses.push_back({PauseKind::kManualHold,
                        "",
                        {inv.state.id},
                        inv.hold_until,
                        inv.hold_reason.empty() ? "on hold" : inv.hold_reason});
  }
  bool awaiting_approval = false;
  for (const auto& p : ctx.pending) {
    if (!p.approval) continue;
    awaiting_approval = true;
    c.pauses.push_back({PauseKind::kReferralApproval,
                        absl::StrCat("outboxActions/", p.id),
                        {},
                        std::nullopt,
                        "until the account owner decides on the referral"});
  }
  if (ctx.customer.kind == CustomerKind::kConsumer && ctx.customer.cease_communication) {
    c.pauses.push_back(
        {PauseKind::kCease, "", {}, std::nullopt, "the consumer asked that communication cease"});
  }
  if (governing_settlement != nullptr) {
    c.governing_arrangement = absl::StrCat("settlements/", governing_settlement->id);
  } else if (governing_plan != nullptr) {
    c.governing_arrangement = absl::StrCat("plans/", governing_plan->id);
  } else if (governing_promise != nullptr) {
    c.governing_arrangement = absl::StrCat("promises/", governing_promise->id);
  }
  return awaiting_approval;
}

// The day the daily run must look again: the earliest day something falls
// due by the passing of time alone (none for referred or written-off cases).
std::optional<absl::CivilDay> NextDueDay(const AccountContext& ctx, const Case& c,
                                         const Recommendation& rec, bool action_taken,
                                         bool acted_today,
                                         const std::vector<const InvoiceState*>& open,
                                         const std::set<std::string>& open_ids,
                                         const PolicyRules& rules, absl::CivilDay day,
                                         absl::TimeZone tz) {
  const absl::CivilDay lower = acted_today ? day + 1 : day;
  std::optional<absl::CivilDay> due;
  auto consider = [&](absl::CivilDay d) {
    if (d < lower) d = lower;
    if (!due || d < *due) due = d;
  };
  if (c.state != CaseState::kReferred && c.state != CaseState::kWrittenOff) {
    if (rec.Actionable() && rec.action != Action::kPause && !action_taken) consider(day);
    if (rec.next_action_date) consider(*rec.next_action_date);
    if (rec.Actionable() && absl::ToCivilDay(rec.earliest_time, tz) > day) {
      consider(absl::ToCivilDay(rec.earliest_time, tz));
    }
    for (const InvoiceState* s : open) {
      if (s->due_date >= day) consider(s->due_date + 1);  // becomes overdue
      for (int d : rules.pre_due_reminder_days) {
        if (s->due_date - d > day) consider(s->due_date - d);
      }
    }
    for (const auto& p : ctx.promises) {
      if (p.status == PromiseStatus::kPending) consider(std::max(p.grace_end + 1, day));
    }
    for (const auto& p : ctx.plans) {
      if (p.status != PlanStatus::kActive) continue;
      if (p.in_arrears) consider(day + 1);
      bool all_paid = true;
      for (const auto& i : p.installments) all_paid = all_paid && i.paid >= i.amount;
      if (all_paid) consider(day);  // the daily run completes it
      for (const auto& i : p.installments) {
        if (i.paid >= i.amount) continue;
        // Unpaid: the day after it falls due, then daily through its grace
        // and cure period until it is paid or the plan defaults.
        consider(i.due_date >= day ? i.due_date + 1 : day + 1);
        break;
      }
    }
    for (const auto& s : ctx.settlements) {
      if ((s.status == SettlementStatus::kAccepted || s.status == SettlementStatus::kProposed) &&
          s.pay_by) {
        consider(std::max(*s.pay_by + 1, day));
      }
      // Paid in full: the daily run closes it (and the case) at once.
      if (s.status == SettlementStatus::kAccepted && s.accepted_date) {
        AmountSum paid;
        for (const auto& inv : ctx.invoices) {
          if (std::find(s.invoice_ids.begin(), s.invoice_ids.end(), inv.state.id) ==
              s.invoice_ids.end()) {
            continue;
          }
          for (const auto& st : inv.state.settlements) {
            if (st.kind == SettlementKind::kPayment && st.day >= *s.accepted_date &&
                st.day <= day) {
              paid += st.amount;
            }
          }
        }
        if (s.amount.minor > 0 && paid.Clamped() >= s.amount.minor) consider(day);
      }
    }
    for (const auto& inv : ctx.invoices) {
      if (inv.on_hold && inv.hold_until && open_ids.count(inv.state.id)) {
        consider(*inv.hold_until + 1);
      }
    }
    // The priority changes when the oldest debt enters its next age band:
    // the daily run stores the new one that morning.
    if (c.oldest_days_past_due > 0) {
      if (std::optional<int> in = NextAgeBandChange(c.oldest_days_past_due)) consider(day + *in);
    }
  }
  return due;
}

// Priority: the expected loss avoided by acting now (see the header), and
// its explanation.
void SetPriority(const AccountContext& ctx, const CollectionPolicy& policy,
                 const Recommendation& rec, const std::map<std::string, AmountSum>& overdue,
                 absl::CivilDay day, Case& c) {
  std::map<std::string, AmountSum> collectible;
  for (const auto& m : rec.amounts) collectible[m.currency] += m.minor;
  std::string main_currency;
  int64_t main_amount = 0;
  for (const auto& [cur, v] : overdue) {
    if (v.Clamped() > main_amount) {
      main_amount = v.Clamped();
      main_currency = cur;
    }
  }
  c.priority_currency = main_currency;
  if (!main_currency.empty() && collectible.count(main_currency)) {
    main_amount = collectible[main_currency].Clamped();
  }
  int urgency_q = 0;  // quarters
  const char* urgency_text = "nothing to do";
  switch (c.state) {
    case CaseState::kActive:
      if (c.next_step.day && *c.next_step.day <= day) {
        urgency_q = 4;
        urgency_text = "a step is due today";
      } else {
        urgency_q = 2;
        urgency_text = "the next step is scheduled";
      }
      break;
    case CaseState::kAwaitingApproval:
      urgency_q = 4;
      urgency_text = "a referral waits for approval";
      break;
    case CaseState::kStalled:
      urgency_q = 2;
      urgency_text = "no further step applies: review by hand";
      break;
    case CaseState::kPaused:
      urgency_q = 1;
      urgency_text = "paused";
      break;
    default:
      break;
  }
  std::string why_valued;
  const bool valued = IsValuedRelationship(ctx.customer, policy.relationship, day, &why_valued);
  const int64_t age_bp = UncollectibleBpByAge(c.oldest_days_past_due);
  const int64_t risk_factor_bp = 5000 + c.risk.late_probability_bp;  // 0.5 + P(late)
  const int64_t p_bp = std::min<int64_t>(10000, age_bp * risk_factor_bp / 10000);
  // amount x p x urgency x relationship, in integer steps without overflow
  // for any amount below 2^63 / 10^4.
  __int128 prio = static_cast<__int128>(main_amount) * p_bp / 10000 * urgency_q / 4;
  if (valued) prio = prio * 3 / 2;
  c.priority = static_cast<int64_t>(std::min<__int128>(prio, INT64_MAX));
  if (c.priority > 0) {
    c.priority_explanation =
        absl::StrCat(FormatMoney({main_currency, main_amount}), " at risk x ", Percent(p_bp),
                     " not collected (", c.oldest_days_past_due, " days past due, ",
                     Percent(c.risk.late_probability_bp), " late-payment risk) x ",
                     urgency_q == 4   ? "1"
                     : urgency_q == 2 ? "1/2"
                                      : "1/4",
                     " (", urgency_text, ")",
                     valued ? absl::StrCat(" x 3/2 (valued relationship: ", why_valued, ")") : "");
  } else {
    c.priority_explanation = urgency_text;
  }
}

}  // namespace

CaseOutcome Transition(const Case& before, const CaseEvent& event, const AccountContext& ctx,
                       const CollectionPolicy& policy, const PortfolioPrior& prior) {
  const absl::CivilDay day = event.day;
  CaseOutcome out;
  Case& c = out.after;
  c.customer = ctx.customer.id;
  c.display_name = ctx.customer.display_name;
  c.kind = ctx.customer.kind;
  c.owner = ctx.customer.account_owner;
  c.policy_version = policy.version;
  c.history = before.history;
  c.evaluated_day = day;
  c.last_run_day = before.last_run_day;
  absl::TimeZone tz;
  if (!absl::LoadTimeZone(ctx.customer.time_zone, &tz)) tz = absl::UTCTimeZone();

  const Recommendation rec = Recommend(ctx, policy, prior, day);
  out.recommendation = rec;
  c.recommendation = rec;
  c.risk = rec.risk;
  c.segment = rec.segment;
  c.reasons = rec.reasons;
  c.last_contact = rec.last_contact_time;

  // Balances and the oldest overdue invoice.
  const std::vector<const InvoiceState*> open = OpenInvoices(ctx, day);
  // Exact for an account that passed AccountAmountsFit.
  std::map<std::string, AmountSum> balance, overdue;
  for (const InvoiceState* s : open) {
    const int64_t due = s->AmountDueAsOf(day);
    balance[s->currency] += due;
    const int dpd = DaysPastDue(s->due_date, day);
    if (dpd > 0) {
      overdue[s->currency] += due;
      c.oldest_days_past_due = std::max(c.oldest_days_past_due, dpd);
    }
  }
  c.balance = SortedMoney(balance);
  c.overdue = SortedMoney(overdue);
  c.prior_contribution = RiskContributionOf(ctx, day);

  // The stage carried out, and the day it was.
  std::string segment_unused;
  const PolicyRules& rules = RulesFor(policy, ctx.customer, c.overdue, &segment_unused);
  CarriedOut(ctx, rules, open, day, tz, &c.stage, &c.stage_entered);

  // The last step: the newest outbox action or staged contact.
  SetLastStep(ctx, day, tz, c);

  // Pauses, from the arrangements and holds in force on `day`.
  std::set<std::string> open_ids;
  for (const InvoiceState* s : open) open_ids.insert(s->id);
  const bool awaiting_approval = AddPauses(ctx, open_ids, day, c);

  // The state.
  const std::string& decision = rec.reasons.empty() ? std::string() : rec.reasons.back().code;
  if (ctx.referral.state == EndState::kWrittenOff && !ctx.referral.recalled) {
    c.state = CaseState::kWrittenOff;
  } else if (ctx.referral.state != EndState::kNone && !ctx.referral.recalled) {
    c.state = CaseState::kReferred;
  } else if (open.empty()) {  // NOLINT(bugprone-branch-clone): first match wins, see below
    c.state = CaseState::kClear;
  } else if (awaiting_approval) {
    c.state = CaseState::kAwaitingApproval;
  } else if (rec.action == Action::kPause || decision == "IN_PAYMENT_PLAN") {
    c.state = CaseState::kPaused;
  } else if (IsStall(decision)) {
    c.state = CaseState::kStalled;
  } else if (overdue.empty() && !rec.Actionable() && !rec.next_action_date) {
    c.state = CaseState::kClear;
  } else {
    c.state = CaseState::kActive;
  }

  // The next step and when it falls due.
  if (rec.Actionable() && rec.action != Action::kPause) {
    c.next_step = {rec.stage, rec.action, day, ""};
  } else if (rec.next_action_date) {
    c.next_step = {rec.stage, Action::kNoAction, rec.next_action_date, ""};
  }

  // Take the step: the daily run, once per day.
  const bool ran_today = before.last_run_day && *before.last_run_day == day;
  const bool outbox_today = ctx.last_outbox_day && *ctx.last_outbox_day == day;
  if (event.daily_run && !ran_today && !outbox_today && rec.Actionable() &&
      rec.action != Action::kPause) {
    // The step becomes the last step once its outbox action is written
    // (the caller's write moves the case again).
    out.action = rec;
    c.last_run_day = day;
  } else if (event.daily_run) {
    c.last_run_day = day;
  }

  // The day the daily run must look again: the earliest day something
  // falls due by the passing of time alone.
  const bool acted_today = event.daily_run || ran_today || outbox_today;
  c.due_day =
      NextDueDay(ctx, c, rec, out.action.has_value(), acted_today, open, open_ids, rules, day, tz);

  // Priority: the expected loss avoided by acting now (see the header).
  SetPriority(ctx, policy, rec, overdue, day, c);

  // History: a transition when the state, the stage or the pauses change.
  std::vector<PauseKind> kinds_before, kinds_after;
  for (const auto& p : before.pauses) kinds_before.push_back(p.kind);
  for (const auto& p : c.pauses) kinds_after.push_back(p.kind);
  std::sort(kinds_before.begin(), kinds_before.end());
  std::sort(kinds_after.begin(), kinds_after.end());
  if (before.state != c.state || before.stage != c.stage || kinds_before != kinds_after ||
      out.action.has_value()) {
    CaseTransitionRecord t;
    t.from_state = before.state;
    t.to_state = c.state;
    t.from_stage = before.stage;
    t.to_stage = c.stage;  // a step taken moves the stage once it is carried out
    t.day = day;
    t.event = event.type;
    t.reasons = rec.reasons;
    c.history.push_back(std::move(t));
    out.moved = true;
  }
  return out;
}

bool SameCaseState(const Case& a, const Case& b, std::string* diff) {
  auto differ = [&](const char* what) {
    if (diff != nullptr) *diff = what;
    return false;
  };
  if (a.customer != b.customer) return differ("customer");
  if (a.kind != b.kind) return differ("kind");
  if (a.state != b.state) return differ("state");
  if (a.stage != b.stage) return differ("stage");
  if (a.stage_entered != b.stage_entered) return differ("stage_entered");
  if (!(a.last_step == b.last_step)) return differ("last_step");
  if (!(a.next_step == b.next_step)) return differ("next_step");
  if (a.pauses != b.pauses) return differ("pauses");
  if (a.governing_arrangement != b.governing_arrangement) return differ("governing_arrangement");
  if (a.overdue != b.overdue) return differ("overdue");
  if (a.balance != b.balance) return differ("balance");
  if (a.oldest_days_past_due != b.oldest_days_past_due) return differ("oldest_days_past_due");
  if (a.last_contact != b.last_contact) return differ("last_contact");
  if (a.owner != b.owner) return differ("owner");
  if (a.due_day != b.due_day) return differ("due_day");
  if (!(a.prior_contribution == b.prior_contribution)) return differ("prior_contribution");
  return true;
}

}  // namespace collections::domain
