#include "service/app/tenant_policy.h"

#include "absl/strings/str_cat.h"
#include "service/app/recovery_convert.h"
#include "service/base/status_macros.h"

namespace collections::app {

namespace v1 = ::collections_sidecar::v1;

absl::StatusOr<v1::CollectionPolicy> LoadTenantPolicy(store::Transaction& tx,
                                                      const v1::CollectionPolicy& starting) {
  ASSIGN_OR_RETURN(auto doc, tx.GetDoc(kPolicyKind, "current"));
  if (!doc) return starting;
  v1::CollectionPolicy p;
  if (!p.ParseFromString(doc->body)) {
    return absl::InternalError(absl::StrCat("stored ", kPolicyKind, " current does not parse"));
  }
  return p;
}

absl::StatusOr<domain::CollectionPolicy> LoadTenantDomainPolicy(
    store::Transaction& tx, const v1::CollectionPolicy& starting) {
  ASSIGN_OR_RETURN(v1::CollectionPolicy p, LoadTenantPolicy(tx, starting));
  return PolicyFromProto(p);
}

}  // namespace collections::app
