// Civil dates and the injectable clock. Issue, due and value dates are
// absl::CivilDay (no time zone); instants are absl::Time in UTC. Everything
// that depends on "today" takes an as_of day or a Clock so that a computation
// can be replayed exactly.
#ifndef COLLECTIONS_DOMAIN_DATES_H_
#define COLLECTIONS_DOMAIN_DATES_H_

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace collections::domain {

// Parses "YYYY-MM-DD" strictly (a real calendar day, years 1..9999).
absl::StatusOr<absl::CivilDay> ParseIsoDay(absl::string_view text);
// Builds a day from parts; InvalidArgument when the parts do not name a real
// calendar day (absl would normalise 2026-02-30 to March 2).
absl::StatusOr<absl::CivilDay> MakeDay(int year, int month, int day);
std::string FormatIsoDay(absl::CivilDay day);
// Days since 1970-01-01 (negative before), the storage form of a date.
int64_t DayNumber(absl::CivilDay day);
absl::CivilDay DayFromNumber(int64_t n);

// Source of "now". Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
  // Today's date in UTC.
  absl::CivilDay TodayUtc() const;
};

// The real clock.
const Clock& SystemClock();

// A clock fixed at one instant, for tests and "as of" replays.
class FixedClock : public Clock {
 public:
  explicit FixedClock(absl::Time now) : now_(now) {}
  absl::Time Now() const override { return now_; }
  void Set(absl::Time now) { now_ = now; }

 private:
  absl::Time now_;
};

}  // namespace collections::domain

#endif  // COLLECTIONS_DOMAIN_DATES_H_
