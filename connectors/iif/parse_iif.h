// Reads QuickBooks Desktop IIF (Intuit Interchange Format) exports into
// SyncRecords: customers from !CUST lists, payment terms from !TERMS (used
// to derive due dates), and the receivables transactions INVOICE, CREDIT
// MEMO and PAYMENT from TRNS/SPL/ENDTRNS groups.
//
// IIF facts this parser relies on (Intuit "IIF reference: transactions" and
// the samples in research/formats.md):
//  - tab-delimited; a row whose first cell is "!KEY" names the columns of
//    the following KEY rows, so columns are mapped by header name;
//  - a transaction is one TRNS row, SPL rows, then ENDTRNS, and its amounts
//    sum to zero; TRNS of an INVOICE posts the (positive) total to A/R, each
//    SPL is an income line with negative AMOUNT and QNTY, and sales tax is an
//    SPL with EXTRA=AUTOSTAX; CREDIT MEMO has the signs flipped; PAYMENT's
//    TRNS is the deposit (positive) and its SPL credits A/R;
//  - dates are M/D/YY (unpadded seen; ISO in HDR rows), 0/0/0 means none;
//    amounts may carry thousands separators inside quotes ("99,250.02").
// Other lists (ACCNT, INVITEM, VEND, ...) and other transaction types
// (GENERAL JOURNAL, DEPOSIT, BILL, ...) are valid IIF and are skipped.
//
// Streaming: one transaction group and the terms table are held in memory.
#ifndef COLLECTIONS_CONNECTORS_IIF_PARSE_IIF_H_
#define COLLECTIONS_CONNECTORS_IIF_PARSE_IIF_H_

#include <istream>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "connectors/common/records.h"

namespace collections::connectors {

// One QuickBooks payment term (a !TERMS row).
struct IifTerms {
  std::string name;
  // TERMSTYPE 0: due STDDUEDAYS after the invoice date.
  // TERMSTYPE 1 ("date driven"): due on DAYOFMONTHDUE; an invoice dated
  // within DATEMINDAYS of that day is due in the following month.
  bool date_driven = false;
  int due_days = 0;
  int day_of_month_due = 0;
  int date_min_days = 0;

  absl::CivilDay DueDate(absl::CivilDay issue) const;
  // Days from issue to due for customer defaults (date-driven terms give an
  // approximation: DAYOFMONTHDUE days).
  int NominalDays() const { return date_driven ? day_of_month_due : due_days; }
};

// Terms known by name. Fill it from a terms list export (ParseIif fills it
// from !TERMS rows) and pass it when parsing transactions, so that a
// transaction without DUEDATE gets its due date from its TERMS.
class IifTermsTable {
 public:
  void Add(IifTerms terms);
  // Exact name, then case-insensitive; then QuickBooks' standard names
  // ("Net 30" = 30 days, "Due on receipt" = 0, "2% 10 Net 30" = 30 days)
  // when the table lacks them. nullopt when unknown.
  std::optional<IifTerms> Find(absl::string_view name) const;
  size_t size() const { return by_name_.size(); }

 private:
  absl::flat_hash_map<std::string, IifTerms> by_name_;  // key: upper-case name
};

// IIF-specific knobs; the common ones are in ParseOptions.
struct IifParseOptions {
  // When true, every Customer:Job in the file is its own customer. When
  // false (the default), jobs belong to their top-level customer: records of
  // "Balak, Mike:330 Main St" use customer_ref "Balak, Mike" and job rows of
  // a !CUST list produce no customer, because a job is not a separate debtor.
  bool jobs_as_customers = false;
};

// Parses one IIF file (see records.h for the contract). `terms` may be
// null; when given, it is used for due dates and receives the file's !TERMS
// rows. Record ids: customers by NAME, invoices and credit memos by DOCNUM,
// payments by StableId(customer, date, amount, DOCNUM, account, memo) since
// IIF payments carry no document number of their own. Errors: InvalidArgument
// only for unreadable input (LINE_TOO_LONG, ...); bad transactions and rows
// go to `on_issue`.
absl::Status ParseIif(std::istream& in, const ParseOptions& options, const RecordSink& on_record,
                      const IssueSink& on_issue, IifTermsTable* terms = nullptr,
                      const IifParseOptions& iif = {});

}  // namespace collections::connectors

#endif  // COLLECTIONS_CONNECTORS_IIF_PARSE_IIF_H_
