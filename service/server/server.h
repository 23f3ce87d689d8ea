// The collectionsd server as a library, so that tests start exactly what
// production runs: the store, the application services, the gRPC services
// with health and reflection, on a TCP address and/or an in-process channel.
#ifndef COLLECTIONS_SERVER_SERVER_H_
#define COLLECTIONS_SERVER_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service/api/call_support.h"
#include "service/base/dates.h"
#include "service/store/store.h"

namespace collections::app {
class ArrangementsApp;
class CasesApp;
class LedgerApp;
class RecoveryApp;
}  // namespace collections::app

namespace collections::server {

// The application services the gRPC services call, for other front ends on
// the same process (the dashboard), so that they share every rule, tenancy
// check and refusal. Owned by the Server; valid until Shutdown.
struct ServerApps {
  app::LedgerApp* ledger = nullptr;
  app::RecoveryApp* recovery = nullptr;
  app::ArrangementsApp* arrangements = nullptr;
  app::CasesApp* cases = nullptr;
};

struct ServerOptions {
  // host:port; "127.0.0.1:0" picks a free port. Empty = in-process only.
  std::string listen = "127.0.0.1:50051";
  // A second address, always plaintext, for checks from inside the host or
  // container (collectionsctl health) when `listen` has TLS whose certificate
  // names another host. Callers must check that it is loopback or unix:.
  // Empty = none.
  std::string local_listen;
  std::string store_uri = "sqlite::memory:";
  // Worker threads for blocking store work, and the queue bound beyond which
  // calls are refused with RESOURCE_EXHAUSTED.
  int workers = 8;
  int max_queue = 4096;
  // Queued calls one tenant (the tenant a request names) may hold; the
  // queue is served round-robin across tenants. 0 = max_queue / 4.
  int max_queue_per_tenant = 0;
  int max_message_bytes = 16 << 20;
  // Open server streams (WatchEvents, StreamActions): in all, and per tenant.
  int max_streams = 128;
  int max_streams_per_tenant = 16;
  bool log_requests = true;
  // Recovery policy file (proto text or JSON); empty = built-in default.
  std::string policy_file;
  // The creditor's name on letters of tenants without a TenantProfile;
  // empty = "Our company".
  std::string company_name;
  // Replaces the authenticator (API tokens or mutual TLS). Empty = anonymous.
  api::Authenticator authenticator;
  // Re-checks the caller of an open stream; empty = `authenticator`.
  api::Authenticator recheck;
  // Server credentials; null = insecure (loopback only, see main.cc).
  std::shared_ptr<grpc::ServerCredentials> credentials;
  // Optional observer of finished calls (metrics).
  api::CallObserver observer;
  // Optional counter of business events (metrics: sync records applied).
  api::EventCounter event_counter;
  // When set, opens the store instead of store_uri (production wraps the
  // store with timing and shares it with the token store). Called once.
  std::function<absl::StatusOr<std::unique_ptr<store::Store>>()> open_store;
  // The clock; null = the system clock.
  const domain::Clock* clock = nullptr;
  // Whether cases that bulk writes deferred also move in the background once
  // the writes pause (cases_app.h). Off, they move only when a reader needs
  // them (GetCase, ListWorkQueue, RunCollections... catch up first).
  bool refresh_deferred_cases = true;
};

class Server {
 public:
  // Opens the store, builds the services and starts serving.
  static absl::StatusOr<std::unique_ptr<Server>> Start(ServerOptions options);
  ~Server();

  // The port bound when listen ended in ":0" (0 when in-process only).
  int port() const { return port_; }
  // The port bound for local_listen (0 when there is none).
  int local_port() const { return local_port_; }
  // A channel to this server without a socket.
  std::shared_ptr<grpc::Channel> InProcessChannel();
  store::Store& store() { return *store_; }
  ServerApps apps();
  // Calls waiting for a worker (metrics, readiness).
  int QueueDepth();

  // Stops accepting, lets in-flight calls finish until `grace`, cancels the
  // rest, then closes the store. Idempotent.
  void Shutdown(absl::Duration grace = absl::Seconds(10));
  // Blocks until Shutdown() completes.
  void Wait();

 private:
  Server() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::unique_ptr<store::Store> store_;
  int port_ = 0;
  int local_port_ = 0;
};

}  // namespace collections::server

#endif  // COLLECTIONS_SERVER_SERVER_H_
