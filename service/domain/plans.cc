#include "service/domain/plans.h"

#include <algorithm>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "service/base/errors.h"
#include "service/domain/amount_limits.h"

namespace collections::domain {
namespace {

constexpr int kMaxWeight = 1000;

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Largest-remainder apportionment of `total` by `weights` (all > 0): the
// shares sum exactly to total; ties go to the earlier position.
std::vector<int64_t> Apportion(int64_t total, const std::vector<int>& weights) {
  const int64_t sum = std::accumulate(weights.begin(), weights.end(), int64_t{0});
  std::vector<int64_t> out(weights.size());
  std::vector<std::pair<int64_t, size_t>> rest;  // (remainder, index)
  int64_t given = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    const __int128 v = static_cast<__int128>(total) * weights[i];
    out[i] = static_cast<int64_t>(v / sum);
    rest.push_back({static_cast<int64_t>(v % sum), i});
    given += out[i];
  }
  std::stable_sort(rest.begin(), rest.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t k = 0; given < total; ++k, ++given) ++out[rest[k % rest.size()].second];
  return out;
}

absl::Status ExceedsPolicy(absl::string_view field, absl::string_view what) {
  return InvalidInput("PLAN_EXCEEDS_POLICY", field, what);
}

}  // namespace

absl::CivilDay AddMonthsClamped(absl::CivilDay day, int months) {
  const absl::CivilMonth target = absl::CivilMonth(day) + months;
  const absl::CivilDay last = absl::CivilDay(target + 1) - 1;
  const absl::CivilDay same(target.year(), target.month(), day.day());
  // absl normalises Feb 30 into March; clamp to the month instead.
  return absl::CivilMonth(same) == target ? same : last;
}

int64_t PlanPolicy::MinInstallment(absl::string_view currency) const {
  for (const auto& m : min_installment) {
    if (m.currency == currency) return m.minor;
  }
  return 0;
}

absl::Status ValidatePlanPolicy(const PlanPolicy& p) {
  std::vector<FieldViolation> bad;
  auto range = [&](absl::string_view field, int value, int lo, int hi) {
    if (value < lo || value > hi) {
      bad.push_back({std::string(field), absl::StrCat("must be ", lo, "..", hi, ", got ", value)});
    }
  };
  for (size_t i = 0; i < p.min_installment.size(); ++i) {
    const Money& m = p.min_installment[i];
    const std::string path = absl::StrCat("min_installment[", i, "]");
    if (!IsKnownCurrency(m.currency)) {
      bad.push_back(
          {path + ".currency_code", absl::StrCat("unknown currency \"", m.currency, "\"")});
    }
    for (size_t j = 0; j < i; ++j) {
      if (p.min_installment[j].currency == m.currency) {
        bad.push_back({path + ".currency_code", absl::StrCat("duplicate currency ", m.currency)});
        break;
      }
    }
    if (m.minor < 0) bad.push_back({path + ".minor_units", "must not be negative"});
  }
  range("max_installments", p.max_installments, 1, 120);
  range("max_duration_months", p.max_duration_months, 0, 120);
  range("installment_grace_days", p.grace_days, 0, 60);
  range("cure_days", p.cure_days, 0, 120);
  range("max_renegotiations", p.max_renegotiations, 0, 10);
  if (bad.empty()) return absl::OkStatus();
  absl::Status st = InvalidInput("INVALID_POLICY", bad[0].field, bad[0].description);
  for (size_t i = 1; i < bad.size(); ++i) st = WithField(st, bad[i].field, bad[i].description);
  return st;
}

