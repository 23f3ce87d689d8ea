// A connector in watch mode with a wrong token, end
// to end: the real collections-iif executable against a real server with
// --auth=tokens on 127.0.0.1. The file used to go to failed/ and was never
// retried; now it stays in processing/ and goes through once the connector
// runs with a valid token. (The backoff itself is tested in
// connector_runtime_unit_test, Watch.CredentialFailuresAreRetriedWithBackoffAndBadContentFails.)
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/api/prod_support.h"
#include "tests/reliability/daemon_process.h"

namespace collections::testing {

namespace v1 = ::collections_sidecar::v1;
namespace {

namespace fs = std::filesystem;

constexpr char kIif[] =
    "!CUST\tNAME\tCOMPANYNAME\tEMAIL\n"
    "CUST\tAnn Buyer\tAnn Buyer Ltd\tann@example.com\n"
    "!TRNS\tTRNSID\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tDOCNUM\tMEMO\tDUEDATE\n"
    "!SPL\tSPLID\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tDOCNUM\tMEMO\tQNTY\tPRICE\tINVITEM\n"
    "!ENDTRNS\n"
    "TRNS\t\tINVOICE\t03/01/2026\tAccounts Receivable\tAnn Buyer\t100.00\tA-1\t\t03/31/2026\n"
    "SPL\t\tINVOICE\t03/01/2026\tServices\t\t-100.00\tA-1\tWork\t\t\t\n"
    "ENDTRNS\n";

int Customers(ProdServer& srv, const std::string& token) {
  auto stub = v1::LedgerService::NewStub(srv.channel());
  v1::ListCustomersRequest req;
  req.set_parent("tenants/acme");
  v1::ListCustomersResponse out;
  EXPECT_TRUE(stub->ListCustomers(Ctx(token).get(), req, &out).ok());
  return out.customers_size();
}

TEST(WatchCredentials, AWrongTokenLeavesTheFileForARetryAndAFixedTokenSyncsIt) {
  ProdServer srv;
  srv.options().listen = "127.0.0.1:0";
  srv.production_options().auth = "tokens";
  ASSERT_TRUE(srv.Start().ok());
  const std::string good = srv.Token("acme", auth::Scope::kWrite);
  const std::string other_tenant = srv.Token("beta", auth::Scope::kWrite);
  const std::string inbox = srv.dir().File("inbox");
  fs::create_directories(inbox);
  srv.dir().Write("inbox/export.iif", kIif);
  auto watch_once = [&](const std::string& token, const std::string& log) {
    return RunToEnd(COLLECTIONS_IIF_BIN,
                    {"--server=" + srv.target(), "--tenant=acme", "--watch=" + inbox, "--once",
                     "--settle=0", "--progress=never", "--token=" + token},
                    srv.dir().File(log));
  };

  // A wrong token, then a valid token of another tenant: refused, retried later.
  std::string forged = good;
  forged.back() = forged.back() == '0' ? '1' : '0';
  for (const std::string& token : {forged, other_tenant}) {
    const Exit e = watch_once(token, "refused.log");
    const std::string log = ReadAll(srv.dir().File("refused.log"));
    EXPECT_EQ(e.signal, 0) << log;
    EXPECT_EQ(e.code, 3) << log;  // kExitServerRefused
    EXPECT_TRUE(fs::exists(inbox + "/processing/export.iif")) << log;
    EXPECT_FALSE(fs::exists(inbox + "/failed/export.iif")) << log;
    EXPECT_NE(log.find("retrying in"), std::string::npos) << log;
  }
  EXPECT_EQ(Customers(srv, good), 0);

  // The operator fixes the token: the waiting file goes through.
  const Exit e = watch_once(good, "fixed.log");
  const std::string log = ReadAll(srv.dir().File("fixed.log"));
  EXPECT_EQ(e.code, 0) << log;
  EXPECT_TRUE(fs::exists(inbox + "/done/export.iif")) << log;
  EXPECT_FALSE(fs::exists(inbox + "/processing/export.iif")) << log;
  EXPECT_EQ(Customers(srv, good), 1);
}

}  // namespace
}  // namespace collections::testing
