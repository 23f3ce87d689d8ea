#include "service/server/production_flags.h"

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, auth, "none",
          "tokens (bearer API tokens), mtls (client certificates mapped by --mtls_identities) "
          "or none (anonymous; loopback or unix: addresses only)");
ABSL_FLAG(std::string, tls_cert, "", "server certificate chain (PEM); reloaded on SIGHUP");
ABSL_FLAG(std::string, tls_key, "", "server private key (PEM); reloaded on SIGHUP");
ABSL_FLAG(std::string, tls_client_ca, "",
          "CA bundle (PEM) for client certificates; turns on mutual TLS");
ABSL_FLAG(std::string, mtls_identities, "",
          "file mapping client certificate identities (SAN or CN) to tenant and scope");
ABSL_FLAG(double, rate_limit_qps, 0, "per-tenant requests per second; 0 = unlimited");
ABSL_FLAG(double, rate_limit_burst, 0, "per-tenant burst; 0 = twice --rate_limit_qps");
ABSL_FLAG(std::string, http_listen, "",
          "host:port for /metrics, /healthz and /readyz, e.g. 127.0.0.1:9464; empty = off");
ABSL_FLAG(bool, http_api, true,
          "serve the API as JSON over HTTP under /v1/ on --http_listen (bearer tokens as "
          "for gRPC; the port has no TLS: off loopback, put a TLS proxy in front)");
ABSL_FLAG(std::string, metrics_bearer_token_file, "",
          "file holding the bearer token that /metrics requires (then per-tenant series are "
          "shown); empty = /metrics is open: per tenant on loopback, refused off loopback "
          "unless --allow_unauthenticated_metrics");
ABSL_FLAG(bool, allow_unauthenticated_metrics, false,
          "serve /metrics without a token off loopback, with figures summed over tenants only");
ABSL_FLAG(absl::Duration, business_metrics_interval, absl::Seconds(30),
          "how long receivables gauges are cached between scrapes");
ABSL_FLAG(std::string, bootstrap_token_file, "",
          "at first start, create an admin token for --bootstrap_tenant and write it here");
ABSL_FLAG(std::string, bootstrap_tenant, "", "tenant of the bootstrap token");
ABSL_FLAG(std::string, payment_notification_secrets, "",
          "folder holding one file per tenant, named by the tenant id, with the secret that "
          "signs that tenant's POST /v1/tenants/{tenant}/paymentNotifications on the HTTP port "
          "(read at each request, so a rotated secret needs no restart); empty = the endpoint "
          "is off");
ABSL_FLAG(absl::Duration, payment_notification_tolerance, absl::Minutes(5),
          "how far a payment notification's signed timestamp may be from the server's clock");
ABSL_FLAG(bool, dashboard, true,
          "serve the dashboard under /dashboard on the HTTP port (sign-in with an API token); "
          "off a loopback --http_listen only with --dashboard_behind_tls");
ABSL_FLAG(bool, dashboard_behind_tls, false,
          "the HTTP port is reached through a TLS-terminating proxy: the dashboard's session "
          "cookie is marked Secure, and the dashboard may be served off loopback");

namespace collections::server {

ProductionOptions ProductionOptionsFromFlags() {
  ProductionOptions o;
  o.auth = absl::GetFlag(FLAGS_auth);
  o.tls_cert = absl::GetFlag(FLAGS_tls_cert);
  o.tls_key = absl::GetFlag(FLAGS_tls_key);
  o.tls_client_ca = absl::GetFlag(FLAGS_tls_client_ca);
  o.mtls_identities = absl::GetFlag(FLAGS_mtls_identities);
  o.rate_limit_qps = absl::GetFlag(FLAGS_rate_limit_qps);
  o.rate_limit_burst = absl::GetFlag(FLAGS_rate_limit_burst);
  o.http_listen = absl::GetFlag(FLAGS_http_listen);
  o.http_api = absl::GetFlag(FLAGS_http_api);
  o.metrics_bearer_token_file = absl::GetFlag(FLAGS_metrics_bearer_token_file);
  o.allow_unauthenticated_metrics = absl::GetFlag(FLAGS_allow_unauthenticated_metrics);
  o.business_metrics_interval = absl::GetFlag(FLAGS_business_metrics_interval);
  o.bootstrap_token_file = absl::GetFlag(FLAGS_bootstrap_token_file);
  o.bootstrap_tenant = absl::GetFlag(FLAGS_bootstrap_tenant);
  o.payment_notification_secrets = absl::GetFlag(FLAGS_payment_notification_secrets);
  o.payment_notification_tolerance = absl::GetFlag(FLAGS_payment_notification_tolerance);
  o.dashboard = absl::GetFlag(FLAGS_dashboard);
  o.dashboard_behind_tls = absl::GetFlag(FLAGS_dashboard_behind_tls);
  return o;
}

}  // namespace collections::server
