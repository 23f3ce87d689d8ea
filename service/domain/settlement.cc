#include "service/domain/settlement.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "service/base/errors.h"
#include "service/base/status_macros.h"
#include "service/domain/amount_limits.h"

namespace collections::domain {
namespace {

constexpr int64_t kBp = 10000;

absl::Status CheckBp(int value, absl::string_view field, absl::string_view reason) {
  if (value < 0 || value > kBp) return InvalidInput(reason, field, "must be 0..10000 basis points");
  return absl::OkStatus();
}

// ceil(a * bp / 10000) for a >= 0.
int64_t BpCeil(int64_t a, int64_t bp) {
  const __int128 v = static_cast<__int128>(a) * bp;
  return static_cast<int64_t>((v + kBp - 1) / kBp);
}

}  // namespace

absl::Status ValidateSettlementPolicy(const SettlementPolicy& p) {
  absl::Status st = CheckBp(p.margin_floor_bp, "settlement_margin_floor_bp", "INVALID_POLICY");
  absl::Status discount =
      CheckBp(p.max_discount_bp, "settlement_max_discount_bp", "INVALID_POLICY");
  if (st.ok()) return discount;
  if (!discount.ok())
    st = WithField(st, "settlement_max_discount_bp", "must be 0..10000 basis points");
  return st;
}

std::string FormatBasisPoints(int64_t bp) {
  const char* sign = bp < 0 ? "-" : "";
  if (bp < 0) bp = -bp;
  return absl::StrFormat("%s%d.%02d%%", sign, bp / 100, bp % 100);
}

absl::StatusOr<SettlementFigures> ComputeSettlementFigures(
    const Money& balance_money, std::vector<SettlementAlternative> alternatives,
    const SettlementPolicy& policy, int annual_discount_rate_bp) {
  RETURN_IF_ERROR(ValidateSettlementPolicy(policy));
  RETURN_IF_ERROR(CheckBp(annual_discount_rate_bp, "annual_discount_rate_bp", "INVALID_POLICY"));
  const int64_t balance = balance_money.minor;
  if (!IsKnownCurrency(balance_money.currency)) {
    return InvalidInput("INVALID_SETTLEMENT", "currency_code", "unknown currency");
  }
  if (balance <= 0) return InvalidInput("INVALID_SETTLEMENT", "invoices", "nothing is due");
  SettlementFigures f;
  f.currency = balance_money.currency;
  f.balance = balance;
  auto money = [&](int64_t minor) { return FormatMoney(Money{f.currency, minor}); };
  bool have_best = false;
  for (size_t i = 0; i < alternatives.size(); ++i) {
    auto& a = alternatives[i];
    const std::string field = absl::StrCat("alternatives[", i, "]");
    RETURN_IF_ERROR(CheckBp(a.probability_bp, field + ".probability_bp", "INVALID_ALTERNATIVE"));
    RETURN_IF_ERROR(CheckBp(a.commission_bp, field + ".commission_bp", "INVALID_ALTERNATIVE"));
    if (a.expected_days < 0 || a.expected_days > 3650) {
      return InvalidInput("INVALID_ALTERNATIVE", field + ".expected_days", "must be 0..3650");
    }
    if (a.cost < 0) return InvalidInput("INVALID_ALTERNATIVE", field + ".cost", "must be >= 0");
    const RecoveryValue v =
        ValueRecovery(balance, {a.path, a.probability_bp, a.expected_days, a.commission_bp, a.cost},
                      annual_discount_rate_bp);
    a.net_expected = ((AmountSum(v.recovered) -= v.commission) -= a.cost).Clamped();
    a.present_value = v.net;
    f.reasons.push_back(absl::StrCat(
        RecoveryPathName(a.path), ": ", FormatBasisPoints(a.probability_bp), " chance",
        a.commission_bp > 0 ? absl::StrCat(", ", FormatBasisPoints(a.commission_bp), " commission")
                            : "",
        a.cost > 0 ? absl::StrCat(", cost ", money(a.cost)) : "", " in ", a.expected_days,
        " days: expected net ", money(a.net_expected), ", worth ", money(a.present_value),
        " today"));
    if (!have_best || a.present_value > f.best_alternative) {
      f.best_alternative = a.present_value;
      f.best_path = a.path;
      have_best = true;
    }
  }
  f.best_alternative = std::max<int64_t>(0, f.best_alternative);
  f.alternatives = std::move(alternatives);
  f.margin_floor = BpCeil(balance, policy.margin_floor_bp);
  f.discount_cap_floor =
      balance - static_cast<int64_t>(static_cast<__int128>(balance) * policy.max_discount_bp / kBp);
  f.minimum_acceptable = std::max({f.best_alternative, f.margin_floor, f.discount_cap_floor});
  f.minimum_acceptable = std::min(f.minimum_acceptable, balance);
  f.max_discount = balance - f.minimum_acceptable;
  f.discount_bp = static_cast<int>(static_cast<__int128>(f.max_discount) * kBp / balance);
  if (f.minimum_acceptable == f.best_alternative && f.best_alternative > f.margin_floor &&
      f.best_alternative > f.discount_cap_floor) {
    f.reasons.push_back(absl::StrCat("the best alternative (", RecoveryPathName(f.best_path),
                                     ") is worth ", money(f.best_alternative),
                                     " today: a lump sum below that costs more than collecting"));
  } else if (f.minimum_acceptable == f.margin_floor && f.margin_floor >= f.discount_cap_floor) {
    f.reasons.push_back(absl::StrCat("the policy's margin floor (",
                                     FormatBasisPoints(policy.margin_floor_bp),
                                     " of the balance) is ", money(f.margin_floor)));
  } else {
    f.reasons.push_back(absl::StrCat("the policy's maximum discount is ",
                                     FormatBasisPoints(policy.max_discount_bp), " of the balance"));
  }
  return f;
}

absl::Status CheckSettlementOffer(const SettlementFigures& f, int64_t amount) {
  auto money = [&](int64_t minor) { return FormatMoney(Money{f.currency, minor}); };
  if (amount <= 0 || amount > f.balance) {
    return InvalidInput("INVALID_SETTLEMENT", "amount",
                        absl::StrCat("must be > 0 and at most the balance ", money(f.balance)));
  }
  if (amount < f.margin_floor || amount < f.discount_cap_floor) {
    return WithReason(absl::FailedPreconditionError(
                          absl::StrCat("offer ", money(amount), " is below the policy's floor ",
                                       money(std::max(f.margin_floor, f.discount_cap_floor)),
                                       " for a balance of ", money(f.balance))),
                      "SETTLEMENT_BELOW_MARGIN_FLOOR");
  }
  if (amount < f.best_alternative) {
    return WithReason(
        absl::FailedPreconditionError(absl::StrCat(
            "offer ", money(amount), " is below the ", money(f.best_alternative), " that ",
            RecoveryPathName(f.best_path), " collection is expected to recover")),
        "SETTLEMENT_BELOW_EXPECTED_RECOVERY");
  }
  return absl::OkStatus();
}

}  // namespace collections::domain
