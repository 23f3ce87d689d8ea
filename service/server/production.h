// What turns a Server into a production sidecar, assembled in one
// place so that collectionsd's main and the tests build exactly the same
// thing: authentication (API tokens or mutual TLS), server TLS with reload,
// per-tenant rate limits, Prometheus metrics with store timing, and the
// HTTP /metrics, /healthz and /readyz endpoints, inbound payment
// notifications and the dashboard (dashboard/dashboard.h) on the same port.
//
//   Production::Prepare(opts, &server_options)   before Server::Start
//   production->Attach(*server)                  after it
//   production->Reload()                         on SIGHUP
//   production->Detach()                         before Server::Shutdown
#ifndef COLLECTIONS_SERVER_PRODUCTION_H_
#define COLLECTIONS_SERVER_PRODUCTION_H_

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/api/auth.h"
#include "service/app/ledger_app.h"
#include "service/app/payment_notification.h"
#include "service/dashboard/dashboard.h"
#include "service/server/http_endpoint.h"
#include "service/server/http_transcoder.h"
#include "service/server/metrics.h"
#include "service/server/server.h"

namespace collections::server {

struct ProductionOptions {
  // "tokens" (bearer API tokens), "mtls" (client certificates) or "none"
  // (anonymous: only on a loopback or unix: address).
  std::string auth = "none";
  // Server TLS; both or neither. Required for a non-loopback address unless
  // allow_insecure_remote.
  std::string tls_cert;
  std::string tls_key;
  // CA bundle that signs client certificates: turns on mutual TLS.
  std::string tls_client_ca;
  // --auth=mtls: the identity -> tenant map (auth/identity_map.h format).
  std::string mtls_identities;
  // Per-tenant requests per second; 0 = unlimited. Burst 0 = 2 x rate.
  double rate_limit_qps = 0;
  double rate_limit_burst = 0;
  // host:port of the HTTP endpoint; empty = none.
  std::string http_listen;
  // Serve the API as JSON over HTTP under /v1/ on http_listen
  // (http_transcoder.h), with the same tokens as gRPC.
  bool http_api = true;
  // /metrics exposure (README "Operations"). With a token file, /metrics
  // answers only "Authorization: Bearer <file contents>" (401 otherwise)
  // and shows per-tenant series. Without one it is open, per tenant on a
  // loopback address; off loopback it is refused at start-up unless
  // allow_unauthenticated_metrics, and then shows only figures summed over
  // tenants.
  std::string metrics_bearer_token_file;
  bool allow_unauthenticated_metrics = false;
  // How long receivables gauges are cached between scrapes.
  absl::Duration business_metrics_interval = absl::Seconds(30);
  // When set and the file does not exist: create an admin token for
  // bootstrap_tenant and write it there (mode 0600) at start-up.
  std::string bootstrap_token_file;
  std::string bootstrap_tenant;
  bool allow_insecure_remote = false;
  // POST /v1/tenants/{tenant}/paymentNotifications on the HTTP port
  // (payment_notification_endpoint.h): the folder of per-tenant secrets,
  // empty = off; and the accepted distance of a signed timestamp.
  std::string payment_notification_secrets;
  absl::Duration payment_notification_tolerance = absl::Minutes(5);
  // The dashboard under /dashboard on the HTTP port (dashboard/dashboard.h).
  // Sign-in sends an API token, so off a loopback http_listen it is served
  // only behind a TLS-terminating proxy (dashboard_behind_tls, which also
  // marks the session cookie Secure).
  bool dashboard = true;
  bool dashboard_behind_tls = false;
};

// True for 127.x, [::1], localhost and unix: addresses.
bool IsLoopbackAddress(absl::string_view listen);

class Production {
 public:
  // Validates `opts` against `server_options->listen` and fills the
  // options' authenticator, credentials, observer, event counter and store
  // opener. INVALID_ARGUMENT for an unsafe or incomplete combination; the
  // errors of reading and checking TLS files.
  static absl::StatusOr<std::unique_ptr<Production>> Prepare(ProductionOptions opts,
                                                             ServerOptions* server_options);
  ~Production();

  // Registers the server's gauges, writes the bootstrap token, starts HTTP.
  absl::Status Attach(Server& server);
  // Re-reads TLS files and the identity map; keeps the old ones on error.
  absl::Status Reload();
  // /readyz turns 503, HTTP stops. Call before Server::Shutdown. Idempotent.
  void Detach();

  MetricsRegistry& metrics() { return metrics_; }
  // The token store (null unless the store is open and auth is "tokens" or
  // a bootstrap file is set).
  auth::TokenStore* tokens() { return tokens_.get(); }
  int http_port() const { return http_ ? http_->port() : 0; }

 private:
  Production() = default;
  void ObserveCall(absl::string_view method, int code, absl::Duration latency);
  // Receivables and outbox gauges, recomputed at most once per
  // business_metrics_interval.
  struct Portfolio {
    Samples open_amount, open_invoices, overdue_amount, outbox_pending;
  };
  Portfolio Snapshot();
  HttpResponse Ready();
  HttpResponse Metrics(const HttpRequest& req);

  ProductionOptions opts_;
  const domain::Clock* clock_ = nullptr;
  MetricsRegistry metrics_;
  store::Store* store_ = nullptr;  // owned by the Server
  Server* server_ = nullptr;
  std::unique_ptr<auth::TokenStore> tokens_;
  std::unique_ptr<auth::IdentityMapFile> identities_;
  std::unique_ptr<auth::RateLimiter> limiter_;
  std::unique_ptr<api::TlsCredentials> tls_;
  api::Authenticator authenticate_;
  api::Authenticator recheck_;              // authenticate_ without the rate limit
  std::unique_ptr<app::LedgerApp> ledger_;  // payment notifications write through it
  std::unique_ptr<app::PaymentNotifications> notifications_;
  std::unique_ptr<HttpTranscoder> transcoder_;
  std::unique_ptr<dashboard::Dashboard> dashboard_;
  std::unique_ptr<HttpEndpoint> http_;
  std::string metrics_token_;  // empty = no bearer required
  std::atomic<bool> ready_{false};

  absl::Mutex cache_mu_;
  absl::Time cache_time_ ABSL_GUARDED_BY(cache_mu_) = absl::InfinitePast();
  Portfolio cache_ ABSL_GUARDED_BY(cache_mu_);
};

}  // namespace collections::server

#endif  // COLLECTIONS_SERVER_PRODUCTION_H_
