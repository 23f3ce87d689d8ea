// Cash application: which open invoices does an incoming bank payment pay?
// A bank statement line (camt.053/054, MT940, ...) carries an amount, a payer
// name and remittance information; this file turns those into ranked
// candidate matches, each with a confidence and human-readable evidence, so
// that the service can apply confident matches automatically and put the
// rest in a review queue with suggestions.
//
// Matching order, most certain first: structured references first (ISO 11649 RF
// creditor references, Swiss QR/ISR references, referred document numbers),
// then invoice numbers found in unstructured text, then amount and payer
// heuristics. One payment may settle several invoices, net of credit notes.
//
// Pure: plain structs in, plain structs out; no I/O, no clock, thread-safe.
#ifndef COLLECTIONS_DOMAIN_CASH_MATCHING_H_
#define COLLECTIONS_DOMAIN_CASH_MATCHING_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/types/span.h"
#include "service/base/money.h"

namespace collections::domain {

// ---------------------------------------------------------------- references

// Upper-cases and removes spaces (the "paper" form "RF18 5390 0754 7034"
// becomes "RF18539007547034"). Other characters are kept.
std::string NormalizeReference(absl::string_view reference);

// ISO 11649 creditor reference: "RF", two check digits, then 1..21 letters or
// digits, valid when the mod-97 check (ISO 7064) of body + "RF" + check
// digits is 1. Spaces are ignored, letters are case-insensitive.
bool IsValidRfReference(absl::string_view reference);
// Builds "RF" + check digits + `body` for a body of 1..21 letters/digits
// (InvalidArgument otherwise). Used to issue references on invoices and in
// tests.
absl::StatusOr<std::string> MakeRfReference(absl::string_view body);

// Check digit of `digits` by the recursive modulo-10 algorithm of the Swiss
// ISR/ESR and QR-bill references (SIX Swiss Payment Standards). -1 when
// `digits` contains a non-digit.
int SwissMod10CheckDigit(absl::string_view digits);
// A Swiss QR reference (QRR) or a 27-digit ISR reference: 27 digits whose
// last digit is the mod-10 recursive check digit of the first 26. Spaces are
// ignored. The 16-digit ISR variant is accepted too.
bool IsValidSwissReference(absl::string_view reference);

// Belgian structured communication (OGM/VCS, Febelfin; camt CdtrRefInf with
// Issr BBA): 12 digits, printed "+++123/4567/89012+++" or with '*', whose
// last two digits are the first ten mod 97 (97 when that is 0).
bool IsValidBelgianStructuredReference(absl::string_view reference);

// --------------------------------------------------------------- the inputs

// An open receivable the payment may settle.
struct OpenItem {
  enum class Kind { kInvoice, kCreditNote };
  Kind kind = Kind::kInvoice;
  // Stable id used in the result (resource name or external id).
  std::string id;
  // The number the debtor sees, e.g. "INV-1001".
  std::string number;
  // The customer's id and display name.
  std::string customer;
  std::string customer_name;
  // Amount still due (invoice) or credit still available (credit note); > 0.
  Money amount_due;
  // Reference the payer was asked to quote (RF, QRR, ...); may be empty.
  std::string payment_reference;
  absl::CivilDay due_date;
};

// A document the payer says the payment is for (camt RfrdDocInf).
struct ReferredDocument {
  std::string number;
  // True for a credit note the payer deducts (camt Tp CREN).
  bool credit_note = false;
  // Amount the payer remits for this document (RmtdAmt) or deducts
  // (CdtNoteAmt); absent when not given.
  std::optional<Money> amount;
};

// What the bank says about one incoming payment.
struct IncomingPayment {
  // Amount credited to the account; > 0.
  Money amount;
  // The instructed amount when the payer paid in another currency (camt
  // AmtDtls/InstdAmt); matched against invoices in that currency too.
  std::optional<Money> instructed_amount;
  // Known customer id when the connector could tell (may be empty).
  std::string customer;
  std::string payer_name;
  // Creditor references as sent (SCOR, QRR, ISR or unknown types).
  std::vector<std::string> structured_references;
  std::vector<ReferredDocument> referred_documents;
  // Free remittance text (camt Ustrd, several lines joined with '\n').
  std::string unstructured_text;
};

// ---------------------------------------------------------------- the result

enum class MatchBasis {
  kCreditorReference,  // a valid RF reference equals the invoice's payment reference
  kSwissReference,     // a valid QRR/ISR reference names the invoice
  kOtherReference,     // an unvalidated structured reference names the invoice
  kReferredDocument,   // RfrdDocInf numbers
  kInvoiceNumberInText,
  kAmountAndPayer,
  kAmountOnly,
  kPayerOpenBalance,  // the payment equals everything the payer owes
};
absl::string_view MatchBasisName(MatchBasis basis);

// Part of the payment applied to one item. For a credit note, `amount` is the
// credit consumed (positive); invoice allocations = payment + credits.
struct ItemAllocation {
  std::string item_id;
  std::string number;
  OpenItem::Kind kind = OpenItem::Kind::kInvoice;
  Money amount;
};

struct MatchCandidate {
  MatchBasis basis = MatchBasis::kAmountOnly;
  // 0..10000 basis points: how sure we are that this is what the payer meant.
  int confidence_bp = 0;
  std::vector<ItemAllocation> allocations;
  // Payment amount left after the allocations (stays as customer credit).
  Money unapplied;
  // Why, e.g. "RF reference RF18 5390 0754 7034 (valid check digits) is the
  // payment reference of INV-1001".
  std::vector<std::string> evidence;
  // The customer of the allocated items (all share one customer).
  std::string customer;
};

struct MatchResult {
  enum class Decision {
    // The best candidate is confident and clearly ahead: apply it.
    kAutoApply,
    // Candidates exist but none is confident or two are close: a human picks.
    kReview,
    // Nothing plausible: unapplied cash in the review queue.
    kUnmatched,
  };
  Decision decision = Decision::kUnmatched;
  // Best first; at most MatchPolicy::max_candidates.
  std::vector<MatchCandidate> candidates;
  // Findings that are not about a candidate, e.g. a reference with bad check
  // digits.
  std::vector<std::string> notes;
};

struct MatchPolicy {
  // The best candidate is applied automatically when its confidence reaches
  // this and it leads the runner-up by `min_lead_bp`.
  int auto_apply_min_bp = 9000;
  int min_lead_bp = 1000;
  // Candidates below this are not suggested at all.
  int min_suggest_bp = 2000;
  int max_candidates = 5;
};

// Ranks the ways `payment` may settle `open_items` (invoices and credit notes
// of any customers; items in other currencies are never allocated). Never
// fails: malformed references become notes.
MatchResult MatchPayment(const IncomingPayment& payment, absl::Span<const OpenItem> open_items,
                         const MatchPolicy& policy = {});

}  // namespace collections::domain

#endif  // COLLECTIONS_DOMAIN_CASH_MATCHING_H_
