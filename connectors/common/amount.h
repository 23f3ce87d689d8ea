// The amount rules of every connector, in one place: how decimal text is
// read, when it may be rounded, how sums and products are checked, and the
// largest amount one document may carry. Use these for every amount a
// parser reads or computes; never parse money text or multiply prices by
// hand in a connector.
//
// 1. Grammar. Each format states one NumberFormat, never a guess. A format
//    whose specification fixes the notation (XML schemas: xsd:decimal, so
//    UBL, CII, camt; MT940 and DATEV: decimal comma; OFX: no grouping, a
//    decimal point or comma) uses a fixed one; a format whose notation
//    follows the exporting program's locale (IIF, Xero CSV, journals) has a
//    documented default and the --number_format flag.
//    A NumberFormat is written as its own example, which is also the flag's
//    value:
//      "1234.56"   point decimal, no grouping (xsd:decimal)
//      "1,234.56"  point decimal, comma groups   (US/UK/AU programs)
//      "1234,56"   comma decimal, no grouping    (MT940, DATEV)
//      "1.234,56"  comma decimal, point groups   (DE/NL/ES programs)
//      "1 234,56"  comma decimal, space groups   (FR/SE/NO programs)
//      "1'234.56"  point decimal, apostrophe groups (CH programs)
//    Text is: optional sign ('+' or '-'), digits, optional decimal mark and
//    digits ("1.", ".5" and "1234," are read as xsd:decimal reads them).
//    A group mark is accepted only between groups of exactly three digits,
//    after a first group of one to three ("1,234,567.00"; never "1,50",
//    "12,34.00" or "1234,567"). Nothing else: no exponents, currency signs,
//    parentheses or inner spaces. A format that writes a negative amount
//    another way (a DBIT indicator, a trailing '-') converts before calling.
//
// 2. Decimals. More fraction digits than the currency's ISO 4217 exponent
//    are an error (TOO_MANY_DECIMALS: "100.50 JPY") unless they are zeros or
//    the user gave --round; then the amount is rounded half away from zero
//    (commercial rounding, as EN 16931 and Xero round line amounts).
//
// 3. Arithmetic. Sums and products go through CheckedAdd / ScaledProduct /
//    AmountTotal, which return MONEY_OVERFLOW instead of wrapping.
//
// 4. Ceiling. No amount of a document (a total, line, tax, payment,
//    allocation) may exceed `ceiling_major` major units of its currency
//    (default 10^12, i.e. one trillion; the --max_amount flag). Such an
//    amount is refused with AMOUNT_ABOVE_CEILING. It keeps every sum the
//    server makes far inside int64 (10^12 x 10^4 minor units x 10^5 records
//    < 9.2 x 10^18); the server applies the same default ceiling.
//
// Errors are absl::Status with a machine reason (INVALID_AMOUNT,
// TOO_MANY_DECIMALS, MONEY_OVERFLOW, AMOUNT_ABOVE_CEILING, UNKNOWN_CURRENCY)
// and a field violation on "amount" whose description names the text and
// the fix; the parser locates it with IssueFromStatus(status, where, field).
// Everything here is a pure function of its arguments; thread-safe.
#ifndef COLLECTIONS_CONNECTORS_COMMON_AMOUNT_H_
#define COLLECTIONS_CONNECTORS_COMMON_AMOUNT_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "collections_sidecar/v1/ledger.pb.h"

namespace collections::connectors {

// How a format writes decimal numbers; see the header comment.
struct NumberFormat {
  char decimal_mark = '.';
  char group_mark = 0;  // 0: no grouping allowed

  bool operator==(const NumberFormat&) const = default;
  // The example form: "1,234.56", "1234,56", ...
  std::string ToString() const;
};

inline constexpr NumberFormat kXsdDecimal{'.', 0};             // "1234.56"
inline constexpr NumberFormat kPointDecimalGrouped{'.', ','};  // "1,234.56"
inline constexpr NumberFormat kCommaDecimal{',', 0};           // "1234,56"
inline constexpr NumberFormat kCommaDecimalGrouped{',', '.'};  // "1.234,56"

// Parses a --number_format value (one of the examples above).
// InvalidArgument listing the accepted values otherwise.
absl::StatusOr<NumberFormat> ParseNumberFormat(absl::string_view example);

// The default per-document ceiling: 10^12 major units.
inline constexpr int64_t kDefaultCeilingMajor = 1'000'000'000'000;
// The largest ceiling accepted (10^14 major units: 10^18 minor units at the
// largest exponent, 4, still fits int64).
inline constexpr int64_t kMaxCeilingMajor = 100'000'000'000'000;

struct AmountRules {
  NumberFormat format = kXsdDecimal;
  // True when the user chose `format` (--number_format). A parser of a
  // format that follows the exporter's locale keeps its own default
  // otherwise (LocaleRules).
  bool format_chosen = false;
  // --round: round excess decimals half away from zero instead of refusing.
  bool round = false;
  // --max_amount: the per-document ceiling in major units, 1..kMaxCeilingMajor.
  int64_t ceiling_major = kDefaultCeilingMajor;

