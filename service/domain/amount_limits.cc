#include "service/domain/amount_limits.h"

#include <atomic>
#include <climits>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "service/base/errors.h"
#include "service/base/money.h"

namespace collections::domain {
namespace {

std::atomic<int64_t> g_max_major{kDefaultMaxDocumentMajorUnits};

}  // namespace

absl::Status SetMaxDocumentMajorUnits(int64_t major_units) {
  if (major_units < 1 || major_units > kLargestMaxDocumentMajorUnits) {
    return InvalidInput("INVALID_AMOUNT_CEILING", "max_document_amount",
                        absl::StrCat("must be 1..", kLargestMaxDocumentMajorUnits,
                                     " major units, got ", major_units));
  }
  g_max_major.store(major_units);
  return absl::OkStatus();
}

int64_t MaxDocumentMajorUnits() { return g_max_major.load(); }

int64_t MaxDocumentMinorUnits(absl::string_view currency) {
  absl::StatusOr<int> exponent = CurrencyExponent(currency);
  int64_t max = MaxDocumentMajorUnits();
  for (int i = 0; i < (exponent.ok() ? *exponent : 2); ++i) max *= 10;
  return max;
}

absl::Status CheckAmountCeiling(int64_t minor_units, absl::string_view currency,
                                absl::string_view field) {
  const int64_t max = MaxDocumentMinorUnits(currency);
  // -max <= x <= max, written so that INT64_MIN does not overflow.
  if (minor_units <= max && minor_units >= -max) return absl::OkStatus();
  return InvalidInput("AMOUNT_TOO_LARGE", field,
                      absl::StrCat("at most ", FormatMoney(Money{std::string(currency), max}),
                                   " per document (", max, " minor units), got ", minor_units));
}

absl::Status AmountSumOverflow(absl::string_view what) {
  return WithReason(absl::OutOfRangeError(absl::StrCat(
                        what, " exceeds the 64-bit range of minor units (about 9.2e18)")),
                    "AMOUNT_SUM_OVERFLOW");
}

bool AmountSum::Fits() const { return sum_ >= INT64_MIN && sum_ <= INT64_MAX; }

absl::StatusOr<int64_t> AmountSum::Get(absl::string_view what) const {
  if (!Fits()) return AmountSumOverflow(what);
  return static_cast<int64_t>(sum_);
}

int64_t AmountSum::Clamped() const {
  if (sum_ > INT64_MAX) return INT64_MAX;
  if (sum_ < INT64_MIN) return INT64_MIN;
  return static_cast<int64_t>(sum_);
}

absl::StatusOr<int64_t> AddAmounts(int64_t a, int64_t b, absl::string_view what) {
  AmountSum s(a);
  s += b;
  return s.Get(what);
}

absl::StatusOr<int64_t> SubtractAmounts(int64_t a, int64_t b, absl::string_view what) {
  AmountSum s(a);
  s -= b;
  return s.Get(what);
}

}  // namespace collections::domain