absl::StatusOr<std::vector<PlanInstallment>> ProposeInstallments(const PlanRequest& req,
                                                                 const PlanPolicy& policy) {
  if (absl::Status s = ValidatePlanPolicy(policy); !s.ok()) return s;
  if (req.balance <= 0) return InvalidInput("INVALID_PLAN", "balance", "nothing to schedule");
  if (req.installments < 0) return InvalidInput("INVALID_PLAN", "installments", "must be >= 0");
  if (req.monthly_capacity < 0) {
    return InvalidInput("INVALID_PLAN", "monthly_capacity", "must be >= 0");
  }
  const bool seasonal = !req.seasonal_weights.empty();
  if (seasonal) {
    if (req.seasonal_weights.size() != 12) {
      return InvalidInput("INVALID_PLAN", "seasonal_weights", "exactly 12 monthly weights");
    }
    for (size_t i = 0; i < 12; ++i) {
      if (req.seasonal_weights[i] < 0 || req.seasonal_weights[i] > kMaxWeight) {
        return InvalidInput("INVALID_PLAN", absl::StrCat("seasonal_weights[", i, "]"),
                            "must be 0..1000");
      }
    }
  }
  // Hard limits on the count: policy max and the span (n - 1 months).
  const int limit = std::min(policy.max_installments, policy.max_duration_months + 1);
  // The most installments that keep each at or above the minimum.
  const int64_t min_installment = policy.MinInstallment(req.currency);
  const int64_t by_min =
      min_installment > 0 ? std::max<int64_t>(1, req.balance / min_installment) : int64_t{limit};
  int n = 0;
  if (req.installments > 0) {
    if (req.installments > limit) {
      return ExceedsPolicy("installments",
                           absl::StrCat("at most ", limit, " installments under the policy"));
    }
    if (req.installments > by_min) {
      return ExceedsPolicy("installments", absl::StrCat(req.installments,
                                                        " installments would be below the "
                                                        "minimum installment; at most ",
                                                        by_min));
    }
    n = req.installments;
  } else if (req.monthly_capacity > 0) {
    const int64_t need = CeilDiv(req.balance, req.monthly_capacity);
    if (need > limit) {
      return ExceedsPolicy(
          "monthly_capacity",
          absl::StrCat("needs ", need, " installments; the policy allows ", limit));
    }
    n = static_cast<int>(std::min<int64_t>(need, by_min));
  } else {
    n = static_cast<int>(std::min<int64_t>(limit, by_min));
  }

  std::vector<PlanInstallment> out;
  if (!seasonal) {
    const int64_t each = req.balance / n;
    for (int i = 0; i < n; ++i) {
      PlanInstallment inst;
      inst.due_date = AddMonthsClamped(req.first_due, i);
      inst.amount = each + (i == n - 1 ? req.balance - each * n : 0);
      out.push_back(inst);
    }
    return out;
  }
  std::vector<int> weights;
  for (int m = 0; m <= policy.max_duration_months && static_cast<int>(out.size()) < n; ++m) {
    const absl::CivilDay due = AddMonthsClamped(req.first_due, m);
    const int w = req.seasonal_weights[due.month() - 1];
    if (w == 0) continue;
    PlanInstallment inst;
    inst.due_date = due;
    out.push_back(inst);
    weights.push_back(w);
  }
  if (out.empty()) {
    return InvalidInput("INVALID_PLAN", "seasonal_weights",
                        "every month within the policy's duration has weight 0");
  }
  const std::vector<int64_t> shares = Apportion(req.balance, weights);
  for (size_t i = 0; i < out.size(); ++i) out[i].amount = shares[i];
  // Merge installments below the minimum forward (the last one backward).
  for (size_t i = 0; i < out.size() && out.size() > 1;) {
    if (out[i].amount >= min_installment) {
      ++i;
      continue;
    }
    if (i + 1 < out.size()) {
      out[i + 1].amount += out[i].amount;
    } else {
      out[i - 1].amount += out[i].amount;
    }
    out.erase(out.begin() + static_cast<std::ptrdiff_t>(i));
  }
  return out;
}

absl::StatusOr<std::vector<PlanInstallment>> ExtendedTermsSchedule(
    int64_t balance, absl::CivilDay new_due, const std::vector<PlanInstallment>& milestones) {
  if (balance <= 0) return InvalidInput("INVALID_EXTENDED_TERMS", "invoices", "nothing is due");
  std::vector<PlanInstallment> out;
  AmountSum sum;
  for (size_t i = 0; i < milestones.size(); ++i) {
    const auto& m = milestones[i];
    const std::string field = absl::StrCat("milestones[", i, "]");
    if (m.amount <= 0)
      return InvalidInput("INVALID_EXTENDED_TERMS", field + ".amount", "must be > 0");
    if (m.due_date >= new_due) {
      return InvalidInput("INVALID_EXTENDED_TERMS", field + ".due_date",
                          "must be before the new due date");
    }
    if (i > 0 && m.due_date <= milestones[i - 1].due_date) {
      return InvalidInput("INVALID_EXTENDED_TERMS", field + ".due_date",
                          "milestones must have ascending dates");
    }
    sum += m.amount;
    if (sum.Clamped() >= balance) {
      return InvalidInput("INVALID_EXTENDED_TERMS", field + ".amount",
                          "milestones must leave a remainder for the new due date");
    }
    PlanInstallment inst;
    inst.due_date = m.due_date;
    inst.amount = m.amount;
    out.push_back(inst);
  }
  PlanInstallment last;
  last.due_date = new_due;
  last.amount = balance - sum.Clamped();  // > 0: checked above
  out.push_back(last);
  return out;
}

