#include "service/auth/api_tokens.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <optional>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "collections_sidecar/v1/auth.pb.h"
#include "service/base/errors.h"
#include "service/base/resource_names.h"
#include "service/base/status_macros.h"
#include "service/messages/convert.h"

namespace collections::auth {

namespace v1 = ::collections_sidecar::v1;
namespace {

constexpr absl::string_view kKind = "api_token";
constexpr absl::string_view kPrefix = "ctk_";
constexpr size_t kIdBytes = 8;
constexpr size_t kSecretBytes = 32;

absl::StatusOr<std::string> RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    return absl::InternalError("OpenSSL RAND_bytes failed");
  }
  return absl::BytesToHexString(raw);
}

bool IsLowerHex(absl::string_view s, size_t len) {
  if (s.size() != len) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

TokenInfo InfoOf(const v1::ApiToken& t) {
  TokenInfo info;
  info.id = t.id();
  info.tenant = t.tenant();
  info.scope = static_cast<Scope>(t.scope());
  info.description = t.description();
  info.create_time = messages::FromTs(t.create_time());
  if (t.has_revoke_time()) info.revoke_time = messages::FromTs(t.revoke_time());
  return info;
}

store::Doc ToDoc(const v1::ApiToken& t) {
  store::Doc d;
  d.kind = std::string(kKind);
  d.id = t.id();
  d.customer = t.tenant();  // the owning tenant, so List() can filter by it
  d.body = t.SerializeAsString();
  return d;
}

absl::Status Unauthenticated() {
  return domain::WithReason(absl::UnauthenticatedError("invalid or revoked API token"),
                            "INVALID_CREDENTIALS");
}

}  // namespace

std::string Sha256Hex(absl::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(md), len));
}

absl::StatusOr<NewToken> TokenStore::Create(absl::string_view tenant, Scope scope,
                                            absl::string_view description) {
  if (!app::IsValidTenantId(tenant)) {
    return domain::InvalidInput("INVALID_TENANT", "tenant",
                                "1..63 characters of [a-z0-9-] expected");
  }
  if (description.size() > 200) {
    return domain::InvalidInput("DESCRIPTION_TOO_LONG", "description", "at most 200 characters");
  }
  ASSIGN_OR_RETURN(std::string id, RandomHex(kIdBytes));
  ASSIGN_OR_RETURN(std::string secret, RandomHex(kSecretBytes));
  v1::ApiToken t;
  t.set_id(id);
  t.set_tenant(std::string(tenant));
  t.set_scope(static_cast<v1::ApiToken::Scope>(scope));
  t.set_secret_sha256(Sha256Hex(secret));
  t.set_description(std::string(description));
  *t.mutable_create_time() = messages::Ts(clock_.Now());
  RETURN_IF_ERROR(store_.Run(kSystemTenant, store::TxMode::kWrite, [&](store::Transaction& tx) {
    ASSIGN_OR_RETURN(auto existing, tx.GetDoc(kKind, id));
    if (existing) return absl::AbortedError("token id collision; retry");
    return tx.PutDoc(ToDoc(t));
  }));
  return NewToken{InfoOf(t), absl::StrCat(kPrefix, id, "_", secret)};
}

absl::StatusOr<std::vector<TokenInfo>> TokenStore::List(absl::string_view tenant) {
  std::vector<TokenInfo> out;
  RETURN_IF_ERROR(store_.Run(kSystemTenant, store::TxMode::kRead, [&](store::Transaction& tx) {
    std::string after;
    while (true) {
      ASSIGN_OR_RETURN(auto docs, tx.ListDocs(kKind, tenant, after, 500));
      for (const auto& d : docs) {
        ASSIGN_OR_RETURN(v1::ApiToken t, messages::ParseDoc<v1::ApiToken>(d));
        out.push_back(InfoOf(t));
      }
      if (docs.size() < 500) return absl::OkStatus();
      after = docs.back().id;
    }
  }));
  return out;
}

absl::StatusOr<TokenInfo> TokenStore::Revoke(absl::string_view id) {
  TokenInfo info;
  RETURN_IF_ERROR(store_.Run(kSystemTenant, store::TxMode::kWrite, [&](store::Transaction& tx) {
    ASSIGN_OR_RETURN(auto doc, tx.GetDoc(kKind, id));
    if (!doc) {
      return domain::NotFoundError("TOKEN_NOT_FOUND", absl::StrCat("no API token ", id));
    }
    ASSIGN_OR_RETURN(v1::ApiToken t, messages::ParseDoc<v1::ApiToken>(*doc));
    if (!t.has_revoke_time()) {
      *t.mutable_revoke_time() = messages::Ts(clock_.Now());
      RETURN_IF_ERROR(tx.PutDoc(ToDoc(t)));
    }
    info = InfoOf(t);
    return absl::OkStatus();
  }));
  return info;
}

absl::StatusOr<TokenInfo> TokenStore::Verify(absl::string_view bearer) {
  // ctk_ + 16 hex + _ + 64 hex
  if (!absl::StartsWith(bearer, kPrefix) ||
      bearer.size() != kPrefix.size() + 2 * kIdBytes + 1 + 2 * kSecretBytes) {
    return Unauthenticated();
  }
  const absl::string_view id = bearer.substr(kPrefix.size(), 2 * kIdBytes);
  const absl::string_view secret = bearer.substr(kPrefix.size() + 2 * kIdBytes + 1);
  if (bearer[kPrefix.size() + 2 * kIdBytes] != '_' || !IsLowerHex(id, 2 * kIdBytes) ||
      !IsLowerHex(secret, 2 * kSecretBytes)) {
    return Unauthenticated();
  }
  std::optional<v1::ApiToken> token;
  RETURN_IF_ERROR(store_.Run(kSystemTenant, store::TxMode::kRead, [&](store::Transaction& tx) {
    ASSIGN_OR_RETURN(auto doc, tx.GetDoc(kKind, id));
    if (doc) {
      ASSIGN_OR_RETURN(token, messages::ParseDoc<v1::ApiToken>(*doc));
    }
    return absl::OkStatus();
  }));
  const std::string presented = Sha256Hex(secret);
  // Compare in constant time even when the id is unknown, so that timing
  // does not tell which ids exist.
  const std::string stored = token ? token->secret_sha256() : std::string(presented.size(), 'x');
  const bool match = stored.size() == presented.size() &&
                     CRYPTO_memcmp(stored.data(), presented.data(), presented.size()) == 0;
  if (!token || !match || token->has_revoke_time()) return Unauthenticated();
  return InfoOf(*token);
}

}  // namespace collections::auth
