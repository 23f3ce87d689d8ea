// Civil dates and the injectable clock. Issue, due and value dates are
// absl::CivilDay (no time zone); instants are absl::Time in UTC. Everything
// that depends on "today" takes an as_of day or a Clock so that a computation
// can be replayed exactly.
#ifndef COLLECTIONS_BASE_DATES_H_
#define COLLECTIONS_BASE_DATES_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

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

// A clock fixed at one instant, for tests and "as of" replays
// (collectionsd --clock=fixed:...). Set() moves it; thread-safe, so a test
// may move it while a server reads it.
class FixedClock : public Clock {
 public:
  explicit FixedClock(absl::Time now) : now_(now) {}
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Set(absl::Time now) {
    absl::MutexLock lock(&mu_);
    now_ = now;
  }
  // Moves the clock by whole days (negative goes back).
  void AdvanceDays(int days) {
    absl::MutexLock lock(&mu_);
    now_ += absl::Hours(24) * days;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

// The clock named by collectionsd's --clock flag:
//   "system"                  the real clock;
//   "fixed:YYYY-MM-DD"        that day at 12:00:00 UTC, held there;
//   "fixed:YYYY-MM-DDTHH:MM:SSZ"  that instant (RFC 3339, UTC or an offset).
// A fixed clock makes the whole service run as of one day: every default
// as_of, every "today" of promises, plans and settlements, every stored
// timestamp. InvalidArgument (reason INVALID_CLOCK) for anything else.
absl::StatusOr<std::unique_ptr<Clock>> ClockFromSpec(absl::string_view spec);

}  // namespace collections::domain

#endif  // COLLECTIONS_BASE_DATES_H_
