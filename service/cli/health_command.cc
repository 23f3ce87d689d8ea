// collectionsctl health: the standard gRPC health check (grpc.health.v1), for
// scripts, Docker's HEALTHCHECK and Kubernetes exec probes. Needs no token.
#include <cstdio>

#include "grpc/health/v1/health.grpc.pb.h"
#include "service/cli/cli.h"

namespace collections::cli {
namespace {

namespace health = ::grpc::health::v1;

// Prints the serving status; exit 0 only for SERVING, 3 (not found) for a
// service the server does not know, 6 (unavailable) for any other status or
// an unreachable server.
int Health(Context& ctx, const std::vector<std::string>& args) {
  if (args.size() > 1) return kExitUsage;
  health::HealthCheckRequest req;
  if (!args.empty()) req.set_service(args[0]);
  health::HealthCheckResponse resp;
  grpc::ClientContext cc;
  ctx.prepare(&cc);
  const grpc::Status st = health::Health::NewStub(ctx.channel)->Check(&cc, req, &resp);
  if (!st.ok()) return Fail(st);
  const std::string status = health::HealthCheckResponse::ServingStatus_Name(resp.status());
  if (ctx.json) {
    PrintJson(resp);
  } else {
    std::printf("%s\n", status.c_str());
  }
  return resp.status() == health::HealthCheckResponse::SERVING ? kExitOk : kExitUnavailable;
}

}  // namespace

void RegisterHealthCommand(CommandTable& table) {
  table["health"] = {"health [service]",
                     "gRPC health check of the server (or of one service, e.g. "
                     "collections_sidecar.v1.LedgerService); exit 0 when SERVING, 3 for an unknown "
                     "service, 6 otherwise",
                     Health, /*tenant_free=*/true};
}

}  // namespace collections::cli
