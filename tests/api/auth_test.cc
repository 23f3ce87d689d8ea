// Authentication and tenant isolation end to end: API tokens over
// the in-process channel of a real server. Every refusal is checked for its
// code, for leaking nothing (the same answer whether the target exists or
// not) and for writing nothing.
#include <gtest/gtest.h>

#include <chrono>

#include "collections_sidecar/v1/auth.pb.h"
#include "service/auth/api_tokens.h"
#include "service/auth/scopes.h"
#include "service/base/errors.h"
#include "service/grpc_status/status_convert.h"
#include "tests/api/prod_support.h"

namespace collections::testing {

namespace v1 = ::collections_sidecar::v1;
namespace {

using auth::Scope;

class AuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    srv_.production_options().auth = "tokens";
    ASSERT_TRUE(srv_.Start().ok());
    ledger_ = v1::LedgerService::NewStub(srv_.channel());
    audit_ = v1::AuditService::NewStub(srv_.channel());
    acme_admin_ = srv_.Token("acme", Scope::kAdmin);
    acme_write_ = srv_.Token("acme", Scope::kWrite);
    acme_read_ = srv_.Token("acme", Scope::kRead);
    beta_write_ = srv_.Token("beta", Scope::kWrite);
    acme_customer_ = Upsert(acme_write_, "acme", MakeCustomer("C-1", "Acme's debtor"));
    beta_customer_ = Upsert(beta_write_, "beta", MakeCustomer("B-1", "Beta's debtor"));
  }

  std::string Upsert(const std::string& token, const std::string& tenant, const v1::Customer& c,
                     grpc::Status* status = nullptr) {
    v1::UpsertCustomerRequest req;
    req.set_parent("tenants/" + tenant);
    *req.mutable_customer() = c;
    v1::Customer out;
    grpc::Status st = ledger_->UpsertCustomer(Ctx(token).get(), req, &out);
    if (status) {
      *status = st;
    } else {
      EXPECT_TRUE(st.ok()) << st.error_message();
    }
    return out.name();
  }
  grpc::Status Get(const std::string& token, const std::string& name) {
    v1::GetCustomerRequest req;
    req.set_name(name);
    v1::Customer out;
    return ledger_->GetCustomer(Ctx(token).get(), req, &out);
  }
  grpc::Status List(const std::string& token, const std::string& tenant) {
    v1::ListCustomersRequest req;
    req.set_parent("tenants/" + tenant);
    v1::ListCustomersResponse out;
    return ledger_->ListCustomers(Ctx(token).get(), req, &out);
  }
  // Audit events of acme, read with its admin token.
  std::vector<v1::Event> Events(const std::string& tenant = "acme") {
    v1::ListEventsRequest req;
    req.set_parent("tenants/" + tenant);
    req.set_page_size(1000);
    v1::ListEventsResponse out;
    grpc::Status st =
        audit_->ListEvents(Ctx(tenant == "acme" ? acme_admin_ : beta_write_).get(), req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return {out.events().begin(), out.events().end()};
  }

  ProdServer srv_;
  std::unique_ptr<v1::LedgerService::Stub> ledger_;
  std::unique_ptr<v1::AuditService::Stub> audit_;
  std::string acme_admin_, acme_write_, acme_read_, beta_write_;
  std::string acme_customer_, beta_customer_;
};

TEST_F(AuthTest, NoTokenIsUnauthenticatedAndWritesNothing) {
  const size_t before = Events().size();
  grpc::Status st;
  Upsert("", "acme", MakeCustomer("C-2", "Nobody's"), &st);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ReasonOf(st), "INVALID_CREDENTIALS");
  EXPECT_EQ(Get("", acme_customer_).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Events().size(), before);
}

TEST_F(AuthTest, WrongOrMalformedTokenIsUnauthenticated) {
  std::string forged = acme_write_;
  forged.back() = forged.back() == '0' ? '1' : '0';  // right id, wrong secret
  const std::string unknown_id = "ctk_0123456789abcdef_" + std::string(64, 'a');
  for (const std::string& t : {forged, unknown_id, std::string("abc"), acme_write_ + "0"}) {
    grpc::Status st = Get(t, acme_customer_);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED) << t;
    // One message for every case: nothing tells which ids exist.
    EXPECT_EQ(st.error_message(), "invalid or revoked API token") << t;
  }
  // Another scheme than Bearer.
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Basic dXNlcjpwYXNz");
  v1::GetCustomerRequest req;
  req.set_name(acme_customer_);
  v1::Customer out;
  EXPECT_EQ(ledger_->GetCustomer(&ctx, req, &out).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  // The scheme is case-insensitive (RFC 6750).
  grpc::ClientContext lower;
  lower.AddMetadata("authorization", "bearer " + acme_read_);
  EXPECT_TRUE(ledger_->GetCustomer(&lower, req, &out).ok());
}

