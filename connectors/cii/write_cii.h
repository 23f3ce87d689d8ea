// Writes the documents the collections service creates (fee and interest
// invoices, settlement credit notes and write-off corrections) as UN/CEFACT
// CII documents of the EN 16931 profile (Factur-X / ZUGFeRD 2 "EN 16931",
// guideline urn:cen.eu:en16931:2017), the form German and French receivers
// must accept; facturx_pdf.h wraps one in a Factur-X PDF/A-3.
//
// Every element EN 16931 makes mandatory is written, in CII D16B schema
// order: the guideline id (BT-24, BR-1), ID (BR-2), TypeCode 380 or 381
// (BR-4), IssueDateTime (BR-3), one line per ledger line (BR-16; a
// document without lines gets one line for its whole net amount), the
// seller with name (BR-6), postal address and country (BR-8, BR-9) and VAT
// id (BR-S-02/BR-E-02), the buyer with name (BR-7) and country (BR-10), the
// currency (BR-5), the payment means with the payee account for invoices,
// one VAT breakdown (BR-CO-18), the due date (BR-CO-25), the totals
// (LineTotal = sum of lines BR-CO-10, TaxBasisTotal = LineTotal BR-CO-13,
// GrandTotal = TaxBasis + Tax BR-CO-15, DuePayable BR-CO-16) and, for a
// credit note, the invoice it corrects (BT-25). Data that would break a
// rule is refused, not written: a VAT amount that is not the rate of the
// net amount (BR-CO-17), a VAT category without the seller's VAT id.
//
// The ledger has no VAT rate per line, so one VAT category covers the
// document: S at `vat_percent` when it has tax, else the zero category (E
// exempt with a reason, the default for late-payment compensation, or O
// outside the scope of VAT). A credit note carries no tax in the ledger and
// is written with the zero category.
#ifndef COLLECTIONS_CONNECTORS_CII_WRITE_CII_H_
#define COLLECTIONS_CONNECTORS_CII_WRITE_CII_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "collections_sidecar/v1/ledger.pb.h"

namespace collections::connectors {

inline constexpr char kEn16931Guideline[] = "urn:cen.eu:en16931:2017";

struct CiiParty {
  // Global identifier with its ISO 6523 ICD scheme ("0088" GLN), optional.
  std::string global_id_scheme;
  std::string global_id;
  // Legal name (BT-27/BT-44). Required.
  std::string name;
  std::string vat_id;
  std::string address_line;
  std::string postcode;
  std::string city;
  // ISO 3166-1 alpha-2. Required.
  std::string country_code;
  std::string email;
};

// The buyer of a ledger customer: a GlobalID from an ExternalRef id
// "<4-digit ICD>:<id>" (as the parsers give it), a VAT id from "VA:<id>",
// the display name, the country and the first e-mail of its contacts.
CiiParty CiiPartyFromCustomer(const collections_sidecar::v1::Customer& customer);

struct CiiWriteOptions {
  CiiParty seller;
  // UNTDID 4461 payment means: 58 SEPA credit transfer, 30 credit transfer.
  std::string payment_means_code = "58";
  // The seller's IBAN (BT-84), required for invoices with payment means 58.
  std::string payee_iban;
  std::string zero_vat_category = "E";
  std::string exemption_reason = "Compensation for late payment, exempt from VAT";
  // VAT rate in percent for documents with tax (category S).
  std::string vat_percent;
  // Payment terms (BT-20) of credit notes, which have no due date
  // (BR-CO-25).
  std::string credit_terms =
      "The credit is set off against the invoice it names; no payment is due.";
  // UN/ECE Rec 20 unit ("C62" one).
  std::string unit_code = "C62";
};

// One CII invoice (TypeCode 380). InvalidArgument with reason EN16931_RULE
// (naming the rule, e.g. "BR-CO-17") or EN16931_MISSING (naming the
// business term) when no valid document can be made.
absl::StatusOr<std::string> WriteCiiInvoice(const collections_sidecar::v1::Invoice& invoice,
                                            const CiiParty& buyer, const CiiWriteOptions& options);
// One CII credit note (TypeCode 381) referring to the invoice it credits.
absl::StatusOr<std::string> WriteCiiCreditNote(const collections_sidecar::v1::CreditNote& credit,
                                               const CiiParty& buyer,
                                               const CiiWriteOptions& options);

// The text of the visible page of a Factur-X PDF for `record` (an invoice
// or credit note): title, parties, dates, amounts. The legally binding
// content is the embedded XML; the page is for people.
std::vector<std::string> FacturXPageLines(const collections_sidecar::v1::SyncRecord& record,
                                          const CiiParty& buyer, const CiiWriteOptions& options);

// The export of one ledger document (an invoice or credit note of
// `owner`): the CII XML, or with `facturx` the Factur-X PDF/A-3 carrying
// it (facturx_pdf.h). Errors as WriteCiiInvoice/WriteCiiCreditNote, and
// Internal when the PDF cannot be made.
absl::StatusOr<std::string> WriteCiiDocument(const collections_sidecar::v1::SyncRecord& record,
                                             const collections_sidecar::v1::Customer& owner,
                                             const CiiWriteOptions& options, bool facturx);

}  // namespace collections::connectors

#endif  // COLLECTIONS_CONNECTORS_CII_WRITE_CII_H_
