// Late fees and interest. A fee is charged only where the invoice's
// LateFeeTerms, or failing those the customer's contract, has a clause:
// a fixed fee per escalation stage, a percentage of the overdue amount once,
// contractual simple daily interest, or a statutory rule pack (statutory.h).
// Configurable per-jurisdiction caps bound the rate and the total.
//
// Arithmetic is exact: interest for one invoice is
//   round_half_up( Σ_day principal(day) × annual_rate_bp(day) / (10000 × basis) )
// summed over every late day in one __int128 numerator and rounded once, so
// repeated charges (accrued-to-date minus already charged) add up to exactly
// the same total however often fees are applied. principal(day) is the
// invoice's amount due at the end of that day (a payment stops interest on
// its amount from its value date).
#ifndef COLLECTIONS_DOMAIN_FEES_H_
#define COLLECTIONS_DOMAIN_FEES_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "service/base/money.h"
#include "service/domain/account_context.h"
#include "service/domain/ledger.h"
#include "service/domain/statutory.h"

namespace collections::domain {

// collections_sidecar.v1.LateFeeTerms on plain types.
enum class LateFeeKind { kUnspecified, kNone, kFixedFee, kPercentage, kDailyInterest, kStatutory };
struct LateFeeTerms {
  LateFeeKind kind = LateFeeKind::kUnspecified;
  Money fixed_fee;             // kFixedFee, per stage
  int percentage_bp = 0;       // kPercentage
  int annual_rate_bp = 0;      // kDailyInterest
  std::string statutory_pack;  // kStatutory, e.g. "UK_LATE_PAYMENT_1998"
};

// The invoice's terms when their kind is set, else the contract's; both
// unset means no clause (kNone).
LateFeeTerms EffectiveTerms(const LateFeeTerms& invoice, const LateFeeTerms& contract);

enum class FeeKind {
  kFixedStageFee,
  kPercentageFee,
  kContractInterest,
  kStatutoryInterest,
  kStatutoryCompensation,
};
// "FIXED_STAGE_FEE" ... as in collections_sidecar.v1.Fee.Kind.
const char* FeeKindName(FeeKind kind);
bool IsInterest(FeeKind kind);

// A fee already raised on the invoice (waived ones included, so that they
// are not raised again).
struct ChargedFee {
  FeeKind kind = FeeKind::kFixedStageFee;
  int64_t amount = 0;
  int stage = 0;  // kFixedStageFee: the stage (1-based) it was for
};

// Bounds a jurisdiction puts on late fees; 0 = no bound.
struct JurisdictionCaps {
  int max_annual_rate_bp = 0;  // interest rate ceiling (contractual and statutory)
  int max_total_bp = 0;        // all fees of an invoice ≤ this share of its overdue principal
};

// Everything fee assessment needs besides the invoice: rate tables, packs,
// caps. Load once at start; replace a rate table with SetRateTable.
struct FeeRules {
  std::map<std::string, RateTable> rate_tables;  // by table name
  std::map<std::string, StatutoryPack> packs;    // by pack id
  std::map<std::string, JurisdictionCaps> caps;  // by ISO 3166 country; "" = everywhere else
};
// The built-in tables and both packs; no caps.
FeeRules DefaultFeeRules();
// Replaces (or adds) the table named table.name().
void SetRateTable(FeeRules& rules, RateTable table);

struct FeeInput {
  InvoiceState invoice;
  LateFeeTerms invoice_terms;
  LateFeeTerms contract_terms;
  CustomerKind customer_kind = CustomerKind::kBusiness;
  std::string country;     // the debtor's ISO 3166 country (selects caps)
  int stages_reached = 0;  // escalation stages carried out after the due date
  std::vector<ChargedFee> charged;
  // Non-empty: collection of the invoice is paused (an open dispute, a plan
  // in good standing); no fee is raised and this is the skip reason.
  std::string paused_reason;
};

struct FeeLine {
  FeeKind kind = FeeKind::kFixedStageFee;
  int64_t amount = 0;                          // minor units of the invoice currency, > 0
  std::optional<absl::CivilDay> accrued_from;  // interest only
  std::optional<absl::CivilDay> accrued_to;
  int annual_rate_bp = 0;  // interest: the rate of the last day accrued
  int stage = 0;           // stage fees
  std::string pack;        // statutory kinds
  std::string basis;       // how it was computed, in English
};

struct FeeAssessment {
  std::string invoice_id;
  std::string currency;
  std::vector<FeeLine> lines;  // what to raise now (not yet charged)
  std::string skipped;         // why nothing applies, when lines is empty
  bool capped = false;         // a jurisdiction cap reduced something
};

// The fees due on one invoice as of `as_of` and not yet charged. No fee
// before the invoice is overdue (as_of > due_date), for a void invoice, or
// when no clause applies (`skipped` says why). Statutory packs skip consumer
// debts. InvalidArgument (INVALID_FEE_TERMS) for terms that cannot be
// applied (a fixed fee in another currency, an unknown pack, a negative
// rate); NotFound (RATE_UNAVAILABLE) when a rate table has no rate.
absl::StatusOr<FeeAssessment> AssessLateFees(const FeeInput& input, const FeeRules& rules,
                                             absl::CivilDay as_of);

// Simple interest on the invoice's amount due from `start` through `end`
// (inclusive), rate per day from `rate_on` (basis points a year), one
// rounding half up at the end; `last_rate` receives the rate of the last
// accruing day. 0 when end < start.
absl::StatusOr<int64_t> SimpleInterest(
    const InvoiceState& invoice, absl::CivilDay start, absl::CivilDay end,
    const std::function<absl::StatusOr<int>(absl::CivilDay)>& rate_on, int day_basis,
    int* last_rate);

}  // namespace collections::domain

#endif  // COLLECTIONS_DOMAIN_FEES_H_
