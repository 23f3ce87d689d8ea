// The gRPC side of authentication: bearer tokens from call metadata, client
// certificates from the TLS peer, per-tenant rate limits, and the server's
// TLS credentials. The decisions themselves (hashing, scopes, identity maps,
// buckets) live in service/auth and know nothing of gRPC.
//
// Every authenticator answers in the same order, so a caller learns only
// what it is entitled to:
//   1. no or unknown credentials        -> UNAUTHENTICATED (INVALID_CREDENTIALS)
//   2. a tenant other than its own      -> PERMISSION_DENIED (TENANT_ACCESS_DENIED),
//      decided from the tenant named in the request before anything is read,
//      so the answer is the same whether the resource exists or not
//   3. a method above its scope         -> PERMISSION_DENIED (INSUFFICIENT_SCOPE)
//   4. over the tenant's rate limit     -> RESOURCE_EXHAUSTED + RetryInfo (RateLimited)
#ifndef COLLECTIONS_API_AUTH_H_
#define COLLECTIONS_API_AUTH_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "service/api/call_support.h"
#include "service/auth/api_tokens.h"
#include "service/auth/identity_map.h"
#include "service/auth/rate_limiter.h"

namespace collections::api {

// "authorization: Bearer ctk_..." checked against `tokens` (a store read per
// call, so a revocation takes effect on the next call). The actor recorded
// on audit events is "token:<id>". `tokens` must outlive the authenticator.
Authenticator TokenAuthenticator(auth::TokenStore& tokens);

// The TLS peer's verified certificate: SANs, then CN, looked up in `map`.
// The actor is "mtls:<identity>". Requires credentials that demand client
// certificates (TlsFiles.client_ca). `map` must outlive the authenticator.
Authenticator MtlsAuthenticator(const auth::IdentityMapFile& map);

// After `inner` admits a caller, charges one request to the tenant it is
// bound to (or, for an unbound caller, the tenant the request names).
Authenticator RateLimited(Authenticator inner, auth::RateLimiter& limiter);

// Server TLS from PEM files. The files are validated (the key must match the
// certificate) and staged into a private directory that gRPC's
// FileWatcherCertificateProvider watches; Reload() validates the configured
// files again and re-stages them, so new certificates take effect on SIGHUP
// (within about a second) while a broken pair is refused and the old one
// keeps serving.
struct TlsFiles {
  std::string cert;       // server certificate chain (PEM)
  std::string key;        // its private key (PEM)
  std::string client_ca;  // CA bundle for client certificates; empty = no mTLS
};

class TlsCredentials {
 public:
  static absl::StatusOr<std::unique_ptr<TlsCredentials>> Create(TlsFiles files);
  ~TlsCredentials();

  std::shared_ptr<grpc::ServerCredentials> credentials() const { return credentials_; }
  // Validates and re-stages the files. On error nothing changes.
  absl::Status Reload();

 private:
  explicit TlsCredentials(TlsFiles files) : files_(std::move(files)) {}
  TlsFiles files_;
  std::string staging_dir_;
  std::shared_ptr<grpc::ServerCredentials> credentials_;
};

}  // namespace collections::api

#endif  // COLLECTIONS_API_AUTH_H_
