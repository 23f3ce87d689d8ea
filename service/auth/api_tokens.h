// Per-tenant API tokens: created and revoked by operators (collectionsctl),
// verified on every call by the API edge. Only a SHA-256 of each token's
// secret is stored, so a copy of the database does not hand out access.
//
// A token reads "ctk_<id>_<secret>": the 16-hex-digit id names it in lists
// and revocations, the 64-hex-digit secret (256 random bits from OpenSSL's
// RAND_bytes) proves possession. Tokens are documents of kind "api_token" in
// the reserved tenant "_system" (see proto/collections_sidecar/v1/auth.proto); a
// tenant may have any number of them.
#ifndef COLLECTIONS_AUTH_API_TOKENS_H_
#define COLLECTIONS_AUTH_API_TOKENS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "service/auth/scopes.h"
#include "service/base/dates.h"
#include "service/store/store.h"

namespace collections::auth {

// The store tenant that holds tokens; not a valid tenant id, so unreachable
// through the API and never confused with a customer's tenant.
inline constexpr absl::string_view kSystemTenant = "_system";

struct TokenInfo {
  std::string id;
  std::string tenant;
  Scope scope = Scope::kRead;
  std::string description;
  absl::Time create_time;
  absl::Time revoke_time = absl::InfinitePast();  // InfinitePast = not revoked
  bool revoked() const { return revoke_time != absl::InfinitePast(); }
};

struct NewToken {
  TokenInfo info;
  std::string bearer;  // "ctk_<id>_<secret>", shown once
};

// Lower-case hex SHA-256 of `data` (OpenSSL libcrypto).
std::string Sha256Hex(absl::string_view data);

// Thread-safe (the Store is).
class TokenStore {
 public:
  TokenStore(store::Store& store, const domain::Clock& clock) : store_(store), clock_(clock) {}

  // Creates a token for `tenant` (a valid tenant id). INVALID_ARGUMENT for a
  // bad tenant or a description over 200 characters.
  absl::StatusOr<NewToken> Create(absl::string_view tenant, Scope scope,
                                  absl::string_view description);
  // Tokens of `tenant` (empty = every tenant), revoked ones included, by id.
  absl::StatusOr<std::vector<TokenInfo>> List(absl::string_view tenant);
  // Revokes token `id` from now on. NOT_FOUND when there is no such token;
  // revoking twice keeps the first revocation time.
  absl::StatusOr<TokenInfo> Revoke(absl::string_view id);
  // The token a bearer string proves. UNAUTHENTICATED (reason
  // INVALID_CREDENTIALS, one message for every case) when it is malformed,
  // unknown, does not match, or is revoked.
  absl::StatusOr<TokenInfo> Verify(absl::string_view bearer);

 private:
  store::Store& store_;
  const domain::Clock& clock_;
};

}  // namespace collections::auth

#endif  // COLLECTIONS_AUTH_API_TOKENS_H_
