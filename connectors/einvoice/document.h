// The e-invoice as the three e-invoicing connectors read it (UN/CEFACT CII,
// UN/EDIFACT INVOIC, ANSI X12 810), and the one place where such a document
// becomes ledger records. Each format's parser fills an EInvoice from its own
// syntax, with the location of every field it read; MapEInvoice applies the
// rules that do not depend on the syntax, so that a credit note, a prepaid
// amount or a missing due date means the same in every connector.
//
// Rules (EN 16931-1 semantic model, BT numbers in brackets; the same
// meanings in EDIFACT and X12):
//   - The document type is a UNTDID 1001 code [BT-3]: the credit-note codes
//     of EN 16931 (81, 83, 261, 262, 296, 308, 381, 396, 420, 458, 532)
//     become a CreditNote, every other known invoice code an Invoice.
//   - The ledger keeps invoice totals >= 0: an invoice type with a negative
//     total (a 384 correction that lowers the amount, the usual German
//     Rechnungskorrektur) becomes a CreditNote for the corrected invoice
//     [BT-25]. A credit-note type with a negative total is a debit and is
//     refused (it must be sent as an invoice).
//   - The total is the amount with VAT [BT-112] plus the rounding amount
//     [BT-114]; the amount due [BT-115] must equal total - prepaid [BT-113]
//     (BR-CO-16). A prepaid amount becomes a Payment allocated to the
//     invoice, so that the ledger's amount due equals the document's.
//   - The due date [BT-9] is taken as stated; without one, from the payment
//     terms [BT-20]: the net days of the terms when a parser found them
//     (XRechnung "#SKONTO#TAGE=30#PROZENT=0.00#", X12 ITD net days, EDIFACT
//     PAT), else "N days"/"N Tage"/"N jours" in the text, else the issue
//     date. The terms text is kept as it is, with any #SKONTO# coding, on the
//     invoice (ContractTerms.payment_terms_text).
//   - The direct-debit mandate [BT-89] has no field of its own in the ledger:
//     it is kept in the terms text as "SEPA mandate <id>", after the terms.
//
// Line detail is kept for the first kMaxKeptLines lines; the totals always
// come from the document's own summation, so a longer document is complete
// in the ledger and the parser's memory stays bounded.
#ifndef COLLECTIONS_CONNECTORS_EINVOICE_DOCUMENT_H_
#define COLLECTIONS_CONNECTORS_EINVOICE_DOCUMENT_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "connectors/common/amount.h"
#include "connectors/common/location.h"
#include "connectors/common/records.h"

namespace collections::connectors {

inline constexpr int kMaxKeptLines = 1000;

// What a UNTDID 1001 document name code means to the ledger.
enum class DocumentKind {
  kUnknown,     // not an invoice or credit-note code: refused
  kInvoice,     // 380, 383, 386, 389, 393, ... (EN 16931 invoice codes)
  kCorrection,  // 384: an invoice or, with a negative total, a credit
  kCreditNote,  // 381, 261, 396, ... (EN 16931 credit-note codes)
};
DocumentKind KindOfDocumentCode(absl::string_view untdid1001_code);

struct EInvoiceParty {
  // The identifier the ledger knows the party by: "<scheme>:<id>" when the
  // format names a scheme (ISO 6523 ICD "0088", EDIFACT code list "9", X12
  // qualifier "92"), else the bare id. Empty: none given.
  std::string id;
  std::string name;
  std::string vat_id;
  std::string country_code;  // ISO 3166 alpha-2, upper case
  std::string contact_name;
  std::string email;
  std::string phone;
  std::vector<std::string> address_lines;
};

struct EInvoiceLine {
  std::string line_id;
  std::string description;
  std::optional<int64_t> quantity_milli;
  std::optional<int64_t> unit_price;  // minor units of the document currency
  int64_t amount = 0;                 // line net amount, minor units
};

// One document as read, amounts in minor units of `currency`. `where` maps
// the logical fields below ("number", "type", "issue_date", "due_date",
// "currency", "total", "prepaid", "rounding", "due_payable", "buyer") to
// where the parser read them, and `field_names` to how the format spells
// them ("ram:DuePayableAmount", "MOA+9", "TDS01"), for located issues.
struct EInvoice {
  Location document;  // the document's start (root element, UNH, ST)
  std::map<std::string, Location> where;
  std::map<std::string, std::string> field_names;