TEST_F(AuthTest, RevokedTokenIsRefusedFromTheNextCall) {
  auto t = srv_.tokens().Create("acme", Scope::kRead, "to be revoked");
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(Get(t->bearer, acme_customer_).ok());
  ASSERT_TRUE(srv_.tokens().Revoke(t->info.id).ok());
  grpc::Status st = Get(t->bearer, acme_customer_);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(st.error_message(), "invalid or revoked API token");
  // Other tokens of the tenant keep working.
  EXPECT_TRUE(Get(acme_read_, acme_customer_).ok());
}

TEST_F(AuthTest, ReadOnlyTokenCannotWrite) {
  const size_t before = Events().size();
  grpc::Status st;
  Upsert(acme_read_, "acme", MakeCustomer("C-3", "Written by a reader"), &st);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ReasonOf(st), "INSUFFICIENT_SCOPE");
  // A sync is a write too.
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  ctx.AddMetadata("authorization", "Bearer " + acme_read_);
  v1::SyncLedgerResponse resp;
  auto writer = ledger_->SyncLedger(&ctx, &resp);
  v1::SyncLedgerRequest chunk;
  chunk.set_parent("tenants/acme");
  chunk.set_sync_id("s1");
  *chunk.add_records()->mutable_customer() = MakeCustomer("C-4", "Synced by a reader");
  writer->Write(chunk);
  writer->WritesDone();
  EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Events().size(), before);
  // Reading is fine.
  EXPECT_TRUE(Get(acme_read_, acme_customer_).ok());
  EXPECT_TRUE(List(acme_read_, "acme").ok());
}

