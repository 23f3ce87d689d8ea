// domain::Recommend, steps 1 to 3 (recommend.h): the account, what is
// collectible, the ladder, its next rung and the day it falls due.
#include <algorithm>
#include <map>

#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "service/base/errors.h"
#include "service/domain/amount_limits.h"
#include "service/domain/compliance.h"
#include "service/domain/recommend_steps.h"

namespace collections::domain::recommend_detail {

// 1. An account with an agency, with lawyers or written off gets no action.
bool Recommender::InEndState() {
  if (ctx_.referral.state != EndState::kNone && !ctx_.referral.recalled) {
    const char* where = ctx_.referral.state == EndState::kAgency  ? "with the agency"
                        : ctx_.referral.state == EndState::kLegal ? "with lawyers"
                                                                  : "written off";
    return Decide(
        Action::kNoAction, "END_STATE",
        absl::StrCat("the account is ", where, " since ",
                     absl::FormatCivilTime(ctx_.referral.since), ": no internal collection"));
  }
  return false;
}

// 1. Open invoices: collectible, or held back with the reason (rec_.excluded).
void Recommender::ClassifyInvoices() {
  for (const auto& inv : ctx_.invoices) {
    const InvoiceState& s = inv.state;
    if (s.voided || s.issue_date > as_of_) continue;
    const int64_t due = s.AmountDueAsOf(as_of_);
    if (due <= 0) continue;
    const int dpd = DaysPastDue(s.due_date, as_of_);
    auto exclude = [&](absl::string_view code, std::string text) {
      rec_.excluded.push_back({s.id, std::string(code), std::move(text)});
    };
    if (inv.on_hold && (!inv.hold_until || *inv.hold_until >= as_of_)) {
      exclude("ON_HOLD", absl::StrCat("invoice ", s.number, " is on hold",
                                      inv.hold_reason.empty() ? "" : ": ", inv.hold_reason));
      continue;
    }
    const int64_t disputed = ctx_.DisputedAmount(s, as_of_);
    if (disputed >= due) {
      exclude("DISPUTED", absl::StrCat("invoice ", s.number,
                                       " is disputed: paused until the dispute is resolved"));
      continue;
    }
    if (const SettlementHold* st = ctx_.ActiveSettlementFor(s.id, as_of_)) {
      exclude("IN_SETTLEMENT",
              absl::StrCat("invoice ", s.number, " is in settlement ", st->id,
                           st->pay_by ? absl::StrCat(" (to be paid by ",
                                                     absl::FormatCivilTime(*st->pay_by), ")")
                                      : ""));
      continue;
    }
    // A plan governs its invoices while it is active, in its cure period
    // too: arrears get plan reminders, never the ladder's demands.
    if (const PaymentPlan* plan = ctx_.GoverningPlanFor(s.id)) {
      if (plan->in_arrears) {
        exclude("PLAN_IN_ARREARS", absl::StrCat("invoice ", s.number, " is in payment plan ",
                                                plan->id, ", which has an installment in arrears"));
      } else {
        exclude("IN_PAYMENT_PLAN",
                absl::StrCat("invoice ", s.number, " is in payment plan ", plan->id));
      }
      continue;
    }
    if (const Promise* p = ctx_.ActivePromiseFor(s.id, as_of_)) {
      exclude("PROMISE_PENDING",
              absl::StrCat("invoice ", s.number, " is promised for ",
                           absl::FormatCivilTime(p->promised_date), " (paused until ",
                           absl::FormatCivilTime(p->grace_end), ")"));
      continue;
    }
    if (dpd <= 0) {
      not_due_.push_back(&s);
      continue;
    }
    if (disputed > 0) ++partly_disputed_;
    collectible_.push_back({&s, due - disputed, dpd});
  }
  std::sort(collectible_.begin(), collectible_.end(),
            [](const Collectible& a, const Collectible& c) {
              if (a.invoice->due_date != c.invoice->due_date)
                return a.invoice->due_date < c.invoice->due_date;
              return a.invoice->id < c.invoice->id;
            });
  for (const auto& c : collectible_) {
    per_currency_[c.invoice->currency] += c.amount;
    rec_.invoice_ids.push_back(c.invoice->id);
    rec_.oldest_days_past_due = std::max(rec_.oldest_days_past_due, c.days_past_due);
  }
  // Exact for an account that passed AccountAmountsFit.
  for (const auto& [cur, amount] : per_currency_) rec_.amounts.push_back({cur, amount.Clamped()});
  rules_ = &RulesFor(policy_, customer_, rec_.amounts, &rec_.segment);
}

void Recommender::FindEpisode() {
  // The collection episode: contacts about the collectible invoices, or
  // about the whole account since the oldest of them was issued.
  absl::CivilDay episode_start = as_of_;
  for (const auto& c : collectible_) episode_start = std::min(episode_start, c.invoice->issue_date);
  auto in_episode = [&](const ContactRecord& c) {
    if (c.time >= day_end_) return false;
    if (c.invoice_ids.empty()) return absl::ToCivilDay(c.time, tz_) >= episode_start;
    for (const auto& id : c.invoice_ids) {
      for (const auto& col : collectible_) {
        if (col.invoice->id == id) return true;
      }
    }
    return false;
  };
  for (const auto& c : ctx_.contacts) {
    if (in_episode(c)) episode_.push_back(&c);
  }
  std::sort(episode_.begin(), episode_.end(),
            [](const ContactRecord* a, const ContactRecord* c) { return a->time < c->time; });
  if (!episode_.empty()) rec_.last_contact_time = episode_.back()->time;
}

// 2. Nothing collectible: pause, a pre-due or plan reminder, or nothing.
bool Recommender::NothingCollectible() {
  if (collectible_.empty()) {
    for (const auto& e : rec_.excluded) {
      if (e.code == "DISPUTED") {
        return Decide(Action::kPause, "DISPUTE_OPEN",
                      absl::StrCat(e.text, "; collect nothing until it is resolved"));
      }
    }
    int promised = 0;
    for (const auto& e : rec_.excluded) promised += e.code == "PROMISE_PENDING" ? 1 : 0;
    for (const auto& e : rec_.excluded) {
      if (e.code != "PROMISE_PENDING") continue;
      if (promised == 1) return Decide(Action::kPause, "PROMISE_PENDING", e.text);
      const Promise* p = ctx_.ActivePromiseFor(e.invoice_id, as_of_);
      return Decide(Action::kPause, "PROMISE_PENDING",
                    absl::StrCat(promised, " invoices are promised for ",
                                 absl::FormatCivilTime(p->promised_date), " (paused until ",
                                 absl::FormatCivilTime(p->grace_end), ")"));
    }
    // Pre-due reminders: one per configured threshold passed.
    std::vector<const InvoiceState*> remind;
    for (const InvoiceState* s : not_due_) {
      const int days_until = -DaysPastDue(s->due_date, as_of_);
      int passed = 0;
      for (int d : rules_->pre_due_reminder_days) passed += (days_until <= d) ? 1 : 0;
      int sent = 0;
      for (const auto& c : ctx_.contacts) {
        if (c.stage != Stage::kPreDueReminder || c.time >= day_end_) continue;
        if (c.invoice_ids.empty() ||
            std::find(c.invoice_ids.begin(), c.invoice_ids.end(), s->id) != c.invoice_ids.end()) {
          ++sent;
        }
      }
      for (const auto& p : ctx_.pending) sent += (p.stage == Stage::kPreDueReminder) ? 1 : 0;
      if (passed > sent) remind.push_back(s);
    }
    if (!remind.empty() &&
        !(customer_.kind == CustomerKind::kConsumer && customer_.cease_communication)) {
      std::map<std::string, AmountSum> sums;
      for (const InvoiceState* s : remind) {
        rec_.invoice_ids.push_back(s->id);
        sums[s->currency] += s->AmountDueAsOf(as_of_);
      }
      for (const auto& [cur, amount] : sums) rec_.amounts.push_back({cur, amount.Clamped()});
      rec_.stage = Stage::kPreDueReminder;
      rec_.channel = OptedOut(customer_, Channel::kEmail) ? Channel::kLetter : Channel::kEmail;
      rec_.tone = Tone::kFriendly;
      rec_.template_id = TemplateId(rec_.stage, rec_.channel, Action::kEmail);
      auto t = EarliestAllowed(ctx_, policy_, rec_.channel, rec_.invoice_ids, day_start_);
      rec_.earliest_time = t.ok() ? *t : day_start_;
      b_.Fact("DUE_SOON",
              absl::StrCat(Plural(static_cast<int>(remind.size()), "invoice", "invoices"),
                           " due by ", absl::FormatCivilTime(remind.front()->due_date)));
      return Decide(ActionFor(rec_.stage, rec_.channel), "PRE_DUE_REMINDER",
                    "send a courtesy reminder before the due date");
    }
    for (const auto& e : rec_.excluded) {
      if (e.code != "IN_SETTLEMENT") continue;
      return Decide(Action::kPause, "SETTLEMENT_PENDING",
                    absl::StrCat(e.text, "; collect nothing until then"));
    }
    for (const auto& e : rec_.excluded) {
      if (e.code != "PLAN_IN_ARREARS") continue;
      b_.Fact("PLAN_IN_ARREARS", e.text);
      // One reminder per week at most while the cure period runs.
      std::optional<absl::Time> last_out;
      for (const auto& c : ctx_.contacts) {
        if (c.direction == Direction::kOutbound && c.time < day_end_) last_out = c.time;
      }
      bool pending = false;
      for (const auto& p : ctx_.pending) pending = pending || p.stage == Stage::kNone;
      if (pending) {
        return Decide(Action::kNoAction, "ACTION_PENDING",
                      "a plan reminder is already in the outbox");
      }
      if (last_out && absl::ToCivilDay(*last_out, tz_) + kPlanReminderIntervalDays > as_of_) {
        rec_.next_action_date = absl::ToCivilDay(*last_out, tz_) + kPlanReminderIntervalDays;
        return Decide(Action::kNoAction, "WAITING",
                      absl::StrCat("the next plan reminder is due on ",
                                   absl::FormatCivilTime(*rec_.next_action_date)));
      }
      for (const auto& x : rec_.excluded) {
        if (x.code == "PLAN_IN_ARREARS") rec_.invoice_ids.push_back(x.invoice_id);
      }
      rec_.stage = Stage::kNone;
      rec_.channel = OptedOut(customer_, Channel::kEmail) ? Channel::kLetter : Channel::kEmail;
      rec_.tone = Tone::kNeutral;
      rec_.template_id = absl::StrCat("plan_arrears_reminder.", Lower(ChannelName(rec_.channel)));
      auto t = EarliestAllowed(ctx_, policy_, rec_.channel, rec_.invoice_ids, day_start_);
      if (!t.ok()) {
        return Decide(Action::kNoAction, std::string(ReasonOf(t.status())),
                      absl::StrCat("compliance: ", t.status().message()));
      }
      rec_.earliest_time = *t;
      return Decide(ActionFor(Stage::kNone, rec_.channel), "PLAN_REMINDER",
                    "remind the customer of the missed installment before the plan defaults");
    }
    if (!rec_.excluded.empty() && rec_.excluded.front().code == "IN_PAYMENT_PLAN") {
      return Decide(Action::kNoAction, "IN_PAYMENT_PLAN", rec_.excluded.front().text);
    }
    return Decide(Action::kNoAction, "NOTHING_OVERDUE", "nothing is overdue");
  }
  return false;
}

// 2. Minimum balance: nobody is chased for trifles.
bool Recommender::BelowMinimum() {
  // Minimum balance: nobody is chased for trifles.
  bool above_minimum = false;
  for (const auto& m : rec_.amounts) {
    const auto min = AmountFor(rules_->minimum_balance, m.currency);
    if (!min || m.minor >= *min) above_minimum = true;
  }
  b_.Fact("DAYS_PAST_DUE",
          absl::StrCat(rec_.oldest_days_past_due, " days past due on ",
                       Plural(static_cast<int>(collectible_.size()), "invoice", "invoices"), " (",
                       Amounts(rec_.amounts), ")"));
  if (!above_minimum) {
    return Decide(Action::kNoAction, "BELOW_MINIMUM_BALANCE",
                  "below the policy's minimum balance, not chased");
  }
  if (partly_disputed_ > 0) {
    b_.Fact("PARTLY_DISPUTED",
            absl::StrCat("disputed parts of ", Plural(partly_disputed_, "invoice", "invoices"),
                         " left out"));
  }
  return false;
}

// 3. Ladder state of this episode: the highest stage carried out, the one
// in progress, and what waits in the outbox.
bool Recommender::ReadLadder() {
  // Attempts and contacts per stage in this episode.
  std::map<Stage, int> attempts;
  std::map<Stage, bool> reached;
  int unanswered = 0;
  for (const ContactRecord* c : episode_) {
    if (c->direction == Direction::kInbound || c->IsPhoneConversation()) unanswered = 0;
    if (c->direction != Direction::kOutbound) continue;
    if (c->channel == Channel::kPhone) phone_contact_ = true;
    if (c->stage == Stage::kNone) continue;
    ++attempts[c->stage];
    if (c->Reached()) reached[c->stage] = true;
    if (c->stage >= Stage::kFriendlyReminder && !c->IsPhoneConversation()) ++unanswered;
  }
  auto max_attempts = [&](Stage s) {
    const StageRule* r = rules_->Find(s);
    return r != nullptr ? std::max(1, r->max_attempts) : 1;
  };
  for (const auto& [stage, n] : attempts) {
    if (stage == Stage::kPreDueReminder) continue;
    if (reached[stage] || n >= max_attempts(stage)) {
      current_ = std::max(current_, stage);
    } else {
      in_progress_ = std::max(in_progress_, stage);
    }
  }
  if (in_progress_ <= current_) in_progress_ = Stage::kNone;
  rec_.current_stage = current_;
  if (unanswered > 0) {
    b_.Fact("NO_REPLY",
            absl::StrCat(Plural(unanswered, "reminder", "reminders"), " without reply"));
  }
  for (const auto& p : ctx_.pending) {
    if (p.stage != Stage::kPreDueReminder) {
      rec_.stage = p.stage;
      return Decide(Action::kNoAction, "ACTION_PENDING",
                    absl::StrCat(StagePhrase(p.stage), " is already in the outbox since ",
                                 absl::FormatCivilTime(p.as_of)));
    }
  }
  return false;
}

// 3. What the ladder weighs besides contacts: broken promises, the
// non-payment reason, a valued relationship.
void Recommender::ReadCircumstances() {
  // Broken promises resume the ladder; say so.
  for (const auto& p : ctx_.promises) {
    if (p.status == PromiseStatus::kBroken && p.resolved_date && *p.resolved_date <= as_of_ &&
        as_of_ - *p.resolved_date <= 30) {
      b_.Fact("BROKEN_PROMISE",
              absl::StrCat("the promise to pay by ", absl::FormatCivilTime(p.promised_date),
                           " was broken"));
      break;
    }
  }

  // The non-payment reason most recently recorded.
  for (const ContactRecord* c : episode_) {
    if (c->reason != NonPaymentReason::kUnspecified) {
      reason_ = c->reason;
      reason_time_ = c->time;
    }
  }
  if (ctx_.reason != NonPaymentReason::kUnspecified && ctx_.reason_date &&
      (!reason_time_ ||
       absl::FromCivil(absl::CivilSecond(*ctx_.reason_date), tz_) > *reason_time_)) {
    reason_ = ctx_.reason;
  }

  valued_ = IsValuedRelationship(customer_, policy_.relationship, as_of_, &why_valued_);
}

// 3. The candidate stage: retry the one in progress, else the next rung.
bool Recommender::ChooseStage() {
  if (in_progress_ != Stage::kNone) {
    rule_ = rules_->Find(in_progress_);
  }
  // A debt never chased until it is old opens with the formal notice: a
  // reminder saying it "may have been overlooked" would not be credible.
  if (rule_ == nullptr && current_ == Stage::kNone &&
      rec_.oldest_days_past_due >= rules_->formal_notice_entry_days) {
    if (const StageRule* notice = rules_->Find(Stage::kFormalNotice)) {
      rule_ = notice;
      b_.Fact("NEGLECTED_DEBT",
              absl::StrCat("first chased at ", rec_.oldest_days_past_due,
                           " days past due: collection opens with the formal notice"));
    }
  }
  std::vector<std::string> passed_over;
  if (rule_ == nullptr) {
    for (const auto& r : rules_->stages) {
      if (r.stage <= current_) continue;
      // Amount and count conditions: a stage that does not apply to this
      // debt is passed over explicitly (reason STAGE_NOT_APPLICABLE).
      bool amount_ok = r.min_overdue_amount.empty();
      for (const auto& m : rec_.amounts) {
        const auto min = AmountFor(r.min_overdue_amount, m.currency);
        if (!min || m.minor >= *min) amount_ok = true;
      }
      const bool count_ok = static_cast<int>(collectible_.size()) >= r.min_overdue_invoices;
      if (!amount_ok || !count_ok) {
        passed_over.push_back(absl::StrCat(
            StageName(r.stage), " (",
            !amount_ok ? "amount below its threshold" : "too few overdue invoices", ")"));
        continue;
      }
      rule_ = &r;
      break;
    }
  }
  if (!passed_over.empty()) {
    b_.Fact("STAGE_NOT_APPLICABLE",
            absl::StrCat("not applicable: ", absl::StrJoin(passed_over, ", ")));
  }
  if (rule_ == nullptr) {
    return Decide(Action::kNoAction, "LADDER_COMPLETE",
                  "every stage of the ladder has been carried out; review the account by hand");
  }
  return false;
}

// 3. The day the candidate stage becomes due (ready_).
void Recommender::ReadyDay() {
  // Timing, re-anchored after a partial payment: at the payment date the
  // account counts as just entering its current stage again.
  anchor_ = collectible_.front().invoice->due_date;
  std::optional<absl::CivilDay> last_payment;
  for (const auto& c : collectible_) {
    for (const auto& s : c.invoice->settlements) {
      if (s.kind == SettlementKind::kPayment && s.day <= as_of_ && s.day > c.invoice->due_date) {
        if (!last_payment || s.day > *last_payment) last_payment = s.day;
      }
    }
  }
  if (last_payment) {
    const StageRule* cur_rule = rules_->Find(current_);
    const int cur_days = cur_rule != nullptr ? cur_rule->min_days_past_due : 0;
    const absl::CivilDay reanchored = *last_payment - cur_days;
    // Said only while the payment is what the account waits for.
    if (reanchored > anchor_ && as_of_ < reanchored + rule_->min_days_past_due) {
      b_.Fact("REANCHORED_AFTER_PARTIAL_PAYMENT",
              absl::StrCat("part paid on ", absl::FormatCivilTime(*last_payment),
                           ", so the next step is timed from that payment"));
    }
    anchor_ = std::max(anchor_, reanchored);
  }
  // A referral only after a letter that named that consequence was sent,
  // and not before the notice period since that letter has passed.
  std::optional<absl::CivilDay> stated_on;
  for (const ContactRecord* c : episode_) {
    if ((c->stage == Stage::kFormalNotice || c->stage == Stage::kFinalDemand) &&
        c->direction == Direction::kOutbound && c->Reached()) {
      stated_on = absl::ToCivilDay(c->time, tz_);
    }
  }
  if ((rule_->stage == Stage::kAgencyReferral || rule_->stage == Stage::kLegalReview) &&
      !stated_on) {
    const StageRule* letter = rules_->Find(Stage::kFinalDemand);
    if (letter == nullptr) letter = rules_->Find(Stage::kFormalNotice);
    if (letter != nullptr) {
      b_.Fact("CONSEQUENCE_NOT_YET_STATED",
              absl::StrCat("no letter has named ", StagePhrase(rule_->stage),
                           " as the consequence yet"));
      rule_ = letter;
    }
  }
  ready_ = anchor_ + Wait(rule_->min_days_past_due);
  if (rec_.last_contact_time) {
    ready_ = std::max(ready_, absl::ToCivilDay(*rec_.last_contact_time, tz_) +
                                  Wait(rule_->min_days_since_last_contact));
  }
  if ((rule_->stage == Stage::kAgencyReferral || rule_->stage == Stage::kLegalReview) &&
      stated_on) {
    const absl::CivilDay notice_end = *stated_on + Wait(rules_->notice_before_referral_days);
    if (notice_end > ready_) {
      ready_ = notice_end;
      if (as_of_ < ready_) {
        b_.Fact("NOTICE_PERIOD",
                absl::StrCat("the consequence was stated on ", absl::FormatCivilTime(*stated_on),
                             "; the notice period runs to ", absl::FormatCivilTime(notice_end)));
      }
    }
  }
  // A defaulted plan: the ladder resumes where it paused, at once, and the
  // letter states the default.
  for (const auto& p : ctx_.plans) {
    if (p.status != PlanStatus::kDefaulted || !p.defaulted_date || *p.defaulted_date > as_of_) {
      continue;
    }
    bool covers = false;
    for (const auto& c : collectible_) {
      covers = covers || std::find(p.invoice_ids.begin(), p.invoice_ids.end(), c.invoice->id) !=
                             p.invoice_ids.end();
    }
    if (!covers) continue;
    bool contacted_since = false;
    for (const ContactRecord* c : episode_) {
      contacted_since =
          contacted_since || (c->direction == Direction::kOutbound && c->stage != Stage::kNone &&
                              absl::ToCivilDay(c->time, tz_) >= *p.defaulted_date);
    }
    if (!contacted_since) {
      b_.Fact("PLAN_DEFAULTED",
              absl::StrCat("payment plan ", p.id, " defaulted on ",
                           absl::FormatCivilTime(*p.defaulted_date), ": collection resumes"));
      if (rule_->stage != Stage::kAgencyReferral && rule_->stage != Stage::kLegalReview) {
        ready_ = std::min(ready_, as_of_);
      }
    }
  }
  // A broken promise: the firmer step is taken at once, not after the
  // ladder's usual wait.
  for (const auto& p : ctx_.promises) {
    if (p.status != PromiseStatus::kBroken || !p.resolved_date || *p.resolved_date > as_of_ ||
        as_of_ - *p.resolved_date > 30) {
      continue;
    }
    bool contacted_since = false;
    for (const ContactRecord* c : episode_) {
      contacted_since = contacted_since || (c->direction == Direction::kOutbound &&
                                            absl::ToCivilDay(c->time, tz_) >= *p.resolved_date);
    }
    if (!contacted_since && rule_->stage != Stage::kAgencyReferral &&
        rule_->stage != Stage::kLegalReview) {
      ready_ = std::min(ready_, as_of_);
    }
  }
  if (valued_ && Wait(1) != 1 && as_of_ < ready_) {
    b_.Fact("VALUED_RELATIONSHIP_WAITS",
            absl::StrCat(why_valued_, ": every wait is ", policy_.relationship.wait_factor_pct,
                         "% of the policy's"));
  }
  rec_.stage = rule_->stage;
}

}  // namespace collections::domain::recommend_detail
