// collectionsctl: the operator's command line over gRPC.
//
//   collectionsctl [--server=HOST:PORT] [--tenant=T] [--json] <command> [args]
//
// The server, tenant and token come from the flags, else from
// COLLECTIONS_SERVER, COLLECTIONS_TENANT and COLLECTIONS_TOKEN (or
// --token_file); there is no default tenant. TLS with --tls (system roots),
// --tls_ca, and --tls_cert/--tls_key for mTLS. Flags are snake_case; the
// kebab spelling is accepted too (service/cmdline).
//
// Exit codes: 0 ok (help and --help included), 1 other error, 2 usage,
// 3 not found, 4 invalid input, 5 state conflict, 6 unavailable, 7 access
// denied.
#include <clocale>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "service/auth/pem.h"
#include "service/cli/cli.h"
#include "service/cmdline/build_info.h"
#include "service/cmdline/command_line.h"

ABSL_FLAG(std::string, server, "",
          "collectionsd address host:port (default: $COLLECTIONS_SERVER, else 127.0.0.1:50051)");
ABSL_FLAG(std::string, tenant, "", "tenant id (default: $COLLECTIONS_TENANT; required)");
ABSL_FLAG(bool, json, false, "print JSON (one object per line) instead of tables");
ABSL_FLAG(int, timeout_seconds, 30, "deadline of each call");
ABSL_FLAG(std::string, token, "", "API token (default: --token_file, else $COLLECTIONS_TOKEN)");
ABSL_FLAG(std::string, token_file, "", "file holding the API token (e.g. a mounted secret)");
ABSL_FLAG(bool, tls, false, "connect with TLS, trusting the system's CA certificates");
ABSL_FLAG(std::string, tls_ca, "",
          "PEM CA certificate(s) the server's certificate must chain to; implies --tls "
          "(default: $COLLECTIONS_TLS_CA)");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM client certificate for mTLS, with --tls_key; implies --tls "
          "(default: $COLLECTIONS_TLS_CERT)");
ABSL_FLAG(std::string, tls_key, "",
          "PEM private key of --tls_cert (default: $COLLECTIONS_TLS_KEY)");
ABSL_FLAG(std::string, tls_server_name, "",
          "expected name in the server's certificate when it differs from --server's host "
          "(default: $COLLECTIONS_TLS_SERVER_NAME)");

namespace {

using collections::cli::kExitOk;
using collections::cli::kExitUsage;

// The flag's value, else the environment variable's, else `fallback`.
std::string FlagOrEnv(const std::string& flag, const char* env, const std::string& fallback = "") {
  if (!flag.empty()) return flag;
  const char* v = std::getenv(env);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

std::string Overview(const collections::cli::CommandTable& table) {
  std::string out =
      "usage: collectionsctl [flags] <command> [args]\n"
      "       collectionsctl help [<command>]\n\ncommands:\n";
  for (const auto& [name, c] : table)
    absl::StrAppend(&out, "  ", c.usage, "\n      ", c.help, "\n");
  absl::StrAppend(&out, "\nflags (default after '='; kebab-case spellings are accepted too):\n",
                  collections::cmdline::DescribeFlags({"service/cli/"}),
                  "\nenvironment: COLLECTIONS_SERVER, COLLECTIONS_TENANT, COLLECTIONS_TOKEN,\n"
                  "  COLLECTIONS_TLS_CA, COLLECTIONS_TLS_CERT, COLLECTIONS_TLS_KEY,\n"
                  "  COLLECTIONS_TLS_SERVER_NAME (as the connectors), NO_COLOR\n"
                  "exit codes: 0 ok, 1 error, 2 usage, 3 not found, 4 invalid input, 5 conflict,\n"
                  "            6 unavailable, 7 access denied\n");
  return out;
}

// The channel credentials the TLS flags ask for; plaintext without them.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> Credentials() {
  // The connectors' environment variables serve as defaults, so one
  // environment configures both.
  const std::string ca = FlagOrEnv(absl::GetFlag(FLAGS_tls_ca), "COLLECTIONS_TLS_CA");
  const std::string cert = FlagOrEnv(absl::GetFlag(FLAGS_tls_cert), "COLLECTIONS_TLS_CERT");
  const std::string key = FlagOrEnv(absl::GetFlag(FLAGS_tls_key), "COLLECTIONS_TLS_KEY");
  if (cert.empty() != key.empty()) {
    return absl::InvalidArgumentError("--tls_cert and --tls_key go together");
  }
  if (!absl::GetFlag(FLAGS_tls) && ca.empty() && cert.empty()) {
    return grpc::InsecureChannelCredentials();
  }
  grpc::SslCredentialsOptions o;
  for (const auto& [path, out] :
       {std::pair{ca, &o.pem_root_certs}, std::pair{cert, &o.pem_cert_chain},
        std::pair{key, &o.pem_private_key}}) {
    if (path.empty()) continue;
    auto text = collections::auth::ReadFile(path);
    if (!text.ok()) return text.status();
    *out = *text;
  }
  return grpc::SslCredentials(o);
}

}  // namespace

