// Plain-text accounting journals: hledger and ledger-cli journals, and
// beancount files, read into customers, invoices, credit notes and payments.
//
// These ledgers have no invoice object: receivables are ordinary accounts.
// The reading rules (research/formats.md, hledger.org/invoicing.html):
//  - a receivable posting is one whose account has a segment containing
//    "receivable" (case-insensitive; configurable), e.g. assets:receivable:ab
//    or Assets:AccountsReceivable;
//  - the customer is the sub-account below that segment ("ab"); without one,
//    the payee (hledger "payee | note", beancount's payee string), else the
//    receivable account itself as one pooled customer;
//  - a positive receivable posting is an invoice, numbered by the
//    transaction code "(201602ab)" when there is one; its due date is a
//    "due:" tag, else the auxiliary date (DATE=DATE2) when later, else the
//    date plus PlaintextParseOptions::default_terms_days;
//  - a negative receivable posting is a payment when the transaction moves
//    money into an asset account, a credit note otherwise (revenue reversed,
//    or a write-off to an expense); a payment naming an invoice number seen
//    earlier (code or text) is allocated to it;
//  - amounts: commodity symbol before or after ($1000, $-1000, -$1000,
//    500.00€, 431.92 USD), thousands separators ("$1,000.00", "1.000,00 EUR"; a lone '.' is
//    always the decimal point),
//    an omitted amount is the transaction's balance; a unit-less amount uses a
//    `D` default commodity directive or ParseOptions::default_currency;
//    balance assertions ("= $0"), costs ("@ price", "{cost}") and comments
//    are ignored;
//  - dates 2020-02-01, 2004/05/01, 2004.05.01, partial "1/3" with the year
//    from a `Y`/`year` directive, else the last full date, else
//    PlaintextParseOptions::default_year (hledger uses the current year);
//  - tags on lines of their own ("; key: value" comments in hledger/ledger,
//    metadata key: "value" in beancount), as WriteJournal writes them, win
//    over what the syntax allows: customer: is the customer's id (the
//    payee its name), document: the invoice or credit note number,
//    collections-entry: its external id, for-invoice: the invoice a credit
//    credits when that invoice is not in the file; so an export re-imports
//    with the same identities;
//  - automated (`=`) and periodic (`~`) transactions are rules, not
//    bookings, and are skipped; so are beancount's open/balance/pad/price
//    directives, options and org-mode headings.
//
// Streaming: one transaction at a time, plus the invoice numbers seen (for
// payment allocation).
#ifndef COLLECTIONS_CONNECTORS_PLAINTEXT_PARSE_PLAINTEXT_H_
#define COLLECTIONS_CONNECTORS_PLAINTEXT_PARSE_PLAINTEXT_H_

#include <cstdint>
#include <istream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "connectors/common/records.h"

namespace collections::connectors {

struct PlaintextParseOptions {
  // A segment of an account name containing this (case-insensitive) marks
  // a receivable account.
  std::string receivable_marker = "receivable";
  // Year of partial dates ("1/3") before any year directive or full date;
  // 0: the current UTC year, as hledger does.
  int default_year = 0;
  // Days from the transaction date to the due date when the journal says
  // nothing (no due: tag, no later auxiliary date).
  int default_terms_days = 0;
};

struct PlaintextStats {
  int64_t transactions = 0;
  int64_t receivable_postings = 0;
  int64_t invoices = 0;
  int64_t credit_notes = 0;
  int64_t payments = 0;
  int64_t rejected = 0;
  int64_t rules_skipped = 0;  // automated and periodic transactions
};

// Reads one journal (contract as in records.h). ExternalRef.source_system is
// options.source_system or "ledger". Issues: INVALID_DATE, INVALID_AMOUNT,
// MISSING_CURRENCY, UNBALANCED_TRANSACTION (an omitted amount that cannot be
// inferred), each naming the line.
absl::Status ParsePlaintextJournal(std::istream& in, const ParseOptions& options,
                                   const RecordSink& on_record, const IssueSink& on_issue,
                                   const PlaintextParseOptions& plaintext = {},
                                   PlaintextStats* stats = nullptr);

// A commodity as written in a journal ("$", "€", "USD", "EUR") as an ISO
// 4217 code, or "" when it is not a known currency.
std::string CommodityToCurrency(absl::string_view commodity);

}  // namespace collections::connectors

#endif  // COLLECTIONS_CONNECTORS_PLAINTEXT_PARSE_PLAINTEXT_H_
