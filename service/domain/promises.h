// Promises to pay: whether a promise was kept, partly kept or broken, decided
// from dated payments only. A pending promise pauses escalation of its
// invoices until promised_date + grace; once the grace is over the status is
// final and a broken promise resumes the ladder (the recovery engine reads
// Promise::status from AccountContext).
#ifndef COLLECTIONS_DOMAIN_PROMISES_H_
#define COLLECTIONS_DOMAIN_PROMISES_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "service/domain/account_context.h"

namespace collections::domain {

// Grace days after the promised date when the request leaves it at 0.
inline constexpr int kDefaultPromiseGraceDays = 3;
inline constexpr int kMaxPromiseGraceDays = 60;
// A promise further out than this is a plan, not a promise.
inline constexpr int kMaxPromiseHorizonDays = 366;

// A payment (or the part of one) applied to the invoices a promise covers.
struct DatedAmount {
  absl::CivilDay day;
  int64_t amount = 0;  // minor units, > 0
};

struct PromiseEvaluation {
  PromiseStatus status = PromiseStatus::kPending;
  int64_t paid = 0;       // counted payments, capped at nothing (may exceed)
  int64_t shortfall = 0;  // max(0, amount - paid)
  std::optional<absl::CivilDay> resolved_date;
  // Escalation of the covered invoices is paused on as_of.
  bool pauses_escalation = false;
};

// promised_date + grace_days.
absl::CivilDay PromiseGraceEnd(absl::CivilDay promised_date, int grace_days);

// Checks a new promise made on `today`: amount > 0, a known currency,
// promised_date in [today, today + kMaxPromiseHorizonDays], grace
// (grace_end - promised_date) within 0..kMaxPromiseGraceDays. Returns
// InvalidArgument with reason INVALID_PROMISE and the offending field.
absl::Status ValidatePromise(const Promise& promise, absl::CivilDay today);

// Decides the promise's status as of `as_of` from `payments` (the amounts
// applied to the covered invoices). Counted are payments dated from the day
// the promise was made (UTC date of made_time) through min(as_of, grace_end).
//   KEPT:        counted >= amount (decided on the day it was reached, which
//                may be before the promised date);
//   PENDING:     not kept and as_of <= grace_end;
//   PARTLY_KEPT: after grace_end, 0 < counted < amount;
//   BROKEN:      after grace_end, nothing counted.
// A kCancelled promise stays cancelled. Pure; order of `payments` is free.
PromiseEvaluation EvaluatePromise(const Promise& promise, const std::vector<DatedAmount>& payments,
                                  absl::CivilDay as_of);

// Number of broken (and partly kept) promises decided on or before as_of:
// a signal for the risk estimate.
int BrokenPromiseCount(const std::vector<Promise>& promises, absl::CivilDay as_of,
                       bool include_partly_kept);

const char* PromiseStatusName(PromiseStatus status);

}  // namespace collections::domain

#endif  // COLLECTIONS_DOMAIN_PROMISES_H_
