#include "connectors/common/values.h"

#include "connectors/common/amount.h"

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "service/base/dates.h"
#include "service/base/errors.h"

namespace collections::connectors {

collections_sidecar::v1::Date ToProtoDate(absl::CivilDay day) {
  collections_sidecar::v1::Date d;
  d.set_year(static_cast<int32_t>(day.year()));
  d.set_month(day.month());
  d.set_day(day.day());
  return d;
}

absl::StatusOr<absl::CivilDay> FromProtoDate(const collections_sidecar::v1::Date& date) {
  return domain::MakeDay(date.year(), date.month(), date.day());
}

collections_sidecar::v1::Money ToProtoMoney(int64_t minor, absl::string_view currency) {
  collections_sidecar::v1::Money m;
  m.set_currency_code(std::string(currency));
  m.set_minor_units(minor);
  return m;
}

absl::StatusOr<absl::CivilDay> ParseNumericDate(absl::string_view text, DateOrder order) {
  const absl::string_view s = absl::StripAsciiWhitespace(text);
  auto bad = [&](absl::string_view why) {
    return domain::InvalidInput("INVALID_DATE", "date",
                                absl::StrCat("\"", s, "\" is not a date: ", why));
  };
  if (s.empty()) return bad("empty");
  char sep = 0;
  for (char c : s) {
    if (c == '/' || c == '-' || c == '.') {
      sep = c;
      break;
    }
  }
  if (sep == 0) return bad("expected three numbers separated by '/', '-' or '.'");
  std::vector<absl::string_view> parts = absl::StrSplit(s, sep);
  if (parts.size() != 3) return bad("expected three numbers");
  int n[3];
  for (int k = 0; k < 3; ++k) {
    if (parts[k].empty() || parts[k].size() > 4) return bad("bad number");
    for (char c : parts[k]) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return bad("bad number");
    }
    if (!absl::SimpleAtoi(parts[k], &n[k])) return bad("bad number");
  }
  int year, month, day;
  if (parts[0].size() == 4) {  // ISO order, whatever the configured order
    year = n[0], month = n[1], day = n[2];
  } else {
    if (parts[2].size() != 2 && parts[2].size() != 4) return bad("year must have 2 or 4 digits");
    year = n[2];
    if (parts[2].size() == 2) year += year >= 69 ? 1900 : 2000;
    if (order == DateOrder::kMonthDayYear) {
      month = n[0], day = n[1];
    } else {
      day = n[0], month = n[1];
    }
  }
  auto d = domain::MakeDay(year, month, day);
  if (!d.ok()) return bad("no such calendar day");
  return *d;
}

absl::StatusOr<int64_t> ParseScaledDecimal(absl::string_view text, int scale, bool allow_grouping) {
  return ParseScaled(text, scale, allow_grouping ? kPointDecimalGrouped : kXsdDecimal);
}

absl::StatusOr<int64_t> ParseQuantityMilli(absl::string_view text, bool allow_grouping) {
  return ParseQuantityMilli(text, allow_grouping ? kPointDecimalGrouped : kXsdDecimal);
}

absl::StatusOr<int64_t> ParseQuantityMilli(absl::string_view text, const NumberFormat& format) {
  auto v = ParseScaled(text, 3, format);
  if (!v.ok()) {
    return domain::InvalidInput(
        "INVALID_QUANTITY", "quantity",
        absl::StrCat("\"", absl::StripAsciiWhitespace(text), "\" is not a quantity (",
                     domain::FieldsOf(v.status()).empty()
                         ? std::string(v.status().message())
                         : domain::FieldsOf(v.status()).front().description,
                     ")"));
  }
  return *v;
}

std::string FormatQuantityMilli(int64_t milli) {
  const bool negative = milli < 0;
  const uint64_t abs = negative ? 0 - static_cast<uint64_t>(milli) : static_cast<uint64_t>(milli);
  std::string out = absl::StrCat(negative ? "-" : "", abs / 1000);
  uint64_t frac = abs % 1000;
  if (frac != 0) {
    std::string f = absl::StrFormat("%03d", static_cast<int>(frac));
    while (!f.empty() && f.back() == '0') f.pop_back();
    absl::StrAppend(&out, ".", f);
  }
  return out;
}

