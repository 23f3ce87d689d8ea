#include "service/base/money.h"

#include <climits>
#include <cstdlib>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "service/base/errors.h"

namespace collections::domain {
namespace {

// ISO 4217 active codes and their minor units (List One, 2024 edition).
// Codes with minor unit "N.A." (e.g. XAU) are absent: they are not money we
// collect.
const absl::flat_hash_map<absl::string_view, int>& ExponentTable() {
  static const auto* table = new absl::flat_hash_map<absl::string_view, int>{
      {"AED", 2}, {"AFN", 2}, {"ALL", 2}, {"AMD", 2}, {"ANG", 2}, {"AOA", 2}, {"ARS", 2},
      {"AUD", 2}, {"AWG", 2}, {"AZN", 2}, {"BAM", 2}, {"BBD", 2}, {"BDT", 2}, {"BGN", 2},
      {"BHD", 3}, {"BIF", 0}, {"BMD", 2}, {"BND", 2}, {"BOB", 2}, {"BRL", 2}, {"BSD", 2},
      {"BTN", 2}, {"BWP", 2}, {"BYN", 2}, {"BZD", 2}, {"CAD", 2}, {"CDF", 2}, {"CHF", 2},
      {"CLP", 0}, {"CNY", 2}, {"COP", 2}, {"CRC", 2}, {"CUP", 2}, {"CVE", 2}, {"CZK", 2},
      {"DJF", 0}, {"DKK", 2}, {"DOP", 2}, {"DZD", 2}, {"EGP", 2}, {"ERN", 2}, {"ETB", 2},
      {"EUR", 2}, {"FJD", 2}, {"FKP", 2}, {"GBP", 2}, {"GEL", 2}, {"GHS", 2}, {"GIP", 2},
      {"GMD", 2}, {"GNF", 0}, {"GTQ", 2}, {"GYD", 2}, {"HKD", 2}, {"HNL", 2}, {"HTG", 2},
      {"HUF", 2}, {"IDR", 2}, {"ILS", 2}, {"INR", 2}, {"IQD", 3}, {"IRR", 2}, {"ISK", 0},
      {"JMD", 2}, {"JOD", 3}, {"JPY", 0}, {"KES", 2}, {"KGS", 2}, {"KHR", 2}, {"KMF", 0},
      {"KPW", 2}, {"KRW", 0}, {"KWD", 3}, {"KYD", 2}, {"KZT", 2}, {"LAK", 2}, {"LBP", 2},
      {"LKR", 2}, {"LRD", 2}, {"LSL", 2}, {"LYD", 3}, {"MAD", 2}, {"MDL", 2}, {"MGA", 2},
      {"MKD", 2}, {"MMK", 2}, {"MNT", 2}, {"MOP", 2}, {"MRU", 2}, {"MUR", 2}, {"MVR", 2},
      {"MWK", 2}, {"MXN", 2}, {"MYR", 2}, {"MZN", 2}, {"NAD", 2}, {"NGN", 2}, {"NIO", 2},
      {"NOK", 2}, {"NPR", 2}, {"NZD", 2}, {"OMR", 3}, {"PAB", 2}, {"PEN", 2}, {"PGK", 2},
      {"PHP", 2}, {"PKR", 2}, {"PLN", 2}, {"PYG", 0}, {"QAR", 2}, {"RON", 2}, {"RSD", 2},
      {"RUB", 2}, {"RWF", 0}, {"SAR", 2}, {"SBD", 2}, {"SCR", 2}, {"SDG", 2}, {"SEK", 2},
      {"SGD", 2}, {"SHP", 2}, {"SLE", 2}, {"SOS", 2}, {"SRD", 2}, {"SSP", 2}, {"STN", 2},
      {"SVC", 2}, {"SYP", 2}, {"SZL", 2}, {"THB", 2}, {"TJS", 2}, {"TMT", 2}, {"TND", 3},
      {"TOP", 2}, {"TRY", 2}, {"TTD", 2}, {"TWD", 2}, {"TZS", 2}, {"UAH", 2}, {"UGX", 0},
      {"USD", 2}, {"UYI", 0}, {"UYU", 2}, {"UYW", 4}, {"UZS", 2}, {"VES", 2}, {"VND", 0},
      {"VUV", 0}, {"WST", 2}, {"XAF", 0}, {"XCD", 2}, {"XOF", 0}, {"XPF", 0}, {"YER", 2},
      {"ZAR", 2}, {"ZMW", 2}, {"ZWG", 2}, {"CLF", 4},
  };
  return *table;
}

int64_t Pow10(int n) {
  int64_t v = 1;
  for (int i = 0; i < n; ++i) v *= 10;
  return v;
}

}  // namespace

absl::StatusOr<int> CurrencyExponent(absl::string_view currency_code) {
  auto it = ExponentTable().find(currency_code);
  if (it == ExponentTable().end()) {
    return WithReason(
        absl::NotFoundError(absl::StrCat("unknown ISO 4217 currency code \"", currency_code, "\"")),
        "UNKNOWN_CURRENCY");
  }
  return it->second;
}

bool IsKnownCurrency(absl::string_view currency_code) {
  return ExponentTable().contains(currency_code);
}

bool AddOverflows(int64_t a, int64_t b, int64_t* out) { return __builtin_add_overflow(a, b, out); }

absl::StatusOr<Money> Add(const Money& a, const Money& b) {
  if (a.currency != b.currency) {
    return InvalidInput("CURRENCY_MISMATCH", "currency_code",
                        absl::StrCat("cannot add ", a.currency, " and ", b.currency));
  }
  Money out{a.currency, 0};
  if (AddOverflows(a.minor, b.minor, &out.minor)) {
    return WithReason(absl::OutOfRangeError("money overflow"), "MONEY_OVERFLOW");
  }
  return out;
}

absl::StatusOr<Money> Subtract(const Money& a, const Money& b) {
  if (b.minor == INT64_MIN) {
    return WithReason(absl::OutOfRangeError("money overflow"), "MONEY_OVERFLOW");
  }
  return Add(a, Money{b.currency, -b.minor});
}

absl::StatusOr<int64_t> ParseMinorUnits(absl::string_view text, absl::string_view currency,
                                        bool allow_grouping) {
  auto exp_or = CurrencyExponent(currency);
  if (!exp_or.ok()) return exp_or.status();
  const int exp = *exp_or;
  auto bad = [&](absl::string_view why) {
    return InvalidInput("INVALID_AMOUNT", "amount",
                        absl::StrCat("\"", text, "\" is not a ", currency, " amount: ", why));
  };
  absl::string_view s = absl::StripAsciiWhitespace(text);
  if (s.empty()) return bad("empty");
  bool negative = false;
  if (s[0] == '-' || s[0] == '+') {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return bad("no digits");
  int64_t whole = 0;
  size_t i = 0;
  int digits = 0;
  // With grouping, a comma only separates groups of three digits after a
  // first group of one to three ("1,234,567.00"; never "1,50", "12,34.00"
  // or "1234,567"), the rule of connectors/common/amount.h.
  int group_digits = 0;  // digits since the last comma (or the start)
  bool grouped = false;
  for (; i < s.size() && s[i] != '.'; ++i) {
    char c = s[i];
    if (c == ',' && allow_grouping) {
      if (group_digits == 0 || group_digits > 3 || (grouped && group_digits != 3)) {
        return bad("a comma may only separate groups of three digits");
      }
      grouped = true;
      group_digits = 0;
      continue;
    }
    if (c < '0' || c > '9') return bad("unexpected character");
    if (__builtin_mul_overflow(whole, 10, &whole) || AddOverflows(whole, c - '0', &whole)) {
      return bad("too large");
    }
    ++digits;
    ++group_digits;
  }
  if (grouped && group_digits != 3) {
    return bad("a comma may only separate groups of three digits");
  }
  int64_t frac = 0;
  int frac_digits = 0;
  if (i < s.size()) {  // at '.'
    ++i;
    for (; i < s.size(); ++i) {
      char c = s[i];
      if (c < '0' || c > '9') return bad("unexpected character");
      if (frac_digits >= exp) {
        if (c != '0') return bad(absl::StrCat("more than ", exp, " decimal places"));
        continue;
      }
      frac = frac * 10 + (c - '0');
      ++frac_digits;
    }
  }
  if (digits == 0 && frac_digits == 0) return bad("no digits");
  frac *= Pow10(exp - frac_digits);
  int64_t minor = 0;
  if (__builtin_mul_overflow(whole, Pow10(exp), &minor) || AddOverflows(minor, frac, &minor)) {
    return bad("too large");
  }
  return negative ? -minor : minor;
}

absl::StatusOr<Money> ParseMoney(absl::string_view text, absl::string_view currency,
                                 bool allow_grouping) {
  auto minor = ParseMinorUnits(text, currency, allow_grouping);
  if (!minor.ok()) return minor.status();
  return Money{std::string(currency), *minor};
}

std::string FormatDecimal(int64_t minor, absl::string_view currency) {
  int exp = CurrencyExponent(currency).value_or(2);
  bool neg = minor < 0;
  uint64_t abs = neg ? 0 - static_cast<uint64_t>(minor) : static_cast<uint64_t>(minor);
  uint64_t p = static_cast<uint64_t>(Pow10(exp));
  std::string out = neg ? "-" : "";
  absl::StrAppend(&out, abs / p);
  if (exp > 0) {
    std::string f = absl::StrCat(abs % p);
    out += ".";
    out += std::string(exp - f.size(), '0') + f;
  }
  return out;
}

std::string FormatMoney(const Money& m) {
  std::string dec = FormatDecimal(m.minor, m.currency);
  // Group the integer part by thousands for display.
  size_t start = dec[0] == '-' ? 1 : 0;
  size_t dot = dec.find('.');
  size_t end = dot == std::string::npos ? dec.size() : dot;
  std::string grouped = dec.substr(0, start);
  for (size_t i = start; i < end; ++i) {
    grouped += dec[i];
    size_t left = end - i - 1;
    if (left > 0 && left % 3 == 0) grouped += ',';
  }
  grouped += dec.substr(end);
  return absl::StrCat(m.currency, " ", grouped);
}

int64_t ApplyBasisPoints(int64_t amount, int64_t bp) {
  __int128 v = static_cast<__int128>(amount) * bp;
  __int128 q = v / 10000, r = v % 10000;
  if (r * 2 >= 10000) ++q;
  if (r * 2 <= -10000) --q;
  if (q > INT64_MAX) return INT64_MAX;
  if (q < INT64_MIN) return INT64_MIN;
  return static_cast<int64_t>(q);
}

}  // namespace collections::domain
