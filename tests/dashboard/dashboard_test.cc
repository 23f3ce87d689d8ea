// The dashboard's security without a browser: sign-in, the session cookie,
// CSRF on every write, scopes, tenancy and session expiry, over real HTTP
// against the Production wiring collectionsd runs (dashboard_browser_test.py
// drives the pages themselves in Chromium).
#include <httplib.h>

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "collections_sidecar/v1/ledger.pb.h"
#include "gtest/gtest.h"
#include "service/app/customer_search.h"
#include "service/app/ledger_app.h"
#include "service/dashboard/session.h"
#include "tests/api/prod_support.h"

namespace collections::dashboard {
namespace {

namespace v1 = ::collections_sidecar::v1;
using ::collections::testing::ProdServer;

class DashboardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.production_options().http_listen = "127.0.0.1:0";
    ASSERT_TRUE(server_.Start().ok());
    // One account in acme, none in beta.
    v1::UpsertCustomerRequest r;
    r.set_parent("tenants/acme");
    r.mutable_customer()->mutable_external_ref()->set_source_system("erp");
    r.mutable_customer()->mutable_external_ref()->set_id("c-1");
    r.mutable_customer()->set_display_name("Secret Bakery");
    r.mutable_customer()->set_kind(v1::CUSTOMER_KIND_BUSINESS);
    r.mutable_customer()->set_time_zone("America/New_York");
    app::CallContext ctx;
    auto c = server_.server().apps().ledger->UpsertCustomer(ctx, r);
    ASSERT_TRUE(c.ok()) << c.status();
    account_ = c->name().substr(c->name().rfind('/') + 1);
  }

  httplib::Client Client() {
    httplib::Client c("127.0.0.1", server_.production().http_port());
    c.set_follow_location(false);
    return c;
  }

  // Signs in with `bearer`; the session cookie ("name=value"), or empty.
  std::string SignIn(const std::string& bearer) {
    auto res =
        Client().Post("/dashboard/signin", "token=" + bearer, "application/x-www-form-urlencoded");
    if (!res || res->status != 303) return "";
    const std::string set = res->get_header_value("Set-Cookie");
    return set.substr(0, set.find(';'));
  }

  httplib::Result Get(const std::string& cookie, const std::string& path) {
    return Client().Get(path.c_str(), {{"Cookie", cookie}});
  }

  // The CSRF token of the page at `path`.
  std::string Csrf(const std::string& cookie, const std::string& path) {
    auto res = Get(cookie, path);
    if (!res) return "";
    const std::string marker = "name=\"csrf\" value=\"";
    const size_t at = res->body.find(marker);
    if (at == std::string::npos) return "";
    return res->body.substr(at + marker.size(), 64);
  }

  httplib::Result PostContact(const std::string& cookie, const std::string& csrf,
                              const httplib::Headers& extra = {}) {
    httplib::Headers h = extra;
    h.emplace("Cookie", cookie);
    return Client().Post(
        absl::StrCat("/dashboard/accounts/", account_, "/contacts").c_str(), h,
        absl::StrCat("csrf=", csrf,
                     "&time=2026-11-19T15%3A00&channel=CHANNEL_PHONE&direction=OUTBOUND"
                     "&outcome=SPOKE&summary=called"),
        "application/x-www-form-urlencoded");
  }

  ProdServer server_;
  std::string account_;
};

TEST_F(DashboardTest, PagesNeedASessionThatOnlyAValidTokenStarts) {
  auto res = Client().Get("/dashboard/overview");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 303);
  EXPECT_EQ(res->get_header_value("Location"), "/dashboard/signin");
  EXPECT_EQ(SignIn("ctk_0123456789abcdef_" + std::string(64, '0')), "");
  res = Client().Post("/dashboard/signin", "token=nonsense", "application/x-www-form-urlencoded");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_FALSE(res->has_header("Set-Cookie"));

  res = Client().Post("/dashboard/signin", "token=" + server_.Token("acme", auth::Scope::kRead),
                      "application/x-www-form-urlencoded");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 303);
  const std::string set = res->get_header_value("Set-Cookie");
  EXPECT_TRUE(absl::StartsWith(set, "collections_session=")) << set;
  EXPECT_TRUE(absl::StrContains(set, "; HttpOnly")) << set;
  EXPECT_TRUE(absl::StrContains(set, "; SameSite=Strict")) << set;
  EXPECT_FALSE(absl::StrContains(set, "Secure")) << "plain HTTP on loopback: " << set;
  auto page = Get(set.substr(0, set.find(';')), "/dashboard/overview");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_TRUE(
      absl::StrContains(page->get_header_value("Content-Security-Policy"), "script-src 'self'"));
  EXPECT_EQ(page->get_header_value("Cache-Control"), "no-store");
}

