// The work queue: which accounts need someone today, most urgent first.
// Priority adds up points for the overdue amount, its age, the payment risk
// and the relationship, plus alerts (neglected accounts, broken promises).
// The points are an ordering, not money: amounts in different currencies are
// compared by their major units without conversion.
#ifndef COLLECTIONS_DOMAIN_WORK_QUEUE_H_
#define COLLECTIONS_DOMAIN_WORK_QUEUE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "service/domain/account_context.h"
#include "service/domain/policy.h"
#include "service/domain/recommend.h"

namespace collections::domain {

enum class Alert { kNeglected, kBrokenPromise, kOpenDispute, kPromiseDue };
const char* AlertName(Alert alert);

struct WorkQueueEntry {
  std::string customer;
  std::string display_name;
  CustomerKind kind = CustomerKind::kBusiness;
  int64_t priority = 0;
  Recommendation recommendation;
  std::vector<Alert> alerts;
  int days_since_last_contact = -1;  // -1 = never contacted
  std::string priority_explanation;

  // In the queue: an action to take today, or an alert.
  bool NeedsAttention() const;
};

// Scores one account. `rec` is Recommend()'s answer for the same as_of.
// NEGLECTED: collectible overdue (not below the minimum balance) and no
// contact for the segment's neglected_after_days, or never contacted and
// that long overdue.
WorkQueueEntry ScoreAccount(const AccountContext& ctx, const Recommendation& rec,
                            const CollectionPolicy& policy, absl::CivilDay as_of);

// Keeps the entries that need attention, highest priority first, ties by
// customer id (deterministic).
std::vector<WorkQueueEntry> RankWorkQueue(std::vector<WorkQueueEntry> entries);

}  // namespace collections::domain

#endif  // COLLECTIONS_DOMAIN_WORK_QUEUE_H_
