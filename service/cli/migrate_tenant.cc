// collectionsctl migrate-tenant: copies one tenant between stores, normally
// from the embedded SQLite file to PostgreSQL when moving to replicas
// (docs/scale.md). It opens both stores itself; no server is involved, so
// stop the sidecar (or at least every writer of the tenant) first.
//
//   collectionsctl --tenant=acme migrate-tenant
//       --from=sqlite:/var/lib/collections/ledger.db
//       --to='postgresql://collections@db/collections'
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "service/cli/cli.h"
#include "service/grpc_status/status_convert.h"
#include "service/store/copy_tenant.h"
#include "service/store/store.h"

ABSL_FLAG(std::string, from, "", "migrate-tenant: source store URI, e.g. sqlite:/path/ledger.db");
ABSL_FLAG(std::string, to, "", "migrate-tenant: target store URI, e.g. postgresql://host/db");

namespace collections::cli {
namespace {

int FailStatus(const absl::Status& st) { return Fail(grpc_status::ToGrpcStatus(st)); }

int MigrateTenant(Context& ctx, const std::vector<std::string>& args) {
  const std::string from = absl::GetFlag(FLAGS_from);
  const std::string to = absl::GetFlag(FLAGS_to);
  if (!args.empty() || from.empty() || to.empty()) {
    std::fprintf(stderr, "migrate-tenant needs --from, --to and --tenant\n");
    return kExitUsage;
  }
  if (from == to) {
    std::fprintf(stderr, "migrate-tenant: --from and --to name the same store\n");
    return kExitUsage;
  }
  if (from == "sqlite::memory:") {
    std::fprintf(stderr, "migrate-tenant: an in-memory store cannot be a source\n");
    return kExitUsage;
  }
  absl::StatusOr<std::unique_ptr<store::Store>> source = store::OpenStore(from);
  if (!source.ok()) return FailStatus(source.status());
  absl::StatusOr<std::unique_ptr<store::Store>> target = store::OpenStore(to);
  if (!target.ok()) return FailStatus(target.status());
  absl::StatusOr<store::CopyStats> stats = store::CopyTenant(**source, **target, ctx.tenant);
  if (!stats.ok()) return FailStatus(stats.status());
  if (ctx.json) {
    std::printf(
        "{\"tenant\":\"%s\",\"docs\":%lld,\"invoices\":%lld,\"settlements\":%lld,"
        "\"events\":%lld,\"requests\":%lld,\"sourceLastSequence\":%lld,"
        "\"targetLastSequence\":%lld}\n",
        ctx.tenant.c_str(), static_cast<long long>(stats->docs),
        static_cast<long long>(stats->invoices), static_cast<long long>(stats->settlements),
        static_cast<long long>(stats->events), static_cast<long long>(stats->requests),
        static_cast<long long>(stats->source_last_sequence),
        static_cast<long long>(stats->target_last_sequence));
    return kExitOk;
  }
  std::printf("%s", Table({{"tenant", "docs", "invoices", "settlements", "events", "requests"},
                           {ctx.tenant, absl::StrCat(stats->docs), absl::StrCat(stats->invoices),
                            absl::StrCat(stats->settlements), absl::StrCat(stats->events),
                            absl::StrCat(stats->requests)}},
                          {false, true, true, true, true, true})
                        .c_str());
  if (stats->events > 0) {
    std::printf("event cursor: source sequence %lld is target sequence %lld\n",
                static_cast<long long>(stats->source_last_sequence),
                static_cast<long long>(stats->target_last_sequence));
  }
  return kExitOk;
}

}  // namespace

void RegisterMigrateCommands(CommandTable& table) {
  table["migrate-tenant"] = Command{
      "migrate-tenant --from=<store URI> --to=<store URI> --tenant=<id>",
      "copy one tenant's documents, invoices, settlements, events (in order) and request "
      "records between stores, e.g. SQLite to PostgreSQL; all or nothing; stop the sidecar first",
      MigrateTenant};
}

}  // namespace collections::cli
