// Reads one UBL 2.1 Invoice or CreditNote document (Peppol BIS Billing 3.0 /
// EN 16931) into SyncRecords: the buyer as a Customer, then the document as
// an Invoice or a CreditNote, plus a Payment for a PrepaidAmount.
//
// UBL facts this parser relies on (OASIS UBL 2.1 and Peppol BIS 3, see
// research/formats.md): the root is Invoice (…:Invoice-2) or CreditNote
// (…:CreditNote-2); cbc:ID is the document number (free text), dates are
// ISO; amounts carry @currencyID and have no fixed scale; LegalMonetaryTotal
// holds TaxInclusiveAmount, PrepaidAmount, PayableRoundingAmount and
// PayableAmount (the amount due, = TaxInclusive - Prepaid + Rounding,
// BR-CO-16); with a TaxCurrencyCode the VAT total is repeated in that
// currency, so the document-currency TaxTotal is the one used; the due date
// is cbc:DueDate on an Invoice or cac:PaymentMeans/cbc:PaymentDueDate;
// cac:PaymentMeans/cbc:PaymentID is the remittance reference; corrections
// are a CreditNote or an Invoice with negative totals, both pointing at the
// corrected invoice through cac:BillingReference/cac:InvoiceDocumentReference.
// Elements are matched by local name, so unknown extensions are ignored as
// UBL allows.
//
// Mapping decisions: an Invoice with a negative total becomes a CreditNote
// (the ledger keeps invoice totals >= 0); PrepaidAmount becomes a Payment
// allocated to the invoice, so that the ledger's amount due equals
// PayableAmount; a missing due date is taken from "N days" in
// cac:PaymentTerms/cbc:Note, else it is the issue date.
#ifndef COLLECTIONS_CONNECTORS_UBL_PARSE_UBL_H_
#define COLLECTIONS_CONNECTORS_UBL_PARSE_UBL_H_

#include <istream>

#include "absl/status/status.h"
#include "connectors/common/records.h"

namespace collections::connectors {

// Parses one UBL document (see records.h for the contract). Record ids:
// the document's cbc:ID for invoices and credit notes; the buyer by
// "<schemeID>:<EndpointID>" (else party identification, legal or VAT
// company id, else a StableId of the name); the prepayment as
// "prepaid:<invoice id>". Locations are XPaths. Errors: InvalidArgument with
// reason XML_MALFORMED (not well-formed) or UBL_UNKNOWN_ROOT (not a UBL
// Invoice/CreditNote); a document that is UBL but unusable (no ID, no
// amounts, inconsistent totals) is reported through `on_issue` and yields
// no records.
absl::Status ParseUbl(std::istream& in, const ParseOptions& options, const RecordSink& on_record,
                      const IssueSink& on_issue);

}  // namespace collections::connectors

#endif  // COLLECTIONS_CONNECTORS_UBL_PARSE_UBL_H_
