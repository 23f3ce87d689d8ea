// Writes fee invoices and (settlement) credit notes in Xero's CSV import
// templates (Business > Invoices > Import; Credit notes > Import), one row
// per line, so that the tenant's Xero books show what the collections
// service charged or credited.
//
// Template facts (Xero's downloaded template, the samples and guides cited
// in research/formats.md): the 29 columns of the sales invoice template in
// its order, '*' marking mandatory ones; the credit-note template has
// *CreditNoteNumber and *CreditNoteDate instead of *InvoiceNumber,
// *InvoiceDate and *DueDate; amounts are positive; AccountCode and TaxType
// must exist in the organisation (set them in the options); Xero computes
// line totals from Quantity x UnitAmount, so a line whose amount is not
// exactly that product is written as 1 x amount. Xero has no column for the
// invoice a credit note corrects: Reference carries
// "Credit for invoice #<number>", which ParseXeroInvoices reads back.
#ifndef COLLECTIONS_CONNECTORS_XERO_WRITE_XERO_H_
#define COLLECTIONS_CONNECTORS_XERO_WRITE_XERO_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "collections_sidecar/v1/ledger.pb.h"
#include "connectors/common/records.h"

namespace collections::connectors {

struct XeroWriteOptions {
  // The organisation's date convention (UK/EU/AU/NZ day first, US month first).
  DateOrder date_order = DateOrder::kDayMonthYear;
  // Revenue account code for fee lines (Xero's default chart: 260 Other Revenue).
  std::string account_code = "260";
  // Tax rate display name, as it appears in Xero ("No VAT", "Tax Exempt", ...).
  std::string tax_type = "Tax Exempt";
  std::string branding_theme;
  std::string line_end = "\r\n";
};

enum class XeroDocument { kInvoices, kCreditNotes };

// One file holds one kind of document (Xero imports them separately). Not
// thread-safe; each Write emits all rows of one document or nothing.
class XeroWriter {
 public:
  XeroWriter(std::ostream& out, XeroDocument kind, XeroWriteOptions options = {});

  // `record.customer_ref` is the Xero contact name. InvalidArgument when the
  // record is not of the writer's kind, lacks a contact, number, date or
  // known currency, or when its amounts do not add up to its total.
  absl::Status Write(const collections_sidecar::v1::SyncRecord& record);

 private:
  absl::Status WriteInvoice(const collections_sidecar::v1::Invoice& inv,
                            const std::string& contact);
  absl::Status WriteCredit(const collections_sidecar::v1::CreditNote& cn,
                           const std::string& contact);
  std::string Date(const collections_sidecar::v1::Date& d) const;

  std::ostream& out_;
  XeroDocument kind_;
  XeroWriteOptions options_;
  bool header_written_ = false;
};

}  // namespace collections::connectors

#endif  // COLLECTIONS_CONNECTORS_XERO_WRITE_XERO_H_
