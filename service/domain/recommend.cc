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

namespace {

// One evaluation of Recommend: its inputs, the facts found so far and the
// decision being built. Each step is a method, called in the header's
// order by Run(); a step that returns true has decided (rec_ is final).
class Recommender {
 public:
  Recommender(const AccountContext& ctx, const CollectionPolicy& policy,
              const PortfolioPrior& prior, absl::CivilDay as_of)
      : ctx_(ctx), policy_(policy), prior_(prior), as_of_(as_of), customer_(ctx.customer) {
    rec_.customer = customer_.id;
    rec_.as_of = as_of_;
    rec_.policy_version = policy_.version;
    rec_.risk = EstimateAccountRisk(ctx_, prior_, as_of_);
    if (!absl::LoadTimeZone(customer_.time_zone, &tz_)) tz_ = absl::UTCTimeZone();
    day_start_ = absl::FromCivil(absl::CivilSecond(as_of_), tz_);
    day_end_ = absl::FromCivil(absl::CivilSecond(as_of_ + 1), tz_);
  }

  Recommendation Run();

 private:
  // Step 1.
  bool InEndState();
  void ClassifyInvoices();
  void FindEpisode();
  // Step 2.
  bool NothingCollectible();
  bool BelowMinimum();
  // Step 3.
  bool ReadLadder();
  void ReadCircumstances();
  bool ChooseStage();
  void ReadyDay();
  // Step 4.
  bool ComplaintOrWait();
  // Step 5.
  void ChooseChannel();
  bool CostlyEscalations();
  // Step 6.
  void CashFlowOrOversight();
  // Step 7.
  void ValuedRelationshipCall();
  // Step 8.
  bool ChannelAndWindow();
  // Step 9.
  void Conclude();

  bool Decide(Action action, absl::string_view code, std::string text) {
    b_.Decide(action, code, std::move(text));
    return true;
  }
  // Every wait is longer for a valued relationship.
  int Wait(int days) const {
    return valued_ ? static_cast<int>(int64_t{days} * policy_.relationship.wait_factor_pct / 100)
                   : days;
  }

  const AccountContext& ctx_;
  const CollectionPolicy& policy_;
  const PortfolioPrior& prior_;
  const absl::CivilDay as_of_;
  const CustomerFacts& customer_;
  Recommendation rec_;
  Builder b_{rec_};
  absl::TimeZone tz_;
  absl::Time day_start_;
  absl::Time day_end_;

  // The open invoices (step 1) and the collection episode.
  std::vector<Collectible> collectible_;
  std::vector<const InvoiceState*> not_due_;
  int partly_disputed_ = 0;
  std::map<std::string, AmountSum> per_currency_;
  const PolicyRules* rules_ = nullptr;
  std::vector<const ContactRecord*> episode_;

  // The ladder (step 3).
  bool phone_contact_ = false;
  Stage current_ = Stage::kNone;
  Stage in_progress_ = Stage::kNone;
  NonPaymentReason reason_ = NonPaymentReason::kUnspecified;
  std::optional<absl::Time> reason_time_;
  bool valued_ = false;
  std::string why_valued_;
  const StageRule* rule_ = nullptr;
  absl::CivilDay anchor_;
  absl::CivilDay ready_;

