#include "service/base/dates.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "service/base/errors.h"

namespace collections::domain {

absl::StatusOr<absl::CivilDay> MakeDay(int year, int month, int day) {
  absl::CivilDay d(year, month, day);
  if (year < 1 || year > 9999 || d.year() != year || d.month() != month || d.day() != day) {
    return InvalidInput("INVALID_DATE", "date",
                        absl::StrFormat("%04d-%02d-%02d is not a calendar day", year, month, day));
  }
  return d;
}

absl::StatusOr<absl::CivilDay> ParseIsoDay(absl::string_view text) {
  int y = 0, m = 0, d = 0;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' ||
      !absl::SimpleAtoi(text.substr(0, 4), &y) || !absl::SimpleAtoi(text.substr(5, 2), &m) ||
      !absl::SimpleAtoi(text.substr(8, 2), &d)) {
    return InvalidInput("INVALID_DATE", "date",
                        absl::StrCat("\"", text, "\" is not a YYYY-MM-DD date"));
  }
  return MakeDay(y, m, d);
}

std::string FormatIsoDay(absl::CivilDay day) {
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
}

int64_t DayNumber(absl::CivilDay day) { return day - absl::CivilDay(1970, 1, 1); }
absl::CivilDay DayFromNumber(int64_t n) { return absl::CivilDay(1970, 1, 1) + n; }

absl::CivilDay Clock::TodayUtc() const { return absl::ToCivilDay(Now(), absl::UTCTimeZone()); }

namespace {
class RealClock : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};
}  // namespace

const Clock& SystemClock() {
  static const RealClock* clock = new RealClock;
  return *clock;
}

absl::StatusOr<std::unique_ptr<Clock>> ClockFromSpec(absl::string_view spec) {
  const std::string given(spec);
  if (spec.empty() || spec == "system") return std::make_unique<RealClock>();
  if (absl::ConsumePrefix(&spec, "fixed:")) {
    if (spec.size() == 10) {
      auto day = ParseIsoDay(spec);
      if (day.ok()) {
        return std::make_unique<FixedClock>(
            absl::FromCivil(absl::CivilSecond(*day) + 12 * 3600, absl::UTCTimeZone()));
      }
    } else {
      absl::Time t;
      std::string err;
      if (absl::ParseTime(absl::RFC3339_full, spec, &t, &err)) {
        return std::make_unique<FixedClock>(t);
      }
    }
  }
  return InvalidInput("INVALID_CLOCK", "clock",
                      absl::StrCat("\"", given,
                                   "\": expected system, fixed:YYYY-MM-DD or "
                                   "fixed:YYYY-MM-DDTHH:MM:SSZ"));
}

}  // namespace collections::domain
