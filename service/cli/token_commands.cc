// collectionsctl tokens: per-tenant API tokens, managed by opening the store
// directly (no server call), so the first token can be made before any
// token exists, and so that token management needs file or database access
// rather than just network access.
//
//   collectionsctl --tenant=acme tokens create --store=sqlite:/var/lib/collections/ledger.db
//       --scope=write --description="odoo connector"
//   collectionsctl --tenant=acme tokens list --store=...
//   collectionsctl tokens revoke <id> --store=...
//
// `create` prints the bearer string once; only its SHA-256 is stored.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/time/time.h"
#include "service/auth/api_tokens.h"
#include "service/cli/cli.h"
#include "service/grpc_status/status_convert.h"
#include "service/store/store.h"

ABSL_FLAG(std::string, store, "",
          "tokens: the store URI collectionsd uses (default $COLLECTIONS_STORE), e.g. "
          "sqlite:/var/lib/collections/ledger.db");
ABSL_FLAG(std::string, scope, "read", "tokens create: read, write or admin");
ABSL_FLAG(std::string, description, "", "tokens create: free text, e.g. the client's name");

namespace collections::cli {
namespace {

int FailStatus(const absl::Status& st) { return Fail(grpc_status::ToGrpcStatus(st)); }

std::string Time(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

int Tokens(Context& ctx, const std::vector<std::string>& args) {
  if (args.empty()) return kExitUsage;
  std::string uri = absl::GetFlag(FLAGS_store);
  if (uri.empty() && std::getenv("COLLECTIONS_STORE") != nullptr)
    uri = std::getenv("COLLECTIONS_STORE");
  if (uri.empty()) {
    std::fprintf(stderr,
                 "tokens: give --store (or $COLLECTIONS_STORE), the store collectionsd uses\n");
    return kExitUsage;
  }
  auto opened = store::OpenStore(uri);
  if (!opened.ok()) return FailStatus(opened.status());
  auth::TokenStore tokens(**opened, domain::SystemClock());
  const std::string& verb = args[0];

  if (verb == "create" && args.size() == 1) {
    auto scope = auth::ParseScope(absl::GetFlag(FLAGS_scope));
    if (!scope.ok()) return FailStatus(scope.status());
    auto t = tokens.Create(ctx.tenant, *scope, absl::GetFlag(FLAGS_description));
    if (!t.ok()) return FailStatus(t.status());
    if (ctx.json) {
      std::printf("{\"id\":\"%s\",\"tenant\":\"%s\",\"scope\":\"%s\",\"token\":\"%s\"}\n",
                  t->info.id.c_str(), t->info.tenant.c_str(),
                  std::string(auth::ScopeName(t->info.scope)).c_str(), t->bearer.c_str());
    } else {
      std::fprintf(stderr, "token %s for tenant %s, scope %s (shown once; store it now):\n",
                   t->info.id.c_str(), t->info.tenant.c_str(),
                   std::string(auth::ScopeName(t->info.scope)).c_str());
      std::printf("%s\n", t->bearer.c_str());
    }
    return kExitOk;
  }
  if (verb == "list" && args.size() == 1) {
    auto list = tokens.List(ctx.tenant);
    if (!list.ok()) return FailStatus(list.status());
    std::vector<std::vector<std::string>> rows = {
        {"ID", "TENANT", "SCOPE", "CREATED", "REVOKED", "DESCRIPTION"}};
    for (const auto& t : *list) {
      if (ctx.json) {
        std::printf(
            "{\"id\":\"%s\",\"tenant\":\"%s\",\"scope\":\"%s\",\"createTime\":\"%s\","
            "\"revoked\":%s}\n",
            t.id.c_str(), t.tenant.c_str(), std::string(auth::ScopeName(t.scope)).c_str(),
            Time(t.create_time).c_str(), t.revoked() ? "true" : "false");
      }
      rows.push_back({t.id, t.tenant, std::string(auth::ScopeName(t.scope)), Time(t.create_time),
                      t.revoked() ? Time(t.revoke_time) : "-", t.description});
    }
    if (!ctx.json) std::fputs(Table(rows).c_str(), stdout);
    return kExitOk;
  }
  if (verb == "revoke" && args.size() == 2) {
    auto t = tokens.Revoke(args[1]);
    if (!t.ok()) return FailStatus(t.status());
    std::fprintf(stderr, "token %s of tenant %s revoked at %s\n", t->id.c_str(), t->tenant.c_str(),
                 Time(t->revoke_time).c_str());
    return kExitOk;
  }
  return kExitUsage;
}

}  // namespace

void RegisterTokenCommands(CommandTable& table) {
  table["tokens"] = {
      "tokens create|list|revoke <id> --store=URI [--scope=read|write|admin] [--description=...]",
      "manage the tenant's API tokens directly in the store (no server needed)", Tokens};
}

}  // namespace collections::cli