TEST_F(DashboardTest, EveryWriteNeedsTheSessionsCsrfTokenAndTheSameOrigin) {
  const std::string cookie = SignIn(server_.Token("acme", auth::Scope::kWrite));
  ASSERT_FALSE(cookie.empty());
  const std::string page = absl::StrCat("/dashboard/accounts/", account_);
  const std::string csrf = Csrf(cookie, page);
  ASSERT_EQ(csrf.size(), 64u);

  auto res = PostContact(cookie, "");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  res = PostContact(cookie, std::string(64, 'a'));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  res = PostContact(cookie, csrf, {{"Origin", "http://evil.example"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  // Another session's token is no good either.
  const std::string other = SignIn(server_.Token("acme", auth::Scope::kWrite));
  res = PostContact(other, csrf);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  auto after = Get(cookie, page);
  ASSERT_TRUE(after);
  EXPECT_TRUE(absl::StrContains(after->body, "No contacts recorded.")) << "nothing was written";

  res = PostContact(cookie, csrf);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_TRUE(absl::StrContains(res->body, "Contact recorded."));
}

TEST_F(DashboardTest, AReadTokenReadsButIsRefusedWritesAsOverGrpc) {
  const std::string cookie = SignIn(server_.Token("acme", auth::Scope::kRead));
  const std::string page = absl::StrCat("/dashboard/accounts/", account_);
  auto res = PostContact(cookie, Csrf(cookie, page));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  EXPECT_TRUE(absl::StrContains(res->body, "INSUFFICIENT_SCOPE")) << res->body;
  EXPECT_TRUE(absl::StrContains(res->body, "No contacts recorded."));
}

TEST_F(DashboardTest, ATenantSeesNothingOfAnother) {
  const std::string beta = SignIn(server_.Token("beta", auth::Scope::kAdmin));
  ASSERT_FALSE(beta.empty());
  auto res = Get(beta, absl::StrCat("/dashboard/accounts/", account_));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_FALSE(absl::StrContains(res->body, "Secret Bakery"));
  res = Get(beta, absl::StrCat("/dashboard/accounts/", account_, "/case-file.pdf"));
  ASSERT_TRUE(res);
  EXPECT_NE(res->status, 200);
  const std::string acme = SignIn(server_.Token("acme", auth::Scope::kRead));
  res = Get(acme, absl::StrCat("/dashboard/accounts/", account_, "/case-file.pdf"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_TRUE(absl::StartsWith(res->body, "%PDF-"));
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/pdf");
}

TEST_F(DashboardTest, RevokingTheTokenEndsItsSessions) {
  auto token = server_.tokens().Create("acme", auth::Scope::kRead, "dashboard test");
  ASSERT_TRUE(token.ok());
  const std::string cookie = SignIn(token->bearer);
  auto res = Get(cookie, "/dashboard/queue");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  ASSERT_TRUE(server_.tokens().Revoke(token->info.id).ok());
  res = Get(cookie, "/dashboard/queue");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 303);
}

TEST_F(DashboardTest, SearchFindsAccountsByNameWordReferenceOrInvoiceNumber) {
  app::LedgerApp& ledger = *server_.server().apps().ledger;
  app::CallContext ctx;
  v1::UpsertCustomerRequest c;
  c.set_parent("tenants/acme");
  c.mutable_customer()->mutable_external_ref()->set_source_system("erp");
  c.mutable_customer()->mutable_external_ref()->set_id("C-1042");
  c.mutable_customer()->set_display_name("Duarte Dental Office");
  c.mutable_customer()->set_kind(v1::CUSTOMER_KIND_BUSINESS);
  auto duarte = ledger.UpsertCustomer(ctx, c);
  ASSERT_TRUE(duarte.ok()) << duarte.status();
  v1::UpsertInvoiceRequest i;
  i.set_parent(duarte->name());
  v1::Invoice* inv = i.mutable_invoice();
  inv->mutable_external_ref()->set_source_system("erp");
  inv->mutable_external_ref()->set_id("INV-7781");
  inv->set_number("INV-7781");
  inv->set_currency_code("USD");
  *inv->mutable_issue_date() = app::ToProtoDate(absl::CivilDay(2026, 10, 1));
  *inv->mutable_due_date() = app::ToProtoDate(absl::CivilDay(2026, 10, 31));
  *inv->mutable_total() = app::ToProtoMoney("USD", 10000);
  ASSERT_TRUE(ledger.UpsertInvoice(ctx, i).ok());

  auto names = [&](const std::string& tenant, const std::string& q) {
    app::CallContext as_tenant{"test", tenant};
    auto hits = app::SearchCustomers(ledger.store(), as_tenant, tenant, q, 20);
    std::vector<std::string> out;
    if (!hits.ok()) return std::vector<std::string>{std::string(hits.status().message())};
    for (const auto& h : *hits) out.push_back(h.display_name);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(names("acme", "dent"), V{"Duarte Dental Office"});
  EXPECT_EQ(names("acme", "Office DUARTE"), V{"Duarte Dental Office"});
  EXPECT_EQ(names("acme", "c-10"), V{"Duarte Dental Office"});
  EXPECT_EQ(names("acme", "inv-778"), V{"Duarte Dental Office"});
  EXPECT_EQ(names("acme", "bakery"), V{"Secret Bakery"});
  EXPECT_EQ(names("acme", "dental bakery"), V{});
  EXPECT_EQ(names("acme", "  "), V{});
  EXPECT_EQ(names("beta", "dent"), V{}) << "another tenant's index is not read";

  // A renamed customer is found by its new name only.
  c.mutable_customer()->set_display_name("Duarte Orthodontics");
  ASSERT_TRUE(ledger.UpsertCustomer(ctx, c).ok());
  EXPECT_EQ(names("acme", "dental"), V{});
  EXPECT_EQ(names("acme", "ortho"), V{"Duarte Orthodontics"});
  EXPECT_EQ(names("acme", "inv-7781"), V{"Duarte Orthodontics"});

  // And through the work queue's search box.
  const std::string cookie = SignIn(server_.Token("acme", auth::Scope::kRead));
  auto res = Get(cookie, "/dashboard/queue?q=ortho");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_TRUE(absl::StrContains(res->body, ">Duarte Orthodontics</a>")) << res->body;
}

TEST(SessionStore, SessionsEndWhenIdleOrOld) {
  absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  SessionStore store({absl::Minutes(30), absl::Hours(12), 3}, [&] { return now; });
  const Session s = store.Create("bearer");
  EXPECT_EQ(s.id.size(), 64u);
  EXPECT_NE(s.id, s.csrf);
  now += absl::Minutes(29);
  ASSERT_TRUE(store.Find(s.id));
  now += absl::Minutes(29);  // used 29 minutes ago: still alive
  ASSERT_TRUE(store.Find(s.id));
  now += absl::Minutes(31);
  EXPECT_FALSE(store.Find(s.id)) << "idle for 31 minutes";

  const Session old = store.Create("bearer");
  for (int i = 0; i < 12 * 3; ++i) {  // used every 20 minutes for 12 hours
    now += absl::Minutes(20);
    ASSERT_TRUE(store.Find(old.id)) << i;
  }
  now += absl::Minutes(1);
  EXPECT_FALSE(store.Find(old.id)) << "older than 12 hours";

  // Beyond the limit, the least recently used session ends.
  const Session a = store.Create("a");
  now += absl::Seconds(1);
  const Session b = store.Create("b");
  now += absl::Seconds(1);
  const Session c = store.Create("c");
  now += absl::Seconds(1);
  ASSERT_TRUE(store.Find(a.id));
  const Session d = store.Create("d");
  EXPECT_TRUE(store.Find(a.id));
  EXPECT_FALSE(store.Find(b.id));
  EXPECT_TRUE(store.Find(c.id));
  EXPECT_TRUE(store.Find(d.id));
  EXPECT_TRUE(SessionStore::CsrfMatches(d, d.csrf));
  EXPECT_FALSE(SessionStore::CsrfMatches(d, c.csrf));
  EXPECT_FALSE(SessionStore::CsrfMatches(d, ""));
}

}  // namespace
}  // namespace collections::dashboard
