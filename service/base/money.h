// Exact money: integer minor units of an ISO 4217 currency. Use Money for
// every amount in the domain; parse decimal text once, at the edge, with
// ParseMoney(). Arithmetic across currencies and int64 overflow are errors,
// never silent.
#ifndef COLLECTIONS_BASE_MONEY_H_
#define COLLECTIONS_BASE_MONEY_H_

#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"

namespace collections::domain {

// The ISO 4217 minor-unit exponent of an active currency code (JPY 0, EUR 2,
// KWD 3), or NotFound for an unknown or malformed code.
absl::StatusOr<int> CurrencyExponent(absl::string_view currency_code);
bool IsKnownCurrency(absl::string_view currency_code);

struct Money {
  std::string currency;  // ISO 4217, e.g. "EUR"
  int64_t minor = 0;     // minor units

  bool operator==(const Money&) const = default;
  bool IsZero() const { return minor == 0; }
};

// a + b; InvalidArgument on a currency mismatch, OutOfRange on overflow.
absl::StatusOr<Money> Add(const Money& a, const Money& b);
absl::StatusOr<Money> Subtract(const Money& a, const Money& b);
// Checked int64 helpers for sums inside one currency.
bool AddOverflows(int64_t a, int64_t b, int64_t* out);

// Parses decimal text ("1234.5", "-0.01", "1,234.50" with `allow_grouping`)
// into exact minor units of `currency`. Rejects more fraction digits than the
// currency has (unless they are zeros), exponents, and empty text. With
// `allow_grouping` a comma is accepted only between groups of exactly three
// digits after a first group of one to three: "1,50" and "1234,567" are
// errors, never 150 or 1234567.
absl::StatusOr<int64_t> ParseMinorUnits(absl::string_view text, absl::string_view currency,
                                        bool allow_grouping = false);
absl::StatusOr<Money> ParseMoney(absl::string_view text, absl::string_view currency,
                                 bool allow_grouping = false);

// Plain decimal text of an amount: ParseMinorUnits(FormatDecimal(m)) == m.
std::string FormatDecimal(int64_t minor, absl::string_view currency);
// "EUR 1,234.50" for display.
std::string FormatMoney(const Money& m);

// (amount * bp / 10000) rounded half away from zero, exact in 128 bits and
// saturated at the int64 range (only a bp above 10000 can reach it).
int64_t ApplyBasisPoints(int64_t amount, int64_t bp);

}  // namespace collections::domain

#endif  // COLLECTIONS_BASE_MONEY_H_
