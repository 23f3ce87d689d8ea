// DATEV EXTF (and DTVF) CSV, the format in which German small businesses and
// their tax advisors exchange bookings and master data, format versions 5xx
// (510) and 7xx (700). Two categories are read:
//
//   21 Buchungsstapel (bookings)      -> invoices, credit notes, payments
//   16 Debitoren/Kreditoren (master)  -> customers (debtors only)
//
// File layout (DATEV "Schnittstellen-Entwicklungsleitfaden", EXTF header):
//   line 1  header: "EXTF";700;21;"Buchungsstapel";9;<created>;;<origin>;
//           <exported by>;<imported by>;<Berater>;<Mandant>;<WJ-Beginn
//           YYYYMMDD>;<Sachkontenlänge>;<Datum vom>;<Datum bis>;<Bezeichnung>;
//           <Diktatkürzel>;<Buchungstyp>;<Rechnungslegungszweck>;
//           <Festschreibung>;<WKZ>;...;<SKR "03"/"04"> (field 27)
//   line 2  column captions (informational; the field order is fixed)
//   line 3+ one record per line; ';' separated, text in quotes; numbers
//           with a decimal comma and no grouping ("5950,00"); Windows-1252.
//
// Bookings (Buchungsstapel fields 1-14: Umsatz, Soll/Haben-Kennzeichen,
// WKZ Umsatz, Kurs, Basisumsatz, WKZ Basisumsatz, Konto, Gegenkonto, BU-
// Schlüssel, Belegdatum, Belegfeld 1, Belegfeld 2, Skonto, Buchungstext):
//   - Umsatz is unsigned; S means Konto is debited and Gegenkonto credited,
//     H the reverse.
//   - Personal accounts have one digit more than the Sachkontenlänge L of
//     the header: 10^L .. 7*10^L-1 are debtors (our customers), 7*10^L ..
//     10^(L+1)-1 creditors (DATEV Kontenrahmen, Personenkonten).
//   - Belegdatum is DDMM (or DDMMYYYY); its year is the one that puts the day
//     inside the batch period Datum vom..Datum bis (else inside the fiscal
//     year from WJ-Beginn); a day outside is an error (DATEV refuses it too).
//   - A debit to a debtor is an invoice: number Belegfeld 1, issued on the
//     Belegdatum, due on the "Fälligkeit" field when the file has one, else
//     `payment_terms_days` later. Consecutive bookings with the same debtor
//     and Belegfeld 1 are the lines of one invoice (an invoice with two tax
//     rates is booked as two lines).
//   - A credit to a debtor against a bank or cash account (`bank_accounts`)
//     is a payment of that customer, allocated to the invoice named in
//     Belegfeld 1 (the DATEV OPOS convention) when there is one.
//   - A credit to a debtor against any other account (revenue reduction,
//     bad debt) is a credit note: number Belegfeld 2 (else "<Belegfeld 1>/
//     <date>"), crediting the invoice in Belegfeld 1.
//   - Bookings without a debtor (expenses, bank fees) are counted, skipped.
// Master data (Debitoren/Kreditoren fields 1-8, 20, 33): Konto, company name,
// person's name and first name, Adressattyp (1 person, 2 company), short
// name, country, e-mail; creditors are counted and skipped.
//
// External ids: customers "<account>"; invoices their number (unique in a
// client's books); credit notes their number; payments "<account>/pay-
// <fingerprint of the booking>" (DATEV bookings have no id); repeats are
// numbered "#2", so a re-import of the same file changes nothing.
//
// Memory: one booking group at a time plus a 64-bit fingerprint per
// document (to report an invoice number booked twice apart,
// DUPLICATE_DOCUMENT, and to number repeated equal bookings), as the
// runtime keeps one per customer and invoice key.
#ifndef COLLECTIONS_CONNECTORS_DATEV_PARSE_DATEV_H_
#define COLLECTIONS_CONNECTORS_DATEV_PARSE_DATEV_H_

#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "connectors/common/records.h"

namespace collections::connectors {

// The EXTF header (line 1).
struct DatevHeader {
  std::string marker;       // "EXTF" or "DTVF"
  int version = 0;          // 510, 700
  int category = 0;         // 21 bookings, 16 debtors/creditors
  std::string format_name;  // "Buchungsstapel"
  int format_version = 0;
  std::string berater;  // advisor number
  std::string mandant;  // client number
  absl::CivilDay fiscal_year_start;
  int account_length = 4;  // Sachkontenlänge
  std::optional<absl::CivilDay> period_from, period_to;
  std::string currency;  // WKZ; "" = EUR
  std::string chart;     // "03", "04" or ""

  // Debtor accounts: [first, last].
  int64_t FirstDebtor() const;
  int64_t LastDebtor() const;
  int64_t LastCreditor() const;
};

// Parses line 1 (already split into fields). InvalidArgument NOT_DATEV
// (not an EXTF/DTVF header), UNSUPPORTED_VERSION (not 5xx/7xx) or
// INVALID_HEADER naming the field.
absl::StatusOr<DatevHeader> ParseDatevHeader(const std::vector<std::string>& fields);

// Account ranges, inclusive.
using AccountRanges = std::vector<std::pair<int64_t, int64_t>>;
// "1000-1299,1800" -> {{1000,1299},{1800,1800}}; InvalidArgument otherwise.
absl::StatusOr<AccountRanges> ParseAccountRanges(absl::string_view text);
// Bank and cash accounts of a chart with 4-digit accounts, scaled to
// `account_length`: SKR03 1000-1299 (Kasse, Postbank, Banken), SKR04
// 1600-1899 (Kasse, Postbank, Banken).
AccountRanges DefaultBankAccounts(absl::string_view chart, int account_length);

struct DatevOptions {
  // Bank and cash accounts; empty = DefaultBankAccounts(header chart or "03").
  AccountRanges bank_accounts;
  // Due date of an invoice booking without Fälligkeit: Belegdatum + this.
  int payment_terms_days = 14;
};

struct DatevStats {
  DatevHeader header;
  int64_t rows = 0;
  int64_t customers = 0, invoices = 0, credit_notes = 0, payments = 0;
  int64_t other_bookings_ignored = 0;  // no debtor on either side
  int64_t creditors_ignored = 0;
  int64_t rejected = 0;
};

// Reads one EXTF file; see the file comment. Issues (file:line:column,
// naming the field as the caption row spells it) for rows it cannot read;
// InvalidArgument NOT_DATEV / UNSUPPORTED_VERSION / INVALID_HEADER /
// UNSUPPORTED_CATEGORY for the file as a whole. `stats` may be null.
absl::Status ParseDatev(std::istream& in, const ParseOptions& options, const DatevOptions& datev,
                        const RecordSink& on_record, const IssueSink& on_issue,
                        DatevStats* stats = nullptr);

}  // namespace collections::connectors

#endif  // COLLECTIONS_CONNECTORS_DATEV_PARSE_DATEV_H_
