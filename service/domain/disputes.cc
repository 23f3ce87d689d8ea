#include "service/domain/disputes.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "service/base/errors.h"

namespace collections::domain {

bool IsDisputeReason(absl::string_view reason) {
  return reason == "PRICING" || reason == "QUALITY" || reason == "NOT_RECEIVED" ||
         reason == "DUPLICATE_BILLING" || reason == "OTHER";
}

const char* DisputeOutcomeName(DisputeOutcome outcome) {
  switch (outcome) {
    case DisputeOutcome::kCreditNote:
      return "CREDIT_NOTE";
    case DisputeOutcome::kCorrectedInvoice:
      return "CORRECTED_INVOICE";
    case DisputeOutcome::kRejected:
      return "REJECTED";
  }
  return "OUTCOME_UNSPECIFIED";
}

absl::Status PrepareDispute(Dispute& d, const InvoiceState& invoice,
                            const std::vector<DisputableLine>& lines,
                            const std::vector<Dispute>& existing, absl::CivilDay today) {
  if (!IsDisputeReason(d.reason)) {
    return InvalidInput("INVALID_DISPUTE", "dispute.reason",
                        "one of PRICING, QUALITY, NOT_RECEIVED, DUPLICATE_BILLING, OTHER");
  }
  const int64_t due = invoice.AmountDueAsOf(today);
  if (invoice.voided || due <= 0) {
    return WithReason(absl::FailedPreconditionError(
                          absl::StrCat("invoice ", invoice.number, " has nothing due to dispute")),
                      "INVOICE_NOT_OPEN");
  }
  int64_t limit = due;
  if (!d.line_id.empty()) {
    auto it = std::find_if(lines.begin(), lines.end(),
                           [&](const DisputableLine& l) { return l.line_id == d.line_id; });
    if (it == lines.end()) {
      return InvalidInput(
          "INVALID_DISPUTE", "dispute.line_id",
          absl::StrCat("invoice ", invoice.number, " has no line \"", d.line_id, "\""));
    }
    limit = std::min(limit, it->amount);
  }
  if (d.amount < 0 || d.amount > limit) {
    return InvalidInput("INVALID_DISPUTE", "dispute.amount",
                        absl::StrCat("must be 0 < amount <= ", limit));
  }
  if (d.amount == 0 && !d.line_id.empty()) d.amount = limit;
  for (const auto& other : existing) {
    if (other.status == DisputeStatus::kOpen && other.invoice_id == d.invoice_id &&
        (other.line_id.empty() || d.line_id.empty() || other.line_id == d.line_id)) {
      return WithReason(absl::FailedPreconditionError(absl::StrCat(
                            "dispute ", other.id, " is already open on this invoice",
                            other.line_id.empty() ? "" : absl::StrCat(" line ", other.line_id))),
                        "DISPUTE_ALREADY_OPEN");
    }
  }
  d.invoice_id = invoice.id;
  d.status = DisputeStatus::kOpen;
  d.opened_date = today;
  d.resolved_date.reset();
  return absl::OkStatus();
}

absl::StatusOr<DisputeResolution> ResolveDispute(Dispute& d, DisputeOutcome outcome,
                                                 int64_t credit_amount, const InvoiceState& invoice,
                                                 absl::CivilDay day) {
  if (d.status != DisputeStatus::kOpen) {
    return WithReason(absl::FailedPreconditionError(absl::StrCat("dispute ", d.id, " is not open")),
                      "DISPUTE_NOT_OPEN");
  }
  DisputeResolution r;
  r.outcome = outcome;
  if (outcome == DisputeOutcome::kCreditNote) {
    const int64_t due = invoice.AmountDueAsOf(day);
    const int64_t disputed = d.amount > 0 ? d.amount : due;
    const int64_t limit = std::min(disputed, due);
    r.credit_amount = credit_amount == 0 ? limit : credit_amount;
    if (r.credit_amount <= 0 || r.credit_amount > limit) {
      return InvalidInput(
          "INVALID_DISPUTE", "credit_amount",
          absl::StrCat("must be 0 < amount <= ", limit, " (the disputed amount still due)"));
    }
  }
  d.status =
      outcome == DisputeOutcome::kRejected ? DisputeStatus::kRejected : DisputeStatus::kResolved;
  d.resolved_date = day;
  return r;
}

int64_t CollectibleAmount(const AccountContext& account, const InvoiceState& invoice,
                          absl::CivilDay as_of) {
  const int64_t due = invoice.AmountDueAsOf(as_of);
  return std::max<int64_t>(0, due - account.DisputedAmount(invoice, as_of));
}

}  // namespace collections::domain
