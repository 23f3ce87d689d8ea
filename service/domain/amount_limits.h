// How large an amount may be, and what happens when a sum outgrows int64.
//
// Every document (invoice, its lines and tax, payment, credit note,
// allocation, and the amounts of promises, plans, settlements, disputes and
// referrals) carries at most MaxDocumentMinorUnits(currency): by default
// 10^12 major units of its currency (EUR 1,000,000,000,000.00 =
// 10^14 cents; KWD 10^15 fils). The ceiling keeps every per-document sum far
// from the int64 range and rejects typos and corrupt exports at the edge,
// with INVALID_ARGUMENT AMOUNT_TOO_LARGE naming the field. The connectors
// refuse the same default ceiling when they parse (connectors/common).
//
// Sums over many documents (balances, aging, portfolio totals) are checked:
// past int64 they fail with OUT_OF_RANGE AMOUNT_SUM_OVERFLOW, never a
// wrapped figure. Add amounts with AmountSum, not with `+=`; the reads of
// one account check it first (AccountAmountsFit, account_context.h), so that
// the figures derived from it cannot leave int64.
#ifndef COLLECTIONS_DOMAIN_AMOUNT_LIMITS_H_
#define COLLECTIONS_DOMAIN_AMOUNT_LIMITS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace collections::domain {

inline constexpr int64_t kDefaultMaxDocumentMajorUnits = 1'000'000'000'000;  // 10^12
// The largest ceiling that SetMaxDocumentMajorUnits accepts: 10^14 major
// units stays below 2^63 minor units for every ISO 4217 exponent (<= 4).
inline constexpr int64_t kLargestMaxDocumentMajorUnits = 100'000'000'000'000;  // 10^14

// Sets the process-wide ceiling (collectionsd --max_document_amount) before
// serving. InvalidArgument outside 1..kLargestMaxDocumentMajorUnits.
// Thread-safe, but meant to be called once at start-up.
absl::Status SetMaxDocumentMajorUnits(int64_t major_units);
int64_t MaxDocumentMajorUnits();

// The ceiling in minor units of `currency` (by its ISO 4217 exponent; an
// unknown code is treated as exponent 2, and is refused elsewhere).
int64_t MaxDocumentMinorUnits(absl::string_view currency);

// OK when |minor_units| <= MaxDocumentMinorUnits(currency); otherwise
// INVALID_ARGUMENT AMOUNT_TOO_LARGE on `field` (e.g. "payment.amount.minor_units").
absl::Status CheckAmountCeiling(int64_t minor_units, absl::string_view currency,
                                absl::string_view field);

// OUT_OF_RANGE AMOUNT_SUM_OVERFLOW: a sum of `what` (e.g. "EUR open
// balance") does not fit in int64 minor units.
absl::Status AmountSumOverflow(absl::string_view what);

// A sum of amounts of one currency that cannot wrap: terms are added in 128
// bits (exact for any number of int64 terms a process can hold), and the
// result is checked when it is read. Use it for every sum or difference of
// amounts in the domain and the app:
//
//   AmountSum open;
//   for (const auto& inv : invoices) open += inv.AmountDue();
//   ASSIGN_OR_RETURN(int64_t balance, open.Get("the EUR open balance"));
//
// Clamped() is for functions that cannot fail: ranking figures, and sums
// whose inputs were checked beforehand (an account that passed
// AccountAmountsFit). Not thread-safe; a value type.
class AmountSum {
 public:
  AmountSum() = default;
  explicit AmountSum(int64_t start) : sum_(start) {}

  AmountSum& operator+=(int64_t v) {
    sum_ += v;
    return *this;
  }
  AmountSum& operator-=(int64_t v) {
    sum_ -= v;
    return *this;
  }
  AmountSum& operator+=(const AmountSum& o) {
    sum_ += o.sum_;
    return *this;
  }
  AmountSum& operator-=(const AmountSum& o) {
    sum_ -= o.sum_;
    return *this;
  }

  bool Fits() const;
  // The sum, or OUT_OF_RANGE AMOUNT_SUM_OVERFLOW naming `what` (e.g. "the
  // EUR balance of customer c-42") when it does not fit in int64.
  absl::StatusOr<int64_t> Get(absl::string_view what) const;
  // The sum, saturated at INT64_MIN / INT64_MAX: never a wrapped figure.
  int64_t Clamped() const;
  // Sign tests that are exact whatever the magnitude.
  bool Positive() const { return sum_ > 0; }
  bool Negative() const { return sum_ < 0; }

 private:
  __int128 sum_ = 0;
};

// a + b and a - b of amounts: OUT_OF_RANGE AMOUNT_SUM_OVERFLOW naming
// `what` when the result does not fit in int64.
absl::StatusOr<int64_t> AddAmounts(int64_t a, int64_t b, absl::string_view what);
absl::StatusOr<int64_t> SubtractAmounts(int64_t a, int64_t b, absl::string_view what);

}  // namespace collections::domain

#endif  // COLLECTIONS_DOMAIN_AMOUNT_LIMITS_H_
