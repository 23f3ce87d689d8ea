#include "service/domain/recommend.h"

#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "service/domain/amount_limits.h"
#include "service/domain/compliance.h"
#include "service/domain/errors.h"

namespace collections::domain {

const char* ActionName(Action action) {
  switch (action) {
    case Action::kEmail: return "EMAIL";
    case Action::kLetter: return "LETTER";
    case Action::kSms: return "SMS";
    case Action::kCallTask: return "CALL_TASK";
    case Action::kOfferPaymentPlan: return "OFFER_PAYMENT_PLAN";
    case Action::kOfferSettlement: return "OFFER_SETTLEMENT";
    case Action::kApplyLateFee: return "APPLY_LATE_FEE";
    case Action::kPause: return "PAUSE";
    case Action::kReferToAgency: return "REFER_TO_AGENCY";
    case Action::kLegalReview: return "LEGAL_REVIEW";
    case Action::kWriteOffReview: return "WRITE_OFF_REVIEW";
    case Action::kNoAction: return "NO_ACTION";
    case Action::kApproveReferral: return "APPROVE_REFERRAL";
  }
  return "NO_ACTION";
}

bool Recommendation::HasReason(absl::string_view code) const {
  for (const auto& r : reasons) {
    if (r.code == code) return true;
  }
  return false;
}

namespace {

// A call is worth a staff member's time when this share of the overdue
// amount exceeds the staff cost (a rough uplift of a personal call).
constexpr int kCallUpliftBp = 2000;
// Plan reminders while an installment is in arrears: at most one a week.
constexpr int kPlanReminderIntervalDays = 7;
// A complaint not recorded as a dispute pauses the account this long.
constexpr int kComplaintPauseDays = 14;

struct Collectible {
  const InvoiceState* invoice = nullptr;
  int64_t amount = 0;  // amount due minus disputed part
  int days_past_due = 0;
};

std::string Lower(absl::string_view s) { return absl::AsciiStrToLower(s); }

bool IsInternalStage(Stage s) {
  return s == Stage::kAgencyReferral || s == Stage::kLegalReview || s == Stage::kWriteOffReview;
}

Channel DefaultChannel(Stage s) {
  switch (s) {
    case Stage::kPreDueReminder:
    case Stage::kFriendlyReminder:
    case Stage::kSecondReminder:
      return Channel::kEmail;
    case Stage::kFormalNotice:
    case Stage::kFinalDemand:
      return Channel::kLetter;
    default:
      return Channel::kUnspecified;
  }
}

Tone DefaultTone(Stage s) {
  switch (s) {
    case Stage::kPreDueReminder:
    case Stage::kFriendlyReminder:
      return Tone::kFriendly;
    case Stage::kSecondReminder:
      return Tone::kNeutral;
    case Stage::kFinalDemand:
      return Tone::kFirm;
    default:
      return Tone::kFormal;
  }
}

Action ActionFor(Stage s, Channel c) {
  if (s == Stage::kAgencyReferral) return Action::kReferToAgency;
  if (s == Stage::kLegalReview) return Action::kLegalReview;
  if (s == Stage::kWriteOffReview) return Action::kWriteOffReview;
  switch (c) {
    case Channel::kLetter: return Action::kLetter;
    case Channel::kSms: return Action::kSms;
    case Channel::kPhone:
    case Channel::kInPerson:
      return Action::kCallTask;
    default:
      return Action::kEmail;
  }
}

std::string TemplateId(Stage s, Channel c, Action a) {
  if (a == Action::kOfferPaymentPlan) {
    return absl::StrCat("payment_plan_offer.", c == Channel::kPhone ? "call" : Lower(ChannelName(c)));
  }
  if (a == Action::kCallTask) return absl::StrCat(Lower(StageName(s)), ".call");
  if (IsInternalStage(s)) return absl::StrCat(Lower(StageName(s)), ".task");
  return absl::StrCat(Lower(StageName(s)), ".", Lower(ChannelName(c)));
}

bool OptedOut(const CustomerFacts& c, Channel channel) {
  for (const auto& a : c.channels) {
    if (a.channel == channel && a.opted_out) return true;
  }
  return false;
}

std::string Plural(int n, absl::string_view one, absl::string_view many) {
  return absl::StrCat(n, " ", n == 1 ? one : many);
}

std::string Amounts(const std::vector<Money>& amounts) {
  std::vector<std::string> parts;
  for (const auto& m : amounts) parts.push_back(FormatMoney(m));
  return absl::StrJoin(parts, " + ");
}

const char* StagePhrase(Stage s) {
  switch (s) {
    case Stage::kPreDueReminder: return "a pre-due reminder";
    case Stage::kFriendlyReminder: return "a friendly reminder";
    case Stage::kSecondReminder: return "a second reminder";
    case Stage::kFormalNotice: return "a formal notice";
    case Stage::kFinalDemand: return "a final demand";
    case Stage::kAgencyReferral: return "an agency referral";
    case Stage::kLegalReview: return "a legal review";
    case Stage::kWriteOffReview: return "a write-off review";
    case Stage::kNone: break;
  }
  return "no step";
}

class Builder {
 public:
  explicit Builder(Recommendation& rec) : rec_(rec) {}
  void Fact(absl::string_view code, std::string text) {
    rec_.reasons.push_back({std::string(code), std::move(text)});
    facts_.push_back(rec_.reasons.back().text);
  }
  Recommendation& Decide(Action action, absl::string_view code, std::string text) {
    rec_.action = action;
    rec_.reasons.push_back({std::string(code), text});
    rec_.explanation = facts_.empty() ? Capitalize(text)
                                      : absl::StrCat(Capitalize(absl::StrJoin(facts_, ", ")),
                                                     ": ", text);
    return rec_;
  }

