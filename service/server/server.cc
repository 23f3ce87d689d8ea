#include "service/server/server.h"

#include <grpcpp/health_check_service_interface.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "service/app/action_check.h"
#include "service/app/arrangements_app.h"
#include "service/app/cases_app.h"
#include "service/app/cash_application.h"
#include "service/app/customer_search.h"
#include "service/app/ledger_app.h"
#include "service/app/letters_app.h"
#include "service/app/recovery_app.h"
#include "service/base/status_macros.h"
#include "service/http/api_services.h"
#include "service/server/register_services.h"

namespace collections::server {

struct Server::Impl {
  ServerOptions options;
  api::ServiceEnv env;
  std::unique_ptr<api::WorkerPool> pool;
  std::unique_ptr<api::StreamLimits> stream_limits;
  std::unique_ptr<api::StreamHub> stream_hub;
  api::StreamEnv streams;
  std::unique_ptr<app::LedgerApp> ledger;
  std::unique_ptr<app::RecoveryApp> recovery;
  std::unique_ptr<app::ActionChecker> action_checker;
  std::unique_ptr<app::ArrangementsApp> arrangements;
  std::unique_ptr<app::CashApp> cash;
  std::unique_ptr<app::RecoveryApp> case_loader;
  std::unique_ptr<app::CaseKeeper> keeper;
  std::unique_ptr<app::CasesApp> cases;
  std::unique_ptr<app::LettersApp> letters;
  Services services;
  std::unique_ptr<grpc::Server> grpc_server;
  absl::Mutex mu;
  bool shut_down ABSL_GUARDED_BY(mu) = false;
};

absl::StatusOr<std::unique_ptr<Server>> Server::Start(ServerOptions options) {
  std::unique_ptr<Server> s(new Server());
  s->impl_ = std::make_unique<Impl>();
  Impl& impl = *s->impl_;
  impl.options = std::move(options);
  const domain::Clock& clock = impl.options.clock ? *impl.options.clock : domain::SystemClock();
  if (impl.options.open_store) {
    ASSIGN_OR_RETURN(s->store_, impl.options.open_store());
  } else {
    ASSIGN_OR_RETURN(s->store_, store::OpenStore(impl.options.store_uri));
  }
  // Every write moves the cases of the customers it touched (cases_app.h).
  // The keeper reads through the undecorated store's transactions. Beneath
  // it, each transaction reads an account's documents in one query.
  app::CaseKeepingStore* keeping = nullptr;
  s->store_ = app::WithCaseKeeping(app::WithAccountDocCache(std::move(s->store_)), &keeping);
  impl.pool = std::make_unique<api::WorkerPool>(impl.options.workers, impl.options.max_queue,
                                                impl.options.max_queue_per_tenant > 0
                                                    ? impl.options.max_queue_per_tenant
                                                    : std::max(1, impl.options.max_queue / 4));
  impl.env.pool = impl.pool.get();
  impl.env.log_requests = impl.options.log_requests;
  impl.env.observe = impl.options.observer;
  if (impl.options.authenticator) impl.env.authenticate = impl.options.authenticator;
  impl.env.recheck = impl.options.recheck;
  impl.stream_limits = std::make_unique<api::StreamLimits>(impl.options.max_streams,
                                                           impl.options.max_streams_per_tenant);
  impl.stream_hub = std::make_unique<api::StreamHub>(*s->store_);
  impl.streams = {&impl.env, impl.stream_hub.get(), impl.stream_limits.get()};
  impl.ledger = std::make_unique<app::LedgerApp>(*s->store_, clock);
  AddLedgerServices(impl.env, impl.streams, *impl.ledger, &impl.services);
  app::RecoveryConfig recovery_config;
  if (!impl.options.company_name.empty()) recovery_config.company_name = impl.options.company_name;
  if (!impl.options.policy_file.empty()) {
    ASSIGN_OR_RETURN(recovery_config.policy, app::LoadPolicyFile(impl.options.policy_file));
  }
  impl.case_loader = std::make_unique<app::RecoveryApp>(*s->store_, clock, recovery_config);
  impl.keeper = std::make_unique<app::CaseKeeper>(clock, *impl.case_loader);
  app::SetKeeper(keeping, impl.keeper.get());
  impl.cases = std::make_unique<app::CasesApp>(*s->store_, *impl.keeper);
  RETURN_IF_ERROR(impl.cases->MigrateStore());
  RETURN_IF_ERROR(app::MigrateCustomerSearch(*s->store_));
  AddCaseService(impl.env, *impl.cases, &impl.services);
  app::ArrangementConfig arrangement_config;
  arrangement_config.starting_policy = recovery_config.policy;
  impl.recovery = std::make_unique<app::RecoveryApp>(*s->store_, clock, std::move(recovery_config));
  impl.recovery->set_cases(impl.keeper.get());
  RETURN_IF_ERROR(impl.recovery->MigrateStore());
  impl.action_checker = std::make_unique<app::ActionChecker>(*s->store_, clock, *impl.recovery);
  AddRecoveryService(impl.env, impl.streams, *impl.recovery, *impl.action_checker, &impl.services);
  impl.letters = std::make_unique<app::LettersApp>(*s->store_, clock, *impl.recovery);
  AddLetterService(impl.env, *impl.letters, &impl.services);
  impl.arrangements =
      std::make_unique<app::ArrangementsApp>(*s->store_, clock, std::move(arrangement_config));
  AddArrangementService(impl.env, *impl.arrangements, &impl.services);
  impl.cash = std::make_unique<app::CashApp>(*s->store_, clock);
  AddCashService(impl.env, *impl.cash, &impl.services);

  // Cases that bulk writes deferred move in the background (cases_app.h).
  if (impl.options.refresh_deferred_cases) app::StartCaseRefresher(keeping);

  impl.env.count = impl.options.event_counter;
  grpc::EnableDefaultHealthCheckService(true);
  EnableReflection();
  grpc::ServerBuilder builder;
  // The port is ours alone: without this gRPC sets SO_REUSEPORT, and a
  // second collectionsd on the same port would start and take half the calls.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  if (!impl.options.listen.empty()) {
    auto creds =
        impl.options.credentials ? impl.options.credentials : grpc::InsecureServerCredentials();
    builder.AddListeningPort(impl.options.listen, creds, &s->port_);
  }
  if (!impl.options.local_listen.empty()) {
    builder.AddListeningPort(impl.options.local_listen, grpc::InsecureServerCredentials(),
                             &s->local_port_);
  }
  builder.SetMaxReceiveMessageSize(impl.options.max_message_bytes);
  builder.SetMaxSendMessageSize(impl.options.max_message_bytes);
  for (auto& svc : impl.services) builder.RegisterService(svc.get());
  impl.grpc_server = builder.BuildAndStart();
  if (!impl.grpc_server || (!impl.options.listen.empty() && s->port_ == 0) ||
      (!impl.options.local_listen.empty() && s->local_port_ == 0)) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot listen on ", impl.options.listen,
                     impl.options.local_listen.empty() ? "" : " and " + impl.options.local_listen,
                     " (address in use by another process, or not an address of this host)"));
  }
  auto* health = impl.grpc_server->GetHealthCheckService();
  if (health != nullptr) {
    health->SetServingStatus(true);
    for (const std::string& name : http::ApiServiceNames()) health->SetServingStatus(name, true);
  }
  return s;
}

