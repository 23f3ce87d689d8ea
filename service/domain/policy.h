// The collection policy on plain types: the ladder of stages with their
// conditions, per-segment variants, the economics that costly escalations
// and settlements are weighed with (economics.h), business hours, what
// counts as a valued relationship, and the rules of promises, plans and
// settlements. The API edge converts collections_sidecar.v1.CollectionPolicy to and
// from this; ValidatePolicy() is the one place the rules are checked, with
// field paths that match the proto ("segments[1].rules.stages[2].max_attempts").
//
// These structs are the single source of defaults: a proto field left unset
// takes the member initializer of its struct here (or in economics.h,
// plans.h, settlement.h), and DefaultPolicy() is the shipped policy built on
// them. No other file states a default value.
#ifndef COLLECTIONS_DOMAIN_POLICY_H_
#define COLLECTIONS_DOMAIN_POLICY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "service/base/money.h"
#include "service/domain/account_context.h"
#include "service/domain/economics.h"
#include "service/domain/plans.h"
#include "service/domain/promises.h"
#include "service/domain/settlement.h"

namespace collections::domain {

enum class Tone { kUnspecified, kFriendly, kNeutral, kFirm, kFormal };
const char* ToneName(Tone tone);

// One rung of the ladder (see recovery.proto StageRule for the semantics).
struct StageRule {
  Stage stage = Stage::kNone;
  int min_days_past_due = 0;
  std::vector<Money> min_overdue_amount;  // per currency
  int min_overdue_invoices = 0;
  int min_days_since_last_contact = 0;
  int max_attempts = 1;
  Channel channel = Channel::kUnspecified;
  Tone tone = Tone::kUnspecified;
  std::string template_id;

  friend bool operator==(const StageRule&, const StageRule&) = default;
};

struct PolicyRules {
  std::vector<int> pre_due_reminder_days;  // days before the due date
  std::vector<Money> minimum_balance;      // per currency
  std::vector<StageRule> stages;           // ascending, no PRE_DUE_REMINDER
  int neglected_after_days = 21;
  // A debt first chased at this age opens with the formal notice.
  int formal_notice_entry_days = 60;
  // Days between the letter that named the consequence and a referral.
  int notice_before_referral_days = 14;

  // The rule of `stage`, or nullptr when the ladder does not use it.
  const StageRule* Find(Stage stage) const;

  friend bool operator==(const PolicyRules&, const PolicyRules&) = default;
};

struct SegmentMatch {
  CustomerKind kind = CustomerKind::kUnspecified;  // kUnspecified = any
  std::vector<std::string> tags_any;
  std::vector<Money> overdue_at_least;  // inclusive, per currency
  std::vector<Money> overdue_below;     // exclusive, per currency

  friend bool operator==(const SegmentMatch&, const SegmentMatch&) = default;
};

struct SegmentPolicy {
  std::string id;
  SegmentMatch match;
  PolicyRules rules;

  friend bool operator==(const SegmentPolicy&, const SegmentPolicy&) = default;
};

struct BusinessHours {
  int start_minute = 9 * 60;
  int end_minute = 17 * 60;
  std::vector<int> days;  // ISO weekdays 1..7; empty = Monday..Friday

  friend bool operator==(const BusinessHours&, const BusinessHours&) = default;
};

struct RelationshipRules {
  int long_standing_years = 3;
  std::vector<Money> high_value_revenue;  // per currency
  int recent_order_days = 90;
  std::vector<std::string> valued_tags = {"strategic"};
  // Every wait of the ladder, in percent, for a valued relationship.
  int wait_factor_pct = 150;

  friend bool operator==(const RelationshipRules&, const RelationshipRules&) = default;
};

// Promises, payment plans and settlements (CollectionPolicy.arrangements).
// The discount rate of settlements is the economics' one.
struct ArrangementRules {
  int promise_grace_days = kDefaultPromiseGraceDays;  // when a promise names none
  PlanPolicy plans;
  SettlementPolicy settlements;

  friend bool operator==(const ArrangementRules&, const ArrangementRules&) = default;
};

struct CollectionPolicy {
  int64_t version = 1;
  PolicyRules default_rules;
  std::vector<SegmentPolicy> segments;  // first match wins
  Economics economics;
  BusinessHours business_hours;
  RelationshipRules relationship;
  ArrangementRules arrangements;

  friend bool operator==(const CollectionPolicy&, const CollectionPolicy&) = default;
};

// The amount of `currency` in a per-currency list, if present.
std::optional<int64_t> AmountFor(const std::vector<Money>& amounts, absl::string_view currency);

// Checks every rule; InvalidArgument with reason INVALID_POLICY and one field
// violation per problem (all problems, not only the first):
//   stages ascending and unique, PRE_DUE_REMINDER only through
//   pre_due_reminder_days, day counts within their ranges, per-currency lists
//   with known currencies, no duplicates and non-negative amounts,
//   basis points 0..10000, business hours start < end within a day, weekdays
//   1..7, segment ids unique and well formed, and the arrangement rules
//   (ValidatePlanPolicy, ValidateSettlementPolicy) under "arrangements.".
absl::Status ValidatePolicy(const CollectionPolicy& policy);

// The shipped policy: a seven-step ladder for business debts, a gentler one
// for customers tagged "strategic", and a letter-first one for consumers;
// EUR/GBP/USD amounts for the per-currency thresholds and costs; every other
// figure at its struct default. Always passes ValidatePolicy().
CollectionPolicy DefaultPolicy();

// The rules for an account: the first segment whose match holds for the
// customer and its collectible overdue amounts, else the default rules.
// `segment_id` receives the segment id or "default".
const PolicyRules& RulesFor(const CollectionPolicy& policy, const CustomerFacts& customer,
                            const std::vector<Money>& overdue, std::string* segment_id);

}  // namespace collections::domain

#endif  // COLLECTIONS_DOMAIN_POLICY_H_
