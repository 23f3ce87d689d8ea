// Disputes of an invoice or one of its lines. An open dispute pauses
// collection of the disputed amount (AccountContext::DisputedAmount holds it
// back from the ladder and from fees); a resolution records an outcome with
// its day and owner: a credit note for (part of) the disputed amount, a
// corrected invoice from the host, or a rejection, which resumes collection.
#ifndef COLLECTIONS_DOMAIN_DISPUTES_H_
#define COLLECTIONS_DOMAIN_DISPUTES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "service/domain/account_context.h"
#include "service/domain/ledger.h"

namespace collections::domain {

// The reason codes of collections_sidecar.v1.Dispute.Reason.
bool IsDisputeReason(absl::string_view reason);

enum class DisputeOutcome { kCreditNote, kCorrectedInvoice, kRejected };
const char* DisputeOutcomeName(DisputeOutcome outcome);

// An invoice line that can be disputed.
struct DisputableLine {
  std::string line_id;
  int64_t amount = 0;  // line amount including tax, minor units
};

// Completes and checks a new dispute against the invoice as of `today`:
// reason is a known code; the invoice is not void and has an amount due; a
// line dispute names an existing line; the amount (0 = the line's amount, or
// the whole amount due) is at most the amount due (and the line's amount);
// no other open dispute covers the same invoice and line. Sets
// dispute.amount, status kOpen and opened_date. InvalidArgument
// (INVALID_DISPUTE) or FailedPrecondition (DISPUTE_ALREADY_OPEN,
// INVOICE_NOT_OPEN).
absl::Status PrepareDispute(Dispute& dispute, const InvoiceState& invoice,
                            const std::vector<DisputableLine>& lines,
                            const std::vector<Dispute>& existing, absl::CivilDay today);

struct DisputeResolution {
  DisputeOutcome outcome = DisputeOutcome::kRejected;
  int64_t credit_amount = 0;  // kCreditNote: what the credit note must carry
};

// Resolves an open dispute on `day`. kCreditNote credits `credit_amount`
// (0 = the disputed amount), which must be > 0 and at most both the disputed
// amount and the invoice's amount due; status becomes kResolved. kRejected
// sets kRejected and collection resumes. kCorrectedInvoice sets kResolved
// (the host's correction arrives through sync). FailedPrecondition
// (DISPUTE_NOT_OPEN) when not open.
absl::StatusOr<DisputeResolution> ResolveDispute(Dispute& dispute, DisputeOutcome outcome,
                                                 int64_t credit_amount, const InvoiceState& invoice,
                                                 absl::CivilDay day);

// The part of the invoice's amount due that may be collected on `as_of`:
// the amount due minus what open disputes hold back (never below zero).
int64_t CollectibleAmount(const AccountContext& account, const InvoiceState& invoice,
                          absl::CivilDay as_of);

}  // namespace collections::domain

#endif  // COLLECTIONS_DOMAIN_DISPUTES_H_