uint64_t Fingerprint(absl::string_view text) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string StableId(std::initializer_list<absl::string_view> parts) {
  uint64_t h = 0xcbf29ce484222325ULL;
  bool first = true;
  for (absl::string_view p : parts) {
    if (!first) {
      h ^= 0x1F;
      h *= 0x100000001b3ULL;
    }
    first = false;
    for (char c : p) {
      h ^= static_cast<unsigned char>(c);
      h *= 0x100000001b3ULL;
    }
  }
  return absl::StrFormat("%016x", h);
}

std::string ContentIds::Next(std::initializer_list<absl::string_view> parts) {
  std::string id = StableId(parts);
  const int n = ++seen_[id];
  return n == 1 ? id : absl::StrCat(id, "-", n);
}

namespace {
constexpr absl::string_view kCreditPrefix = "Credit for invoice #";
}  // namespace

std::string CreditReferenceText(absl::string_view invoice_number, absl::string_view reason) {
  return absl::StrCat(kCreditPrefix, invoice_number, reason.empty() ? "" : ": ", reason);
}

std::string InvoiceNumberFromCreditText(absl::string_view text, std::string* rest) {
  text = absl::StripAsciiWhitespace(text);
  if (text.size() <= kCreditPrefix.size() ||
      !absl::EqualsIgnoreCase(text.substr(0, kCreditPrefix.size()), kCreditPrefix)) {
    return "";
  }
  absl::string_view tail = text.substr(kCreditPrefix.size());
  const size_t colon = tail.find(": ");
  const absl::string_view number = absl::StripAsciiWhitespace(tail.substr(0, colon));
  if (rest != nullptr) {
    *rest = colon == absl::string_view::npos ? "" : std::string(tail.substr(colon + 2));
  }
  return std::string(number);
}

std::string SafeFileName(const std::string& number) {
  std::string out = number.empty() ? "document" : number;
  for (char& c : out) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) c = '_';
  }
  return out;
}

std::string PublicText(absl::string_view text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    const size_t start = text.find("tenants/", i);
    if (start == absl::string_view::npos) break;
    const bool word_start = start == 0 ||
                            absl::ascii_isspace(static_cast<unsigned char>(text[start - 1])) ||
                            text[start - 1] == '(' || text[start - 1] == '"';
    size_t end = start;
    while (end < text.size() && !absl::ascii_isspace(static_cast<unsigned char>(text[end])) &&
           text[end] != ')' && text[end] != '"' && text[end] != ',' && text[end] != ';') {
      ++end;
    }
    absl::string_view name = text.substr(start, end - start);
    absl::StrAppend(&out, text.substr(i, start - i));
    absl::StrAppend(&out, word_start ? name.substr(name.rfind('/') + 1) : name);
    i = end;
  }
  absl::StrAppend(&out, text.substr(i));
  return out;
}

ParsedRecord NewRecord(const Location& where) {
  ParsedRecord r;
  r.where = where;
  r.record.set_source_location(where.ToString());
  return r;
}

ParseIssue IssueFromStatus(const absl::Status& status, const Location& where,
                           absl::string_view field, absl::string_view fallback_reason) {
  ParseIssue issue;
  issue.where = where;
  issue.field = std::string(field);
  issue.reason = domain::ReasonOf(status);
  if (issue.reason.empty()) issue.reason = std::string(fallback_reason);
  const auto violations = domain::FieldsOf(status);
  issue.description =
      violations.empty() ? std::string(status.message()) : violations.front().description;
  return issue;
}

absl::Status InputError(absl::string_view reason, const Location& where,
                        absl::string_view description) {
  return domain::InvalidInput(reason, where.ToString(), description);
}

}  // namespace collections::connectors
