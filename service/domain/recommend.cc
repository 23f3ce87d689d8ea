#include "service/domain/recommend.h"

#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "service/base/errors.h"
#include "service/domain/amount_limits.h"
#include "service/domain/compliance.h"
#include "service/domain/recommend_steps.h"

namespace collections::domain {

const char* ActionName(Action action) {
  switch (action) {
    case Action::kEmail:
      return "EMAIL";
    case Action::kLetter:
      return "LETTER";
    case Action::kSms:
      return "SMS";
    case Action::kCallTask:
      return "CALL_TASK";
    case Action::kOfferPaymentPlan:
      return "OFFER_PAYMENT_PLAN";
    case Action::kOfferSettlement:
      return "OFFER_SETTLEMENT";
    case Action::kApplyLateFee:
      return "APPLY_LATE_FEE";
    case Action::kPause:
      return "PAUSE";
    case Action::kReferToAgency:
      return "REFER_TO_AGENCY";
    case Action::kLegalReview:
      return "LEGAL_REVIEW";
    case Action::kWriteOffReview:
      return "WRITE_OFF_REVIEW";
    case Action::kNoAction:
      return "NO_ACTION";
    case Action::kApproveReferral:
      return "APPROVE_REFERRAL";
  }
  return "NO_ACTION";
}

bool Recommendation::HasReason(absl::string_view code) const {
  for (const auto& r : reasons) {
    if (r.code == code) return true;
  }
  return false;
}

namespace recommend_detail {

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
    case Channel::kLetter:
      return Action::kLetter;
    case Channel::kSms:
      return Action::kSms;
    case Channel::kPhone:
    case Channel::kInPerson:
      return Action::kCallTask;
    default:
      return Action::kEmail;
  }
}

std::string TemplateId(Stage s, Channel c, Action a) {
  if (a == Action::kOfferPaymentPlan) {
    return absl::StrCat("payment_plan_offer.",
                        c == Channel::kPhone ? "call" : Lower(ChannelName(c)));
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
  parts.reserve(amounts.size());
  for (const auto& m : amounts) parts.push_back(FormatMoney(m));
  return absl::StrJoin(parts, " + ");
}

const char* StagePhrase(Stage s) {
  switch (s) {
    case Stage::kPreDueReminder:
      return "a pre-due reminder";
    case Stage::kFriendlyReminder:
      return "a friendly reminder";
    case Stage::kSecondReminder:
      return "a second reminder";
    case Stage::kFormalNotice:
      return "a formal notice";
    case Stage::kFinalDemand:
      return "a final demand";
    case Stage::kAgencyReferral:
      return "an agency referral";
    case Stage::kLegalReview:
      return "a legal review";
    case Stage::kWriteOffReview:
      return "a write-off review";
    case Stage::kNone:
      break;
  }
  return "no step";
}

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

}  // namespace recommend_detail

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
  return recommend_detail::Recommender(ctx, policy, prior, as_of).Run();
}

}  // namespace collections::domain