int main(int argc, char** argv) {
  // Display widths of UTF-8 text (Table) need a UTF-8 character type.
  std::setlocale(LC_CTYPE, "C.UTF-8");
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

  auto command_line = collections::cmdline::ParseCommandLine(argc, argv);
  if (!command_line.ok()) {
    std::fprintf(stderr,
                 "collectionsctl: %s\nRun collectionsctl help for the commands and flags.\n",
                 std::string(command_line.status().message()).c_str());
    return kExitUsage;
  }
  if (command_line->version) {
    std::printf("%s\n", collections::cmdline::VersionLine("collectionsctl").c_str());
    return kExitOk;
  }
  const std::vector<std::string>& positional = command_line->positional;
  const bool help_word = !positional.empty() && positional[0] == "help";
  if (command_line->help || help_word) {
    const size_t topic = help_word ? 1 : 0;
    if (positional.size() > topic) {
      auto it = table.find(positional[topic]);
      if (it == table.end()) {
        std::fprintf(stderr, "unknown command %s\n", positional[topic].c_str());
        return kExitUsage;
      }
      std::printf("usage: collectionsctl %s\n  %s\n", it->second.usage.c_str(),
                  it->second.help.c_str());
      return kExitOk;
    }
    std::fputs(Overview(table).c_str(), stdout);
    return kExitOk;
  }
  if (positional.empty()) {
    std::fputs(Overview(table).c_str(), stderr);
    return kExitUsage;
  }
  auto it = table.find(positional[0]);
  if (it == table.end()) {
    std::fprintf(stderr, "unknown command %s; run collectionsctl help\n", positional[0].c_str());
    return kExitUsage;
  }
  collections::cli::Context ctx;
  ctx.server = FlagOrEnv(absl::GetFlag(FLAGS_server), "COLLECTIONS_SERVER", "127.0.0.1:50051");
  ctx.tenant = FlagOrEnv(absl::GetFlag(FLAGS_tenant), "COLLECTIONS_TENANT");
  ctx.json = absl::GetFlag(FLAGS_json);
  if (ctx.tenant.empty() && !it->second.tenant_free) {
    std::fprintf(stderr,
                 "collectionsctl: which tenant? pass --tenant=T or set COLLECTIONS_TENANT\n");
    return kExitUsage;
  }
  auto credentials = Credentials();
  if (!credentials.ok()) {
    std::fprintf(stderr, "collectionsctl: %s\n",
                 std::string(credentials.status().message()).c_str());
    return kExitUsage;
  }
  grpc::ChannelArguments channel_args;
  const std::string server_name =
      FlagOrEnv(absl::GetFlag(FLAGS_tls_server_name), "COLLECTIONS_TLS_SERVER_NAME");
  if (!server_name.empty()) channel_args.SetSslTargetNameOverride(server_name);
  ctx.channel = grpc::CreateCustomChannel(ctx.server, *credentials, channel_args);
  std::string token = absl::GetFlag(FLAGS_token);
  if (token.empty() && !absl::GetFlag(FLAGS_token_file).empty()) {
    auto text = collections::auth::ReadFile(absl::GetFlag(FLAGS_token_file));
    if (!text.ok()) {
      std::fprintf(stderr, "collectionsctl: --token_file: %s\n",
                   std::string(text.status().message()).c_str());
      return kExitUsage;
    }
    token = std::string(absl::StripAsciiWhitespace(*text));
  }
  token = FlagOrEnv(token, "COLLECTIONS_TOKEN");
  const int timeout = absl::GetFlag(FLAGS_timeout_seconds);
  ctx.prepare = [token, timeout](grpc::ClientContext* cc) {
    cc->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(timeout));
    if (!token.empty()) cc->AddMetadata("authorization", "Bearer " + token);
    cc->AddMetadata("x-collections-actor", "collectionsctl");
  };
  std::vector<std::string> args(positional.begin() + 1, positional.end());
  int rc = it->second.run(ctx, args);
  if (rc == kExitUsage) return collections::cli::Usage(it->second);
  return rc;
}