Server::~Server() { Shutdown(absl::Seconds(1)); }

std::shared_ptr<grpc::Channel> Server::InProcessChannel() {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(impl_->options.max_message_bytes);
  return impl_->grpc_server->InProcessChannel(args);
}

void Server::Shutdown(absl::Duration grace) {
  {
    absl::MutexLock l(&impl_->mu);
    if (impl_->shut_down) return;
    impl_->shut_down = true;
  }
  // Start() may have failed before the gRPC server existed (bad store,
  // unbindable address): then there is nothing to stop but the store.
  if (impl_->grpc_server) {
    if (auto* health = impl_->grpc_server->GetHealthCheckService()) {
      health->SetServingStatus(false);
    }
    impl_->grpc_server->Shutdown(absl::ToChronoTime(absl::Now() + grace));
  }
  // Every stream has finished with the gRPC server; then the hub's thread.
  if (impl_->stream_hub) impl_->stream_hub->Stop();
  impl_->pool.reset();  // drains queued work
  store_.reset();
}

ServerApps Server::apps() {
  return {impl_->ledger.get(), impl_->recovery.get(), impl_->arrangements.get(),
          impl_->cases.get()};
}

int Server::QueueDepth() { return impl_->pool ? impl_->pool->QueueDepth() : 0; }

void Server::Wait() {
  if (impl_->grpc_server) impl_->grpc_server->Wait();
}

}  // namespace collections::server
