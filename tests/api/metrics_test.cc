// Observability end to end: a real server with the Production
// wiring and its HTTP endpoint on 127.0.0.1:0; calls, a sync and a refused
// call are made, then /metrics is scraped and the documented series are
// checked for sensible values; /healthz and /readyz answer, and /readyz
// turns 503 when the server drains.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tests/api/prod_support.h"

namespace collections::testing {

namespace v1 = ::collections_sidecar::v1;
namespace {

// name{labels} -> value, from the exposition text.
std::map<std::string, double> Parse(const std::string& text) {
  std::map<std::string, double> out;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    if (line[0] == '#') continue;
    const size_t sp = line.rfind(' ');
    double v = 0;
    if (sp == absl::string_view::npos || !absl::SimpleAtod(line.substr(sp + 1), &v)) {
      ADD_FAILURE() << "bad sample line: " << line;
      continue;
    }
    out[std::string(line.substr(0, sp))] = v;
  }
  return out;
}

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    srv_.production_options().auth = "tokens";
    srv_.production_options().http_listen = "127.0.0.1:0";
    srv_.production_options().business_metrics_interval = absl::ZeroDuration();
    ASSERT_TRUE(srv_.Start().ok());
    token_ = srv_.Token("acme", auth::Scope::kWrite);
    ledger_ = v1::LedgerService::NewStub(srv_.channel());
  }

  ProdServer srv_;
  std::string token_;
  std::unique_ptr<v1::LedgerService::Stub> ledger_;
};