 private:
  static std::string Capitalize(std::string s) {
    if (!s.empty()) s[0] = absl::ascii_toupper(static_cast<unsigned char>(s[0]));
    return s;
  }
  Recommendation& rec_;
  std::vector<std::string> facts_;
};

}  // namespace

bool IsValuedRelationship(const CustomerFacts& c, const RelationshipRules& rules,
                          absl::CivilDay as_of, std::string* why) {
  std::vector<std::string> facts;
  bool valued = false;
  if (c.customer_since) {
    const int years = static_cast<int>((as_of - *c.customer_since) / 365);
    const bool long_standing = years >= rules.long_standing_years;
    valued = valued || long_standing;
    if (long_standing) facts.push_back(absl::StrCat("customer since ", c.customer_since->year()));
  }
  if (!c.lifetime_revenue.currency.empty()) {
    const auto threshold = AmountFor(rules.high_value_revenue, c.lifetime_revenue.currency);
    if (threshold && c.lifetime_revenue.minor >= *threshold) {
      valued = true;
      facts.push_back(absl::StrCat(facts.empty() ? "" : "with ", FormatMoney(c.lifetime_revenue),
                                   " lifetime revenue"));
    }
  }
  if (c.last_order_date && as_of - *c.last_order_date <= rules.recent_order_days &&
      *c.last_order_date <= as_of) {
    valued = true;
    facts.push_back(absl::StrCat("still ordering (last order ",
                                 absl::FormatCivilTime(*c.last_order_date), ")"));
  }
  for (const auto& t : rules.valued_tags) {
    if (c.HasTag(t)) {
      valued = true;
      facts.push_back(absl::StrCat("tagged \"", t, "\""));
    }
  }
  if (why != nullptr) *why = absl::StrJoin(facts, " ");
  return valued;
}

namespace {

// The one economics model (economics.h) for a referral.
EconomicsFigures FiguresOf(const Money& overdue, const Economics& e, RecoveryPath path) {
  const RecoveryEstimate estimate = EstimateRecovery(e, path, overdue.currency);
  const RecoveryValue v = ValueRecovery(overdue.minor, estimate, e.annual_discount_rate_bp);
  return {{overdue.currency, v.expected_recovery},
          {overdue.currency, v.cost},
          {overdue.currency, v.net},
          estimate.probability_bp};
}

}  // namespace

EconomicsFigures AgencyFigures(const Money& overdue, const Economics& e) {
  return FiguresOf(overdue, e, RecoveryPath::kAgency);
}

EconomicsFigures LegalFigures(const Money& overdue, const Economics& e) {
  return FiguresOf(overdue, e, RecoveryPath::kLegal);
}

Recommendation Recommend(const AccountContext& ctx, const CollectionPolicy& policy,
                         const PortfolioPrior& prior, absl::CivilDay as_of) {
  Recommendation rec;
  Builder b(rec);
  const CustomerFacts& customer = ctx.customer;
  rec.customer = customer.id;
  rec.as_of = as_of;
  rec.policy_version = policy.version;
  rec.risk = EstimateAccountRisk(ctx, prior, as_of);
  absl::TimeZone tz;
  if (!absl::LoadTimeZone(customer.time_zone, &tz)) tz = absl::UTCTimeZone();
  const absl::Time day_start = absl::FromCivil(absl::CivilSecond(as_of), tz);
  const absl::Time day_end = absl::FromCivil(absl::CivilSecond(as_of + 1), tz);

  // 1. End states.
  if (ctx.referral.state != EndState::kNone && !ctx.referral.recalled) {
    const char* where = ctx.referral.state == EndState::kAgency  ? "with the agency"
                        : ctx.referral.state == EndState::kLegal ? "with lawyers"
                                                                 : "written off";
    return b.Decide(Action::kNoAction, "END_STATE",
                    absl::StrCat("the account is ", where, " since ",
                                 absl::FormatCivilTime(ctx.referral.since),
                                 ": no internal collection"));
  }

  // Classify open invoices.
  std::vector<Collectible> collectible;
  std::vector<const InvoiceState*> not_due;
  int partly_disputed = 0;
  for (const auto& inv : ctx.invoices) {
    const InvoiceState& s = inv.state;
    if (s.voided || s.issue_date > as_of) continue;
    const int64_t due = s.AmountDueAsOf(as_of);
    if (due <= 0) continue;
    const int dpd = DaysPastDue(s.due_date, as_of);
    auto exclude = [&](absl::string_view code, std::string text) {
      rec.excluded.push_back({s.id, std::string(code), std::move(text)});
    };
    if (inv.on_hold && (!inv.hold_until || *inv.hold_until >= as_of)) {
      exclude("ON_HOLD", absl::StrCat("invoice ", s.number, " is on hold",
                                      inv.hold_reason.empty() ? "" : ": ", inv.hold_reason));
      continue;
    }
    const int64_t disputed = ctx.DisputedAmount(s, as_of);
    if (disputed >= due) {
      exclude("DISPUTED", absl::StrCat("invoice ", s.number,
                                       " is disputed: paused until the dispute is resolved"));
      continue;
    }
    if (const SettlementHold* st = ctx.ActiveSettlementFor(s.id, as_of)) {
      exclude("IN_SETTLEMENT",
              absl::StrCat("invoice ", s.number, " is in settlement ", st->id,
                           st->pay_by ? absl::StrCat(" (to be paid by ",
                                                     absl::FormatCivilTime(*st->pay_by), ")")
                                      : ""));
      continue;
    }
    // A plan governs its invoices while it is active, in its cure period
    // too: arrears get plan reminders, never the ladder's demands.
    if (const PaymentPlan* plan = ctx.GoverningPlanFor(s.id)) {
      if (plan->in_arrears) {
        exclude("PLAN_IN_ARREARS", absl::StrCat("invoice ", s.number, " is in payment plan ",
                                                plan->id, ", which has an installment in arrears"));
      } else {
        exclude("IN_PAYMENT_PLAN", absl::StrCat("invoice ", s.number, " is in payment plan ",
                                                plan->id));
      }
      continue;
    }
    if (const Promise* p = ctx.ActivePromiseFor(s.id, as_of)) {
      exclude("PROMISE_PENDING",
              absl::StrCat("invoice ", s.number, " is promised for ",
                           absl::FormatCivilTime(p->promised_date), " (paused until ",
                           absl::FormatCivilTime(p->grace_end), ")"));
      continue;
    }
    if (dpd <= 0) {
      not_due.push_back(&s);
      continue;
    }
    if (disputed > 0) ++partly_disputed;
    collectible.push_back({&s, due - disputed, dpd});
  }
  std::sort(collectible.begin(), collectible.end(), [](const Collectible& a, const Collectible& c) {
    if (a.invoice->due_date != c.invoice->due_date) return a.invoice->due_date < c.invoice->due_date;
    return a.invoice->id < c.invoice->id;
  });
  std::map<std::string, AmountSum> per_currency;
  for (const auto& c : collectible) {
    per_currency[c.invoice->currency] += c.amount;
    rec.invoice_ids.push_back(c.invoice->id);
    rec.oldest_days_past_due = std::max(rec.oldest_days_past_due, c.days_past_due);
  }
  // Exact for an account that passed AccountAmountsFit.
  for (const auto& [cur, amount] : per_currency) rec.amounts.push_back({cur, amount.Clamped()});
  const PolicyRules& rules = RulesFor(policy, customer, rec.amounts, &rec.segment);

  // The collection episode: contacts about the collectible invoices, or
  // about the whole account since the oldest of them was issued.
  absl::CivilDay episode_start = as_of;
  for (const auto& c : collectible) episode_start = std::min(episode_start, c.invoice->issue_date);
  auto in_episode = [&](const ContactRecord& c) {
    if (c.time >= day_end) return false;
    if (c.invoice_ids.empty()) return absl::ToCivilDay(c.time, tz) >= episode_start;
    for (const auto& id : c.invoice_ids) {
      for (const auto& col : collectible) {
        if (col.invoice->id == id) return true;
      }
    }
    return false;
  };
  std::vector<const ContactRecord*> episode;
  for (const auto& c : ctx.contacts) {
    if (in_episode(c)) episode.push_back(&c);
  }
  std::sort(episode.begin(), episode.end(),
            [](const ContactRecord* a, const ContactRecord* c) { return a->time < c->time; });
  if (!episode.empty()) rec.last_contact_time = episode.back()->time;

  // 2. Nothing collectible.
  if (collectible.empty()) {
    for (const auto& e : rec.excluded) {
      if (e.code == "DISPUTED") {
        return b.Decide(Action::kPause, "DISPUTE_OPEN",
                        absl::StrCat(e.text, "; collect nothing until it is resolved"));
      }
    }
    int promised = 0;
    for (const auto& e : rec.excluded) promised += e.code == "PROMISE_PENDING" ? 1 : 0;
    for (const auto& e : rec.excluded) {
      if (e.code != "PROMISE_PENDING") continue;
      if (promised == 1) return b.Decide(Action::kPause, "PROMISE_PENDING", e.text);
      const Promise* p = ctx.ActivePromiseFor(e.invoice_id, as_of);
      return b.Decide(Action::kPause, "PROMISE_PENDING",
                      absl::StrCat(promised, " invoices are promised for ",
                                   absl::FormatCivilTime(p->promised_date), " (paused until ",
                                   absl::FormatCivilTime(p->grace_end), ")"));
    }
    // Pre-due reminders: one per configured threshold passed.
    std::vector<const InvoiceState*> remind;
    for (const InvoiceState* s : not_due) {
      const int days_until = -DaysPastDue(s->due_date, as_of);
      int passed = 0;
      for (int d : rules.pre_due_reminder_days) passed += (days_until <= d) ? 1 : 0;
      int sent = 0;
      for (const auto& c : ctx.contacts) {
        if (c.stage != Stage::kPreDueReminder || c.time >= day_end) continue;
        if (c.invoice_ids.empty() ||
            std::find(c.invoice_ids.begin(), c.invoice_ids.end(), s->id) != c.invoice_ids.end()) {
          ++sent;
        }
      }
      for (const auto& p : ctx.pending) sent += (p.stage == Stage::kPreDueReminder) ? 1 : 0;
      if (passed > sent) remind.push_back(s);
    }
    if (!remind.empty() && !(customer.kind == CustomerKind::kConsumer &&
                             customer.cease_communication)) {
      std::map<std::string, AmountSum> sums;
      for (const InvoiceState* s : remind) {
        rec.invoice_ids.push_back(s->id);
        sums[s->currency] += s->AmountDueAsOf(as_of);
      }
      for (const auto& [cur, amount] : sums) rec.amounts.push_back({cur, amount.Clamped()});
      rec.stage = Stage::kPreDueReminder;
      rec.channel = OptedOut(customer, Channel::kEmail) ? Channel::kLetter : Channel::kEmail;
      rec.tone = Tone::kFriendly;
      rec.template_id = TemplateId(rec.stage, rec.channel, Action::kEmail);
      auto t = EarliestAllowed(ctx, policy, rec.channel, rec.invoice_ids, day_start);
      rec.earliest_time = t.ok() ? *t : day_start;
      b.Fact("DUE_SOON", absl::StrCat(Plural(static_cast<int>(remind.size()), "invoice", "invoices"),
                                      " due by ", absl::FormatCivilTime(remind.front()->due_date)));
      return b.Decide(ActionFor(rec.stage, rec.channel), "PRE_DUE_REMINDER",
                      "send a courtesy reminder before the due date");
    }
    for (const auto& e : rec.excluded) {
      if (e.code != "IN_SETTLEMENT") continue;
      return b.Decide(Action::kPause, "SETTLEMENT_PENDING",
                      absl::StrCat(e.text, "; collect nothing until then"));
    }
    for (const auto& e : rec.excluded) {
      if (e.code != "PLAN_IN_ARREARS") continue;
      b.Fact("PLAN_IN_ARREARS", e.text);
      // One reminder per week at most while the cure period runs.
      std::optional<absl::Time> last_out;
      for (const auto& c : ctx.contacts) {
        if (c.direction == Direction::kOutbound && c.time < day_end) last_out = c.time;
      }
      bool pending = false;
      for (const auto& p : ctx.pending) pending = pending || p.stage == Stage::kNone;
      if (pending) {
        return b.Decide(Action::kNoAction, "ACTION_PENDING",
                        "a plan reminder is already in the outbox");
      }
      if (last_out && absl::ToCivilDay(*last_out, tz) + kPlanReminderIntervalDays > as_of) {
        rec.next_action_date = absl::ToCivilDay(*last_out, tz) + kPlanReminderIntervalDays;
        return b.Decide(Action::kNoAction, "WAITING",
                        absl::StrCat("the next plan reminder is due on ",
                                     absl::FormatCivilTime(*rec.next_action_date)));
      }
      for (const auto& x : rec.excluded) {
        if (x.code == "PLAN_IN_ARREARS") rec.invoice_ids.push_back(x.invoice_id);
      }
      rec.stage = Stage::kNone;
      rec.channel = OptedOut(customer, Channel::kEmail) ? Channel::kLetter : Channel::kEmail;
      rec.tone = Tone::kNeutral;
      rec.template_id = absl::StrCat("plan_arrears_reminder.", Lower(ChannelName(rec.channel)));
      auto t = EarliestAllowed(ctx, policy, rec.channel, rec.invoice_ids, day_start);
      if (!t.ok()) {
        return b.Decide(Action::kNoAction, std::string(ReasonOf(t.status())),
                        absl::StrCat("compliance: ", t.status().message()));
      }
      rec.earliest_time = *t;
      return b.Decide(ActionFor(Stage::kNone, rec.channel), "PLAN_REMINDER",
                      "remind the customer of the missed installment before the plan defaults");
    }
    if (!rec.excluded.empty() && rec.excluded.front().code == "IN_PAYMENT_PLAN") {
      return b.Decide(Action::kNoAction, "IN_PAYMENT_PLAN", rec.excluded.front().text);
    }
    return b.Decide(Action::kNoAction, "NOTHING_OVERDUE", "nothing is overdue");
  }

  // Minimum balance: nobody is chased for trifles.
  bool above_minimum = false;
  for (const auto& m : rec.amounts) {
    const auto min = AmountFor(rules.minimum_balance, m.currency);
    if (!min || m.minor >= *min) above_minimum = true;
  }
  b.Fact("DAYS_PAST_DUE",
         absl::StrCat(rec.oldest_days_past_due, " days past due on ",
                      Plural(static_cast<int>(collectible.size()), "invoice", "invoices"), " (",
                      Amounts(rec.amounts), ")"));
  if (!above_minimum) {
    return b.Decide(Action::kNoAction, "BELOW_MINIMUM_BALANCE",
                    "below the policy's minimum balance, not chased");
  }
  if (partly_disputed > 0) {
    b.Fact("PARTLY_DISPUTED", absl::StrCat("disputed parts of ",
                                           Plural(partly_disputed, "invoice", "invoices"),
                                           " left out"));
  }

  // 3. Ladder state of this episode.
  std::map<Stage, int> attempts;
  std::map<Stage, bool> reached;
  bool phone_contact = false;
  int unanswered = 0;
  for (const ContactRecord* c : episode) {
    if (c->direction == Direction::kInbound || c->IsPhoneConversation()) unanswered = 0;
    if (c->direction != Direction::kOutbound) continue;
    if (c->channel == Channel::kPhone) phone_contact = true;
    if (c->stage == Stage::kNone) continue;
    ++attempts[c->stage];
    if (c->Reached()) reached[c->stage] = true;
    if (c->stage >= Stage::kFriendlyReminder && !c->IsPhoneConversation()) ++unanswered;
  }
  auto max_attempts = [&](Stage s) {
    const StageRule* r = rules.Find(s);
    return r != nullptr ? std::max(1, r->max_attempts) : 1;
  };
  Stage current = Stage::kNone;
  Stage in_progress = Stage::kNone;
  for (const auto& [stage, n] : attempts) {
    if (stage == Stage::kPreDueReminder) continue;
    if (reached[stage] || n >= max_attempts(stage)) {
      current = std::max(current, stage);
    } else {
      in_progress = std::max(in_progress, stage);
    }
  }
  if (in_progress <= current) in_progress = Stage::kNone;
  rec.current_stage = current;
  if (unanswered > 0) {
    b.Fact("NO_REPLY", absl::StrCat(Plural(unanswered, "reminder", "reminders"), " without reply"));
  }
  for (const auto& p : ctx.pending) {
    if (p.stage != Stage::kPreDueReminder) {
      rec.stage = p.stage;
      return b.Decide(Action::kNoAction, "ACTION_PENDING",
                      absl::StrCat(StagePhrase(p.stage), " is already in the outbox since ",
                                   absl::FormatCivilTime(p.as_of)));
    }
  }

  // Broken promises resume the ladder; say so.
  for (const auto& p : ctx.promises) {
    if (p.status == PromiseStatus::kBroken && p.resolved_date && *p.resolved_date <= as_of &&
        as_of - *p.resolved_date <= 30) {
      b.Fact("BROKEN_PROMISE", absl::StrCat("the promise to pay by ",
                                            absl::FormatCivilTime(p.promised_date),
                                            " was broken"));
      break;
    }
  }

  // The non-payment reason most recently recorded.
  NonPaymentReason reason = NonPaymentReason::kUnspecified;
  std::optional<absl::Time> reason_time;
  for (const ContactRecord* c : episode) {
    if (c->reason != NonPaymentReason::kUnspecified) {
      reason = c->reason;
      reason_time = c->time;
    }
  }
  if (ctx.reason != NonPaymentReason::kUnspecified && ctx.reason_date &&
      (!reason_time || absl::FromCivil(absl::CivilSecond(*ctx.reason_date), tz) > *reason_time)) {
    reason = ctx.reason;
  }

  std::string why_valued;
  const bool valued =
      IsValuedRelationship(customer, policy.relationship, as_of, &why_valued);
  // Every wait is longer for a valued relationship.
  auto wait = [&](int days) {
    return valued ? static_cast<int>(int64_t{days} * policy.relationship.wait_factor_pct / 100)
                  : days;
  };

  // 4. The candidate stage: retry the one in progress, else the next rung.
  const StageRule* rule = nullptr;
  if (in_progress != Stage::kNone) {
    rule = rules.Find(in_progress);
  }
  // A debt never chased until it is old opens with the formal notice: a
  // reminder saying it "may have been overlooked" would not be credible.
  if (rule == nullptr && current == Stage::kNone &&
      rec.oldest_days_past_due >= rules.formal_notice_entry_days) {
    if (const StageRule* notice = rules.Find(Stage::kFormalNotice)) {
      rule = notice;
      b.Fact("NEGLECTED_DEBT",
             absl::StrCat("first chased at ", rec.oldest_days_past_due,
                          " days past due: collection opens with the formal notice"));
    }
  }
  std::vector<std::string> passed_over;
  if (rule == nullptr) {
    for (const auto& r : rules.stages) {
      if (r.stage <= current) continue;
      // Amount and count conditions: a stage that does not apply to this
      // debt is passed over explicitly (reason STAGE_NOT_APPLICABLE).
      bool amount_ok = r.min_overdue_amount.empty();
      for (const auto& m : rec.amounts) {
        const auto min = AmountFor(r.min_overdue_amount, m.currency);
        if (!min || m.minor >= *min) amount_ok = true;
      }
      const bool count_ok = static_cast<int>(collectible.size()) >= r.min_overdue_invoices;
      if (!amount_ok || !count_ok) {
        passed_over.push_back(absl::StrCat(StageName(r.stage), " (",
                                           !amount_ok ? "amount below its threshold"
                                                      : "too few overdue invoices",
                                           ")"));
        continue;
      }
      rule = &r;
      break;
    }
  }
  if (!passed_over.empty()) {
    b.Fact("STAGE_NOT_APPLICABLE",
            absl::StrCat("not applicable: ", absl::StrJoin(passed_over, ", ")));
  }
  if (rule == nullptr) {
    return b.Decide(Action::kNoAction, "LADDER_COMPLETE",
                    "every stage of the ladder has been carried out; review the account by hand");
  }

  // Timing, re-anchored after a partial payment: at the payment date the
  // account counts as just entering its current stage again.
  absl::CivilDay anchor = collectible.front().invoice->due_date;
  std::optional<absl::CivilDay> last_payment;
  for (const auto& c : collectible) {
    for (const auto& s : c.invoice->settlements) {
      if (s.kind == SettlementKind::kPayment && s.day <= as_of && s.day > c.invoice->due_date) {
        if (!last_payment || s.day > *last_payment) last_payment = s.day;
      }
    }
  }
  if (last_payment) {
    const StageRule* cur_rule = rules.Find(current);
    const int cur_days = cur_rule != nullptr ? cur_rule->min_days_past_due : 0;
    const absl::CivilDay reanchored = *last_payment - cur_days;
    // Said only while the payment is what the account waits for.
    if (reanchored > anchor && as_of < reanchored + rule->min_days_past_due) {
      b.Fact("REANCHORED_AFTER_PARTIAL_PAYMENT",
             absl::StrCat("part paid on ", absl::FormatCivilTime(*last_payment),
                          ", so the next step is timed from that payment"));
    }
    anchor = std::max(anchor, reanchored);
  }
  // A referral only after a letter that named that consequence was sent,
  // and not before the notice period since that letter has passed.
  std::optional<absl::CivilDay> stated_on;
  for (const ContactRecord* c : episode) {
    if ((c->stage == Stage::kFormalNotice || c->stage == Stage::kFinalDemand) &&
        c->direction == Direction::kOutbound && c->Reached()) {
      stated_on = absl::ToCivilDay(c->time, tz);
    }
  }
  if ((rule->stage == Stage::kAgencyReferral || rule->stage == Stage::kLegalReview) &&
      !stated_on) {
    const StageRule* letter = rules.Find(Stage::kFinalDemand);
    if (letter == nullptr) letter = rules.Find(Stage::kFormalNotice);
    if (letter != nullptr) {
      b.Fact("CONSEQUENCE_NOT_YET_STATED",
             absl::StrCat("no letter has named ", StagePhrase(rule->stage),
                          " as the consequence yet"));
      rule = letter;
    }
  }
  absl::CivilDay ready = anchor + wait(rule->min_days_past_due);
  if (rec.last_contact_time) {
    ready = std::max(ready, absl::ToCivilDay(*rec.last_contact_time, tz) +
                                wait(rule->min_days_since_last_contact));
  }
  if ((rule->stage == Stage::kAgencyReferral || rule->stage == Stage::kLegalReview) &&
      stated_on) {
    const absl::CivilDay notice_end = *stated_on + wait(rules.notice_before_referral_days);
    if (notice_end > ready) {
      ready = notice_end;
      if (as_of < ready) {
        b.Fact("NOTICE_PERIOD", absl::StrCat("the consequence was stated on ",
                                             absl::FormatCivilTime(*stated_on),
                                             "; the notice period runs to ",
                                             absl::FormatCivilTime(notice_end)));
      }
    }
  }
  // A defaulted plan: the ladder resumes where it paused, at once, and the
  // letter states the default.
  for (const auto& p : ctx.plans) {
    if (p.status != PlanStatus::kDefaulted || !p.defaulted_date || *p.defaulted_date > as_of) {
      continue;
    }
    bool covers = false;
    for (const auto& c : collectible) {
      covers = covers || std::find(p.invoice_ids.begin(), p.invoice_ids.end(),
                                   c.invoice->id) != p.invoice_ids.end();
    }
    if (!covers) continue;
    bool contacted_since = false;
    for (const ContactRecord* c : episode) {
      contacted_since = contacted_since || (c->direction == Direction::kOutbound &&
                                            c->stage != Stage::kNone &&
                                            absl::ToCivilDay(c->time, tz) >= *p.defaulted_date);
    }
    if (!contacted_since) {
      b.Fact("PLAN_DEFAULTED", absl::StrCat("payment plan ", p.id, " defaulted on ",
                                            absl::FormatCivilTime(*p.defaulted_date),
                                            ": collection resumes"));
      if (rule->stage != Stage::kAgencyReferral && rule->stage != Stage::kLegalReview) {
        ready = std::min(ready, as_of);
      }
    }
  }
  // A broken promise: the firmer step is taken at once, not after the
  // ladder's usual wait.
  for (const auto& p : ctx.promises) {
    if (p.status != PromiseStatus::kBroken || !p.resolved_date || *p.resolved_date > as_of ||
        as_of - *p.resolved_date > 30) {
      continue;
    }
    bool contacted_since = false;
    for (const ContactRecord* c : episode) {
      contacted_since = contacted_since || (c->direction == Direction::kOutbound &&
                                            absl::ToCivilDay(c->time, tz) >= *p.resolved_date);
    }
    if (!contacted_since && rule->stage != Stage::kAgencyReferral &&
        rule->stage != Stage::kLegalReview) {
      ready = std::min(ready, as_of);
    }
  }
  if (valued && wait(1) != 1 && as_of < ready) {
    b.Fact("VALUED_RELATIONSHIP_WAITS",
           absl::StrCat(why_valued, ": every wait is ", policy.relationship.wait_factor_pct,
                        "% of the policy's"));
  }
  rec.stage = rule->stage;

  // Reasons for not paying change the answer.
  const bool disputed_reason =
      reason == NonPaymentReason::kDispute || reason == NonPaymentReason::kDissatisfied;
  if (disputed_reason) {
    b.Fact("REASON_DISPUTE", absl::StrCat("the customer reported ",
                                          reason == NonPaymentReason::kDispute
                                              ? "a dispute"
                                              : "dissatisfaction"));
    // A complaint pauses the account for a while, to record it as a dispute
    // (which holds the disputed invoices); it never stops the ladder for good.
    const absl::CivilDay reported =
        reason_time ? absl::ToCivilDay(*reason_time, tz)
                    : ctx.reason_date.value_or(as_of);
    if (as_of < reported + kComplaintPauseDays) {
      rec.stage = Stage::kNone;
      rec.next_action_date = reported + kComplaintPauseDays;
      return b.Decide(Action::kPause, "PAUSE_TO_RESOLVE",
                      absl::StrCat("pause collection until ",
                                   absl::FormatCivilTime(*rec.next_action_date),
                                   " and resolve the complaint (record it as a dispute)"));
    }
    b.Fact("UNRESOLVED_COMPLAINT", "the complaint was not recorded as a dispute in time");
  }
  if (as_of < ready) {
    rec.next_action_date = ready;
    return b.Decide(Action::kNoAction, "WAITING",
                    absl::StrCat(StagePhrase(rule->stage), " is due on ",
                                 absl::FormatCivilTime(ready)));
  }

  Channel channel = rule->channel != Channel::kUnspecified ? rule->channel
                                                           : DefaultChannel(rule->stage);
  rec.tone = rule->tone != Tone::kUnspecified ? rule->tone : DefaultTone(rule->stage);
  Action action = ActionFor(rule->stage, channel);
  const std::string main_currency = collectible.front().invoice->currency;
  const Money main_overdue{main_currency, per_currency[main_currency].Clamped()};

  // 6. Costly escalations only when they pay; otherwise the next rung is
  // considered, explicitly.
  while (rule->stage == Stage::kAgencyReferral || rule->stage == Stage::kLegalReview) {
    EconomicsFigures f = rule->stage == Stage::kAgencyReferral
                             ? AgencyFigures(main_overdue, policy.economics)
                             : LegalFigures(main_overdue, policy.economics);
    rec.economics = f;
    if (f.net.minor > 0) break;
    b.Fact(rule->stage == Stage::kAgencyReferral ? "AGENCY_NOT_WORTH_COST" : "LEGAL_NOT_WORTH_COST",
           absl::StrCat(StagePhrase(rule->stage), " would recover ",
                        FormatMoney(f.expected_recovery), " at a cost of ", FormatMoney(f.cost),
                        " (net ", FormatMoney(f.net), ")"));
    const StageRule* next = nullptr;
    for (const auto& r : rules.stages) {
      if (r.stage > rule->stage) {
        next = &r;
        break;
      }
    }
    if (next != nullptr && rule->stage == Stage::kAgencyReferral &&
        next->stage == Stage::kLegalReview && !policy.economics.allow_direct_legal) {
      // Legal action follows an agency referral unless the policy allows it
      // directly: without the agency, the ladder goes past legal.
      b.Fact("LEGAL_FOLLOWS_AGENCY",
             "legal action only after an agency referral (policy), so it is passed over");
      const StageRule* after_legal = nullptr;
      for (const auto& r : rules.stages) {
        if (r.stage > Stage::kLegalReview) {
          after_legal = &r;
          break;
        }
      }
      next = after_legal;
    }
    if (next == nullptr) {
      rec.stage = Stage::kNone;
      return b.Decide(Action::kNoAction, "NO_ECONOMIC_ESCALATION",
                      "no further step is worth its cost");
    }
    rule = next;
    rec.stage = rule->stage;
    action = ActionFor(rule->stage, channel);
  }
  if (rule->stage == Stage::kWriteOffReview && !rec.economics) {
    rec.economics = AgencyFigures(main_overdue, policy.economics);
  }

  // Cash flow or hardship: offer a payment plan instead of escalating, as
  // long as no plan has failed before.
  const bool plan_failed = std::any_of(ctx.plans.begin(), ctx.plans.end(), [](const auto& p) {
    return p.status == PlanStatus::kDefaulted;
  });
  const bool cash_reason =
      reason == NonPaymentReason::kCashFlow || reason == NonPaymentReason::kHardship;
  if (cash_reason && !IsInternalStage(rule->stage)) {
    b.Fact("REASON_CASH_FLOW", reason == NonPaymentReason::kHardship
                                   ? "the customer reported hardship"
                                   : "the customer reported a cash-flow problem");
    // From the formal notice on the letter is kept (it states the
    // consequence) and offers the plan; earlier rungs become the offer.
    if (!plan_failed) {
      rec.offer_payment_plan = true;
      if (rule->stage < Stage::kFormalNotice) action = Action::kOfferPaymentPlan;
    }
  } else if (reason == NonPaymentReason::kOversight) {
    b.Fact("REASON_OVERSIGHT", "the customer reported an oversight");
  }

  // 5. A valued relationship gets a call by the account owner before a
  // formal notice or a final demand.
  bool softened = false;
  if (valued && !phone_contact && action != Action::kOfferPaymentPlan &&
      (rule->stage == Stage::kFormalNotice || rule->stage == Stage::kFinalDemand)) {
    b.Fact("VALUED_RELATIONSHIP", why_valued);
    softened = true;
    rec.stage = Stage::kSecondReminder;
    channel = Channel::kPhone;
    action = Action::kCallTask;
    rec.tone = Tone::kFriendly;
    rec.assignee = customer.account_owner;
  }

  // Staff calls cost money too.
  if (action == Action::kCallTask && !softened) {
    const int64_t staff = AmountFor(policy.economics.staff_cost_per_action, main_currency).value_or(0);
    const int64_t uplift = ApplyBasisPoints(main_overdue.minor, kCallUpliftBp);
    if (uplift <= staff) {
      b.Fact("CALL_NOT_WORTH_COST",
             absl::StrCat("a call costs ", FormatMoney({main_currency, staff}),
                          ", more than it is expected to bring"));
      channel = Channel::kEmail;
      action = Action::kEmail;
    } else {
      rec.economics = EconomicsFigures{{main_currency, uplift}, {main_currency, staff},
                                       {main_currency, uplift - staff}, kCallUpliftBp};
      rec.assignee = customer.account_owner;
    }
  }

  // 7. Opt-outs and cease-communication.
  const bool internal = IsInternalStage(rec.stage);
  if (!internal && customer.kind == CustomerKind::kConsumer && customer.cease_communication) {
    b.Fact("CEASE_COMMUNICATION", "the consumer asked that communication cease");
    return b.Decide(Action::kNoAction, kRuleCeaseCommunication,
                    absl::StrCat("no contact allowed (", RuleCitation(kRuleCeaseCommunication),
                                 "); consider an agency referral or a write-off review"));
  }
  if (!internal && OptedOut(customer, channel)) {
    const Channel original = channel;
    for (Channel alt : {Channel::kEmail, Channel::kLetter}) {
      if (!OptedOut(customer, alt)) {
        channel = alt;
        break;
      }
    }
    b.Fact("CHANNEL_OPTED_OUT", absl::StrCat("opted out of ", Lower(ChannelName(original))));
    if (action == Action::kCallTask || action == Action::kEmail || action == Action::kLetter ||
        action == Action::kSms) {
      action = ActionFor(rec.stage, channel);
    }
  }
  rec.channel = internal ? Channel::kUnspecified : channel;
  rec.template_id = rule->template_id.empty() || softened || action == Action::kOfferPaymentPlan
                        ? TemplateId(rec.stage, channel, action)
                        : rule->template_id;
  rec.earliest_time = day_start;
  if (!internal) {
    auto t = EarliestAllowed(ctx, policy, channel, rec.invoice_ids, day_start);
    if (!t.ok()) {
      return b.Decide(Action::kNoAction, std::string(ReasonOf(t.status())),
                      absl::StrCat("compliance: ", t.status().message()));
    }
    rec.earliest_time = *t;
    if (absl::ToCivilDay(*t, tz) > as_of) {
      b.Fact("CONTACT_WINDOW", absl::StrCat("earliest allowed contact ",
                                            absl::FormatTime("%Y-%m-%d %H:%M %Z", *t, tz)));
    }
  }

  // Referrals of a valued customer are the account owner's decision.
  if (valued && (rec.stage == Stage::kAgencyReferral || rec.stage == Stage::kLegalReview)) {
    b.Fact("VALUED_RELATIONSHIP", why_valued);
    action = Action::kApproveReferral;
    rec.assignee = customer.account_owner;
    rec.template_id = "approve_referral.task";
  }
  // From the formal notice on, the letter names the consequence and its day.
  if (!internal && rec.stage >= Stage::kFormalNotice && !softened) {
    for (const auto& r : rules.stages) {
      if (r.stage != Stage::kAgencyReferral && r.stage != Stage::kLegalReview) continue;
      rec.consequence_stage = r.stage;
      rec.consequence_date = std::max(as_of + wait(rules.notice_before_referral_days),
                                      anchor + wait(r.min_days_past_due));
      break;
    }
  }

  std::string decision;
  if (action == Action::kApproveReferral) {
    decision = absl::StrCat("ask the account owner to approve ", StagePhrase(rec.stage),
                            rec.economics ? absl::StrCat(" (expected net ",
                                                         FormatMoney(rec.economics->net), ")")
                                          : "");
  } else if (softened) {
    decision = absl::StrCat("call before ", StagePhrase(rule->stage));
  } else if (action == Action::kOfferPaymentPlan) {
    decision = absl::StrCat("offer a payment plan with ", StagePhrase(rec.stage));
  } else if (rec.offer_payment_plan) {
    decision = absl::StrCat("send ", StagePhrase(rec.stage), " by ",
                            Lower(ChannelName(channel)), " that offers a payment plan",
                            rec.consequence_date
                                ? absl::StrCat(" and names ", StagePhrase(rec.consequence_stage),
                                               " from ",
                                               absl::FormatCivilTime(*rec.consequence_date))
                                : "");
  } else if (rec.stage == Stage::kAgencyReferral) {
    decision = absl::StrCat("refer to a collection agency (expected net ",
                            FormatMoney(rec.economics->net), ")");
  } else if (rec.stage == Stage::kLegalReview) {
    decision = absl::StrCat("review for legal action (expected net ",
                            FormatMoney(rec.economics->net), ")");
  } else if (rec.stage == Stage::kWriteOffReview) {
    decision = "review for write-off";
  } else {
    decision = absl::StrCat("send ", StagePhrase(rec.stage), " by ",
                            action == Action::kCallTask ? "phone" : Lower(ChannelName(channel)));
  }
  return b.Decide(action,
                  softened ? "VALUED_RELATIONSHIP_CALL_FIRST"
                           : absl::StrCat("NEXT_STAGE_", StageName(rec.stage)),
                  decision);
}

}  // namespace collections::domain
