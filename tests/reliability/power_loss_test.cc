// Power loss under the SQLite store: every payment
// the API acknowledged is on disk after a power cut at any point.
//
// The store runs over power_cut_vfs, which keeps of each file only what was
// synced. After each acknowledged RecordPayment the test "cuts the power"
// (copies the durable images to a fresh folder), reopens that copy as a new
// server and looks for every payment acknowledged so far.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "collections_sidecar/v1/ledger.grpc.pb.h"
#include "service/server/server.h"
#include "tests/api/prod_support.h"
#include "tests/api/test_server.h"
#include "tests/reliability/power_cut_vfs.h"

namespace collections::testing {

namespace v1 = ::collections_sidecar::v1;
namespace {

constexpr int kPayments = 12;

std::unique_ptr<server::Server> StartOn(const std::string& store_uri) {
  server::ServerOptions o;
  o.listen = "";
  o.store_uri = store_uri;
  o.workers = 2;
  o.log_requests = false;
  auto s = server::Server::Start(o);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *std::move(s) : nullptr;
}

// The payments (by external id) that a server started on `db` holds.
int PaymentsFound(const std::string& db, const std::string& customer,
                  const std::vector<std::string>& names) {
  std::unique_ptr<server::Server> s = StartOn("sqlite:" + db);
  if (s == nullptr) return -1;
  auto stub = v1::LedgerService::NewStub(s->InProcessChannel());
  int found = 0;
  for (const std::string& name : names) {
    grpc::ClientContext ctx;
    v1::GetPaymentRequest req;
    req.set_name(name);
    v1::Payment p;
    if (stub->GetPayment(&ctx, req, &p).ok()) ++found;
  }
  s->Shutdown(absl::Seconds(1));
  return found;
}

struct Outcome {
  int acknowledged = 0;
  int lost_worst = 0;  // most acknowledged payments missing after one cut
};

// Records kPayments payments on `uri` (a store on dir/ledger.db); after each
// acknowledgement cuts the power and counts what survived.
Outcome RecordAndCut(const TempDir& dir, const std::string& uri) {
  Outcome out;
  std::unique_ptr<server::Server> s = StartOn(uri);
  if (s == nullptr) return out;
  auto stub = v1::LedgerService::NewStub(s->InProcessChannel());
  v1::Customer c;
  {
    grpc::ClientContext ctx;
    v1::UpsertCustomerRequest req;
    req.set_parent("tenants/acme");
    *req.mutable_customer() = MakeCustomer("C-1", "Power Cut Ltd");
    EXPECT_TRUE(stub->UpsertCustomer(&ctx, req, &c).ok());
  }
  std::vector<std::string> acknowledged;
  for (int i = 0; i < kPayments; ++i) {
    grpc::ClientContext ctx;
    v1::RecordPaymentRequest req;
    req.set_parent(c.name());
    *req.mutable_payment() = MakePayment(absl::StrCat("TX-", i), "EUR", 1000 + i, D(2026, 11, 1));
    req.set_request_id(absl::StrCat("pay-", i));
    v1::Payment p;
    if (!stub->RecordPayment(&ctx, req, &p).ok()) continue;
    acknowledged.push_back(p.name());
    const std::string after_cut = dir.File(absl::StrCat("cut-", i, ".db"));
    EXPECT_TRUE(PowerCut(dir.File("ledger.db"), after_cut).ok());
    const int found = PaymentsFound(after_cut, c.name(), acknowledged);
    out.lost_worst = std::max(out.lost_worst, static_cast<int>(acknowledged.size()) - found);
  }
  out.acknowledged = static_cast<int>(acknowledged.size());
  s->Shutdown(absl::Seconds(1));
  return out;
}

TEST(PowerLoss, EveryAcknowledgedPaymentSurvivesACutAtAnyPoint) {
  InstallPowerCutVfs();
  TempDir dir;
  const int syncs_before = SyncCount();
  const Outcome o = RecordAndCut(dir, "sqlite:" + dir.File("ledger.db"));
  EXPECT_EQ(o.acknowledged, kPayments);
  EXPECT_EQ(o.lost_worst, 0);
  // synchronous=FULL: at least one sync per acknowledged write.
  EXPECT_GE(SyncCount() - syncs_before, kPayments);
}

// The model has teeth: with synchronous=NORMAL (the old default) a cut
// loses payments the client was told are stored.
TEST(PowerLoss, SynchronousNormalLosesAcknowledgedPayments) {
  InstallPowerCutVfs();
  TempDir dir;
  const Outcome o = RecordAndCut(dir, "sqlite:" + dir.File("ledger.db") + "?synchronous=normal");
  EXPECT_EQ(o.acknowledged, kPayments);
  EXPECT_GT(o.lost_worst, 0);
}

}  // namespace
}  // namespace collections::testing