TEST_F(MetricsTest, ScrapeDuringAnEndToEndRunHasTheDocumentedSeries) {
  const int port = srv_.production().http_port();
  ASSERT_GT(port, 0);
  // A sync of one customer and two invoices: one current, one 50 days late
  // on 2026-11-20 (the server's clock).
  {
    auto ctx = Ctx(token_);
    v1::SyncLedgerResponse resp;
    auto writer = ledger_->SyncLedger(ctx.get(), &resp);
    v1::SyncLedgerRequest chunk;
    chunk.set_parent("tenants/acme");
    chunk.set_sync_id("nightly-1");
    *chunk.add_records()->mutable_customer() = MakeCustomer("C-1", "Northwind");
    // INV-1 due 2026-10-01 (50 days late), INV-2 due 2026-12-01 (current).
    auto* one = chunk.add_records();
    one->set_customer_ref("C-1");
    *one->mutable_invoice() = MakeInvoice("INV-1", D(2026, 9, 1), D(2026, 10, 1), "EUR", 125000);
    auto* two = chunk.add_records();
    two->set_customer_ref("C-1");
    *two->mutable_invoice() = MakeInvoice("INV-2", D(2026, 9, 1), D(2026, 12, 1), "EUR", 5000);
    ASSERT_TRUE(writer->Write(chunk));
    writer->WritesDone();
    grpc::Status st = writer->Finish();
    ASSERT_TRUE(st.ok()) << st.error_message();
    ASSERT_EQ(resp.created(), 3);
  }
  // Two reads, one refused call.
  for (int i = 0; i < 2; ++i) {
    v1::ListCustomersRequest req;
    req.set_parent("tenants/acme");
    v1::ListCustomersResponse out;
    ASSERT_TRUE(ledger_->ListCustomers(Ctx(token_).get(), req, &out).ok());
  }
  {
    v1::ListCustomersRequest req;
    req.set_parent("tenants/acme");
    v1::ListCustomersResponse out;
    ASSERT_EQ(ledger_->ListCustomers(Ctx("").get(), req, &out).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }

  HttpResult r = HttpGet(port, "/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("# TYPE collections_rpc_latency_seconds histogram"), std::string::npos);
  auto m = Parse(r.body);
  const std::string ok_list = "{method=\"LedgerService/ListCustomers\",code=\"OK\"}";
  EXPECT_EQ(m["collections_rpc_requests_total" + ok_list], 2);
  EXPECT_EQ(m["collections_rpc_requests_total{method=\"LedgerService/ListCustomers\","
              "code=\"UNAUTHENTICATED\"}"],
            1);
  EXPECT_EQ(m["collections_rpc_requests_total{method=\"LedgerService/SyncLedger\",code=\"OK\"}"],
            1);
  // Histogram: count matches, +Inf bucket equals count, sum is positive and
  // below the time this test has taken.
  EXPECT_EQ(m["collections_rpc_latency_seconds_count" + ok_list], 2);
  EXPECT_EQ(m["collections_rpc_latency_seconds_bucket{method=\"LedgerService/ListCustomers\","
              "code=\"OK\",le=\"+Inf\"}"],
            2);
  EXPECT_GT(m["collections_rpc_latency_seconds_sum" + ok_list], 0);
  EXPECT_LT(m["collections_rpc_latency_seconds_sum" + ok_list], 10);
  // Store latency: write and read transactions were timed.
  EXPECT_GE(m["collections_store_seconds_count{op=\"write_tx\",outcome=\"ok\"}"], 1);
  EXPECT_GE(m["collections_store_seconds_count{op=\"read_tx\",outcome=\"ok\"}"], 2);
  // Sync throughput.
  EXPECT_EQ(m["collections_sync_records_total{tenant=\"acme\",outcome=\"created\"}"], 3);
  // Receivables: INV-1 is 50 days past due (bucket 31-60), INV-2 current.
  const std::string eur = "{tenant=\"acme\",currency=\"EUR\",bucket=";
  EXPECT_EQ(m["collections_open_receivables_minor_units" + eur + "\"31-60\"}"], 125000) << r.body;
  EXPECT_EQ(m["collections_open_receivables_minor_units" + eur + "\"current\"}"], 5000);
  EXPECT_EQ(m["collections_open_invoices" + eur + "\"31-60\"}"], 1);
  EXPECT_EQ(m["collections_overdue_minor_units{tenant=\"acme\",currency=\"EUR\"}"], 125000);
  EXPECT_EQ(m["collections_outbox_pending{tenant=\"acme\"}"], 0);
  EXPECT_EQ(m["collections_worker_queue_depth"], 0);
  // The token store's tenant is never reported.
  EXPECT_EQ(r.body.find("_system"), std::string::npos);

  EXPECT_EQ(HttpGet(port, "/healthz").status, 200);
  HttpResult ready = HttpGet(port, "/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.body, "ready\n");
  EXPECT_EQ(HttpGet(port, "/nope").status, 404);
}

TEST_F(MetricsTest, DrainingStopsTheEndpoint) {
  const int port = srv_.production().http_port();
  EXPECT_EQ(HttpGet(port, "/readyz").status, 200);
  srv_.production().Detach();
  EXPECT_EQ(HttpGet(port, "/readyz").status, 0);  // connection refused
}

// /metrics shows per-tenant figures only to an
// authenticated scrape, or figures summed over tenants off loopback.
TEST(MetricsExposure, ABearerTokenFileGuardsPerTenantSeries) {
  ProdServer srv;
  srv.dir().Write("metrics.token", "s3cret-scrape-token-0123456789\n");
  srv.production_options().http_listen = "127.0.0.1:0";
  srv.production_options().metrics_bearer_token_file = srv.dir().File("metrics.token");
  srv.production_options().business_metrics_interval = absl::ZeroDuration();
  ASSERT_TRUE(srv.Start().ok());
  srv.production().metrics().Count("collections_sync_records_total",
                                   {{"tenant", "acme"}, {"outcome", "created"}}, 3);
  const int port = srv.production().http_port();
  EXPECT_EQ(HttpGet(port, "/metrics").status, 401);
  EXPECT_EQ(HttpGet(port, "/metrics", "wrong-token-wrong-token").status, 401);
  HttpResult ok = HttpGet(port, "/metrics", "s3cret-scrape-token-0123456789");
  EXPECT_EQ(ok.status, 200);
  EXPECT_NE(ok.body.find("tenant=\"acme\""), std::string::npos);
  // Probes stay open.
  EXPECT_EQ(HttpGet(port, "/healthz").status, 200);
}

TEST(MetricsExposure, OffLoopbackWithoutATokenIsRefusedOrAggregateOnly) {
  {
    ProdServer srv;
    srv.production_options().http_listen = "0.0.0.0:0";
    absl::Status st = srv.Start();
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
    EXPECT_NE(st.message().find("--allow_unauthenticated_metrics"), std::string::npos);
  }
  ProdServer srv;
  srv.production_options().http_listen = "0.0.0.0:0";
  srv.production_options().allow_unauthenticated_metrics = true;
  ASSERT_TRUE(srv.Start().ok());
  server::MetricsRegistry& m = srv.production().metrics();
  m.Count("collections_sync_records_total", {{"tenant", "acme"}, {"outcome", "created"}}, 3);
  m.Count("collections_sync_records_total", {{"tenant", "beta"}, {"outcome", "created"}}, 4);
  HttpResult r = HttpGet(srv.production().http_port(), "/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body.find("tenant="), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("collections_sync_records_total{outcome=\"created\"} 7"), std::string::npos)
      << r.body;
}

// Idle connections do not stall the probes.
TEST(MetricsExposure, IdleConnectionsDoNotDelayHealthz) {
  ProdServer srv;
  srv.production_options().http_listen = "127.0.0.1:0";
  ASSERT_TRUE(srv.Start().ok());
  const int port = srv.production().http_port();
  std::vector<int> idle;
  for (int i = 0; i < 3; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    idle.push_back(fd);
  }
  absl::SleepFor(absl::Milliseconds(100));
  const absl::Time start = absl::Now();
  EXPECT_EQ(HttpGet(port, "/healthz").status, 200);
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(500));
  for (int fd : idle) ::close(fd);
}

TEST(MetricsRegistry, StripsTheTenantLabel) {
  EXPECT_EQ(server::WithoutTenant("{tenant=\"a\",outcome=\"x\"}"), "{outcome=\"x\"}");
  EXPECT_EQ(server::WithoutTenant("{outcome=\"x\",tenant=\"a\\\"b\"}"), "{outcome=\"x\"}");
  EXPECT_EQ(server::WithoutTenant("{tenant=\"a\"}"), "");
  EXPECT_EQ(server::WithoutTenant("{method=\"m\"}"), "{method=\"m\"}");
}

TEST(MetricsRegistry, RendersPrometheusTextFormat) {
  server::MetricsRegistry m;
  m.Declare("x_seconds", "Latency.", "histogram", {0.1, 1});
  m.Observe("x_seconds", {{"op", "a"}}, 0.05);
  m.Observe("x_seconds", {{"op", "a"}}, 0.5);
  m.Observe("x_seconds", {{"op", "a"}}, 5);
  m.Count("y_total", {{"who", "say \"hi\"\\\n"}}, 2);
  m.AddGauge("z", "A gauge.", [] { return server::Samples{{{}, 7}}; });
  EXPECT_EQ(m.Render(),
            "# HELP x_seconds Latency.\n"
            "# TYPE x_seconds histogram\n"
            "x_seconds_bucket{op=\"a\",le=\"0.1\"} 1\n"
            "x_seconds_bucket{op=\"a\",le=\"1\"} 2\n"
            "x_seconds_bucket{op=\"a\",le=\"+Inf\"} 3\n"
            "x_seconds_sum{op=\"a\"} 5.55\n"
            "x_seconds_count{op=\"a\"} 3\n"
            "# HELP y_total y_total\n"
            "# TYPE y_total counter\n"
            "y_total{who=\"say \\\"hi\\\"\\\\\\n\"} 2\n"
            "# HELP z A gauge.\n"
            "# TYPE z gauge\n"
            "z 7\n");
}

}  // namespace
}  // namespace collections::testing
