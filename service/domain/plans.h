// Payment plans and extended terms: proposing a schedule that fits the
// balance within the policy (minimum installment, maximum number and
// duration, optional seasonal weights), matching payments to installments,
// and the consequences of a missed installment: a reminder within the cure
// period, then default, which cancels the plan, puts the remaining balance
// back on the ladder and may restore waived fees. Extended terms are a plan
// whose last installment is due on the new due date, with milestones as
// earlier part payments. Plain structs from account_context.h; pure.
#ifndef COLLECTIONS_DOMAIN_PLANS_H_
#define COLLECTIONS_DOMAIN_PLANS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "service/base/money.h"
#include "service/domain/account_context.h"
#include "service/domain/promises.h"

namespace collections::domain {

// The plan rules of a collection policy (CollectionPolicy.arrangements in
// recovery.proto). The member initializers are the defaults of every unset
// proto field; the field names in ValidatePlanPolicy's errors are the
// proto's.
struct PlanPolicy {
  std::vector<Money> min_installment;  // per currency; a currency without an entry: none
  int max_installments = 12;           // 1..120
  int max_duration_months = 11;        // last installment at most this many months after the first
  int grace_days = 5;                  // after an installment's due date
  int cure_days = 14;                  // after the grace: reminder period, then default
  int max_renegotiations = 1;
  bool restore_waived_fees_on_default = true;

  // The minimum installment in `currency` (0 = none).
  int64_t MinInstallment(absl::string_view currency) const;

  friend bool operator==(const PlanPolicy&, const PlanPolicy&) = default;
};

// InvalidArgument (reason INVALID_POLICY) with one field violation per field
// out of range ("max_installments", "min_installment[1].minor_units", ...).
absl::Status ValidatePlanPolicy(const PlanPolicy& policy);

struct PlanRequest {
  std::string currency;
  int64_t balance = 0;           // minor units to schedule, > 0
  absl::CivilDay first_due;      // the first installment's due date
  int installments = 0;          // desired count; 0 = derive
  int64_t monthly_capacity = 0;  // what the debtor can pay a month; 0 = unknown
  // Empty, or 12 weights (January first) of 0..1000: a month's installment
  // is proportional to its weight, weight 0 skips the month.
  std::vector<int> seasonal_weights;
};

// Proposes installments, due monthly on first_due's day of month (clamped
// to the month's last day: Jan 31 → Feb 28).
//  * Count: `installments` when given, else the fewest whose size fits
//    `monthly_capacity` when given, else as many as the policy allows (the
//    count shrinks until no installment is below min_installment; a balance
//    below the minimum is one installment). Never more than
//    max_installments, never a span over max_duration_months.
//  * Equal schedule: floor(balance / n) each, the remainder on the last.
//  * Seasonal: the span is the n months with a nonzero weight (still within
//    max_duration_months); amounts by the largest-remainder method so they
//    sum exactly to the balance; an installment below the minimum is merged
//    into the next one (the last into the previous).
// InvalidArgument (INVALID_PLAN / PLAN_EXCEEDS_POLICY) when the request
// cannot be met: non-positive balance, bad weights, a requested count that
// breaks a limit (including installments below the minimum), or a capacity
// that needs more installments or months than the policy allows.
absl::StatusOr<std::vector<PlanInstallment>> ProposeInstallments(const PlanRequest& request,
                                                                 const PlanPolicy& policy);

// Extended terms: `milestones` (ascending dates before new_due, amounts
// > 0 summing below the balance) followed by the remainder on new_due.
// InvalidArgument (INVALID_EXTENDED_TERMS) otherwise.
absl::StatusOr<std::vector<PlanInstallment>> ExtendedTermsSchedule(
    int64_t balance, absl::CivilDay new_due, const std::vector<PlanInstallment>& milestones);

enum class InstallmentStatus { kUpcoming, kDue, kPaid, kMissed };
enum class PlanAction { kNone, kReminder, kDefault };

struct PlanEvaluation {
  std::vector<PlanInstallment> installments;  // with `paid` filled
  std::vector<InstallmentStatus> statuses;    // parallel to installments
  int64_t total = 0;
  int64_t paid = 0;         // matched to installments (capped at total)
  int64_t overpaid = 0;     // payments beyond the total
  int64_t remaining = 0;    // total - paid
  bool in_arrears = false;  // some installment is kMissed
  // The earliest missed installment, if any.
  std::optional<absl::CivilDay> first_missed_due;
  PlanAction action = PlanAction::kNone;
  // kCompleted when all paid; kDefaulted when the cure period of a missed
  // installment ended on or before as_of; otherwise the plan's status.
  PlanStatus status = PlanStatus::kActive;
  std::optional<absl::CivilDay> completed_date;  // the day the last payment completed it
  std::optional<absl::CivilDay> default_date;    // first day past the cure period
};

// Matches `payments` (applied to the plan's invoices, dated on or after the
// acceptance day) to installments in due-date order, earliest payment first;
// a payment larger than an installment flows into the next ones. Payments
// dated after as_of are ignored. An installment is
//   kPaid when filled; kUpcoming before its due date; kDue from its due date
//   through due + grace; kMissed after that while unpaid.
// A missed installment gives kReminder through due + grace + cure_days and
// kDefault after. Only an ACTIVE plan is evaluated for arrears; PROPOSED,
// CANCELLED and DEFAULTED plans keep their status.
PlanEvaluation EvaluatePlan(const PaymentPlan& plan, const std::vector<DatedAmount>& payments,
                            const PlanPolicy& policy, absl::CivilDay as_of);

// What a default gives back to the ladder.
struct PlanDefault {
  int64_t remaining = 0;                      // balance back on the ladder
  std::vector<std::string> invoice_ids;       // the plan's invoices
  std::vector<std::string> restored_fee_ids;  // waived fees to restore
};

// Marks `plan` DEFAULTED (in_arrears stays true) and lists the consequences:
// the remaining balance and, when the policy restores waived fees, every
// waived fee of the plan's invoices. FailedPrecondition (PLAN_NOT_ACTIVE)
// unless the plan is ACTIVE.
absl::StatusOr<PlanDefault> DefaultPlan(PaymentPlan& plan, const PlanEvaluation& evaluation,
                                        const std::vector<FeeCharge>& fees,
                                        const PlanPolicy& policy);

// Checks that `plan` may be rescheduled: ACTIVE (or DEFAULTED, which a
// renegotiation may rescue) and renegotiations < max_renegotiations.
// FailedPrecondition with reason PLAN_RENEGOTIATION_LIMIT or
// PLAN_NOT_RENEGOTIABLE. The new plan carries renegotiations + 1.
absl::Status CheckRenegotiation(const PaymentPlan& plan, const PlanPolicy& policy);

const char* PlanStatusName(PlanStatus status);
const char* InstallmentStatusName(InstallmentStatus status);

// The day `months` months after `day`, on the same day of month or the
// month's last day when shorter.
absl::CivilDay AddMonthsClamped(absl::CivilDay day, int months);

}  // namespace collections::domain

#endif  // COLLECTIONS_DOMAIN_PLANS_H_
