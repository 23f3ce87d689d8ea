// The recovery engine's decision: the next best action for one account on a
// given day, with its reasons as machine codes and plain sentences.
//
// How it decides, in order (each step is a method of recommend.cc's
// Recommender (recommend_steps.h), called in this order by Run):
//   1. An account handed to an agency, to lawyers or written off gets no
//      action. Open invoices are split into collectible ones and those held
//      back (disputed, promised, in a payment plan, in a settlement, on
//      hold, not yet due); one action covers every collectible invoice.
//   2. Nothing collectible: pause while a dispute, promise or settlement
//      runs, or send a pre-due or plan reminder, or nothing. Below the
//      minimum balance: nothing.
//   3. The ladder: the next configured stage after the highest one carried
//      out in this collection episode (a stage is carried out when the debtor
//      was reached or its attempts are used up). One rung per evaluation, so
//      a missed run never jumps two stages; a partial payment re-anchors the
//      timing at the payment date instead of advancing the ladder.
//   4. A dispute or dissatisfaction the customer reported pauses for its
//      resolution; otherwise the account waits until the stage is due.
//   5. Escalations that cost money (agency, legal) only when the expected
//      net recovery is positive; the figures are shown.
//   6. Why the customer has not paid changes the answer: cash flow or
//      hardship gets a payment-plan offer, an oversight is noted.
//   7. A valued relationship (tenure, lifetime revenue, recent orders, tags)
//      gets a call by the account owner before a formal notice or demand;
//      other staff calls only when they are expected to pay for themselves.
//   8. The channel respects opt-outs and the earliest time respects the
//      compliance guard (compliance.h).
//   9. A referral of a valued customer is the account owner's decision; from
//      the formal notice on, the letter names the consequence and its day.
#ifndef COLLECTIONS_DOMAIN_RECOMMEND_H_
#define COLLECTIONS_DOMAIN_RECOMMEND_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "service/domain/account_context.h"
#include "service/domain/policy.h"
#include "service/domain/risk.h"

namespace collections::domain {

enum class Action {
  kEmail,
  kLetter,
  kSms,
  kCallTask,
  kOfferPaymentPlan,
  kOfferSettlement,
  kApplyLateFee,
  kPause,
  kReferToAgency,
  kLegalReview,
  kWriteOffReview,
  kNoAction,
  // A task for the account owner: approve or decline a referral of a valued
  // customer (never automatic for them).
  kApproveReferral,
};
const char* ActionName(Action action);

struct Reason {
  std::string code;  // UPPER_SNAKE_CASE, stable
  std::string text;  // a plain sentence fragment
};

struct ExcludedInvoice {
  std::string invoice_id;
  std::string code;  // DISPUTED, PROMISE_PENDING, IN_PAYMENT_PLAN, ON_HOLD, NOT_DUE
  std::string text;
};

struct EconomicsFigures {
  Money expected_recovery;
  Money cost;
  Money net;
  int recovery_bp = 0;
};

struct Recommendation {
  std::string customer;
  absl::CivilDay as_of;
  Stage stage = Stage::kNone;          // the stage the action carries out
  Stage current_stage = Stage::kNone;  // highest stage carried out
  Action action = Action::kNoAction;
  Channel channel = Channel::kUnspecified;
  Tone tone = Tone::kUnspecified;
  std::string template_id;  // without locale, e.g. "formal_notice.letter"
  absl::Time earliest_time = absl::InfinitePast();
  std::vector<std::string> invoice_ids;  // covered
  std::vector<Money> amounts;            // collectible overdue per currency
  std::vector<Reason> reasons;           // facts first, the decision last
  std::string explanation;
  std::optional<EconomicsFigures> economics;
  RiskEstimate risk;
  std::vector<ExcludedInvoice> excluded;
  std::string assignee;
  std::string segment;
  int64_t policy_version = 0;
  // Facts the work queue ranks by.
  int oldest_days_past_due = 0;
  std::optional<absl::Time> last_contact_time;
  // When waiting: the first day the next stage becomes due.
  std::optional<absl::CivilDay> next_action_date;
  // From the formal notice on, the letter names the consequence of not
  // paying: the first external step of the ladder and its earliest day.
  Stage consequence_stage = Stage::kNone;
  std::optional<absl::CivilDay> consequence_date;
  // The message offers a payment plan (cash-flow trouble or hardship).
  bool offer_payment_plan = false;

  bool Actionable() const { return action != Action::kNoAction; }
  bool HasReason(absl::string_view code) const;
};

// A customer the policy treats as a valued relationship; `why` receives the
// facts ("customer since 2019 with EUR 48,000.00 lifetime revenue").
bool IsValuedRelationship(const CustomerFacts& customer, const RelationshipRules& rules,
                          absl::CivilDay as_of, std::string* why);

// The next best action for `ctx` on `as_of`. Pure and deterministic.
Recommendation Recommend(const AccountContext& ctx, const CollectionPolicy& policy,
                         const PortfolioPrior& prior, absl::CivilDay as_of);

// Expected value of handing `overdue` to an agency or to lawyers under
// `economics`: ValueRecovery() of economics.h, the model settlement
// proposals use too.
EconomicsFigures AgencyFigures(const Money& overdue, const Economics& economics);
EconomicsFigures LegalFigures(const Money& overdue, const Economics& economics);

}  // namespace collections::domain

#endif  // COLLECTIONS_DOMAIN_RECOMMEND_H_
