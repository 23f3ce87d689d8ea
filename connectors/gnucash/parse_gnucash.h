// GnuCash books: the XML file (plain or gzip-compressed, GnuCash's default)
// and the SQLite variant, read into customers, invoices, credit notes and
// payments for the collections service.
//
// GnuCash facts this parser relies on (GnuCash wiki "GnuCash XML format",
// the SQL backend schema, and the sample books in research/formats.md):
//  - the same `.gnucash` extension holds gzip (1f 8b), XML (`<?xml`) or
//    SQLite (`SQLite format 3\0`); the content decides;
//  - business objects: GncCustomer, GncJob (an owner of invoices that
//    belongs to a customer or vendor), GncBillTerm, GncInvoice; an invoice is
//    a customer invoice when its owner is a customer or a customer's job,
//    and only posted invoices are in the books (drafts are skipped);
//  - the invoice's amount is the A/R split of its posting transaction
//    (invoice:posttxn) in its lot (invoice:postlot); a credit note (slot
//    credit-note = 1) posts a negative A/R split;
//  - the due date is the posting transaction's slot trans-date-due, else
//    derived from the bill terms (due-days after posting, or the proximo
//    due-day of the next month), else the posting date;
//  - payments are transactions (slot trans-txn-type P) whose A/R splits sit
//    in invoice lots (lot slot gncInvoice/invoice-guid): each such split
//    pays that invoice; lot-link transactions (type L) move nothing;
//  - amounts are rationals "225300/100"; they become exact minor units of
//    the ISO 4217 currency or the record is rejected (INEXACT_AMOUNT).
//
// Ids: customers by cust:id (the number GnuCash shows, and the owner_id of
// its invoice importer; the GUID when empty or duplicated), invoices, credit
// notes and payments by GUID. Everything GnuCash-side that is not a
// receivable (vendors, employees, bills, securities) is skipped.
//
// Memory: the XML is streamed; kept are customers, jobs, terms, invoices,
// receivable accounts and lots, and only the transactions that touch a
// receivable account (not the whole book).
#ifndef COLLECTIONS_CONNECTORS_GNUCASH_PARSE_GNUCASH_H_
#define COLLECTIONS_CONNECTORS_GNUCASH_PARSE_GNUCASH_H_

#include <cstdint>
#include <istream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "connectors/common/records.h"

namespace collections::connectors {

enum class GnuCashFormat { kUnknown, kXml, kGzipXml, kSqlite };

// The format from the first bytes of a file (at least 16 for SQLite).
GnuCashFormat SniffGnuCash(absl::string_view first_bytes);

struct GnuCashStats {
  int64_t customers = 0;
  int64_t invoices = 0;
  int64_t credit_notes = 0;
  int64_t payments = 0;
  int64_t drafts_skipped = 0;        // unposted invoices
  int64_t non_customer_skipped = 0;  // vendor bills, employee vouchers
  int64_t rejected = 0;              // reported through on_issue
};

// Reads an XML book, plain or gzip-compressed (sniffed), from `in`.
// Contract as in records.h: OK when the book was read to its end; records
// that cannot be converted go to `on_issue`. InvalidArgument with reason
// NOT_GNUCASH (another document, or a SQLite book: use ParseGnuCashSqlite),
// XML_MALFORMED or GZIP_CORRUPT (naming the location) otherwise; GZIP_BOMB
// when the gzip data expands more than 100 times (plus 1 MiB).
absl::Status ParseGnuCashXml(std::istream& in, const ParseOptions& options,
                             const RecordSink& on_record, const IssueSink& on_issue,
                             GnuCashStats* stats = nullptr);

// Reads a SQLite book at `path` (opened read-only). InvalidArgument with
// reason NOT_GNUCASH when it is not a GnuCash database; NotFound when the
// file cannot be opened.
absl::Status ParseGnuCashSqlite(const std::string& path, const ParseOptions& options,
                                const RecordSink& on_record, const IssueSink& on_issue,
                                GnuCashStats* stats = nullptr);

// Sniffs the file at `path` and dispatches to one of the two above.
absl::Status ParseGnuCashFile(const std::string& path, const ParseOptions& options,
                              const RecordSink& on_record, const IssueSink& on_issue,
                              GnuCashStats* stats = nullptr);

// GnuCash's customer importer CSV (File > Import > Import Customers &
// Vendors): 19 fields id, company, name, addr1-4, phone, fax, email, notes,
// shipname, shipaddr1-4, shipphone, shipfax, shipemail; lines starting with
// '#' and blank lines are skipped, as is a header row (company "company",
// name "name"). An empty id gets a stable id from the company name, as
// GnuCash would allocate a new one. Rows without a company are issues.
absl::Status ParseGnuCashCustomersCsv(std::istream& in, const ParseOptions& options,
                                      const RecordSink& on_record, const IssueSink& on_issue);

// "225300/100" (or "7") as exact minor units of `currency`: InvalidArgument
// with reason INEXACT_AMOUNT when the value has more precision than the
// currency's minor unit, INVALID_AMOUNT when not a rational or out of range.
absl::StatusOr<int64_t> GnuCashRationalToMinor(absl::string_view rational,
                                               absl::string_view currency);

}  // namespace collections::connectors

#endif  // COLLECTIONS_CONNECTORS_GNUCASH_PARSE_GNUCASH_H_
