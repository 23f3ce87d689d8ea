#include "connectors/common/amount.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "service/base/errors.h"
#include "service/base/money.h"

namespace collections::connectors {
namespace {

using int128 = __int128;

// Beyond this many significant digits a number cannot be an amount (int64
// has 19); stops huge fields early.
constexpr int kMaxDigits = 24;

int128 Pow10(int n) {
  int128 v = 1;
  for (int i = 0; i < n; ++i) v *= 10;
  return v;
}

absl::Status Overflow(absl::string_view what) {
  return domain::WithReason(absl::OutOfRangeError(absl::StrCat(what, " overflows a 64-bit amount")),
                            "MONEY_OVERFLOW");
}

// A number split by the grammar: sign, integer digits (group marks removed),
// fraction digits.
struct Decimal {
  bool negative = false;
  std::string whole;
  std::string fraction;
};

constexpr NumberFormat kKnownFormats[] = {
    kXsdDecimal,          kPointDecimalGrouped,   kCommaDecimal,
    kCommaDecimalGrouped, NumberFormat{',', ' '}, NumberFormat{'.', '\''},
};

std::string Quote(char c) {
  return c == ' ' ? std::string("space") : absl::StrCat("'", std::string(1, c), "'");
}

// Splits `s` (stripped) by `format`; on error why it does not fit.
absl::StatusOr<Decimal> SplitStripped(absl::string_view s, const NumberFormat& format) {
  auto bad = [](absl::string_view why) { return absl::InvalidArgumentError(why); };
  Decimal d;
  if (s.empty()) return bad("empty");
  if (s[0] == '-' || s[0] == '+') {
    d.negative = s[0] == '-';
    s.remove_prefix(1);
  }
  size_t i = 0;
  int group_len = 0;  // digits since the last group mark
  int groups = 0;     // group marks seen
  for (; i < s.size() && s[i] != format.decimal_mark; ++i) {
    const char c = s[i];
    if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      d.whole.push_back(c);
      ++group_len;
      continue;
    }
    if (format.group_mark != 0 && c == format.group_mark) {
      if (groups == 0 ? (group_len < 1 || group_len > 3) : group_len != 3) {
        return bad(absl::StrCat(Quote(c), " must separate groups of three digits"));
      }
      ++groups;
      group_len = 0;
      continue;
    }
    return bad(absl::StrCat("unexpected ", Quote(c)));
  }
  if (groups > 0 && group_len != 3) {
    return bad(absl::StrCat(Quote(format.group_mark), " must separate groups of three digits"));
  }
  if (i < s.size()) {  // at the decimal mark
    for (++i; i < s.size(); ++i) {
      const char c = s[i];
      if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
        return bad(absl::StrCat("unexpected ", Quote(c), " after the decimal mark"));
      }
      d.fraction.push_back(c);
    }
  }
  if (d.whole.empty() && d.fraction.empty()) return bad("no digits");
  const size_t lead = d.whole.find_first_not_of('0');
  d.whole.erase(0, lead == std::string::npos ? d.whole.size() : lead);
  if (d.whole.size() > kMaxDigits) return bad("too many digits");
  return d;
}

// A known format other than `current` that reads `s` and uses one of its
// marks, for the hint in an error; "" when none does.
std::string Alternative(absl::string_view s, const NumberFormat& current) {
  for (const NumberFormat& f : kKnownFormats) {
    if (f == current) continue;
    const bool uses_mark = s.find(f.decimal_mark) != absl::string_view::npos ||
                           (f.group_mark != 0 && s.find(f.group_mark) != absl::string_view::npos);
    if (uses_mark && SplitStripped(s, f).ok()) return f.ToString();
  }
  return "";
}

// Splits `text` by `format`; the error says what is wrong and, when another
// known format reads the text, which --number_format that is.
absl::StatusOr<Decimal> Split(absl::string_view text, const NumberFormat& format) {
  std::string normalized;
  if (format.group_mark == ' ') {
    // No-break spaces, as French and Swedish programs write groups.
    normalized = absl::StrReplaceAll(text, {{"\xC2\xA0", " "}, {"\xE2\x80\xAF", " "}});
    text = normalized;
  }
  const absl::string_view s = absl::StripAsciiWhitespace(text);
  absl::StatusOr<Decimal> d = SplitStripped(s, format);
  if (d.ok()) return d;
  const std::string hint = Alternative(s, format);
  return absl::InvalidArgumentError(absl::StrCat(
      "\"", s, "\" is not a number in the format ", format.ToString(), ": ", d.status().message(),
      hint.empty()
          ? ""
          : absl::StrCat(" (if it is written ", hint, ", give --number_format=", hint, ")")));
}

