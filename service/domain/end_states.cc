#include "service/domain/end_states.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "service/base/errors.h"
#include "service/base/status_macros.h"
#include "service/domain/amount_limits.h"

namespace collections::domain {

WriteOffAdvice AdviseWriteOff(const SettlementFigures& figures) {
  WriteOffAdvice advice;
  if (figures.alternatives.empty()) {
    advice.reasons.push_back("no recovery estimates: keep collecting");
    return advice;
  }
  advice.best_present_value = figures.alternatives.front().present_value;
  advice.best_path = figures.alternatives.front().path;
  for (const auto& a : figures.alternatives) {
    if (a.present_value > advice.best_present_value) {
      advice.best_present_value = a.present_value;
      advice.best_path = a.path;
    }
  }
  const std::string best = FormatMoney(Money{figures.currency, advice.best_present_value});
  advice.recommended = advice.best_present_value <= 0;
  advice.reasons.push_back(
      advice.recommended
          ? absl::StrCat("every way of collecting is expected to cost at least what it recovers "
                         "(best: ",
                         RecoveryPathName(advice.best_path), " at ", best, "): write off")
          : absl::StrCat(RecoveryPathName(advice.best_path), " collection is expected to net ",
                         best, " today: do not write off"));
  return advice;
}

bool IsWriteOffReason(absl::string_view reason) {
  return reason == "UNECONOMIC" || reason == "UNCOLLECTIBLE" || reason == "INSOLVENCY" ||
         reason == "STATUTE_BARRED" || reason == "OTHER";
}

absl::StatusOr<std::vector<WriteOffLine>> PrepareWriteOff(const std::vector<InvoiceState>& invoices,
                                                          std::vector<WriteOffLine> requested,
                                                          absl::CivilDay day) {
  std::vector<WriteOffLine> out;
  if (requested.empty()) {
    for (const auto& inv : invoices) {
      const int64_t due = inv.AmountDueAsOf(day);
      if (!inv.voided && due > 0) out.push_back({inv.id, due});
    }
  } else {
    std::set<std::string> seen;
    for (size_t i = 0; i < requested.size(); ++i) {
      const std::string field = absl::StrCat("write_off.items[", i, "]");
      auto& line = requested[i];
      auto it = std::find_if(invoices.begin(), invoices.end(),
                             [&](const InvoiceState& s) { return s.id == line.invoice_id; });
      if (it == invoices.end()) {
        return InvalidInput("INVALID_WRITE_OFF", field + ".invoice", "no such invoice");
      }
      if (!seen.insert(line.invoice_id).second) {
        return InvalidInput("INVALID_WRITE_OFF", field + ".invoice", "listed twice");
      }
      const int64_t due = it->voided ? 0 : it->AmountDueAsOf(day);
      if (due <= 0) {
        return InvalidInput("INVALID_WRITE_OFF", field + ".invoice", "nothing due");
      }
      if (line.amount == 0) line.amount = due;
      if (line.amount < 0 || line.amount > due) {
        return InvalidInput("INVALID_WRITE_OFF", field + ".amount",
                            absl::StrCat("must be 0 < amount <= ", due));
      }
      out.push_back(line);
    }
  }
  if (out.empty()) {
    return WithReason(absl::FailedPreconditionError("nothing is due to write off"),
                      "NOTHING_TO_WRITE_OFF");
  }
  return out;
}

absl::StatusOr<ReferralCollection> SplitCollection(const Referral& referral, int64_t referred,
                                                   int64_t collected_gross, int64_t gross,
                                                   absl::CivilDay day) {
  if (referral.recalled || referral.state == EndState::kNone) {
    return WithReason(absl::FailedPreconditionError("the referral is not active"),
                      "REFERRAL_NOT_ACTIVE");
  }
  if (gross <= 0) return InvalidInput("INVALID_COLLECTION", "gross", "must be > 0");
  ASSIGN_OR_RETURN(const int64_t outstanding,
                   SubtractAmounts(referred, collected_gross, "the referral's outstanding amount"));
  if (gross > outstanding) {
    return InvalidInput(
        "INVALID_COLLECTION", "gross",
        absl::StrCat("more than the ", outstanding, " still outstanding on the referral"));
  }
  if (day < referral.since) {
    return InvalidInput("INVALID_COLLECTION", "collected_date", "before the referral");
  }
  ReferralCollection c;
  c.day = day;
  c.gross = gross;
  c.commission = ApplyBasisPoints(gross, referral.commission_bp);
  c.net = gross - c.commission;
  return c;
}

absl::Status CheckNewReferral(const Referral& current, EndState state) {
  if (state != EndState::kAgency && state != EndState::kLegal) {
    return InvalidInput("INVALID_REFERRAL", "referral.kind", "AGENCY or LEGAL");
  }
  if (current.state == EndState::kWrittenOff) {
    return WithReason(absl::FailedPreconditionError("the account is written off"),
                      "ACCOUNT_WRITTEN_OFF");
  }
  const bool active = !current.recalled &&
                      (current.state == EndState::kAgency || current.state == EndState::kLegal);
  if (active && !(current.state == EndState::kAgency && state == EndState::kLegal)) {
    return WithReason(absl::FailedPreconditionError(absl::StrCat(
                          "the account is already referred (", EndStateName(current.state), ", ",
                          current.party, "); recall it first")),
                      "REFERRAL_ACTIVE");
  }
  return absl::OkStatus();
}

const char* EndStateName(EndState state) {
  switch (state) {
    case EndState::kNone:
      return "NONE";
    case EndState::kAgency:
      return "AGENCY";
    case EndState::kLegal:
      return "LEGAL";
    case EndState::kWrittenOff:
      return "WRITTEN_OFF";
  }
  return "NONE";
}

}  // namespace collections::domain
