// TLS and mutual TLS end to end on 127.0.0.1:0, with throwaway
// certificates made by the openssl CLI: a mapped client certificate is
// accepted and its identity recorded on audit events; no certificate, one
// from another CA, an unmapped one, or a mapped one reaching another tenant
// are refused. Server certificates are replaced on Reload() (SIGHUP).
#include <gtest/gtest.h>

#include <cstdlib>

#include "tests/api/prod_support.h"

namespace collections::testing {

namespace v1 = ::collections_sidecar::v1;
namespace {

bool HaveOpenssl() { return std::system("openssl version >/dev/null 2>&1") == 0; }

std::shared_ptr<grpc::Channel> TlsChannel(const std::string& target, const std::string& ca_pem,
                                          const std::string& cert_pem = "",
                                          const std::string& key_pem = "") {
  grpc::SslCredentialsOptions o;
  o.pem_root_certs = ca_pem;
  o.pem_cert_chain = cert_pem;
  o.pem_private_key = key_pem;
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  return grpc::CreateCustomChannel(target, grpc::SslCredentials(o), args);
}

grpc::Status UpsertCustomer(const std::shared_ptr<grpc::Channel>& ch, const std::string& tenant,
                            const std::string& token = "", v1::Customer* out_customer = nullptr) {
  auto stub = v1::LedgerService::NewStub(ch);
  v1::UpsertCustomerRequest req;
  req.set_parent("tenants/" + tenant);
  *req.mutable_customer() = MakeCustomer("C-1", "Northwind");
  v1::Customer out;
  auto ctx = Ctx(token);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::Status st = stub->UpsertCustomer(ctx.get(), req, &out);
  if (out_customer) *out_customer = out;
  return st;
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveOpenssl()) {
      if (std::getenv("CI")) FAIL() << "openssl CLI missing (deploy/install.sh installs it)";
      GTEST_SKIP() << "openssl CLI missing; install the openssl package";
    }
    const TempDir& d = pki_;
    ASSERT_TRUE(NewCa(d, "ca"));
    ASSERT_TRUE(NewCa(d, "other-ca"));
    ASSERT_TRUE(NewCert(d, "server", "ca", "collectionsd", "DNS:localhost,IP:127.0.0.1"));
    ASSERT_TRUE(NewCert(d, "server2", "other-ca", "collectionsd", "DNS:localhost,IP:127.0.0.1"));
    ASSERT_TRUE(NewCert(d, "erp", "ca", "erp-connector", "DNS:erp-connector.acme.internal"));
    ASSERT_TRUE(NewCert(d, "cn-only", "ca", "worker.beta", ""));
    ASSERT_TRUE(NewCert(d, "stranger", "ca", "stranger", "DNS:stranger.example"));
    ASSERT_TRUE(
        NewCert(d, "rogue", "other-ca", "erp-connector", "DNS:erp-connector.acme.internal"));
    d.Write("identities.txt",
            "# identity                      tenant  scope\n"
            "erp-connector.acme.internal     acme    write\n"
            "worker.beta                     beta    read\n");
  }
  std::string Pem(const std::string& name) { return ReadText(pki_.File(name)); }

  void StartMtls(ProdServer& srv) {
    srv.options().listen = "127.0.0.1:0";
    auto& p = srv.production_options();
    p.auth = "mtls";
    p.tls_cert = pki_.File("server.pem");
    p.tls_key = pki_.File("server.key");
    p.tls_client_ca = pki_.File("ca.pem");
    p.mtls_identities = pki_.File("identities.txt");
    absl::Status st = srv.Start();
    ASSERT_TRUE(st.ok()) << st;
  }

  TempDir pki_;
};

TEST_F(TlsTest, MappedClientCertificateIsAcceptedAndRecordedAsActor) {
  ProdServer srv;
  ASSERT_NO_FATAL_FAILURE(StartMtls(srv));
  auto ch = TlsChannel(srv.target(), Pem("ca.pem"), Pem("erp.pem"), Pem("erp.key"));
  v1::Customer c;
  grpc::Status st = UpsertCustomer(ch, "acme", "", &c);
  ASSERT_TRUE(st.ok()) << st.error_message();
  auto audit = v1::AuditService::NewStub(ch);
  v1::ListEventsRequest req;
  req.set_parent("tenants/acme");
  v1::ListEventsResponse out;
  ASSERT_TRUE(audit->ListEvents(Ctx("").get(), req, &out).ok());
  ASSERT_EQ(out.events_size(), 1);
  EXPECT_EQ(out.events(0).actor(), "mtls:erp-connector.acme.internal");
}

