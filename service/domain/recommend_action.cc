// domain::Recommend, steps 4 to 9 (recommend.h): pauses, the economics of
// escalation, reasons for not paying, channel and window, the decision.
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

}  // namespace collections::domain::recommend_detail
