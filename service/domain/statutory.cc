#include "service/domain/statutory.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "service/base/dates.h"
#include "service/base/errors.h"

namespace collections::domain {
namespace {

// "5.25" / "-0.5" / "8" → basis points, exactly; at most two decimals.
absl::StatusOr<int> ParsePercentBp(absl::string_view text) {
  bool negative = absl::ConsumePrefix(&text, "-");
  std::vector<absl::string_view> parts = absl::StrSplit(text, '.');
  int whole = 0, frac = 0;
  if (parts.size() > 2 || parts[0].empty() || !absl::SimpleAtoi(parts[0], &whole) ||
      parts[0].find_first_not_of("0123456789") != absl::string_view::npos || whole > 10000) {
    return absl::InvalidArgumentError("not a percentage");
  }
  if (parts.size() == 2) {
    absl::string_view f = parts[1];
    if (f.empty() || f.size() > 2 || f.find_first_not_of("0123456789") != absl::string_view::npos) {
      return absl::InvalidArgumentError("at most two decimals");
    }
    (void)absl::SimpleAtoi(f, &frac);
    if (f.size() == 1) frac *= 10;
  }
  const int bp = whole * 100 + frac;
  return negative ? -bp : bp;
}

// Bank of England Bank Rate decisions, effective the day announced.
constexpr char kBankOfEngland[] = R"(# Bank of England Bank Rate, percent
2009-03-05,0.50
2016-08-04,0.25
2017-11-02,0.50
2018-08-02,0.75
2020-03-11,0.25
2020-03-19,0.10
2021-12-16,0.25
2022-02-03,0.50
2022-03-17,0.75
2022-05-05,1.00
2022-06-16,1.25
2022-08-04,1.75
2022-09-22,2.25
2022-11-03,3.00
2022-12-15,3.50
2023-02-02,4.00
2023-03-23,4.25
2023-05-11,4.50
2023-06-22,5.00
2023-08-03,5.25
2024-08-01,5.00
2024-11-07,4.75
2025-02-06,4.50
2025-05-08,4.25
2025-08-07,4.00
2025-12-18,3.75
)";

// ECB main refinancing operations rate, effective from the first operation
// after the decision.
constexpr char kEcbMro[] = R"(# ECB main refinancing operations, percent
2016-03-16,0.00
2022-07-27,0.50
2022-09-14,1.25
2022-11-02,2.00
2022-12-21,2.50
2023-02-08,3.00
2023-03-22,3.50
2023-05-10,3.75
2023-06-21,4.00
2023-08-02,4.25
2023-09-20,4.50
2024-06-12,4.25
2024-09-18,3.65
2024-10-23,3.40
2024-12-18,3.15
2025-02-05,2.90
2025-03-12,2.65
2025-04-23,2.40
2025-06-11,2.15
)";

RateTable BuiltIn(const char* name, const char* text) {
  absl::StatusOr<RateTable> t = RateTable::Parse(name, text);
  // The built-in text is part of the source and covered by tests.
  return t.ok() ? *std::move(t) : RateTable();
}

}  // namespace

absl::StatusOr<RateTable> RateTable::Create(std::string name, std::vector<RatePeriod> periods) {
  if (periods.empty()) {
    return InvalidInput("INVALID_RATE_TABLE", name, "a rate table needs at least one period");
  }
  for (size_t i = 1; i < periods.size(); ++i) {
    if (periods[i].from <= periods[i - 1].from) {
      return InvalidInput("INVALID_RATE_TABLE", absl::StrCat(name, "[", i, "]"),
                          "periods must have strictly ascending start days");
    }
  }
  RateTable t;
  t.name_ = std::move(name);
  t.periods_ = std::move(periods);
  return t;
}