TEST_F(TlsTest, ClientsWithoutAMappedTrustedCertificateAreRefused) {
  ProdServer srv;
  ASSERT_NO_FATAL_FAILURE(StartMtls(srv));
  // No client certificate: the handshake fails.
  EXPECT_EQ(UpsertCustomer(TlsChannel(srv.target(), Pem("ca.pem")), "acme").error_code(),
            grpc::StatusCode::UNAVAILABLE);
  // Same name, but signed by another CA: the handshake fails.
  EXPECT_EQ(UpsertCustomer(
                TlsChannel(srv.target(), Pem("ca.pem"), Pem("rogue.pem"), Pem("rogue.key")), "acme")
                .error_code(),
            grpc::StatusCode::UNAVAILABLE);
  // Trusted but not in the identity map.
  grpc::Status st = UpsertCustomer(
      TlsChannel(srv.target(), Pem("ca.pem"), Pem("stranger.pem"), Pem("stranger.key")), "acme");
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  // Mapped to acme, reaching beta.
  auto erp = TlsChannel(srv.target(), Pem("ca.pem"), Pem("erp.pem"), Pem("erp.key"));
  EXPECT_EQ(UpsertCustomer(erp, "beta").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // Matched by CN (no SAN), with a read-only grant: cannot write its own tenant.
  auto beta = TlsChannel(srv.target(), Pem("ca.pem"), Pem("cn-only.pem"), Pem("cn-only.key"));
  EXPECT_EQ(UpsertCustomer(beta, "beta").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // Plaintext to a TLS port fails.
  auto plain = grpc::CreateChannel(srv.target(), grpc::InsecureChannelCredentials());
  EXPECT_EQ(UpsertCustomer(plain, "acme").error_code(), grpc::StatusCode::UNAVAILABLE);
  // Nothing was written anywhere.
  int events = 0;
  for (const char* tenant : {"acme", "beta"}) {
    ASSERT_TRUE(srv.server()
                    .store()
                    .Run(tenant, store::TxMode::kRead,
                         [&](store::Transaction& tx) -> absl::Status {
                           auto docs = tx.ListDocs("customer", "", "", 10);
                           if (!docs.ok()) return docs.status();
                           events += static_cast<int>(docs->size());
                           return absl::OkStatus();
                         })
                    .ok());
  }
  EXPECT_EQ(events, 0);
}

TEST_F(TlsTest, TlsWithTokensAndCertificateReloadOnSighup) {
  ProdServer srv;
  srv.options().listen = "127.0.0.1:0";
  auto& p = srv.production_options();
  p.auth = "tokens";
  p.tls_cert = pki_.File("live.pem");
  p.tls_key = pki_.File("live.key");
  pki_.Write("live.pem", Pem("server.pem"));
  pki_.Write("live.key", Pem("server.key"));
  ASSERT_TRUE(srv.Start().ok());
  const std::string token = srv.Token("acme", auth::Scope::kWrite);
  EXPECT_TRUE(UpsertCustomer(TlsChannel(srv.target(), Pem("ca.pem")), "acme", token).ok());
  EXPECT_EQ(UpsertCustomer(TlsChannel(srv.target(), Pem("ca.pem")), "acme").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  // A broken pair (key of another certificate) is refused; the old one stays.
  pki_.Write("live.key", Pem("server2.key"));
  absl::Status bad = srv.production().Reload();
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument) << bad;
  EXPECT_TRUE(UpsertCustomer(TlsChannel(srv.target(), Pem("ca.pem")), "acme", token).ok());

  // The new certificate (another CA) is served after Reload().
  pki_.Write("live.pem", Pem("server2.pem"));
  ASSERT_TRUE(srv.production().Reload().ok());
  bool switched = false;
  for (int i = 0; i < 100 && !switched; ++i) {  // the watcher polls every second
    switched = UpsertCustomer(TlsChannel(srv.target(), Pem("other-ca.pem")), "acme", token).ok();
    if (!switched) absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_TRUE(switched);
  EXPECT_EQ(UpsertCustomer(TlsChannel(srv.target(), Pem("ca.pem")), "acme", token).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, BadConfigurationsAreRefusedAtStart) {
  {
    ProdServer srv;  // key does not match the certificate
    srv.options().listen = "127.0.0.1:0";
    srv.production_options().tls_cert = pki_.File("server.pem");
    srv.production_options().tls_key = pki_.File("erp.key");
    absl::Status st = srv.Start();
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(st.message().find("does not belong"), absl::string_view::npos) << st;
  }
  {
    ProdServer srv;  // mtls without a client CA
    srv.options().listen = "127.0.0.1:0";
    srv.production_options().auth = "mtls";
    srv.production_options().tls_cert = pki_.File("server.pem");
    srv.production_options().tls_key = pki_.File("server.key");
    srv.production_options().mtls_identities = pki_.File("identities.txt");
    EXPECT_EQ(srv.Start().code(), absl::StatusCode::kInvalidArgument);
  }
  {
    ProdServer srv;  // a malformed identity map names its line
    pki_.Write("bad-identities.txt", "erp acme write\nworker Beta read\n");
    srv.options().listen = "127.0.0.1:0";
    srv.production_options().auth = "mtls";
    srv.production_options().tls_cert = pki_.File("server.pem");
    srv.production_options().tls_key = pki_.File("server.key");
    srv.production_options().tls_client_ca = pki_.File("ca.pem");
    srv.production_options().mtls_identities = pki_.File("bad-identities.txt");
    absl::Status st = srv.Start();
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(st.message().find("line 2"), absl::string_view::npos) << st;
  }
  {
    ProdServer srv;  // TLS on a public address is fine without allow_insecure_remote
    srv.options().listen = "0.0.0.0:0";
    srv.production_options().auth = "tokens";
    srv.production_options().tls_cert = pki_.File("server.pem");
    srv.production_options().tls_key = pki_.File("server.key");
    EXPECT_TRUE(srv.Start().ok());
  }
}

}  // namespace
}  // namespace collections::testing
