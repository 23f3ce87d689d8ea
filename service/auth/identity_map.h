// Mutual TLS: which tenant, with which scope, a client certificate speaks
// for. The map is a text file, one grant per line:
//
//   # identity (certificate SAN DNS/URI/e-mail, or subject CN)  tenant  scope
//   erp-connector.acme.internal                                  acme    write
//   spiffe://erp.example/ns/acme/sa/dunning-worker               acme    read
//
// A certificate matches on any of its subject alternative names first, then
// its common name. Identities are exact, case-sensitive strings: no
// wildcards, so adding a certificate never silently widens a grant.
#ifndef COLLECTIONS_AUTH_IDENTITY_MAP_H_
#define COLLECTIONS_AUTH_IDENTITY_MAP_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "service/auth/scopes.h"

namespace collections::auth {

struct Grant {
  std::string identity;
  std::string tenant;
  Scope scope = Scope::kRead;
};

using IdentityMap = absl::flat_hash_map<std::string, Grant>;

// Parses the file format above. INVALID_ARGUMENT naming the line for a bad
// tenant, scope or a duplicate identity.
absl::StatusOr<IdentityMap> ParseIdentityMap(absl::string_view text);

// The map loaded from a file, replaced atomically by Reload() (SIGHUP). A
// failed reload keeps the previous map. Thread-safe.
class IdentityMapFile {
 public:
  // Loads `path`; fails as ParseIdentityMap or when unreadable.
  static absl::StatusOr<std::unique_ptr<IdentityMapFile>> Load(std::string path);

  absl::Status Reload();
  // The grant of the first of `identities` present in the map.
  std::optional<Grant> Find(const std::vector<std::string>& identities) const;
  size_t size() const;

 private:
  explicit IdentityMapFile(std::string path) : path_(std::move(path)) {}
  const std::string path_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const IdentityMap> map_ ABSL_GUARDED_BY(mu_);
};

}  // namespace collections::auth

#endif  // COLLECTIONS_AUTH_IDENTITY_MAP_H_
