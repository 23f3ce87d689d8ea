// Writes what the collections service booked (fee and interest invoices,
// settlement credit notes and write-offs) as a DATEV EXTF Buchungsstapel
// (format version 700, category 21), which the tax advisor imports into
// DATEV and which ParseDatev reads back to the same documents and amounts.
//
//   fee / interest invoice  Umsatz S, Konto = the debtor, Gegenkonto = the
//                           fee (or interest) account, Belegfeld 1 = the
//                           invoice number
//   credit note / write-off Umsatz H, Konto = the debtor, Gegenkonto = the
//                           write-off account, Belegfeld 1 = the invoice it
//                           credits, Belegfeld 2 = the credit note number
// The accounts come from the caller (flags); nothing is guessed. The debtor
// is the customer's id in the host system, which for customers read from
// DATEV is their account number. Written: the header row, the caption row
// and the first 14 fields of each booking (Umsatz .. Buchungstext); the
// later fields (Fälligkeit among them) are left out, so a re-import takes
// due dates from its --payment_terms_days. Text in Windows-1252, CRLF.
#ifndef COLLECTIONS_CONNECTORS_DATEV_WRITE_DATEV_H_
#define COLLECTIONS_CONNECTORS_DATEV_WRITE_DATEV_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "connectors/common/collection_entry.h"
#include "connectors/common/connector_main.h"

namespace collections::connectors {

struct DatevExportOptions {
  std::string berater;  // advisor number, 1..7 digits
  std::string mandant;  // client number, 1..5 digits
  int account_length = 4;
  // Sachkonten with account_length digits.
  std::string fee_account;
  std::string interest_account;  // empty = fee_account
  std::string writeoff_account;
  // First day of the fiscal year, month and day (the year follows from the
  // bookings, which must all lie in one fiscal year).
  int fiscal_year_start_month = 1;
  int fiscal_year_start_day = 1;
  // "Erzeugt am" of the header, YYYYMMDDHHMMSSFFF.
  std::string created;
  std::string chart;  // "03", "04" or ""
};

// InvalidArgument naming the document (records[i]) when a customer is not a
// debtor account for `account_length`, a document number is not a valid
// Belegfeld (a-z A-Z 0-9 $ & % * + - /, up to 36 for the invoice number in
// Belegfeld 1, 12 for the credit note number in Belegfeld 2), the bookings span two
// fiscal years, or an account flag is missing; nothing is written then.
// `entries` is CollectionEntriesOf(set) (which decides fee or interest).
absl::Status WriteDatevBookings(const ExportSet& set, const std::vector<CollectionEntry>& entries,
                                const DatevExportOptions& options, std::ostream& out);

}  // namespace collections::connectors

#endif  // COLLECTIONS_CONNECTORS_DATEV_WRITE_DATEV_H_
