// collectionsctl: the operator's command line over gRPC.
//
//   collectionsctl [--server=127.0.0.1:50051] [--tenant=demo] [--json] <command> [args]
//
// Exit codes: 0 ok, 1 other error, 2 usage, 3 not found, 4 invalid input,
// 5 state conflict, 6 unavailable, 7 access denied.
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "service/cli/cli.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "collectionsd address");
ABSL_FLAG(std::string, tenant, "demo", "tenant id");
ABSL_FLAG(bool, json, false, "print JSON (one object per line) instead of tables");
ABSL_FLAG(int, timeout_seconds, 30, "deadline of each call");
ABSL_FLAG(std::string, token, "", "API token (default: $COLLECTIONS_TOKEN)");

int main(int argc, char** argv) {
  using collections::cli::CommandTable;
  CommandTable table;
  collections::cli::RegisterLedgerCommands(table);
  collections::cli::RegisterRecoveryCommands(table);
  collections::cli::RegisterBacktestCommands(table);
  collections::cli::RegisterMigrateCommands(table);
  collections::cli::RegisterArrangementCommands(table);
  collections::cli::RegisterTokenCommands(table);
  collections::cli::RegisterCaseCommands(table);
  collections::cli::RegisterLetterCommands(table);
  collections::cli::RegisterHealthCommand(table);

  std::string usage = "collectionsctl [flags] <command> [args]\n\ncommands:\n";
  for (const auto& [name, c] : table) usage += "  " + c.usage + "\n      " + c.help + "\n";
  absl::SetProgramUsageMessage(usage);
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  if (positional.size() < 2) {
    std::fputs(usage.c_str(), stderr);
    return collections::cli::kExitUsage;
  }
  auto it = table.find(positional[1]);
  if (it == table.end()) {
    std::fprintf(stderr, "unknown command %s\n\n%s", positional[1], usage.c_str());
    return collections::cli::kExitUsage;
  }
  collections::cli::Context ctx;
  ctx.server = absl::GetFlag(FLAGS_server);
  ctx.tenant = absl::GetFlag(FLAGS_tenant);
  ctx.json = absl::GetFlag(FLAGS_json);
  ctx.channel = grpc::CreateChannel(ctx.server, grpc::InsecureChannelCredentials());
  std::string token = absl::GetFlag(FLAGS_token);
  if (token.empty() && std::getenv("COLLECTIONS_TOKEN") != nullptr) token = std::getenv("COLLECTIONS_TOKEN");
  const int timeout = absl::GetFlag(FLAGS_timeout_seconds);
  ctx.prepare = [token, timeout](grpc::ClientContext* cc) {
    cc->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(timeout));
    if (!token.empty()) cc->AddMetadata("authorization", "Bearer " + token);
    cc->AddMetadata("x-collections-actor", "collectionsctl");
  };
  std::vector<std::string> args(positional.begin() + 2, positional.end());
  int rc = it->second.run(ctx, args);
  if (rc == collections::cli::kExitUsage) return collections::cli::Usage(it->second);
  return rc;
}