  std::string number;
  std::string type_code;  // UNTDID 1001
  absl::CivilDay issue_date;
  std::optional<absl::CivilDay> due_date;
  std::string currency;
  // Amount with VAT (BT-112); required.
  std::optional<int64_t> total;
  std::optional<int64_t> tax;
  std::optional<int64_t> prepaid;
  std::optional<int64_t> rounding;
  std::optional<int64_t> due_payable;
  std::string terms_text;
  // Net days of the payment terms when the format states them.
  std::optional<int> terms_net_days;
  // Whether `terms_text` is free text that may say "N days" about the net
  // term. False when the parser composed it from structured terms (X12
  // ITD, EDIFACT PAT), whose day counts may be discount periods.
  bool terms_text_is_free = true;
  std::vector<std::string> referenced_invoices;  // BT-25, in document order
  std::string payment_reference;                 // BT-83
  std::string mandate_reference;                 // BT-89
  std::string note;                              // BT-22, first note
  EInvoiceParty buyer;
  std::vector<EInvoiceLine> lines;  // at most kMaxKeptLines
  int64_t line_count = 0;           // all lines, kept or not
};

struct EInvoiceMapOptions {
  std::string source_system;  // ExternalRef.source_system of every record
  collections_sidecar::v1::CustomerKind default_customer_kind =
      collections_sidecar::v1::CUSTOMER_KIND_CONSUMER;
};

// The records of one document, in the order they must be synced: the buyer
// (Customer), the Invoice or CreditNote, then the prepayment (Payment). On a
// rule violation, the ParseIssue (located at the offending field) and no
// records.
struct MappedEInvoice {
  std::vector<ParsedRecord> records;
  std::optional<ParseIssue> issue;
};
MappedEInvoice MapEInvoice(const EInvoice& doc, const EInvoiceMapOptions& options);

// Gives `payment` explicit allocations to the invoices among its remitted
// documents (not the credit notes), in the payer's order, each its remitted
// amount while the payment's amount lasts: when the payer deducted credits
// or claims, the invoices named last get less, and stay open by the amount
// deducted. Returns that shortfall (0 when everything fits). A remittance
// names exactly the invoices it pays, so no other invoice is touched.
int64_t AllocateRemittance(collections_sidecar::v1::Payment* payment);

// Net days of payment terms written as text: the XRechnung coding
// "#SKONTO#TAGE=n#PROZENT=0.00#" (the line without discount is the net
// term), else the number before "day(s)", "Tage(n)", "jours", "dagen" or
// "días" in free text. nullopt when there is none (or more than 3650).
std::optional<int> NetDaysInTerms(absl::string_view terms);

// A calendar day in a UNTDID 2379 date format: "102" CCYYMMDD, "203"
// CCYYMMDDHHMM, "204" CCYYMMDDHHMMSS, "101" YYMMDD (two-digit years as in
// values.h); an empty format means 102. InvalidArgument (INVALID_DATE)
// otherwise, including impossible days.
absl::StatusOr<absl::CivilDay> ParseDateFormat(absl::string_view text, absl::string_view format);

// A unit price in minor units of `currency` from decimal text that may carry
// more decimals than the currency (EN 16931 BT-146, X12 IT104 and EDIFACT
// PRI have no scale limit), per `basis_milli` thousandths of a unit (the
// price base quantity, 1000 = one unit): read with amount.h's ParseScaled
// at four more decimals than the currency, then divided by the basis and
// rounded half away from zero. Amounts themselves are read with amount.h's
// ParseAmount and the options' AmountRules.
absl::StatusOr<int64_t> ParseUnitPrice(absl::string_view text, absl::string_view currency,
                                       int64_t basis_milli, const AmountRules& rules);

// The in-place form of amount.h's CheckedAdd for running sums: adds `v` to
// `*sum`; false (and `*sum` unchanged) on int64 overflow.
bool AddChecked(int64_t* sum, int64_t v);

}  // namespace collections::connectors

#endif  // COLLECTIONS_CONNECTORS_EINVOICE_DOCUMENT_H_