TEST_F(AuthTest, OtherTenantByNameIsDeniedWithoutRevealingExistence) {
  const std::string missing = "tenants/beta/customers/does-not-exist";
  grpc::Status existing_st = Get(acme_admin_, beta_customer_);
  grpc::Status missing_st = Get(acme_admin_, missing);
  EXPECT_EQ(existing_st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(missing_st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(existing_st.error_message(), missing_st.error_message());
  EXPECT_EQ(existing_st.error_details(), missing_st.error_details());
  EXPECT_EQ(ReasonOf(existing_st), "TENANT_ACCESS_DENIED");
  // Writing into the other tenant is denied and writes nothing there.
  const size_t before = Events("beta").size();
  grpc::Status st;
  Upsert(acme_admin_, "beta", MakeCustomer("X-1", "Planted"), &st);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Events("beta").size(), before);
}

TEST_F(AuthTest, OtherTenantByListIsDenied) {
  grpc::Status beta = List(acme_admin_, "beta");
  grpc::Status nobody = List(acme_admin_, "no-such-tenant");
  EXPECT_EQ(beta.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(beta.error_message(), nobody.error_message());
  v1::ListEventsRequest req;
  req.set_parent("tenants/beta");
  v1::ListEventsResponse out;
  EXPECT_EQ(audit_->ListEvents(Ctx(acme_admin_).get(), req, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(out.events_size(), 0);
}

TEST_F(AuthTest, OtherTenantByEventStreamIsDenied) {
  v1::WatchEventsRequest req;
  req.set_parent("tenants/beta");
  auto ctx = Ctx(acme_admin_);
  auto reader = audit_->WatchEvents(ctx.get(), req);
  v1::Event ev;
  EXPECT_FALSE(reader->Read(&ev));  // not one event of beta
  grpc::Status st = reader->Finish();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ReasonOf(st), "TENANT_ACCESS_DENIED");
  // Without a token the stream is refused as unauthenticated.
  auto anon = Ctx("");
  auto reader2 = audit_->WatchEvents(anon.get(), req);
  EXPECT_FALSE(reader2->Read(&ev));
  EXPECT_EQ(reader2->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(AuthTest, OtherTenantBySyncIsDenied) {
  const size_t before = Events("beta").size();
  auto ctx = Ctx(acme_write_);
  v1::SyncLedgerResponse resp;
  auto writer = ledger_->SyncLedger(ctx.get(), &resp);
  v1::SyncLedgerRequest chunk;
  chunk.set_parent("tenants/beta");
  chunk.set_sync_id("s1");
  *chunk.add_records()->mutable_customer() = MakeCustomer("X-2", "Planted by sync");
  writer->Write(chunk);
  writer->WritesDone();
  EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Events("beta").size(), before);
}

TEST_F(AuthTest, AuditEventsRecordTheTokenIdentity) {
  auto events = Events();
  ASSERT_FALSE(events.empty());
  auto list = srv_.tokens().List("acme");
  ASSERT_TRUE(list.ok());
  std::string write_id;
  for (const auto& t : *list) {
    if (t.scope == Scope::kWrite) write_id = t.id;
  }
  EXPECT_EQ(events.back().actor(), "token:" + write_id);
}

TEST(TokenStore, StoresOnlyAHashAndListsByTenant) {
  ProdServer srv;
  srv.production_options().auth = "tokens";
  ASSERT_TRUE(srv.Start().ok());
  auto a = srv.tokens().Create("acme", Scope::kWrite, "odoo connector");
  auto b = srv.tokens().Create("beta", Scope::kRead, "");
  ASSERT_TRUE(a.ok() && b.ok());
  const std::string secret = a->bearer.substr(a->bearer.rfind('_') + 1);
  ASSERT_EQ(secret.size(), 64u);
  // The stored document holds the SHA-256 of the secret, never the secret.
  std::string body;
  ASSERT_TRUE(srv.server()
                  .store()
                  .Run(auth::kSystemTenant, store::TxMode::kRead,
                       [&](store::Transaction& tx) -> absl::Status {
                         auto d = tx.GetDoc("api_token", a->info.id);
                         if (!d.ok() || !*d) return absl::NotFoundError("token doc");
                         body = (*d)->body;
                         return absl::OkStatus();
                       })
                  .ok());
  EXPECT_EQ(body.find(secret), std::string::npos);
  v1::ApiToken stored;
  ASSERT_TRUE(stored.ParseFromString(body));
  EXPECT_EQ(stored.secret_sha256(), auth::Sha256Hex(secret));
  // SHA-256("abc"), FIPS 180-2 appendix B.1.
  EXPECT_EQ(auth::Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

  auto acme = srv.tokens().List("acme");
  ASSERT_TRUE(acme.ok());
  ASSERT_EQ(acme->size(), 1u);
  EXPECT_EQ((*acme)[0].description, "odoo connector");
  auto all = srv.tokens().List("");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);

  EXPECT_EQ(srv.tokens().Revoke("0000000000000000").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(srv.tokens().Create("Not A Tenant", Scope::kRead, "").status().code(),
            absl::StatusCode::kInvalidArgument);
  auto verified = srv.tokens().Verify(a->bearer);
  ASSERT_TRUE(verified.ok());
  EXPECT_EQ(verified->tenant, "acme");
  EXPECT_EQ(verified->scope, Scope::kWrite);
}

TEST(Scopes, EveryMethodHasAScopeAndUnknownNeedsAdmin) {
  EXPECT_EQ(auth::RequiredScope("LedgerService/GetCustomer"), Scope::kRead);
  EXPECT_EQ(auth::RequiredScope("AuditService/WatchEvents"), Scope::kRead);
  EXPECT_EQ(auth::RequiredScope("LedgerService/SyncLedger"), Scope::kWrite);
  EXPECT_EQ(auth::RequiredScope("ArrangementService/WriteOff"), Scope::kWrite);
  EXPECT_EQ(auth::RequiredScope("RecoveryService/ReplacePolicy"), Scope::kAdmin);
  EXPECT_EQ(auth::RequiredScope("LedgerService/DropEverything"), Scope::kAdmin);
  EXPECT_TRUE(auth::CheckScope(Scope::kAdmin, "LedgerService/UpsertInvoice").ok());
  EXPECT_EQ(auth::CheckScope(Scope::kWrite, "RecoveryService/ReplacePolicy").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(auth::ParseScope("WRITE").value(), Scope::kWrite);
  EXPECT_FALSE(auth::ParseScope("owner").ok());
}

TEST(AuthConfig, NoneIsRefusedOffLoopbackAndTokensNeedTls) {
  {
    ProdServer srv;
    srv.options().listen = "0.0.0.0:0";
    srv.production_options().auth = "none";
    absl::Status st = srv.Start();
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(st.message().find("loopback"), absl::string_view::npos) << st;
  }
  {
    ProdServer srv;
    srv.options().listen = "0.0.0.0:0";
    srv.production_options().auth = "tokens";  // bearer tokens in plaintext: refused
    absl::Status st = srv.Start();
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(st.message().find("plaintext"), absl::string_view::npos) << st;
  }
  {
    ProdServer srv;
    srv.production_options().auth = "passwords";
    EXPECT_EQ(srv.Start().code(), absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace collections::testing
