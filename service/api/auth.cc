#include "service/api/auth.h"

#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "service/auth/pem.h"
#include "service/base/errors.h"
#include "service/base/status_macros.h"

namespace collections::api {
namespace {

struct Principal {
  std::string actor;
  std::string tenant;
  auth::Scope scope;
};

absl::Status Unauthenticated(absl::string_view why) {
  return domain::WithReason(absl::UnauthenticatedError(why), "INVALID_CREDENTIALS");
}

// Steps 2 and 3 of the order in auth.h.
absl::StatusOr<app::CallContext> Admit(const Principal& p, absl::string_view method,
                                       absl::string_view tenant) {
  app::CallContext c;
  c.actor = p.actor;
  c.allowed_tenant = p.tenant;
  RETURN_IF_ERROR(app::CheckTenant(c, tenant));
  RETURN_IF_ERROR(auth::CheckScope(p.scope, method));
  return c;
}

std::string Metadata(const grpc::CallbackServerContext& ctx, const char* key) {
  const auto& md = ctx.client_metadata();
  auto it = md.find(key);
  if (it == md.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

absl::Status WriteFileAtomically(const std::string& path, absl::string_view data) {
  const std::string tmp = path + ".new";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    if (!out) return absl::InternalError(absl::StrCat("cannot write ", tmp));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot rename ", tmp));
  }
  return absl::OkStatus();
}

}  // namespace

Authenticator TokenAuthenticator(auth::TokenStore& tokens) {
  return [&tokens](const grpc::CallbackServerContext& ctx, absl::string_view method,
                   absl::string_view tenant) -> absl::StatusOr<app::CallContext> {
    const std::string header = Metadata(ctx, "authorization");
    if (header.empty()) {
      return Unauthenticated("missing credentials: send \"authorization: Bearer <token>\"");
    }
    // RFC 6750 §2.1: the scheme is case-insensitive.
    if (header.size() < 7 || !absl::EqualsIgnoreCase(header.substr(0, 7), "bearer ")) {
      return Unauthenticated("the authorization metadata must be \"Bearer <token>\"");
    }
    ASSIGN_OR_RETURN(
        auth::TokenInfo info,
        tokens.Verify(absl::StripAsciiWhitespace(absl::string_view(header).substr(7))));
    return Admit({absl::StrCat("token:", info.id), info.tenant, info.scope}, method, tenant);
  };
}

Authenticator MtlsAuthenticator(const auth::IdentityMapFile& map) {
  return [&map](const grpc::CallbackServerContext& ctx, absl::string_view method,
                absl::string_view tenant) -> absl::StatusOr<app::CallContext> {
    std::shared_ptr<const grpc::AuthContext> ac = ctx.auth_context();
    if (ac == nullptr || !ac->IsPeerAuthenticated()) {
      return Unauthenticated("a verified client certificate is required");
    }
    std::vector<std::string> identities;
    for (const char* prop : {GRPC_X509_SAN_PROPERTY_NAME, GRPC_PEER_URI_PROPERTY_NAME,
                             GRPC_PEER_EMAIL_PROPERTY_NAME, GRPC_X509_CN_PROPERTY_NAME}) {
      for (const auto& v : ac->FindPropertyValues(prop)) {
        identities.emplace_back(v.data(), v.size());
      }
    }
    std::optional<auth::Grant> grant = map.Find(identities);
    if (!grant) {
      return Unauthenticated("the client certificate is not mapped to a tenant");
    }
    return Admit({absl::StrCat("mtls:", grant->identity), grant->tenant, grant->scope}, method,
                 tenant);
  };
}

Authenticator RateLimited(Authenticator inner, auth::RateLimiter& limiter) {
  return [inner = std::move(inner), &limiter](
             const grpc::CallbackServerContext& ctx, absl::string_view method,
             absl::string_view tenant) -> absl::StatusOr<app::CallContext> {
    ASSIGN_OR_RETURN(app::CallContext c, inner(ctx, method, tenant));
    const absl::string_view bucket = c.allowed_tenant.empty() ? tenant : c.allowed_tenant;
    RETURN_IF_ERROR(limiter.Acquire(bucket));
    return c;
  };
}

absl::StatusOr<std::unique_ptr<TlsCredentials>> TlsCredentials::Create(TlsFiles files) {
  std::unique_ptr<TlsCredentials> t(new TlsCredentials(std::move(files)));
  // A private staging directory: under systemd's RuntimeDirectory when set.
  std::string base = "/tmp";
  if (const char* rt = getenv("RUNTIME_DIRECTORY"); rt && *rt) base = rt;
  std::string tmpl = base + "/collectionsd-tls-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("cannot create a directory under ", base));
  }
  t->staging_dir_ = tmpl;
  RETURN_IF_ERROR(t->Reload());
  // One-second polling of three small local files; a change only happens
  // when Reload() re-stages them.
  constexpr unsigned int kRefreshSeconds = 1;
  std::shared_ptr<grpc::experimental::FileWatcherCertificateProvider> provider;
  if (t->files_.client_ca.empty()) {
    provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
        t->staging_dir_ + "/key.pem", t->staging_dir_ + "/cert.pem", kRefreshSeconds);
  } else {
    provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
        t->staging_dir_ + "/key.pem", t->staging_dir_ + "/cert.pem",
        t->staging_dir_ + "/client_ca.pem", kRefreshSeconds);
  }
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (t->files_.client_ca.empty()) {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  } else {
    options.watch_root_certs();
    options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  }
  t->credentials_ = grpc::experimental::TlsServerCredentials(options);
  if (t->credentials_ == nullptr) return absl::InternalError("TlsServerCredentials failed");
  return t;
}

TlsCredentials::~TlsCredentials() {
  std::error_code ec;
  if (!staging_dir_.empty()) std::filesystem::remove_all(staging_dir_, ec);
}

absl::Status TlsCredentials::Reload() {
  ASSIGN_OR_RETURN(std::string cert, auth::ReadFile(files_.cert));
  ASSIGN_OR_RETURN(std::string key, auth::ReadFile(files_.key));
  if (absl::Status st = auth::CheckKeyPair(cert, key); !st.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(files_.cert, " / ", files_.key, ": ", st.message()));
  }
  std::string ca;
  if (!files_.client_ca.empty()) {
    ASSIGN_OR_RETURN(ca, auth::ReadFile(files_.client_ca));
    if (absl::Status st = auth::CheckCertificates(ca); !st.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(files_.client_ca, ": ", st.message()));
    }
  }
  // The key first: the watcher skips a round in which key and certificate
  // do not match, so it never serves a mixed pair.
  // The directory is 0700 (mkdtemp), so the key copy is private.
  const std::string key_path = staging_dir_ + "/key.pem";
  RETURN_IF_ERROR(WriteFileAtomically(key_path, key));
  RETURN_IF_ERROR(WriteFileAtomically(staging_dir_ + "/cert.pem", cert));
  if (!ca.empty()) RETURN_IF_ERROR(WriteFileAtomically(staging_dir_ + "/client_ca.pem", ca));
  return absl::OkStatus();
}

}  // namespace collections::api