// The decimal as a count of 10^-scale units; `round` per the header.
int128 Scale(const Decimal& d, int scale, bool round, bool* inexact) {
  int128 v = 0;
  for (char c : d.whole) v = v * 10 + (c - '0');
  v *= Pow10(scale);
  int128 frac = 0;
  for (int k = 0; k < scale; ++k) {
    frac = frac * 10 + (k < static_cast<int>(d.fraction.size()) ? d.fraction[k] - '0' : 0);
  }
  v += frac;
  *inexact = false;
  for (size_t k = scale; k < d.fraction.size(); ++k) {
    if (d.fraction[k] != '0') *inexact = true;
  }
  if (*inexact && round && static_cast<int>(d.fraction.size()) > scale &&
      d.fraction[scale] >= '5') {
    ++v;  // half away from zero: the magnitude goes up, the sign follows
  }
  return d.negative ? -v : v;
}

}  // namespace

std::string NumberFormat::ToString() const {
  if (group_mark == 0) return absl::StrCat("1234", std::string(1, decimal_mark), "56");
  return absl::StrCat("1", std::string(1, group_mark), "234", std::string(1, decimal_mark), "56");
}

absl::StatusOr<NumberFormat> ParseNumberFormat(absl::string_view example) {
  for (const NumberFormat& f : kKnownFormats) {
    if (f.ToString() == example) return f;
  }
  std::string known;
  for (const NumberFormat& f : kKnownFormats) {
    absl::StrAppend(&known, known.empty() ? "" : ", ", f.ToString());
  }
  return absl::InvalidArgumentError(
      absl::StrCat("--number_format: \"", example, "\" is not one of ", known));
}

std::string AmountRules::Fingerprint() const {
  return absl::StrCat("fmt=", format.ToString(), ";round=", round ? 1 : 0, ";max=", ceiling_major);
}

AmountRules LocaleRules(const AmountRules& rules, NumberFormat format_default) {
  AmountRules out = rules;
  if (!rules.format_chosen) out.format = format_default;
  return out;
}

absl::StatusOr<int64_t> CeilingMinor(absl::string_view currency, const AmountRules& rules) {
  absl::StatusOr<int> exp = domain::CurrencyExponent(currency);
  if (!exp.ok()) return exp.status();
  return static_cast<int64_t>(static_cast<int128>(rules.ceiling_major) * Pow10(*exp));
}

