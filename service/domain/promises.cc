#include "service/domain/promises.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "service/base/errors.h"
#include "service/domain/amount_limits.h"

namespace collections::domain {
namespace {

absl::CivilDay MadeDay(const Promise& p) {
  return absl::ToCivilDay(p.made_time, absl::UTCTimeZone());
}

}  // namespace

absl::CivilDay PromiseGraceEnd(absl::CivilDay promised_date, int grace_days) {
  return promised_date + grace_days;
}

absl::Status ValidatePromise(const Promise& p, absl::CivilDay today) {
  if (!IsKnownCurrency(p.amount.currency)) {
    return InvalidInput("INVALID_PROMISE", "promise.amount.currency_code",
                        absl::StrCat("unknown currency \"", p.amount.currency, "\""));
  }
  if (p.amount.minor <= 0) {
    return InvalidInput("INVALID_PROMISE", "promise.amount", "must be > 0");
  }
  if (p.promised_date < today) {
    return InvalidInput("INVALID_PROMISE", "promise.promised_date", "before today");
  }
  if (p.promised_date - today > kMaxPromiseHorizonDays) {
    return InvalidInput(
        "INVALID_PROMISE", "promise.promised_date",
        absl::StrCat("more than ", kMaxPromiseHorizonDays, " days ahead: use a payment plan"));
  }
  const int64_t grace = p.grace_end - p.promised_date;
  if (grace < 0 || grace > kMaxPromiseGraceDays) {
    return InvalidInput("INVALID_PROMISE", "promise.grace_days",
                        absl::StrCat("must be 0..", kMaxPromiseGraceDays));
  }
  return absl::OkStatus();
}

PromiseEvaluation EvaluatePromise(const Promise& p, const std::vector<DatedAmount>& payments,
                                  absl::CivilDay as_of) {
  PromiseEvaluation ev;
  if (p.status == PromiseStatus::kCancelled) {
    ev.status = PromiseStatus::kCancelled;
    ev.resolved_date = p.resolved_date;
    return ev;
  }
  const absl::CivilDay from = MadeDay(p);
  const absl::CivilDay until = std::min(as_of, p.grace_end);
  std::vector<DatedAmount> counted;
  for (const auto& pay : payments) {
    if (pay.amount > 0 && pay.day >= from && pay.day <= until) counted.push_back(pay);
  }
  std::sort(counted.begin(), counted.end(),
            [](const DatedAmount& a, const DatedAmount& b) { return a.day < b.day; });
  AmountSum paid;
  for (const auto& pay : counted) {
    paid += pay.amount;
    if (paid.Clamped() >= p.amount.minor && ev.status != PromiseStatus::kKept) {
      ev.status = PromiseStatus::kKept;
      ev.resolved_date = pay.day;
    }
  }
  ev.paid = paid.Clamped();
  AmountSum shortfall(p.amount.minor);
  shortfall -= paid;
  ev.shortfall = shortfall.Positive() ? shortfall.Clamped() : 0;
  if (ev.status == PromiseStatus::kKept) return ev;
  if (as_of <= p.grace_end) {
    ev.status = PromiseStatus::kPending;
    ev.pauses_escalation = true;
    return ev;
  }
  ev.status = ev.paid > 0 ? PromiseStatus::kPartlyKept : PromiseStatus::kBroken;
  ev.resolved_date = p.grace_end + 1;
  return ev;
}

int BrokenPromiseCount(const std::vector<Promise>& promises, absl::CivilDay as_of,
                       bool include_partly_kept) {
  int n = 0;
  for (const auto& p : promises) {
    if (!p.resolved_date || *p.resolved_date > as_of) continue;
    if (p.status == PromiseStatus::kBroken ||
        (include_partly_kept && p.status == PromiseStatus::kPartlyKept)) {
      ++n;
    }
  }
  return n;
}

const char* PromiseStatusName(PromiseStatus status) {
  switch (status) {
    case PromiseStatus::kPending:
      return "PENDING";
    case PromiseStatus::kKept:
      return "KEPT";
    case PromiseStatus::kPartlyKept:
      return "PARTLY_KEPT";
    case PromiseStatus::kBroken:
      return "BROKEN";
    case PromiseStatus::kCancelled:
      return "CANCELLED";
  }
  return "UNSPECIFIED";
}

}  // namespace collections::domain
