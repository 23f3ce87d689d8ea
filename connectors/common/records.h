// What every connector parser produces, and the options they all take.
//
// A parser is a pure function from an input stream to records: it calls
// `on_record` once per customer, invoice, credit note or payment it reads
// and `on_issue` once per record it rejects, in file order, and keeps no
// more than one record (or one transaction group) in memory. The caller (the
// connector runtime) decides what to do with issues: reject the whole file
// (the default) or quarantine the bad records.
//
// The common signature, implemented by ParseIif, ParseXeroInvoices, ParseUbl
// and the other formats:
//   absl::Status ParseX(std::istream& in, const ParseOptions& options,
//                       const RecordSink& on_record, const IssueSink& on_issue);
// It returns OK when the input could be read to the end (even with issues),
// and an error only when the input as a whole is unusable (not this format,
// a missing mandatory column, unreadable bytes); that error names the file
// and line in its field violation.
#ifndef COLLECTIONS_CONNECTORS_COMMON_RECORDS_H_
#define COLLECTIONS_CONNECTORS_COMMON_RECORDS_H_

#include <functional>
#include <string>

#include "collections_sidecar/v1/ledger.pb.h"
#include "connectors/common/amount.h"
#include "connectors/common/location.h"
#include "connectors/common/text.h"

namespace collections::connectors {

struct ParsedRecord {
  collections_sidecar::v1::SyncRecord record;
  // Where the record starts (a transaction's TRNS line, an invoice's first
  // CSV row, an XML document's root). Also copied into
  // record.source_location as Location::ToString().
  Location where;
  // A customer the file only names (an IIF transaction's NAME without a
  // !CUST row): the runtime sends it only when the tenant has no customer
  // with its external ref, so that it never overwrites a customer's
  // details imported from a customer list.
  bool implied_customer = false;
};

// A rejected record. `reason` is a machine code (INVALID_AMOUNT,
// INVALID_DATE, MISSING_FIELD, UNBALANCED_TRANSACTION, ...), `field` the
// column or element name as the file spells it ("AMOUNT", "*InvoiceDate",
// "cbc:PayableAmount"), `description` a sentence for the report.
struct ParseIssue {
  Location where;
  std::string field;
  std::string reason;
  std::string description;

  // "file:line:col: FIELD: description (REASON)".
  std::string ToString() const;
};

using RecordSink = std::function<void(ParsedRecord)>;
using IssueSink = std::function<void(ParseIssue)>;

// Day/month order of numeric dates such as 7/6/2019.
enum class DateOrder {
  kDayMonthYear,  // 7/6/2019 = 7 June (Xero UK/EU/AU/NZ organisations)
  kMonthDayYear,  // 7/6/2019 = 6 July (US; QuickBooks IIF always)
};

// Options shared by all parsers. Nothing here is tenant-specific: the same
// file parsed with the same options gives the same records, in every run.
struct ParseOptions {
  // The input's name for locations ("exports/2026-03.iif"). Empty: "<input>".
  std::string file_name;
  // ExternalRef.source_system of every record; empty means the format's
  // default ("quickbooks", "xero", "peppol", ...). 1..64 of [a-z0-9._-].
  std::string source_system;
  // For formats whose numeric dates are ambiguous (Xero CSV). IIF ignores it.
  DateOrder date_order = DateOrder::kDayMonthYear;
  // ISO 4217 code for formats that do not state a currency (IIF, Xero rows
  // with an empty Currency column). Empty: such records are rejected with
  // reason MISSING_CURRENCY.
  std::string default_currency;
  // Text decoding (text formats only).
  TextEncoding encoding = TextEncoding::kAuto;
  // CustomerKind for customers whose kind the file does not reveal.
  // Consumer by default: consumer-debt rules are the stricter ones, so an
  // unknown debtor is never contacted more aggressively than the law allows.
  collections_sidecar::v1::CustomerKind default_customer_kind =
      collections_sidecar::v1::CUSTOMER_KIND_CONSUMER;
  // How amounts are read (amount.h): the number format (the format's own,
  // or --number_format for formats that follow the exporter's locale),
  // --round and the per-document ceiling --max_amount.
  AmountRules amounts;
};

}  // namespace collections::connectors

#endif  // COLLECTIONS_CONNECTORS_COMMON_RECORDS_H_
