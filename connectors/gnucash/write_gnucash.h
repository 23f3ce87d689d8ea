// Writes collection entries (late fees, interest, write-offs) in the two CSV
// shapes GnuCash imports:
//  - the invoice importer's format (File > Import > Import Bills & Invoices,
//    "bi_import"): 22 fields per line, no header, one line per invoice entry
//    (id, date_opened, owner_id, billingid, notes, date, desc, action,
//    account, quantity, price, disc_type, disc_how, discount, taxable,
//    taxincluded, tax_table, date_posted, due_date, account_posted,
//    memo_posted, accu_splits; GnuCash README_invoice / Help "Import Bills
//    and Invoices"). Fees and interest become one posted invoice each; a
//    write-off is not an invoice and is refused there;
//  - the transaction importer's "GnuCash Export Format" (File > Import >
//    Import Transactions from CSV, preset gnc-trans): a header of 18 columns
//    and one line per split, the first split carrying date, id, number and
//    description. Fees debit A/R and credit income; a write-off debits the
//    bad-debt expense and credits A/R.
// Dates are ISO "YYYY-MM-DD" (GnuCash's ISO date preference or the
// importer's y-m-d setting); amounts are plain decimals with '.'.
#ifndef COLLECTIONS_CONNECTORS_GNUCASH_WRITE_GNUCASH_H_
#define COLLECTIONS_CONNECTORS_GNUCASH_WRITE_GNUCASH_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "connectors/common/collection_entry.h"

namespace collections::connectors {

struct GnuCashWriteOptions {
  // Full GnuCash account names (":"-separated); they must exist in the book.
  std::string receivable_account = "Assets:Accounts Receivable";
  std::string fee_income_account = "Income:Late Fees";
  std::string interest_income_account = "Income:Interest Income";
  std::string write_off_account = "Expenses:Bad Debt";
  // bi_import accepts ',' or ';' between fields.
  char separator = ',';
  // bi_import: fill date_posted, due_date and account_posted so that GnuCash
  // posts each invoice on import.
  bool post_invoices = true;
};

// Fee and interest entries as bi_import lines. InvalidArgument (nothing
// written) when any entry is a write-off, lacks a customer or id, or has a
// non-positive amount.
absl::Status WriteGnuCashInvoiceCsv(std::ostream& out, absl::Span<const CollectionEntry> entries,
                                    const GnuCashWriteOptions& options = {});

// Every entry as a balanced two-split transaction in the gnc-trans format.
// InvalidArgument (nothing written) on a bad entry, as above.
absl::Status WriteGnuCashTransactionCsv(std::ostream& out,
                                        absl::Span<const CollectionEntry> entries,
                                        const GnuCashWriteOptions& options = {});

}  // namespace collections::connectors

#endif  // COLLECTIONS_CONNECTORS_GNUCASH_WRITE_GNUCASH_H_
