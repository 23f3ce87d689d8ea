// Writes what the collections service produces (fee invoices, settlement
// credit memos, write-offs) as an IIF file for QuickBooks Desktop's
// File > Utilities > Import > IIF Files.
//
// Format choices, each for QuickBooks' import (Intuit IIF reference):
// !TRNS/!SPL/!ENDTRNS headers once at the top; an invoice's SPL rows carry
// negative amounts and quantities; dates MM/DD/YYYY; fields never contain
// tabs or line breaks, text with commas is double-quoted as QuickBooks'
// own exports do, and semicolons (reported to make QuickBooks reject the
// import) become commas; the file is Windows-1252 with CRLF by default,
// QuickBooks Desktop being a Windows ANSI application. IIF has no field for
// the invoice a credit memo corrects, so its MEMO starts with
// "Credit for invoice #<number>", which ParseIif reads back.
#ifndef COLLECTIONS_CONNECTORS_IIF_WRITE_IIF_H_
#define COLLECTIONS_CONNECTORS_IIF_WRITE_IIF_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "collections_sidecar/v1/ledger.pb.h"
#include "service/base/money.h"

namespace collections::connectors {

struct IifWriteOptions {
  // QuickBooks account names; QuickBooks creates missing ones on import.
  std::string receivable_account = "Accounts Receivable";
  std::string fee_income_account = "Late Fee Income";
  std::string credit_account = "Collection Settlements";
  std::string sales_tax_account = "Sales Tax Payable";
  std::string write_off_account = "Bad Debt";
  // INVITEM of fee invoice lines; empty leaves the item blank.
  std::string fee_item;
  // NAME of the sales-tax SPL (the tax agency), when an invoice has tax.
  std::string sales_tax_agency;
  // false: UTF-8 instead of Windows-1252.
  bool windows1252 = true;
  std::string line_end = "\r\n";
};

// A write-off of what is left of an invoice: a GENERAL JOURNAL entry that
// debits the bad-debt account and credits A/R for the customer.
struct IifWriteOff {
  std::string number;  // DOCNUM of the journal entry
  absl::CivilDay date;
  std::string customer;        // the QuickBooks customer name
  std::string invoice_number;  // written into the memo
  domain::Money amount;        // > 0
  std::string memo;
};

// Not thread-safe. Each Write* call emits one complete transaction or fails
// without writing anything.
class IifWriter {
 public:
  explicit IifWriter(std::ostream& out, IifWriteOptions options = {});

  // An invoice or credit note record; `record.customer_ref` is the
  // QuickBooks customer name. InvalidArgument when the record is of another
  // kind, or when amounts do not balance (total != lines + tax), are not
  // positive, or lack a currency or date.
  absl::Status Write(const collections_sidecar::v1::SyncRecord& record);
  absl::Status WriteInvoice(const collections_sidecar::v1::Invoice& invoice,
                            absl::string_view customer);
  absl::Status WriteCreditMemo(const collections_sidecar::v1::CreditNote& credit,
                               absl::string_view customer);
  absl::Status WriteWriteOff(const IifWriteOff& write_off);

 private:
  void Header();
  void Emit(const std::string& text);

  std::ostream& out_;
  IifWriteOptions options_;
  bool header_written_ = false;
};

}  // namespace collections::connectors

#endif  // COLLECTIONS_CONNECTORS_IIF_WRITE_IIF_H_