  // The action (steps 5 to 9).
  Channel channel_ = Channel::kUnspecified;
  Action action_ = Action::kNoAction;
  std::string main_currency_;
  Money main_overdue_;
  bool softened_ = false;
  bool internal_ = false;
};

Recommendation Recommender::Run() {
  // 1. End states; open invoices; the collection episode.
  if (InEndState()) return rec_;
  ClassifyInvoices();
  FindEpisode();
  // 2. Nothing collectible, or too little.
  if (NothingCollectible() || BelowMinimum()) return rec_;
  // 3. The ladder: where the episode stands, the next rung and its day.
  if (ReadLadder()) return rec_;
  ReadCircumstances();
  if (ChooseStage()) return rec_;
  ReadyDay();
  // 4. A complaint pauses; a stage not yet due waits.
  if (ComplaintOrWait()) return rec_;
  // 5. Escalations that cost money only when they pay.
  ChooseChannel();
  if (CostlyEscalations()) return rec_;
  // 6. Cash flow, hardship or oversight.
  CashFlowOrOversight();
  // 7. A valued relationship is called first; staff calls must pay.
  ValuedRelationshipCall();
  // 8. Opt-outs and the compliance window.
  if (ChannelAndWindow()) return rec_;
  // 9. Referral approval, the consequence, the decision.
  Conclude();
  return rec_;
}

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

// 4. A complaint pauses; otherwise wait until the stage is due.
bool Recommender::ComplaintOrWait() {
  // Reasons for not paying change the answer.
  const bool disputed_reason =
      reason_ == NonPaymentReason::kDispute || reason_ == NonPaymentReason::kDissatisfied;
  if (disputed_reason) {
    b_.Fact("REASON_DISPUTE",
            absl::StrCat("the customer reported ",
                         reason_ == NonPaymentReason::kDispute ? "a dispute" : "dissatisfaction"));
    // A complaint pauses the account for a while, to record it as a dispute
    // (which holds the disputed invoices); it never stops the ladder for good.
    const absl::CivilDay reported =
        reason_time_ ? absl::ToCivilDay(*reason_time_, tz_) : ctx_.reason_date.value_or(as_of_);
    if (as_of_ < reported + kComplaintPauseDays) {
      rec_.stage = Stage::kNone;
      rec_.next_action_date = reported + kComplaintPauseDays;
      return Decide(
          Action::kPause, "PAUSE_TO_RESOLVE",
          absl::StrCat("pause collection until ", absl::FormatCivilTime(*rec_.next_action_date),
                       " and resolve the complaint (record it as a dispute)"));
    }
    b_.Fact("UNRESOLVED_COMPLAINT", "the complaint was not recorded as a dispute in time");
  }
  if (as_of_ < ready_) {
    rec_.next_action_date = ready_;
    return Decide(
        Action::kNoAction, "WAITING",
        absl::StrCat(StagePhrase(rule_->stage), " is due on ", absl::FormatCivilTime(ready_)));
  }
  return false;
}

// 5. The stage's channel, tone and action, and the amount it is about.
void Recommender::ChooseChannel() {
  channel_ =
      rule_->channel != Channel::kUnspecified ? rule_->channel : DefaultChannel(rule_->stage);
  rec_.tone = rule_->tone != Tone::kUnspecified ? rule_->tone : DefaultTone(rule_->stage);
  action_ = ActionFor(rule_->stage, channel_);
  main_currency_ = collectible_.front().invoice->currency;
  main_overdue_ = Money{main_currency_, per_currency_[main_currency_].Clamped()};
}

// 5. Costly escalations only when they pay; otherwise the next rung is
// considered, explicitly.
bool Recommender::CostlyEscalations() {
  while (rule_->stage == Stage::kAgencyReferral || rule_->stage == Stage::kLegalReview) {
    EconomicsFigures f = rule_->stage == Stage::kAgencyReferral
                             ? AgencyFigures(main_overdue_, policy_.economics)
                             : LegalFigures(main_overdue_, policy_.economics);
    rec_.economics = f;
    if (f.net.minor > 0) break;
    b_.Fact(
        rule_->stage == Stage::kAgencyReferral ? "AGENCY_NOT_WORTH_COST" : "LEGAL_NOT_WORTH_COST",
        absl::StrCat(StagePhrase(rule_->stage), " would recover ", FormatMoney(f.expected_recovery),
                     " at a cost of ", FormatMoney(f.cost), " (net ", FormatMoney(f.net), ")"));
    const StageRule* next = nullptr;
    for (const auto& r : rules_->stages) {
      if (r.stage > rule_->stage) {
        next = &r;
        break;
      }
    }
    if (next != nullptr && rule_->stage == Stage::kAgencyReferral &&
        next->stage == Stage::kLegalReview && !policy_.economics.allow_direct_legal) {
      // Legal action follows an agency referral unless the policy allows it
      // directly: without the agency, the ladder goes past legal.
      b_.Fact("LEGAL_FOLLOWS_AGENCY",
              "legal action only after an agency referral (policy), so it is passed over");
      const StageRule* after_legal = nullptr;
      for (const auto& r : rules_->stages) {
        if (r.stage > Stage::kLegalReview) {
          after_legal = &r;
          break;
        }
      }
      next = after_legal;
    }
    if (next == nullptr) {
      rec_.stage = Stage::kNone;
      return Decide(Action::kNoAction, "NO_ECONOMIC_ESCALATION",
                    "no further step is worth its cost");
    }
    rule_ = next;
    rec_.stage = rule_->stage;
    action_ = ActionFor(rule_->stage, channel_);
  }
  if (rule_->stage == Stage::kWriteOffReview && !rec_.economics) {
    rec_.economics = AgencyFigures(main_overdue_, policy_.economics);
  }
  return false;
}

// 6. Cash flow, hardship or oversight.
void Recommender::CashFlowOrOversight() {
  // Cash flow or hardship: offer a payment plan instead of escalating, as
  // long as no plan has failed before.
  const bool plan_failed = std::any_of(ctx_.plans.begin(), ctx_.plans.end(), [](const auto& p) {
    return p.status == PlanStatus::kDefaulted;
  });
  const bool cash_reason =
      reason_ == NonPaymentReason::kCashFlow || reason_ == NonPaymentReason::kHardship;
  if (cash_reason && !IsInternalStage(rule_->stage)) {
    b_.Fact("REASON_CASH_FLOW", reason_ == NonPaymentReason::kHardship
                                    ? "the customer reported hardship"
                                    : "the customer reported a cash-flow problem");
    // From the formal notice on the letter is kept (it states the
    // consequence) and offers the plan; earlier rungs become the offer.
    if (!plan_failed) {
      rec_.offer_payment_plan = true;
      if (rule_->stage < Stage::kFormalNotice) action_ = Action::kOfferPaymentPlan;
    }
  } else if (reason_ == NonPaymentReason::kOversight) {
    b_.Fact("REASON_OVERSIGHT", "the customer reported an oversight");
  }
}

// 7. A valued relationship gets a call by the account owner before a
// formal notice or a final demand; staff calls must pay for themselves.
void Recommender::ValuedRelationshipCall() {
  if (valued_ && !phone_contact_ && action_ != Action::kOfferPaymentPlan &&
      (rule_->stage == Stage::kFormalNotice || rule_->stage == Stage::kFinalDemand)) {
    b_.Fact("VALUED_RELATIONSHIP", why_valued_);
    softened_ = true;
    rec_.stage = Stage::kSecondReminder;
    channel_ = Channel::kPhone;
    action_ = Action::kCallTask;
    rec_.tone = Tone::kFriendly;
    rec_.assignee = customer_.account_owner;
  }

  // Staff calls cost money too.
  if (action_ == Action::kCallTask && !softened_) {
    const int64_t staff =
        AmountFor(policy_.economics.staff_cost_per_action, main_currency_).value_or(0);
    const int64_t uplift = ApplyBasisPoints(main_overdue_.minor, kCallUpliftBp);
    if (uplift <= staff) {
      b_.Fact("CALL_NOT_WORTH_COST",
              absl::StrCat("a call costs ", FormatMoney({main_currency_, staff}),
                           ", more than it is expected to bring"));
      channel_ = Channel::kEmail;
      action_ = Action::kEmail;
    } else {
      rec_.economics = EconomicsFigures{{main_currency_, uplift},
                                        {main_currency_, staff},
                                        {main_currency_, uplift - staff},
                                        kCallUpliftBp};
      rec_.assignee = customer_.account_owner;
    }
  }
}

// 8. Opt-outs, cease-communication and the compliance window.
bool Recommender::ChannelAndWindow() {
  internal_ = IsInternalStage(rec_.stage);
  if (!internal_ && customer_.kind == CustomerKind::kConsumer && customer_.cease_communication) {
    b_.Fact("CEASE_COMMUNICATION", "the consumer asked that communication cease");
    return Decide(Action::kNoAction, kRuleCeaseCommunication,
                  absl::StrCat("no contact allowed (", RuleCitation(kRuleCeaseCommunication),
                               "); consider an agency referral or a write-off review"));
  }
  if (!internal_ && OptedOut(customer_, channel_)) {
    const Channel original = channel_;
    for (Channel alt : {Channel::kEmail, Channel::kLetter}) {
      if (!OptedOut(customer_, alt)) {
        channel_ = alt;
        break;
      }
    }
    b_.Fact("CHANNEL_OPTED_OUT", absl::StrCat("opted out of ", Lower(ChannelName(original))));
    if (action_ == Action::kCallTask || action_ == Action::kEmail || action_ == Action::kLetter ||
        action_ == Action::kSms) {
      action_ = ActionFor(rec_.stage, channel_);
    }
  }
  rec_.channel = internal_ ? Channel::kUnspecified : channel_;
  rec_.template_id = rule_->template_id.empty() || softened_ || action_ == Action::kOfferPaymentPlan
                         ? TemplateId(rec_.stage, channel_, action_)
                         : rule_->template_id;
  rec_.earliest_time = day_start_;
  if (!internal_) {
    auto t = EarliestAllowed(ctx_, policy_, channel_, rec_.invoice_ids, day_start_);
    if (!t.ok()) {
      return Decide(Action::kNoAction, std::string(ReasonOf(t.status())),
                    absl::StrCat("compliance: ", t.status().message()));
    }
    rec_.earliest_time = *t;
    if (absl::ToCivilDay(*t, tz_) > as_of_) {
      b_.Fact("CONTACT_WINDOW", absl::StrCat("earliest allowed contact ",
                                             absl::FormatTime("%Y-%m-%d %H:%M %Z", *t, tz_)));
    }
  }

  // Referrals of a valued customer are the account owner's decision.
  if (valued_ && (rec_.stage == Stage::kAgencyReferral || rec_.stage == Stage::kLegalReview)) {
    b_.Fact("VALUED_RELATIONSHIP", why_valued_);
    action_ = Action::kApproveReferral;
    rec_.assignee = customer_.account_owner;
    rec_.template_id = "approve_referral.task";
  }
  return false;
}

// 9. Referral approval, the consequence a letter names, and the decision.
void Recommender::Conclude() {
  if (!internal_ && rec_.stage >= Stage::kFormalNotice && !softened_) {
    for (const auto& r : rules_->stages) {
      if (r.stage != Stage::kAgencyReferral && r.stage != Stage::kLegalReview) continue;
      rec_.consequence_stage = r.stage;
      rec_.consequence_date = std::max(as_of_ + Wait(rules_->notice_before_referral_days),
                                       anchor_ + Wait(r.min_days_past_due));
      break;
    }
  }

  std::string decision;
  if (action_ == Action::kApproveReferral) {
    decision = absl::StrCat(
        "ask the account owner to approve ", StagePhrase(rec_.stage),
        rec_.economics ? absl::StrCat(" (expected net ", FormatMoney(rec_.economics->net), ")")
                       : "");
  } else if (softened_) {
    decision = absl::StrCat("call before ", StagePhrase(rule_->stage));
  } else if (action_ == Action::kOfferPaymentPlan) {
    decision = absl::StrCat("offer a payment plan with ", StagePhrase(rec_.stage));
  } else if (rec_.offer_payment_plan) {
    decision =
        absl::StrCat("send ", StagePhrase(rec_.stage), " by ", Lower(ChannelName(channel_)),
                     " that offers a payment plan",
                     rec_.consequence_date
                         ? absl::StrCat(" and names ", StagePhrase(rec_.consequence_stage),
                                        " from ", absl::FormatCivilTime(*rec_.consequence_date))
                         : "");
  } else if (rec_.stage == Stage::kAgencyReferral) {
    decision = absl::StrCat("refer to a collection agency (expected net ",
                            FormatMoney(rec_.economics->net), ")");
  } else if (rec_.stage == Stage::kLegalReview) {
    decision = absl::StrCat("review for legal action (expected net ",
                            FormatMoney(rec_.economics->net), ")");
  } else if (rec_.stage == Stage::kWriteOffReview) {
    decision = "review for write-off";
  } else {
    decision = absl::StrCat("send ", StagePhrase(rec_.stage), " by ",
                            action_ == Action::kCallTask ? "phone" : Lower(ChannelName(channel_)));
  }
  b_.Decide(action_,
            softened_ ? "VALUED_RELATIONSHIP_CALL_FIRST"
                      : absl::StrCat("NEXT_STAGE_", StageName(rec_.stage)),
            decision);
}

}  // namespace

Recommendation Recommend(const AccountContext& ctx, const CollectionPolicy& policy,
                         const PortfolioPrior& prior, absl::CivilDay as_of) {
  return Recommender(ctx, policy, prior, as_of).Run();
}

}  // namespace collections::domain
