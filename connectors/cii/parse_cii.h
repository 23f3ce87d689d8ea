// Reads UN/CEFACT Cross Industry Invoice documents (CII D16B, the syntax of
// EN 16931-3-3) in every profile that carries them: Factur-X / ZUGFeRD 2
// MINIMUM, BASIC WL, BASIC, EN 16931 (COMFORT), EXTENDED, and XRechnung
// (CII flavour); as an XML file or as a PDF with the XML embedded
// (facturx_pdf.h). The document becomes an EInvoice and then ledger records
// through the shared mapping (connectors/einvoice/document.h).
//
// CII facts this parser relies on (EN 16931-3-3 syntax binding):
//   - The root is rsm:CrossIndustryInvoice in namespace
//     urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100; its
//     children are ExchangedDocumentContext (the profile, BT-24, in
//     GuidelineSpecifiedDocumentContextParameter/ID), ExchangedDocument (ID
//     BT-1, TypeCode BT-3, IssueDateTime BT-2 as DateTimeString format 102,
//     IncludedNote BT-22) and SupplyChainTradeTransaction.
//   - SupplyChainTradeTransaction holds the lines
//     (IncludedSupplyChainTradeLineItem, possibly very many, first), then
//     ApplicableHeaderTradeAgreement (BuyerTradeParty BG-7),
//     ApplicableHeaderTradeDelivery and ApplicableHeaderTradeSettlement
//     (InvoiceCurrencyCode BT-5, PaymentReference BT-83,
//     SpecifiedTradePaymentTerms with Description BT-20, DueDateDateTime
//     BT-9 and DirectDebitMandateID BT-89, InvoiceReferencedDocument BT-25,
//     and the SpecifiedTradeSettlementHeaderMonetarySummation: GrandTotal
//     BT-112, TaxTotal BT-110, RoundingAmount BT-114, TotalPrepaid BT-113,
//     DuePayable BT-115).
//   - Amounts have no currencyID except TaxTotalAmount, which may repeat in
//     the VAT accounting currency (BT-111); the one in the invoice currency
//     (or without currencyID) is used.
//   - Elements are matched by local name, so EXTENDED's additional
//     elements are ignored.
// ZUGFeRD 1.0 (root CrossIndustryDocument, urn:ferd:...) is a different
// schema and is refused with reason CII_UNSUPPORTED_VERSION.
//
// Streaming: each line item is expanded on its own and dropped; only the
// header parts (small) are kept whole.
#ifndef COLLECTIONS_CONNECTORS_CII_PARSE_CII_H_
#define COLLECTIONS_CONNECTORS_CII_PARSE_CII_H_

#include <istream>
#include <string>

#include "absl/status/status.h"
#include "connectors/common/records.h"

namespace collections::connectors {

// What a parse saw, for tests and the report.
struct CiiStats {
  std::string profile;        // GuidelineSpecifiedDocumentContextParameter/ID
  std::string embedded_file;  // the PDF attachment's name, for a PDF input
  int64_t lines = 0;
};

// Parses one CII document, XML or PDF (see records.h for the contract).
// Record ids: the document's ID for the invoice or credit note; the buyer
// by "<schemeID>:<GlobalID>", else its ID, legal organisation id or VAT id
// ("VA:<id>"), else a StableId of its name; the prepayment as
// "prepaid:<ID>". Locations are XPaths with lines (inside a PDF, of the
// embedded XML, and the file is named "<pdf>#<attachment>"). Errors:
// InvalidArgument with reason XML_MALFORMED, CII_UNKNOWN_ROOT,
// CII_UNSUPPORTED_VERSION, PDF_UNREADABLE or FACTURX_NO_INVOICE; a CII
// document that cannot be mapped is reported through `on_issue` and yields
// no records.
absl::Status ParseCii(std::istream& in, const ParseOptions& options, const RecordSink& on_record,
                      const IssueSink& on_issue, CiiStats* stats = nullptr);

}  // namespace collections::connectors

#endif  // COLLECTIONS_CONNECTORS_CII_PARSE_CII_H_
