// The portfolio at a glance, for the dashboard's overview: aged receivables
// per currency on a series of days, with the countback DSO of each day, and
// the promises that fall due in a span of days. Amounts are summed by the
// store (store::Store::Aging), never by loading the ledger; the rule of DSO
// is the one the account summary uses (domain::CountbackDsoCentiFromPeriods).
#ifndef COLLECTIONS_APP_PORTFOLIO_H_
#define COLLECTIONS_APP_PORTFOLIO_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "collections_sidecar/v1/arrangements.pb.h"
#include "service/app/app_common.h"
#include "service/store/store.h"

namespace collections::app {

namespace v1 = ::collections_sidecar::v1;

// The buckets of the overview: current, 1-30, 31-60, 61-90, 91-120, over 120
// days past due (the bounds collectionsd's metrics use too).
inline const std::vector<int> kPortfolioBucketBounds = {30, 60, 90, 120};

struct CurrencyPoint {
  std::vector<int64_t> buckets;  // amount due per bucket, minor units
  int64_t balance = 0;           // sum of the buckets
  int64_t overdue = 0;           // the buckets past due
  int64_t dso_centi = 0;         // countback DSO x 100
};
struct PortfolioPoint {
  absl::CivilDay day;
  std::map<std::string, CurrencyPoint> currencies;  // by ISO code
};

// One point per day of `days` (two store aggregates each: amounts due and
// invoiced totals). PERMISSION_DENIED when the caller may not read
// `tenant`; OUT_OF_RANGE AMOUNT_SUM_OVERFLOW when a sum leaves int64.
absl::StatusOr<std::vector<PortfolioPoint>> PortfolioTrend(store::Store& store,
                                                           const CallContext& ctx,
                                                           const std::string& tenant,
                                                           const std::vector<absl::CivilDay>& days);

struct PromiseDue {
  v1::PromiseToPay promise;
  std::string customer;  // resource name
  std::string display_name;
};

// Pending promises whose promised date is in [from, to], by date. Reads at
// most `scan_limit` promise records of the tenant (the first by id) and
// says so in `*truncated`.
absl::StatusOr<std::vector<PromiseDue>> PromisesDue(store::Store& store, const CallContext& ctx,
                                                    const std::string& tenant, absl::CivilDay from,
                                                    absl::CivilDay to, int scan_limit,
                                                    bool* truncated);

}  // namespace collections::app

#endif  // COLLECTIONS_APP_PORTFOLIO_H_
