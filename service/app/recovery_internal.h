// The pieces RecoveryService's files share (recovery_*.cc): document
// paging, contact ids, the portfolio one call evaluates. Internal to those
// files: the service's interface is recovery_app.h.
#ifndef COLLECTIONS_APP_RECOVERY_INTERNAL_H_
#define COLLECTIONS_APP_RECOVERY_INTERNAL_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "service/app/cases_app.h"
#include "service/app/recovery_app.h"
#include "service/domain/account_context.h"
#include "service/domain/risk.h"
#include "service/store/store.h"

namespace collections::app {

inline constexpr char kContacts[] = "contacts";
inline constexpr char kCounterKind[] = "counter";

// Every document of `kind` (of one customer, or all when empty), by id.
absl::StatusOr<std::vector<store::Doc>> AllDocs(store::Transaction& tx, absl::string_view kind,
                                                absl::string_view customer);

// Contact ids sort by time: nanoseconds since the epoch, zero-padded, and a
// short hash against collisions.
std::string ContactId(absl::Time t, absl::string_view salt);

// INVALID_ARGUMENT FIELD_TOO_LONG on `field` when `s` is longer than `max`.
absl::Status CheckLength(const std::string& s, size_t max, absl::string_view field);

// Everything the engine needs about a portfolio on one day.
struct Portfolio {
  std::vector<domain::AccountContext> accounts;  // by customer id
  domain::PortfolioPrior prior;
};

// One customer's account and the tenant's prior from its aggregate (kept by
// the case keeper): what a per-customer call costs is that customer's data,
// never the ledger's. No account when the customer does not exist.
absl::StatusOr<Portfolio> LoadOne(RecoveryApp& app, CaseKeeper* keeper, store::Transaction& tx,
                                  const std::string& tenant, const std::string& customer,
                                  absl::CivilDay as_of);
// LoadOne's result from an account its caller has built (nullopt: the
// customer does not exist), with the tenant's prior from `keeper`.
absl::StatusOr<Portfolio> PortfolioOfOne(CaseKeeper& keeper, store::Transaction& tx,
                                         std::optional<domain::AccountContext> account);

// A contact or completion dated before the customer existed is refused: a
// client that sent an unset clock (the 1970 epoch) made the last contact
// look 20,000 days old, and the ladder sent the next reminder the same day.
// The customer existed from its relationship.customer_since when the host
// gave one; otherwise history up to a year before its creation here is
// accepted (a customer imported today was called last month, and replays
// record past days), and anything older must come with customer_since.
absl::Status CheckAfterCustomerExisted(store::Transaction& tx, const std::string& tenant,
                                       const std::string& customer_id, absl::Time t,
                                       absl::string_view field);

}  // namespace collections::app

#endif  // COLLECTIONS_APP_RECOVERY_INTERNAL_H_
