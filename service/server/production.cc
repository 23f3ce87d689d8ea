#include "service/server/production.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "collections_sidecar/v1/recovery.pb.h"
#include "service/app/recovery_app.h"
#include "service/auth/pem.h"
#include "service/base/dates.h"
#include "service/base/json_text.h"
#include "service/base/status_macros.h"
#include "service/domain/ledger.h"
#include "service/http/api_services.h"
#include "service/server/payment_notification_endpoint.h"
#include "service/server/timed_store.h"

namespace collections::server {
namespace {

constexpr char kRequests[] = "collections_rpc_requests_total";
constexpr char kLatency[] = "collections_rpc_latency_seconds";
constexpr char kSyncRecords[] = "collections_sync_records_total";
const std::vector<int> kBucketBounds = {30, 60, 90, 120};

absl::Status WriteNewFile(const std::string& path, absl::string_view data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return absl::InternalError(absl::StrCat("cannot create ", path));
  const ssize_t n = ::write(fd, data.data(), data.size());
  ::close(fd);
  if (n != static_cast<ssize_t>(data.size())) {
    return absl::InternalError(absl::StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

}  // namespace

bool IsLoopbackAddress(absl::string_view listen) {
  return absl::StartsWith(listen, "127.") || absl::StartsWith(listen, "[::1]") ||
         absl::StartsWith(listen, "localhost:") || absl::StartsWith(listen, "unix:");
}

absl::StatusOr<std::unique_ptr<Production>> Production::Prepare(ProductionOptions opts,
                                                                ServerOptions* so) {
  std::unique_ptr<Production> p(new Production());
  p->opts_ = std::move(opts);
  const ProductionOptions& o = p->opts_;
  p->clock_ = so->clock ? so->clock : &domain::SystemClock();
  const bool loopback = so->listen.empty() || IsLoopbackAddress(so->listen);

  if (o.auth != "tokens" && o.auth != "mtls" && o.auth != "none") {
    return absl::InvalidArgumentError(
        absl::StrCat("--auth must be tokens, mtls or none, not \"", o.auth, "\""));
  }
  if (o.auth == "none" && !loopback && !o.allow_insecure_remote) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--auth=none is only allowed on a loopback or unix: address, not ", so->listen));
  }
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls_cert and --tls_key go together");
  }
  if (!o.tls_client_ca.empty() && o.tls_cert.empty()) {
    return absl::InvalidArgumentError("--tls_client_ca needs --tls_cert and --tls_key");
  }
  if (o.tls_cert.empty() && !loopback && !o.allow_insecure_remote) {
    return absl::InvalidArgumentError(
        absl::StrCat("refusing plaintext on non-loopback address ", so->listen,
                     "; configure --tls_cert/--tls_key or pass --allow_insecure_remote"));
  }
  if (o.auth == "mtls" && (o.tls_client_ca.empty() || o.mtls_identities.empty())) {
    return absl::InvalidArgumentError("--auth=mtls needs --tls_client_ca and --mtls_identities");
  }
  if (!o.tls_cert.empty()) {
    ASSIGN_OR_RETURN(p->tls_,
                     api::TlsCredentials::Create({o.tls_cert, o.tls_key, o.tls_client_ca}));
    so->credentials = p->tls_->credentials();
  }
  if (o.auth == "mtls") {
    ASSIGN_OR_RETURN(p->identities_, auth::IdentityMapFile::Load(o.mtls_identities));
  }
  if (!o.http_listen.empty()) {
    if (!o.metrics_bearer_token_file.empty()) {
      ASSIGN_OR_RETURN(std::string token, auth::ReadFile(o.metrics_bearer_token_file));
      p->metrics_token_ = std::string(absl::StripAsciiWhitespace(token));
      if (p->metrics_token_.size() < 16) {
        return absl::InvalidArgumentError(
            absl::StrCat("--metrics_bearer_token_file ", o.metrics_bearer_token_file,
                         ": the token must be at least 16 characters"));
      }
    } else if (!IsLoopbackAddress(o.http_listen) && !o.allow_unauthenticated_metrics) {
      return absl::InvalidArgumentError(absl::StrCat(
          "refusing an unauthenticated /metrics on non-loopback address ", o.http_listen,
          "; set --metrics_bearer_token_file, or pass --allow_unauthenticated_metrics to expose "
          "figures summed over tenants only"));
    }
  }
  if (!o.payment_notification_secrets.empty() && o.http_listen.empty()) {
    return absl::InvalidArgumentError("--payment_notification_secrets needs --http_listen");
  }
  if (o.rate_limit_qps > 0) {
    p->limiter_ = std::make_unique<auth::RateLimiter>(
        o.rate_limit_qps, o.rate_limit_burst > 0 ? o.rate_limit_burst : 2 * o.rate_limit_qps);
  }

  MetricsRegistry& m = p->metrics_;
  m.Declare(kRequests, "Finished RPCs by method and status code.", "counter");
  m.Declare(kLatency, "RPC latency in seconds by method and status code.", "histogram",
            LatencyBuckets());
  m.Declare(kSyncRecords, "Records received by SyncLedger, by tenant and outcome.", "counter");

  Production* raw = p.get();
  api::CallObserver inner_observer = so->observer;
  so->observer = [raw, inner_observer](absl::string_view method, absl::string_view tenant,
                                       grpc::StatusCode code, absl::Duration latency) {
    raw->ObserveCall(method, static_cast<int>(code), latency);
    if (inner_observer) inner_observer(method, tenant, code, latency);
  };
  so->event_counter = [raw](absl::string_view name, absl::string_view tenant,
                            absl::string_view label, int64_t n) {
    if (n == 0) return;
    if (name == "sync_records") {
      raw->metrics_.Count(kSyncRecords,
                          {{"tenant", std::string(tenant)}, {"outcome", std::string(label)}},
                          static_cast<double>(n));
    } else {
      raw->metrics_.Count(absl::StrCat("collections_", name, "_total"),
                          {{"tenant", std::string(tenant)}, {"label", std::string(label)}},
                          static_cast<double>(n));
    }
  };
  // The store is opened by the Server (it owns it) through this factory, so
  // that it is timed and the token store shares it.
  const std::string uri = so->store_uri;
  so->open_store = [raw, uri]() -> absl::StatusOr<std::unique_ptr<store::Store>> {
    ASSIGN_OR_RETURN(std::unique_ptr<store::Store> inner, store::OpenStore(uri));
    std::unique_ptr<store::Store> timed = WithTiming(std::move(inner), raw->metrics_);
    raw->store_ = timed.get();
    raw->tokens_ = std::make_unique<auth::TokenStore>(*raw->store_, *raw->clock_);
    api::Authenticator base = api::AnonymousAuthenticator;
    if (raw->opts_.auth == "tokens") base = api::TokenAuthenticator(*raw->tokens_);
    if (raw->opts_.auth == "mtls") base = api::MtlsAuthenticator(*raw->identities_);
    raw->recheck_ = base;
    raw->authenticate_ = raw->limiter_ ? api::RateLimited(std::move(base), *raw->limiter_) : base;
    return timed;
  };
  so->authenticator = [raw](const grpc::CallbackServerContext& ctx, absl::string_view method,
                            absl::string_view tenant) {
    return raw->authenticate_(ctx, method, tenant);
  };
  so->recheck = [raw](const grpc::CallbackServerContext& ctx, absl::string_view method,
                      absl::string_view tenant) { return raw->recheck_(ctx, method, tenant); };
  return p;
}

Production::~Production() { Detach(); }

void Production::ObserveCall(absl::string_view method, int code, absl::Duration latency) {
  const Labels labels = {{"method", std::string(method)}, {"code", base::CodeName(code)}};
  metrics_.Count(kRequests, labels);
  metrics_.Observe(kLatency, labels, absl::ToDoubleSeconds(latency));
}

absl::Status Production::Attach(Server& server) {
  server_ = &server;
  if (!opts_.bootstrap_token_file.empty() &&
      access(opts_.bootstrap_token_file.c_str(), F_OK) != 0) {
    if (opts_.bootstrap_tenant.empty()) {
      return absl::InvalidArgumentError("--bootstrap_token_file needs --bootstrap_tenant");
    }
    ASSIGN_OR_RETURN(auth::NewToken t, tokens_->Create(opts_.bootstrap_tenant, auth::Scope::kAdmin,
                                                       "bootstrap token written by collectionsd"));
    RETURN_IF_ERROR(WriteNewFile(opts_.bootstrap_token_file, t.bearer + "\n"));
    base::WriteLog(
        base::LogLevel::kInfo, "bootstrap token created",
        {{"token_id", t.info.id}, {"tenant", t.info.tenant}, {"file", opts_.bootstrap_token_file}});
  }
  metrics_.AddGauge("collections_worker_queue_depth", "Calls waiting for a store worker.", [this] {
    return Samples{{{}, static_cast<double>(server_->QueueDepth())}};
  });
  metrics_.AddGauge("collections_open_receivables_minor_units",
                    "Open invoice amounts due, in minor units, by tenant, currency and aging "
                    "bucket (days past due).",
                    [this] { return Snapshot().open_amount; });
  metrics_.AddGauge("collections_open_invoices",
                    "Open invoices with an amount due, by tenant, currency and aging bucket.",
                    [this] { return Snapshot().open_invoices; });
  metrics_.AddGauge("collections_overdue_minor_units",
                    "Amounts past their due date, in minor units, by tenant and currency.",
                    [this] { return Snapshot().overdue_amount; });
  metrics_.AddGauge("collections_outbox_pending", "Outbox actions not yet delivered, by tenant.",
                    [this] { return Snapshot().outbox_pending; });
  if (!opts_.http_listen.empty()) {
    std::map<std::string, HttpHandler> handlers;
    handlers["/metrics"] = [this](const HttpRequest& req) { return Metrics(req); };
    handlers["/healthz"] = [](const HttpRequest&) {
      return HttpResponse{200, "text/plain; charset=utf-8", "ok\n"};
    };
    handlers["/readyz"] = [this](const HttpRequest&) { return Ready(); };
    std::map<std::string, HttpHandler> post_handlers;
    if (!opts_.payment_notification_secrets.empty()) {
      // Through the server's store: payments must pass its case keeping.
      ledger_ = std::make_unique<app::LedgerApp>(server.store(), *clock_);
      notifications_ = std::make_unique<app::PaymentNotifications>(*ledger_);
      post_handlers[kPaymentNotificationRoute] = PaymentNotificationHandler(
          {opts_.payment_notification_secrets, opts_.payment_notification_tolerance},
          *notifications_, *clock_);
    }
    if (opts_.dashboard && (IsLoopbackAddress(opts_.http_listen) || opts_.dashboard_behind_tls)) {
      const ServerApps apps = server.apps();
      dashboard::DashboardOptions dopts;
      dopts.secure_cookies = opts_.dashboard_behind_tls;
      dashboard_ = std::make_unique<dashboard::Dashboard>(
          dashboard::DashboardApps{apps.ledger, apps.recovery, apps.arrangements}, *tokens_,
          *clock_, dopts);
      handlers[dashboard::kDashboardRoute] = [this](const HttpRequest& req) {
        return dashboard_->Get(req);
      };
      post_handlers[dashboard::kDashboardRoute] = [this](const HttpRequest& req) {
        return dashboard_->Post(req);
      };
    } else if (opts_.dashboard) {
      base::WriteLog(base::LogLevel::kWarning, "dashboard off",
                     {{"why", absl::StrCat("--http_listen ", opts_.http_listen,
                                           " is not loopback; sign-in sends API tokens, so pass "
                                           "--dashboard_behind_tls when a TLS proxy fronts it")}});
    }
    HttpHandler api;
    if (opts_.http_api) {
      ASSIGN_OR_RETURN(transcoder_,
                       HttpTranscoder::Create(server.InProcessChannel(), http::ApiServiceNames()));
      api = [t = transcoder_.get()](const HttpRequest& req) { return t->Handle(req); };
    }
    ASSIGN_OR_RETURN(http_, HttpEndpoint::Start(opts_.http_listen, std::move(handlers),
                                                std::move(post_handlers), std::move(api)));
  }
  ready_ = true;
  return absl::OkStatus();
}

absl::Status Production::Reload() {
  absl::Status st;
  if (tls_) st.Update(tls_->Reload());
  if (identities_) st.Update(identities_->Reload());
  return st;
}

void Production::Detach() {
  ready_ = false;
  if (transcoder_) transcoder_->Stop();
  if (http_) http_->Stop();
}

HttpResponse Production::Metrics(const HttpRequest& req) {
  constexpr char kText[] = "text/plain; version=0.0.4; charset=utf-8";
  if (!metrics_token_.empty()) {
    const std::string expected = "Bearer " + metrics_token_;
    const bool match =
        req.authorization.size() == expected.size() &&
        CRYPTO_memcmp(req.authorization.data(), expected.data(), expected.size()) == 0;
    if (!match) {
      HttpResponse denied{401, "text/plain; charset=utf-8", "a bearer token is required\n"};
      denied.headers["WWW-Authenticate"] = "Bearer realm=\"collectionsd metrics\"";
      return denied;
    }
    return {200, kText, metrics_.Render(/*per_tenant=*/true)};
  }
  return {200, kText, metrics_.Render(/*per_tenant=*/IsLoopbackAddress(opts_.http_listen))};
}

HttpResponse Production::Ready() {
  if (!ready_) return {503, "text/plain; charset=utf-8", "not ready: starting or draining\n"};
  // A trivial read transaction proves that the database answers.
  absl::Status st = store_->Run(auth::kSystemTenant, store::TxMode::kRead,
                                [](store::Transaction&) { return absl::OkStatus(); });
  if (!st.ok())
    return {503, "text/plain; charset=utf-8", absl::StrCat("store: ", st.message(), "\n")};
  return {200, "text/plain; charset=utf-8", "ready\n"};
}

Production::Portfolio Production::Snapshot() {
  absl::MutexLock l(&cache_mu_);
  const absl::Time now = absl::Now();
  if (now - cache_time_ < opts_.business_metrics_interval || !ready_) return cache_;
  Portfolio p;
  auto tenants = store_->ListTenants();
  auto buckets = domain::MakeBuckets(kBucketBounds);
  if (!tenants.ok() || !buckets.ok()) return cache_;
  store::AgingQuery q;
  q.as_of_day = domain::DayNumber(clock_->TodayUtc());
  q.bucket_bounds = kBucketBounds;
  q.by_customer = false;
  for (const std::string& tenant : *tenants) {
    if (tenant == auth::kSystemTenant) continue;
    auto cells = store_->Aging(tenant, q);
    if (!cells.ok()) continue;
    std::map<std::string, double> overdue;
    for (const auto& c : *cells) {
      if (c.bucket < 0 || c.bucket >= static_cast<int>(buckets->size())) continue;
      const std::string& label = (*buckets)[c.bucket].label;
      Labels ls = {{"tenant", tenant}, {"currency", c.currency}, {"bucket", label}};
      p.open_amount.push_back({ls, static_cast<double>(c.amount)});
      p.open_invoices.push_back({ls, static_cast<double>(c.count)});
      if (c.bucket > 0)
        overdue[c.currency] += static_cast<double>(c.amount);
      else
        overdue.try_emplace(c.currency, 0);
    }
    for (const auto& [ccy, amount] : overdue) {
      p.overdue_amount.push_back({{{"tenant", tenant}, {"currency", ccy}}, amount});
    }
    int64_t pending = 0;
    store_
        ->Run(tenant, store::TxMode::kRead,
              [&](store::Transaction& tx) -> absl::Status {
                ASSIGN_OR_RETURN(pending, app::PendingActions(tx));
                return absl::OkStatus();
              })
        .IgnoreError();
    p.outbox_pending.push_back({{{"tenant", tenant}}, static_cast<double>(pending)});
  }
  cache_ = std::move(p);
  cache_time_ = now;
  return cache_;
}

}  // namespace collections::server
