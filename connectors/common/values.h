// Field conversions shared by the connector parsers and writers: dates in
// the numeric forms exports use, quantities, proto value types, stable ids
// for records the source gives no id, and issue construction. Keeping them
// here means "7/16/98" or "2.5" mean the same thing in every connector.
#ifndef COLLECTIONS_CONNECTORS_COMMON_VALUES_H_
#define COLLECTIONS_CONNECTORS_COMMON_VALUES_H_

#include <cstdint>
#include <initializer_list>
#include <string>

#include "absl/container/flat_hash_map.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "collections_sidecar/v1/types.pb.h"
#include "connectors/common/amount.h"
#include "connectors/common/location.h"
#include "connectors/common/records.h"

namespace collections::connectors {

collections_sidecar::v1::Date ToProtoDate(absl::CivilDay day);
// The proto date as a CivilDay; InvalidArgument (INVALID_DATE) when it is not
// a calendar day.
absl::StatusOr<absl::CivilDay> FromProtoDate(const collections_sidecar::v1::Date& date);
collections_sidecar::v1::Money ToProtoMoney(int64_t minor, absl::string_view currency);

// A date in one of the numeric forms of exports: "YYYY-MM-DD" (ISO, always
// year first), or three numbers separated by '/', '-' or '.' in `order`,
// unpadded or padded ("7/16/98", "07/16/1998", "29/3/2019"). Two-digit years
// follow POSIX strptime %y: 69..99 are 1969..1999, 00..68 are 2000..2068.
// InvalidArgument with reason INVALID_DATE otherwise (including impossible
// days such as 2/30/2026).
absl::StatusOr<absl::CivilDay> ParseNumericDate(absl::string_view text, DateOrder order);

// Decimal text ("2.5", "-25", "1,000" with `allow_grouping`) in thousandths,
// the unit of InvoiceLine.quantity_milli. InvalidArgument (INVALID_QUANTITY)
// for non-numeric text or more than three non-zero decimals.
absl::StatusOr<int64_t> ParseQuantityMilli(absl::string_view text, bool allow_grouping = false);
// The same under a format's number grammar (amount.h).
absl::StatusOr<int64_t> ParseQuantityMilli(absl::string_view text, const NumberFormat& format);
// Decimal text as an integer count of 10^-`scale` units ("2.5" at scale 4
// is 25000), for prices that carry more decimals than their currency.
// InvalidArgument (INVALID_NUMBER) for non-numeric text, more than `scale`
// non-zero decimals, or overflow.
absl::StatusOr<int64_t> ParseScaledDecimal(absl::string_view text, int scale,
                                           bool allow_grouping = false);
// Thousandths back to the shortest decimal text ("2.5", "-25").
std::string FormatQuantityMilli(int64_t milli);

// A 16-hex-digit id from 64-bit FNV-1a over the parts (joined with a 0x1F
// separator). Stable across runs, builds and platforms, so a record without
// an id in its source gets the same ExternalRef.id on every import.
std::string StableId(std::initializer_list<absl::string_view> parts);
// The 64-bit FNV-1a hash behind StableId, for duplicate detection.
uint64_t Fingerprint(absl::string_view text);

// StableIds for records that have no id of their own, numbered when the same
// content repeats in one file: the first is StableId(parts), the second
// "<id>-2", and so on. Two identical rows (two equal payments on one day)
// stay two records instead of one overwriting the other, and a re-run of the
// same file gives the same ids. One per parse; not thread-safe.
class ContentIds {
 public:
  std::string Next(std::initializer_list<absl::string_view> parts);

 private:
  absl::flat_hash_map<std::string, int> seen_;
};

// The text convention the writers use to carry the invoice a credit note
// corrects in formats that have no field for it (IIF MEMO, Xero Reference):
// "Credit for invoice #<number>[: <reason>]".
std::string CreditReferenceText(absl::string_view invoice_number, absl::string_view reason);
// The invoice number of such a text ("" when `text` does not follow the
// convention, so that free text never becomes a bogus link); `*rest`
// receives the reason.
std::string InvoiceNumberFromCreditText(absl::string_view text, std::string* rest = nullptr);

// A document number as a file name: anything but [A-Za-z0-9._-] becomes
// '_' ("document" when empty), for exporters that write one file per
// document.
std::string SafeFileName(const std::string& number);

// `text` for a document a third party reads: each resource name of the
// service ("tenants/acme/customers/c-1/disputes/d-7") becomes its last
// segment ("d-7"), so that internal names never leak into an export.
std::string PublicText(absl::string_view text);

// A record located at `where`, with record.source_location filled in.
ParsedRecord NewRecord(const Location& where);

// An issue from a conversion error: its machine reason (or `fallback_reason`
// when it has none) and message.
ParseIssue IssueFromStatus(const absl::Status& status, const Location& where,
                           absl::string_view field,
                           absl::string_view fallback_reason = "INVALID_VALUE");

// The error a parser returns when the input as a whole is unusable:
// InvalidArgument with `reason` and a field violation whose field is the
// location ("export.csv:1") and whose description is `description`.
absl::Status InputError(absl::string_view reason, const Location& where,
                        absl::string_view description);

}  // namespace collections::connectors

#endif  // COLLECTIONS_CONNECTORS_COMMON_VALUES_H_
