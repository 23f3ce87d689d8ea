// End states of an account: write-off and referral to an agency or to legal
// action. A write-off is recommended when no way of collecting is expected
// to recover more than it costs; it reduces invoices through the ledger (a
// "write_off" settlement) and is reversible with an audited reason. A
// referral (agency or legal, the same shape) records who has the case, the
// commission, and collections net of commission; it can be recalled.
#ifndef COLLECTIONS_DOMAIN_END_STATES_H_
#define COLLECTIONS_DOMAIN_END_STATES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "service/domain/account_context.h"
#include "service/domain/ledger.h"
#include "service/domain/settlement.h"

namespace collections::domain {

struct WriteOffAdvice {
  bool recommended = false;
  // The best alternative's expected net recovery, discounted (may be < 0).
  int64_t best_present_value = 0;
  RecoveryPath best_path = RecoveryPath::kInternal;
  std::vector<std::string> reasons;
};

// Recommends a write-off when every alternative's discounted expected net
// recovery (settlement.h) is at or below zero: collecting would cost at
// least what it brings. No alternatives → not recommended (nothing known).
WriteOffAdvice AdviseWriteOff(const SettlementFigures& figures);

// The reason codes of collections_sidecar.v1.WriteOff.Reason.
bool IsWriteOffReason(absl::string_view reason);

struct WriteOffLine {
  std::string invoice_id;
  int64_t amount = 0;  // > 0, at most the amount due
};

// Completes and checks the lines of a write-off on `day`: empty `requested`
// means every invoice of `invoices` with an amount due, in full; otherwise
// each line names one of `invoices` at most once, not void, with
// 0 < amount <= amount due (0 on input = in full). InvalidArgument
// (INVALID_WRITE_OFF) naming "write_off.items[i]...", or FailedPrecondition
// (NOTHING_TO_WRITE_OFF) when nothing is due.
absl::StatusOr<std::vector<WriteOffLine>> PrepareWriteOff(const std::vector<InvoiceState>& invoices,
                                                          std::vector<WriteOffLine> requested,
                                                          absl::CivilDay day);

// One collection by an agency or a lawyer.
struct ReferralCollection {
  absl::CivilDay day;
  int64_t gross = 0;       // collected from the debtor
  int64_t commission = 0;  // gross x commission_bp, rounded half up
  int64_t net = 0;         // gross - commission
};

// Splits a collection of `gross` (> 0, at most referred - collected so far)
// under `referral` (must be active: not recalled) on `day` (not before the
// referral). InvalidArgument (INVALID_COLLECTION) or FailedPrecondition
// (REFERRAL_NOT_ACTIVE).
absl::StatusOr<ReferralCollection> SplitCollection(const Referral& referral, int64_t referred,
                                                   int64_t collected_gross, int64_t gross,
                                                   absl::CivilDay day);

// A new referral of `state` (kAgency or kLegal) is allowed when the account
// has no active referral (kLegal may follow an active kAgency referral,
// which it replaces) and is not written off. FailedPrecondition
// (REFERRAL_ACTIVE / ACCOUNT_WRITTEN_OFF), InvalidArgument for kNone.
absl::Status CheckNewReferral(const Referral& current, EndState state);

const char* EndStateName(EndState state);

}  // namespace collections::domain

#endif  // COLLECTIONS_DOMAIN_END_STATES_H_