absl::Status CheckCeiling(int64_t minor, absl::string_view currency, const AmountRules& rules,
                          absl::string_view what) {
  absl::StatusOr<int64_t> ceiling = CeilingMinor(currency, rules);
  if (!ceiling.ok()) return ceiling.status();
  if (minor > *ceiling || minor < -*ceiling) {
    return domain::InvalidInput(
        "AMOUNT_ABOVE_CEILING", "amount",
        absl::StrCat(what, " ", currency, " ", domain::FormatDecimal(minor, currency),
                     " is above the ceiling of ", rules.ceiling_major, " ", currency,
                     " per document (raise it with --max_amount if it is real)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> ParseAmount(absl::string_view text, absl::string_view currency,
                                    const AmountRules& rules) {
  absl::StatusOr<int> exp = domain::CurrencyExponent(currency);
  if (!exp.ok()) return exp.status();
  absl::StatusOr<Decimal> d = Split(text, rules.format);
  if (!d.ok()) return domain::InvalidInput("INVALID_AMOUNT", "amount", d.status().message());
  bool inexact = false;
  const int128 v = Scale(*d, *exp, rules.round, &inexact);
  if (inexact && !rules.round) {
    return domain::InvalidInput(
        "TOO_MANY_DECIMALS", "amount",
        absl::StrCat("\"", absl::StripAsciiWhitespace(text), "\" has more than ", *exp,
                     " decimals, the most ", currency,
                     " allows (give --round to round half away from zero)"));
  }
  const int128 ceiling = static_cast<int128>(rules.ceiling_major) * Pow10(*exp);
  if (v > ceiling || v < -ceiling) {
    return domain::InvalidInput(
        "AMOUNT_ABOVE_CEILING", "amount",
        absl::StrCat("\"", absl::StripAsciiWhitespace(text), "\" ", currency,
                     " is above the ceiling of ", rules.ceiling_major, " ", currency,
                     " per document (raise it with --max_amount if it is real)"));
  }
  return static_cast<int64_t>(v);
}

absl::StatusOr<int64_t> ParseScaled(absl::string_view text, int scale, const NumberFormat& format,
                                    bool round) {
  absl::StatusOr<Decimal> d = Split(text, format);
  if (!d.ok()) return domain::InvalidInput("INVALID_NUMBER", "number", d.status().message());
  bool inexact = false;
  const int128 v = Scale(*d, scale, round, &inexact);
  if (inexact && !round) {
    return domain::InvalidInput("TOO_MANY_DECIMALS", "number",
                                absl::StrCat("\"", absl::StripAsciiWhitespace(text),
                                             "\" has more than ", scale, " decimals"));
  }
  if (v > INT64_MAX || v < -INT64_MAX) {
    return domain::InvalidInput(
        "MONEY_OVERFLOW", "number",
        absl::StrCat("\"", absl::StripAsciiWhitespace(text), "\" is too large"));
  }
  return static_cast<int64_t>(v);
}

absl::StatusOr<int64_t> CheckedAdd(int64_t a, int64_t b, absl::string_view what) {
  int64_t out = 0;
  if (__builtin_add_overflow(a, b, &out)) return Overflow(what);
  return out;
}

absl::StatusOr<int64_t> ScaledProduct(int64_t a, int64_t b, int64_t divisor, bool round,
                                      absl::string_view what) {
  if (divisor <= 0) return absl::InvalidArgumentError("ScaledProduct: divisor must be > 0");
  // |a x b| < 2^126: exact in 128 bits.
  const int128 num = static_cast<int128>(a) * b;
  int128 q = num / divisor;
  const int128 r = num % divisor;
  if (r != 0) {
    if (!round) {
      return domain::InvalidInput("TOO_MANY_DECIMALS", "amount",
                                  absl::StrCat(what,
                                               " is not a whole number of minor units "
                                               "(give --round to round half away from zero)"));
    }
    const int128 twice = r < 0 ? -2 * r : 2 * r;
    if (twice >= divisor) q += num < 0 ? -1 : 1;
  }
  if (q > INT64_MAX || q < -INT64_MAX) return Overflow(what);
  return static_cast<int64_t>(q);
}

absl::Status AmountTotal::Add(int64_t minor) {
  absl::StatusOr<int64_t> sum = CheckedAdd(value_, minor, what_);
  if (!sum.ok()) return sum.status();
  absl::Status st = CheckCeiling(*sum, currency_, rules_, what_);
  if (!st.ok()) return st;
  value_ = *sum;
  return absl::OkStatus();
}

absl::Status CheckRecordAmounts(const collections_sidecar::v1::SyncRecord& record,
                                const AmountRules& rules) {
  absl::Status first;
  auto check = [&](const collections_sidecar::v1::Money& m, const std::string& field) {
    if (!first.ok() || m.minor_units() == 0 || m.currency_code().empty()) return;
    absl::Status st = CheckCeiling(m.minor_units(), m.currency_code(), rules, field);
    // An unknown currency is the server's to reject, with its own reason.
    if (st.ok() || domain::ReasonOf(st) != "AMOUNT_ABOVE_CEILING") return;
    first = domain::InvalidInput("AMOUNT_ABOVE_CEILING", field,
                                 domain::FieldsOf(st).front().description);
  };
  auto allocations = [&](const auto& list, const std::string& prefix) {
    for (int i = 0; i < list.size(); ++i) {
      check(list[i].amount(), absl::StrCat(prefix, ".allocations[", i, "].amount"));
    }
  };
  if (record.has_customer()) {
    check(record.customer().credit_limit(), "customer.credit_limit");
  } else if (record.has_invoice()) {
    const auto& inv = record.invoice();
    check(inv.total(), "invoice.total");
    check(inv.tax(), "invoice.tax");
    for (int i = 0; i < inv.lines_size(); ++i) {
      const std::string p = absl::StrCat("invoice.lines[", i, "]");
      check(inv.lines(i).amount(), p + ".amount");
      check(inv.lines(i).unit_price(), p + ".unit_price");
      check(inv.lines(i).tax(), p + ".tax");
    }
    check(inv.terms().late_fee().fixed_fee(), "invoice.terms.late_fee.fixed_fee");
  } else if (record.has_credit_note()) {
    check(record.credit_note().amount(), "credit_note.amount");
    allocations(record.credit_note().allocations(), "credit_note");
  } else if (record.has_payment()) {
    const auto& p = record.payment();
    check(p.amount(), "payment.amount");
    check(p.instructed_amount(), "payment.instructed_amount");
    allocations(p.allocations(), "payment");
    for (int i = 0; i < p.remitted_documents_size(); ++i) {
      check(p.remitted_documents(i).amount(),
            absl::StrCat("payment.remitted_documents[", i, "].amount"));
    }
  }
  return first;
}

}  // namespace collections::connectors
