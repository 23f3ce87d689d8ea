// collections-courier: delivers a tenant's outbox (see courier.h).
//
//   collections-courier --config=/etc/collections/courier.conf
// or, with the settings as flags (one command line):
//   collections-courier --tenant=acme --state_dir=/var/lib/collections-courier
//       --mail_from=collections@acme.example --smtp_url=smtp://mail.acme.example:587
//       --smtp_user=collections --smtp_password_file=/run/secrets/smtp-password
//
// Exit codes: 0 stopped by SIGTERM/SIGINT (or --once finished), 2 a bad
// setting, 3 the state folder is unusable, 1 collectionsd refused the
// courier (token, tenant) or anything else. Each failure is one line on
// stderr; each delivery one JSON line.
#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "connectors/courier/courier.h"
#include "connectors/courier/courier_config.h"
#include "connectors/courier/courier_state.h"
#include "connectors/courier/transport.h"

namespace {

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop = true; }

int Fail(int code, absl::string_view what) {
  std::fprintf(stderr, "collections-courier: %.*s\n", static_cast<int>(what.size()), what.data());
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  std::string help;
  auto config = collections::courier::ParseCourierConfig(
      std::vector<std::string>(argv + 1, argv + argc), &help);
  if (!config.ok()) return Fail(2, config.status().message());
  if (!help.empty()) {
    std::cout << help;
    return 0;
  }
  auto state = collections::courier::CourierState::Open(config->state_dir, config->tenant);
  if (!state.ok()) return Fail(3, state.status().message());

  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
  collections::courier::InitTransport();

  std::fprintf(
      stderr, "{\"msg\":\"courier started\",\"tenant\":\"%s\",\"server\":\"%s\",\"cursor\":%lld}\n",
      config->tenant.c_str(), config->server.c_str(), static_cast<long long>(state->cursor()));
  std::fflush(stderr);
  collections::courier::Courier courier(*std::move(config), *std::move(state), &g_stop);
  absl::Status st = courier.Run();
  if (!st.ok()) return Fail(1, st.message());
  std::fprintf(stderr, "{\"msg\":\"courier stopped\"}\n");
  return 0;
}
