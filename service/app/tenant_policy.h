// The tenant's collection policy, read the same way by every app service:
// the recovery engine (ladder, economics), the arrangement service (promise,
// plan and settlement rules, and the same economics for settlement figures).
#ifndef COLLECTIONS_APP_TENANT_POLICY_H_
#define COLLECTIONS_APP_TENANT_POLICY_H_

#include "absl/status/statusor.h"
#include "collections_sidecar/v1/recovery.pb.h"
#include "service/domain/policy.h"
#include "service/store/store.h"

namespace collections::app {

namespace v1 = ::collections_sidecar::v1;

// Store document ("policy", "current") written by ReplacePolicy.
inline constexpr char kPolicyKind[] = "policy";

// The stored policy once ReplacePolicy ran for the tenant, else `starting`
// (the server's --policy file or the built-in default). Inside the caller's
// transaction; Internal when the stored document does not parse.
absl::StatusOr<v1::CollectionPolicy> LoadTenantPolicy(store::Transaction& tx,
                                                      const v1::CollectionPolicy& starting);

// The same, on domain types (unset fields at their domain defaults).
absl::StatusOr<domain::CollectionPolicy> LoadTenantDomainPolicy(
    store::Transaction& tx, const v1::CollectionPolicy& starting);

}  // namespace collections::app

#endif  // COLLECTIONS_APP_TENANT_POLICY_H_
