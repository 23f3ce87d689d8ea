// The collection case: where one account stands in its collection, as a
// record, and the one function that moves it.
//
// A case is kept per customer (one case, amounts per currency). Transition()
// is the only place a case changes: every event that matters to the account
// (a ledger change, a contact, an arrangement, an outbox completion, the
// passing of days) is fed to it, in the same transaction as the change, with
// the account's snapshot after the change. It is pure: the same inputs give
// the same case, actions and reasons, so a case can be replayed as of a day
// and rebuilt from history.
//
// What the case holds is derived from the snapshot (stage carried out, the
// pauses and the arrangement that governs, balances, the next step and the
// day it falls due, risk and priority); what only the sequence of events can
// tell (the transition history, the last run day) is carried over from the
// case before.
//
// Priority (the work queue's order) is the expected loss avoided by acting
// now, in minor units of the account's main currency:
//
//   priority = amount at risk x P(not collected) x urgency x relationship
//
//   amount at risk   collectible overdue amount in the main currency (the one
//                    with the largest overdue amount);
//   P(not collected) the share of debts of that age that are never collected
//                    (UncollectibleBpByAge, by age band), scaled by the
//                    customer's own payment risk: x (0.5 + P(late)), so a
//                    reliable payer halves it and a chronic late payer
//                    raises it by half;
//   urgency          1 when a step is due today, 1/2 when the next step is
//                    scheduled, 1/4 when paused, 0 when nothing is owed or
//                    the account left internal collection;
//   relationship     3/2 for a valued relationship (policy.relationship):
//                    losing it costs more than the debt.
// No currency conversion: amounts in different currencies are compared by
// their minor units (documented in docs/cases.md).
#ifndef COLLECTIONS_DOMAIN_CASES_H_
#define COLLECTIONS_DOMAIN_CASES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "service/domain/account_context.h"
#include "service/domain/policy.h"
#include "service/domain/recommend.h"
#include "service/domain/risk.h"

namespace collections::domain {

enum class CaseState {
  kUnspecified = 0,
  kClear = 1,
  kActive = 2,
  kPaused = 3,
  kAwaitingApproval = 4,
  kReferred = 5,
  kWrittenOff = 6,
  kStalled = 7,
};
const char* CaseStateName(CaseState state);

enum class PauseKind {
  kUnspecified = 0,
  kDispute = 1,
  kPromise = 2,
  kPlan = 3,
  kSettlement = 4,
  kCease = 5,
  kManualHold = 6,
  kReferralApproval = 7,
};
const char* PauseKindName(PauseKind kind);

struct CasePause {
  PauseKind kind = PauseKind::kUnspecified;
  std::string arrangement;               // "promise/<id>", "plan/<id>", ...
  std::vector<std::string> invoice_ids;  // empty = whole account
  std::optional<absl::CivilDay> until;   // inclusive
  std::string condition;

  bool operator==(const CasePause&) const = default;
};

struct CaseStep {
  Stage stage = Stage::kNone;
  Action action = Action::kNoAction;
  std::optional<absl::CivilDay> day;
  std::string outbox_action;  // outbox action id

  bool operator==(const CaseStep&) const = default;
};

struct CaseTransitionRecord {
  CaseState from_state = CaseState::kUnspecified;
  CaseState to_state = CaseState::kUnspecified;
  Stage from_stage = Stage::kNone;
  Stage to_stage = Stage::kNone;
  absl::CivilDay day;
  std::string event;
  std::vector<Reason> reasons;
};

struct Case {
  std::string customer;
  std::string display_name;
  CustomerKind kind = CustomerKind::kBusiness;
  CaseState state = CaseState::kUnspecified;
  Stage stage = Stage::kNone;
  std::optional<absl::CivilDay> stage_entered;
  CaseStep last_step;
  CaseStep next_step;
  std::vector<CasePause> pauses;
  std::string governing_arrangement;
  std::vector<Money> overdue;  // per currency, ascending by code
  std::vector<Money> balance;  // per currency, ascending by code
  int oldest_days_past_due = 0;
  std::optional<absl::Time> last_contact;
  RiskEstimate risk;
  int64_t priority = 0;
  std::string priority_currency;
  std::string priority_explanation;
  std::string owner;
  std::string segment;
  int64_t policy_version = 0;
  std::optional<absl::CivilDay> due_day;
  std::optional<absl::CivilDay> evaluated_day;
  std::optional<absl::CivilDay> last_run_day;
  std::vector<Reason> reasons;
  // The engine's evaluation on `evaluated_day` (not read back by Transition).
  Recommendation recommendation;
  std::vector<CaseTransitionRecord> history;
  // The customer's contribution to the tenant's portfolio prior: kept on
  // the case so the tenant aggregate is updated by differences.
  RiskContribution prior_contribution;

  bool Paused() const { return state == CaseState::kPaused; }
  // Collectible overdue amount in `priority_currency`.
  int64_t MainOverdue() const;
};

// What happened to the account.
struct CaseEvent {
  // The audit event type of the change ("payment.recorded",
  // "promise.broken", "outbox.completed", ...), "day.passed" for the daily
  // run and "cases.rebuilt" for a rebuild.
  std::string type;
  absl::CivilDay day;
  // The passing of days: the daily run, which may take the next step.
  bool daily_run = false;
};

struct CaseOutcome {
  Case after;
  // The engine's evaluation on the event's day.
  Recommendation recommendation;
  // Set when the daily run takes a step: the host delivers it (outbox).
  std::optional<Recommendation> action;
  // A transition was recorded in the history.
  bool moved = false;
};

// Moves `before` on `event`, given the account's snapshot after the event,
// the tenant policy and the portfolio prior. Pure and deterministic.
CaseOutcome Transition(const Case& before, const CaseEvent& event, const AccountContext& ctx,
                       const CollectionPolicy& policy, const PortfolioPrior& prior);

// The derived part of two cases is equal: everything but the history, the
// days of evaluation and the risk figures (which follow the tenant-wide prior
// and are refreshed at each evaluation). `diff` names the first difference.
bool SameCaseState(const Case& a, const Case& b, std::string* diff);

// Uncollectible share by days past due, basis points (the age bands of the
// priority formula): constant within each band.
int UncollectibleBpByAge(int days_past_due);
// Days from a debt `days_past_due` old until it enters its next age band (and
// UncollectibleBpByAge changes); nullopt in the last band.
std::optional<int> NextAgeBandChange(int days_past_due);

}  // namespace collections::domain

#endif  // COLLECTIONS_DOMAIN_CASES_H_