PlanEvaluation EvaluatePlan(const PaymentPlan& plan, const std::vector<DatedAmount>& payments,
                            const PlanPolicy& policy, absl::CivilDay as_of) {
  PlanEvaluation ev;
  ev.installments = plan.installments;
  std::stable_sort(
      ev.installments.begin(), ev.installments.end(),
      [](const PlanInstallment& a, const PlanInstallment& b) { return a.due_date < b.due_date; });
  AmountSum total, overpaid;
  for (auto& inst : ev.installments) {
    inst.paid = 0;
    total += inst.amount;
  }
  // Exact for a plan of an account that passed AccountAmountsFit.
  ev.total = total.Clamped();
  std::vector<DatedAmount> counted;
  for (const auto& p : payments) {
    if (p.amount <= 0 || p.day > as_of) continue;
    if (plan.accepted_date && p.day < *plan.accepted_date) continue;
    counted.push_back(p);
  }
  std::stable_sort(counted.begin(), counted.end(),
                   [](const DatedAmount& a, const DatedAmount& b) { return a.day < b.day; });
  size_t idx = 0;
  for (const auto& p : counted) {
    int64_t left = p.amount;
    while (left > 0 && idx < ev.installments.size()) {
      auto& inst = ev.installments[idx];
      const int64_t take = std::min(left, inst.amount - inst.paid);
      inst.paid += take;
      left -= take;
      ev.paid += take;
      if (inst.paid == inst.amount) {
        ++idx;
        if (idx == ev.installments.size()) ev.completed_date = p.day;
      }
    }
    overpaid += left;
  }
  ev.overpaid = overpaid.Clamped();
  ev.remaining = ev.total - ev.paid;  // 0 <= paid <= total
  for (const auto& inst : ev.installments) {
    InstallmentStatus st;
    if (inst.paid >= inst.amount) {
      st = InstallmentStatus::kPaid;
    } else if (as_of < inst.due_date) {
      st = InstallmentStatus::kUpcoming;
    } else if (as_of <= inst.due_date + policy.grace_days) {
      st = InstallmentStatus::kDue;
    } else {
      st = InstallmentStatus::kMissed;
      if (!ev.first_missed_due) ev.first_missed_due = inst.due_date;
    }
    ev.statuses.push_back(st);
  }
  ev.status = plan.status;
  if (plan.status != PlanStatus::kActive) {
    ev.in_arrears = plan.status == PlanStatus::kDefaulted;
    return ev;
  }
  if (ev.remaining == 0 && !ev.installments.empty()) {
    ev.status = PlanStatus::kCompleted;
    return ev;
  }
  ev.completed_date.reset();
  if (ev.first_missed_due) {
    ev.in_arrears = true;
    const absl::CivilDay cure_end = *ev.first_missed_due + policy.grace_days + policy.cure_days;
    if (as_of > cure_end) {
      ev.action = PlanAction::kDefault;
      ev.status = PlanStatus::kDefaulted;
      ev.default_date = cure_end + 1;
    } else {
      ev.action = PlanAction::kReminder;
    }
  }
  return ev;
}

absl::StatusOr<PlanDefault> DefaultPlan(PaymentPlan& plan, const PlanEvaluation& evaluation,
                                        const std::vector<FeeCharge>& fees,
                                        const PlanPolicy& policy) {
  if (plan.status != PlanStatus::kActive) {
    return WithReason(absl::FailedPreconditionError("only an ACTIVE plan can default"),
                      "PLAN_NOT_ACTIVE");
  }
  PlanDefault out;
  out.remaining = evaluation.remaining;
  out.invoice_ids = plan.invoice_ids;
  if (policy.restore_waived_fees_on_default) {
    for (const auto& fee : fees) {
      if (!fee.waived) continue;
      if (std::find(plan.invoice_ids.begin(), plan.invoice_ids.end(), fee.invoice_id) !=
          plan.invoice_ids.end()) {
        out.restored_fee_ids.push_back(fee.id);
      }
    }
  }
  plan.status = PlanStatus::kDefaulted;
  plan.in_arrears = true;
  plan.installments = evaluation.installments;
  return out;
}

absl::Status CheckRenegotiation(const PaymentPlan& plan, const PlanPolicy& policy) {
  if (plan.status != PlanStatus::kActive && plan.status != PlanStatus::kDefaulted) {
    return WithReason(absl::FailedPreconditionError(absl::StrCat("a ", PlanStatusName(plan.status),
                                                                 " plan cannot be renegotiated")),
                      "PLAN_NOT_RENEGOTIABLE");
  }
  if (plan.renegotiations >= policy.max_renegotiations) {
    return WithReason(absl::FailedPreconditionError(
                          absl::StrCat("the plan was renegotiated ", plan.renegotiations,
                                       " times; the policy allows ", policy.max_renegotiations)),
                      "PLAN_RENEGOTIATION_LIMIT");
  }
  return absl::OkStatus();
}

const char* PlanStatusName(PlanStatus status) {
  switch (status) {
    case PlanStatus::kProposed:
      return "PROPOSED";
    case PlanStatus::kActive:
      return "ACTIVE";
    case PlanStatus::kCompleted:
      return "COMPLETED";
    case PlanStatus::kDefaulted:
      return "DEFAULTED";
    case PlanStatus::kCancelled:
      return "CANCELLED";
  }
  return "UNSPECIFIED";
}

const char* InstallmentStatusName(InstallmentStatus status) {
  switch (status) {
    case InstallmentStatus::kUpcoming:
      return "UPCOMING";
    case InstallmentStatus::kDue:
      return "DUE";
    case InstallmentStatus::kPaid:
      return "PAID";
    case InstallmentStatus::kMissed:
      return "MISSED";
  }
  return "UNSPECIFIED";
}

}  // namespace collections::domain
