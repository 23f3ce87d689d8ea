// The case's due day covers every day its stored priority would change by
// the passing of time alone, so the work queue read from stored priorities
// is the queue a fresh evaluation would give on any day.
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "service/domain/cases.h"
#include "service/domain/recommend.h"
#include "tests/domain/recovery_fixtures.h"

namespace collections::domain {
namespace {

using testing::Day;
using testing::Invoice;
using testing::NewBusiness;
using testing::Sent;

TEST(AgeBands, NextChangeNamesTheFirstDayOfTheNextBand) {
  for (int dpd = 1; dpd <= 800; ++dpd) {
    const std::optional<int> in = NextAgeBandChange(dpd);
    if (!in) {
      EXPECT_EQ(UncollectibleBpByAge(dpd), UncollectibleBpByAge(dpd + 5000)) << dpd;
      continue;
    }
    ASSERT_GT(*in, 0) << dpd;
    EXPECT_EQ(UncollectibleBpByAge(dpd + *in - 1), UncollectibleBpByAge(dpd)) << dpd;
    EXPECT_GT(UncollectibleBpByAge(dpd + *in), UncollectibleBpByAge(dpd)) << dpd;
  }
  // The bands of docs/cases.md.
  EXPECT_EQ(UncollectibleBpByAge(0), 200);
  EXPECT_EQ(UncollectibleBpByAge(1), 500);
  EXPECT_EQ(UncollectibleBpByAge(30), 500);
  EXPECT_EQ(UncollectibleBpByAge(31), 1000);
  EXPECT_EQ(UncollectibleBpByAge(90), 2000);
  EXPECT_EQ(UncollectibleBpByAge(365), 6000);
  EXPECT_EQ(UncollectibleBpByAge(731), 9000);
}

// Follows accounts day by day the way the daily run does: a case is
// evaluated only on its due day (each step taken is recorded as sent). On
// every other day, a fresh evaluation must give the stored priority.
TEST(CasePriority, StoredPriorityHoldsUntilTheCaseIsDueAgain) {
  const CollectionPolicy policy = DefaultPolicy();
  const PortfolioPrior prior{};
  struct Account {
    int64_t amount;
    int due_offset;  // due date relative to the start
  };
  const std::vector<Account> accounts = {{250000, -3}, {1200, -40}, {9900000, 10}, {480000, -200}};
  const absl::CivilDay start = Day(2026, 1, 5);
  int checked_days = 0, evaluations = 0;
  for (const Account& a : accounts) {
    AccountContext ctx = NewBusiness();
    const absl::CivilDay due = start + a.due_offset;
    ctx.invoices.push_back(Invoice("1", due - 30, due, a.amount));
    Case stored;
    for (absl::CivilDay day = start; day < start + 420; ++day) {
      const bool is_due = !stored.due_day || *stored.due_day <= day;
      if (is_due) {
        const CaseOutcome out = Transition(stored, {"day.passed", day, true}, ctx, policy, prior);
        stored = out.after;
        ++evaluations;
        if (out.action && out.action->stage != Stage::kNone) {
          // The step goes out, and its write moves the case again (the
          // case keeper does this in the run's transaction).
          ctx.contacts.push_back(Sent(day, out.action->stage));
          stored = Transition(stored, {"outbox.created", day, false}, ctx, policy, prior).after;
        }
        continue;
      }
      const CaseOutcome fresh = Transition(stored, {"probe", day, false}, ctx, policy, prior);
      EXPECT_EQ(fresh.after.priority, stored.priority)
          << "amount " << a.amount << " on " << day << " (evaluated "
          << (stored.evaluated_day ? absl::FormatCivilTime(*stored.evaluated_day) : "never")
          << ", due " << absl::FormatCivilTime(*stored.due_day)
          << "): " << fresh.after.priority_explanation << " vs " << stored.priority_explanation;
      ++checked_days;
    }
  }
  // The property was exercised: most days were not evaluation days.
  EXPECT_GT(checked_days, evaluations);
}

}  // namespace
}  // namespace collections::domain