absl::StatusOr<RateTable> RateTable::Parse(std::string name, absl::string_view text) {
  std::vector<RatePeriod> periods;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    const std::string where = absl::StrCat(name, " line ", line_no);
    std::vector<absl::string_view> cols = absl::StrSplit(line, ',');
    if (cols.size() != 2) {
      return InvalidInput("INVALID_RATE_TABLE", where, "expected \"YYYY-MM-DD,PERCENT\"");
    }
    absl::StatusOr<absl::CivilDay> day = ParseIsoDay(absl::StripAsciiWhitespace(cols[0]));
    if (!day.ok()) return InvalidInput("INVALID_RATE_TABLE", where, "bad date");
    absl::StatusOr<int> bp = ParsePercentBp(absl::StripAsciiWhitespace(cols[1]));
    if (!bp.ok()) {
      return InvalidInput("INVALID_RATE_TABLE", where,
                          absl::StrCat("bad rate: ", bp.status().message()));
    }
    periods.push_back({*day, *bp});
  }
  return Create(std::move(name), std::move(periods));
}

std::optional<int> RateTable::RateOn(absl::CivilDay day) const {
  auto it = std::upper_bound(periods_.begin(), periods_.end(), day,
                             [](absl::CivilDay d, const RatePeriod& p) { return d < p.from; });
  if (it == periods_.begin()) return std::nullopt;
  return std::prev(it)->rate_bp;
}

const RateTable& BankOfEnglandBankRate() {
  static const RateTable* table = new RateTable(BuiltIn("boe_bank_rate", kBankOfEngland));
  return *table;
}

const RateTable& EcbMainRefinancingRate() {
  static const RateTable* table = new RateTable(BuiltIn("ecb_mro", kEcbMro));
  return *table;
}

StatutoryPack UkLatePayment1998() {
  StatutoryPack p;
  p.id = "UK_LATE_PAYMENT_1998";
  p.citation = "Late Payment of Commercial Debts (Interest) Act 1998";
  p.rate_table = "boe_bank_rate";
  p.fixing = RateFixing::kFixedAtStartHalfYear;
  p.margin_bp = 800;
  p.day_basis = 365;
  p.compensation_currency = "GBP";
  // s.5A(2): £40 below £1,000; £70 from £1,000 to below £10,000; £100 above.
  p.compensation = {{0, 4000}, {100000, 7000}, {1000000, 10000}};
  p.business_only = true;
  return p;
}

StatutoryPack EuDirective2011_7() {
  StatutoryPack p;
  p.id = "EU_2011_7";
  p.citation = "Directive 2011/7/EU";
  p.rate_table = "ecb_mro";
  p.fixing = RateFixing::kResetEachHalfYear;
  p.margin_bp = 800;
  p.day_basis = 365;
  p.compensation_currency = "EUR";
  p.compensation = {{0, 4000}};  // art. 6(1): EUR 40
  p.business_only = true;
  return p;
}

absl::StatusOr<int> StatutoryRateOn(const StatutoryPack& pack, const RateTable& table,
                                    absl::CivilDay start, absl::CivilDay day) {
  absl::CivilDay reference;
  if (pack.fixing == RateFixing::kFixedAtStartHalfYear) {
    reference = start.month() <= 6 ? absl::CivilDay(start.year() - 1, 12, 31)
                                   : absl::CivilDay(start.year(), 6, 30);
  } else {
    reference =
        day.month() <= 6 ? absl::CivilDay(day.year(), 1, 1) : absl::CivilDay(day.year(), 7, 1);
  }
  std::optional<int> rate = table.RateOn(reference);
  if (!rate) {
    return WithReason(
        absl::NotFoundError(
            absl::StrCat("rate table ", table.name(), " has no rate on ", FormatIsoDay(reference))),
        "RATE_UNAVAILABLE");
  }
  return *rate + pack.margin_bp;
}

int64_t StatutoryCompensation(const StatutoryPack& pack, absl::string_view currency, int64_t debt) {
  if (currency != pack.compensation_currency || debt <= 0) return 0;
  int64_t amount = 0;
  for (const auto& band : pack.compensation) {
    if (debt >= band.min_debt) amount = band.amount;
  }
  return amount;
}

}  // namespace collections::domain
