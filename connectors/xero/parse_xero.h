// Reads Xero sales-invoice CSV files (Business > Invoices > Import/Export)
// into SyncRecords: one Customer per contact, one Invoice per invoice number
// (the file has one row per invoice LINE), or one CreditNote per credit note
// number when the file is Xero's credit-note template.
//
// Xero facts this parser relies on (Xero's template and guides cited in
// research/formats.md): columns are found by header name, a leading '*'
// marking mandatory columns; rows with the same InvoiceNumber are one
// invoice and the number is unique in the file; dates are DD/MM/YYYY or
// MM/DD/YYYY by organisation region (ParseOptions.date_order), unpadded in
// practice; Total and TaxAmount are computed by Xero from Quantity,
// UnitAmount (up to 4 decimals), Discount (a percentage) and TaxType,
// tax-inclusive or exclusive as chosen in the import dialog; Currency is
// optional. The export flavour (no '*', extra columns such as Type, Status,
// InvoiceAmountDue) reads the same way; its Total, when present, must agree
// with the lines, and InvoiceAmountPaid becomes a Payment ("paid:<number>",
// dated the invoice date since the export has no payment date) allocated to
// the invoice.
//
// Streaming: lines of one invoice are consecutive in Xero's files, so one
// invoice is held at a time. A number that reappears after another invoice
// is rejected (DUPLICATE_INVOICE_NUMBER); to detect that, and to emit each
// contact once, the parser keeps a 64-bit fingerprint per invoice number and
// per contact (16 bytes each), not the rows.
#ifndef COLLECTIONS_CONNECTORS_XERO_PARSE_XERO_H_
#define COLLECTIONS_CONNECTORS_XERO_PARSE_XERO_H_

#include <istream>

#include "absl/status/status.h"
#include "connectors/common/records.h"

namespace collections::connectors {

struct XeroParseOptions {
  // UnitAmount includes tax (Xero's import dialog choice "Tax inclusive").
  // InvoiceLine.amount is then the amount net of the line's TaxAmount.
  bool amounts_include_tax = false;
};

// Parses one Xero sales invoice (or credit note) CSV; see records.h for the
// contract. Record ids: customers by ContactName (Xero matches contacts by
// exact name), invoices and credit notes by their number. A credit note's
// Reference of the form "Credit for invoice #<number>" (as WriteXero writes
// it) links it to that invoice. Errors: InvalidArgument (XERO_MISSING_COLUMN)
// when the header lacks a column the records need, or the input is
// unreadable; row problems go to `on_issue`.
absl::Status ParseXeroInvoices(std::istream& in, const ParseOptions& options,
                               const RecordSink& on_record, const IssueSink& on_issue,
                               const XeroParseOptions& xero = {});

}  // namespace collections::connectors

#endif  // COLLECTIONS_CONNECTORS_XERO_PARSE_XERO_H_