  // The options as text, for the sync id ("fmt=1,234.56;round=0;max=...").
  std::string Fingerprint() const;
};

// `rules` with `format_default` as the number format unless the user chose
// one: for parsers of locale-following formats (IIF, Xero CSV, journals).
AmountRules LocaleRules(const AmountRules& rules, NumberFormat format_default);

// The ceiling in minor units of `currency` (ceiling_major x 10^exponent);
// NotFound (UNKNOWN_CURRENCY) for an unknown currency.
absl::StatusOr<int64_t> CeilingMinor(absl::string_view currency, const AmountRules& rules);

// Decimal text as minor units of `currency` under `rules`: the grammar, the
// currency's exponent (excess decimals per rules.round), and the ceiling on
// the magnitude. Errors: INVALID_AMOUNT (grammar; the description says
// which mark or group is wrong and which --number_format would read it),
// TOO_MANY_DECIMALS (naming --round), AMOUNT_ABOVE_CEILING (naming
// --max_amount), UNKNOWN_CURRENCY.
absl::StatusOr<int64_t> ParseAmount(absl::string_view text, absl::string_view currency,
                                    const AmountRules& rules);

// Decimal text under `format` as an integer count of 10^-`scale` units
// ("2.5" at scale 4 is 25000), for unit prices, quantities and rates that
// carry more decimals than a currency. More than `scale` non-zero decimals
// are TOO_MANY_DECIMALS unless `round`. MONEY_OVERFLOW beyond int64.
// No ceiling: the amounts computed from it are checked instead.
absl::StatusOr<int64_t> ParseScaled(absl::string_view text, int scale, const NumberFormat& format,
                                    bool round = false);

// a + b, or MONEY_OVERFLOW (OutOfRange) naming `what` ("invoice total").
absl::StatusOr<int64_t> CheckedAdd(int64_t a, int64_t b, absl::string_view what = "sum");

// a x b / divisor, exact in 128 bits. When the quotient is not whole it is
// rounded half away from zero if `round`, else TOO_MANY_DECIMALS naming
// `what`. MONEY_OVERFLOW when the result does not fit int64; InvalidArgument
// when divisor <= 0. Use for quantity x unit price, amount x rate.
absl::StatusOr<int64_t> ScaledProduct(int64_t a, int64_t b, int64_t divisor, bool round,
                                      absl::string_view what = "product");

// A running sum in one currency, checked against overflow and the ceiling
// on every step. For document totals computed from lines, and for checks
// of stated counts and sums (camt entry vs its details).
class AmountTotal {
 public:
  AmountTotal(std::string currency, const AmountRules& rules, std::string what = "total")
      : currency_(std::move(currency)), rules_(rules), what_(std::move(what)) {}
  // Adds `minor`; MONEY_OVERFLOW or AMOUNT_ABOVE_CEILING, after which the
  // total is unchanged.
  absl::Status Add(int64_t minor);
  int64_t value() const { return value_; }

 private:
  std::string currency_;
  AmountRules rules_;
  std::string what_;
  int64_t value_ = 0;
};

// AMOUNT_ABOVE_CEILING unless |minor| <= the ceiling of `currency`.
// `what` names the amount in the message ("invoice total").
absl::Status CheckCeiling(int64_t minor, absl::string_view currency, const AmountRules& rules,
                          absl::string_view what = "amount");

// Checks every Money of a record (customer credit limit; invoice total, tax,
// lines; credit note amount and allocations; payment amount, instructed
// amount, allocations and remitted amounts) against the ceiling. The field
// violation names the field ("invoice.lines[2].amount"). The connector
// runtime calls this on every parsed record, so a parser need not.
absl::Status CheckRecordAmounts(const collections_sidecar::v1::SyncRecord& record,
                                const AmountRules& rules);

}  // namespace collections::connectors

#endif  // COLLECTIONS_CONNECTORS_COMMON_AMOUNT_H_
