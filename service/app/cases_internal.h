// What cases_app.cc (the keeper) shares with cases_rpcs.cc (CaseService):
// the tenant's risk aggregate, kept beside the cases. Not for other files.
#ifndef COLLECTIONS_SERVICE_APP_CASES_INTERNAL_H_
#define COLLECTIONS_SERVICE_APP_CASES_INTERNAL_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "service/domain/risk.h"
#include "service/store/store.h"

namespace collections::app::cases_internal {

// Writes the tenant's portfolio aggregate (domain::PortfolioTotals).
absl::Status PutTotals(store::Transaction& tx, const domain::PortfolioTotals& t);
// Whether the tenant has its aggregate document (stores from before the
// current risk model have none).
absl::StatusOr<bool> HasTotals(store::Transaction& tx);

}  // namespace collections::app::cases_internal

#endif  // COLLECTIONS_SERVICE_APP_CASES_INTERNAL_H_
