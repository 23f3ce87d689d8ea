// Statutory late-payment rule packs and their dated reference rates.
//
// A reference rate is DATA, not a constant: a RateTable is a list of rate
// periods ("from this day, this rate"), shipped with built-in history and
// replaceable from text at start (operators load the latest central-bank
// decisions without a release). A StatutoryPack says how a statute turns
// the table into the rate for a day of late payment, and what fixed
// compensation it grants per debt:
//
//  * UK_LATE_PAYMENT_1998 — Late Payment of Commercial Debts (Interest) Act
//    1998, s.4 (interest runs from the day after the due date), s.5A (fixed
//    compensation £40 / £70 / £100 for debts < £1,000 / < £10,000 /
//    ≥ £10,000), and the Late Payment of Commercial Debts (Rate of Interest)
//    (No. 3) Order 2002, art. 4: 8% over the Bank of England official
//    dealing rate in force at the close of business on 30 June (interest
//    that starts to run 1 July–31 December) or 31 December (interest that
//    starts to run 1 January–30 June). The rate is fixed when interest
//    starts and holds for the life of the debt.
//  * EU_2011_7 — Directive 2011/7/EU, art. 2(6) (reference rate + at least
//    8 percentage points), art. 2(7)(a) (for the euro: the ECB's rate on its
//    most recent main refinancing operations), art. 3(4) (the rate in force
//    on 1 January applies to the first half-year, on 1 July to the second),
//    art. 6 (a fixed €40 per debt). Unlike the UK Act the rate changes each
//    half-year while the debt stays unpaid.
//
// Both apply to commercial debts only (the Act's "qualifying debt", the
// Directive's "commercial transaction"); consumer debts get no statutory
// interest here. Simple interest on a 365-day year (gov.uk's guidance for the
// Act; the Directive leaves the day count to national law, configurable).
#ifndef COLLECTIONS_DOMAIN_STATUTORY_H_
#define COLLECTIONS_DOMAIN_STATUTORY_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

namespace collections::domain {

// A rate in force from `from` (inclusive) until the next period starts.
struct RatePeriod {
  absl::CivilDay from;
  int rate_bp = 0;  // annual rate in basis points, may be negative
};

class RateTable {
 public:
  RateTable() = default;
  // Periods must have strictly ascending `from` days; InvalidArgument
  // (INVALID_RATE_TABLE) otherwise or when empty.
  static absl::StatusOr<RateTable> Create(std::string name, std::vector<RatePeriod> periods);
  // Parses lines "YYYY-MM-DD,RATE" where RATE is a decimal percentage
  // ("5.25") converted exactly to basis points; blank lines and lines
  // starting with '#' are skipped. Errors name the line ("line 3").
  static absl::StatusOr<RateTable> Parse(std::string name, absl::string_view text);

  // The rate in force on `day`, or nullopt before the first period.
  std::optional<int> RateOn(absl::CivilDay day) const;
  const std::string& name() const { return name_; }
  const std::vector<RatePeriod>& periods() const { return periods_; }

 private:
  std::string name_;
  std::vector<RatePeriod> periods_;
};

// Built-in history (source: the central banks' published decisions; the
// latest entry is what was known when the table was last edited, so load a
// fresh table in production).
// Bank of England Bank Rate ("official dealing rate"), from 2009-03-05.
const RateTable& BankOfEnglandBankRate();
// ECB main refinancing operations fixed rate, from 2016-03-16.
const RateTable& EcbMainRefinancingRate();

// How a pack picks the reference rate for a day of late payment.
enum class RateFixing {
  // The rate of the reference day before interest started holds throughout
  // (UK Order 2002 art. 4).
  kFixedAtStartHalfYear,
  // Each half-year uses the rate in force on its first day (1 Jan / 1 Jul;
  // Directive 2011/7/EU art. 3(4)).
  kResetEachHalfYear,
};

// Fixed compensation: `amount` for debts of at least `min_debt` (both in
// the pack's currency, minor units); the band with the largest min_debt not
// above the debt applies.
struct CompensationBand {
  int64_t min_debt = 0;
  int64_t amount = 0;
};

struct StatutoryPack {
  std::string id;          // "UK_LATE_PAYMENT_1998"
  std::string citation;    // shown in fee explanations
  std::string rate_table;  // key into FeeRules::rate_tables
  RateFixing fixing = RateFixing::kFixedAtStartHalfYear;
  int margin_bp = 800;  // added to the reference rate
  int day_basis = 365;  // days per year for simple daily interest
  // Compensation currency; no compensation on debts in other currencies.
  std::string compensation_currency;
  std::vector<CompensationBand> compensation;  // ascending min_debt
  bool business_only = true;
};

// The packs shipped: UK_LATE_PAYMENT_1998 and EU_2011_7.
StatutoryPack UkLatePayment1998();
StatutoryPack EuDirective2011_7();

// The annual statutory rate (reference + margin) for interest on `day` of a
// debt whose interest started on `start`. NotFound (RATE_UNAVAILABLE) when
// the table has no rate for the reference day.
absl::StatusOr<int> StatutoryRateOn(const StatutoryPack& pack, const RateTable& table,
                                    absl::CivilDay start, absl::CivilDay day);

// The compensation for a debt of `debt` minor units in `currency`; 0 when
// the pack grants none in that currency.
int64_t StatutoryCompensation(const StatutoryPack& pack, absl::string_view currency, int64_t debt);

}  // namespace collections::domain

#endif  // COLLECTIONS_DOMAIN_STATUTORY_H_
