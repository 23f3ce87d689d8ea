// What each RPC needs: read, write or admin. A token carries one scope and
// scopes nest (admin includes write includes read), so a single comparison
// decides. The table lists every method of collections_sidecar.v1 by its short name
// "Service/Method"; a method missing from it needs admin, so a new RPC is
// closed until someone classifies it here.
#ifndef COLLECTIONS_AUTH_SCOPES_H_
#define COLLECTIONS_AUTH_SCOPES_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace collections::auth {

// Ordered: a larger value includes the smaller ones. Values match
// collections_sidecar.v1.ApiToken.Scope.
enum class Scope { kRead = 1, kWrite = 2, kAdmin = 3 };

// "read" | "write" | "admin" (case-insensitive); INVALID_ARGUMENT otherwise.
absl::StatusOr<Scope> ParseScope(absl::string_view text);
absl::string_view ScopeName(Scope scope);

// The scope `method` ("LedgerService/GetCustomer") needs; admin when unknown.
Scope RequiredScope(absl::string_view method);

// OK when `granted` covers `method`; PERMISSION_DENIED with reason
// INSUFFICIENT_SCOPE naming the scope needed otherwise.
absl::Status CheckScope(Scope granted, absl::string_view method);

}  // namespace collections::auth

#endif  // COLLECTIONS_AUTH_SCOPES_H_
