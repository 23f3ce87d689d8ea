// Cases that a bulk sync deferred (cases_app.h: a write touching more than
// 16 customers marks their cases stale instead of moving them) are current
// for every reader right after the sync. The background refresher is off
// here, so only the readers' own catch-up can move them: GetCase, ListCases,
// ListWorkQueue, ExportCaseFile and a dry RunCollections each see what the
// ledger says, and a rebuild from the ledger then changes nothing.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "collections_sidecar/v1/cases.grpc.pb.h"
#include "collections_sidecar/v1/recovery.grpc.pb.h"
#include "tests/api/test_server.h"

namespace collections::testing {

namespace v1 = ::collections_sidecar::v1;
namespace {

const char kTenant[] = "tenants/acme";
constexpr int kCustomers = 40;  // more than the 16 a write moves inline

absl::Time Noon(int y, int m, int d) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, 12, 0, 0), absl::UTCTimeZone());
}

class DeferredCases : public ::testing::Test {
 protected:
  DeferredCases()
      : srv_(Noon(2026, 11, 20), "", nullptr,
             [](server::ServerOptions& o) { o.refresh_deferred_cases = false; }),
        cases_(v1::CaseService::NewStub(srv_.channel())),
        recovery_(v1::RecoveryService::NewStub(srv_.channel())) {}

  // One chunk: kCustomers customers, customer i with one invoice of
  // 1,000 + i EUR due 2026-10-01 (50 days overdue on 2026-11-20). Returns
  // the customers' resource names by index.
  std::vector<std::string> SyncOverdueLedger() {
    std::vector<v1::SyncRecord> recs;
    for (int i = 0; i < kCustomers; ++i) {
      v1::SyncRecord c;
      *c.mutable_customer() =
          MakeCustomer(absl::StrFormat("C%03d", i), absl::StrFormat("Debtor %d", i));
      recs.push_back(c);
      v1::SyncRecord inv;
      *inv.mutable_invoice() = MakeInvoice(absl::StrFormat("INV-%03d", i), D(2026, 9, 1),
                                           D(2026, 10, 1), "EUR", (1000 + i) * 100);
      inv.set_customer_ref(absl::StrFormat("C%03d", i));
      recs.push_back(inv);
    }
    const v1::SyncLedgerResponse resp = SyncChunk(srv_, kTenant, "overdue", recs);
    EXPECT_EQ(resp.rejected(), 0);
    std::vector<std::string> names(kCustomers);
    for (const v1::RecordOutcome& o : resp.outcomes()) {
      if (o.record_index() % 2 == 0) names[o.record_index() / 2] = o.name();
    }
    return names;
  }

  // Full payments from the even-numbered customers, one chunk.
  void SyncPaymentsOfEvenCustomers() {
    std::vector<v1::SyncRecord> recs;
    for (int i = 0; i < kCustomers; i += 2) {
      v1::SyncRecord p;
      *p.mutable_payment() =
          MakePayment(absl::StrFormat("PAY-%03d", i), "EUR", (1000 + i) * 100, D(2026, 11, 19));
      // A bank payment names the ERP's customer as "source_system/id".
      p.set_customer_ref(absl::StrFormat("erp/C%03d", i));
      recs.push_back(p);
    }
    const v1::SyncLedgerResponse resp = SyncChunk(srv_, kTenant, "payments", recs);
    EXPECT_EQ(resp.rejected(), 0) << resp.DebugString();
  }

  v1::Case GetCase(const std::string& customer) {
    grpc::ClientContext ctx;
    v1::GetCaseRequest req;
    req.set_name(customer + "/case");
    v1::Case out;
    const grpc::Status st = cases_->GetCase(&ctx, req, &out);
    EXPECT_TRUE(st.ok()) << customer << ": " << st.error_message();
    return out;
  }

  // Every case with something overdue, by customer: its overdue minor units.
  std::map<std::string, int64_t> OverdueCases() {
    std::map<std::string, int64_t> out;
    std::string token;
    do {
      grpc::ClientContext ctx;
      v1::ListCasesRequest req;
      req.set_parent(kTenant);
      req.set_overdue_only(true);
      req.set_page_size(7);
      req.set_page_token(token);
      v1::ListCasesResponse resp;
      const grpc::Status st = cases_->ListCases(&ctx, req, &resp);
      EXPECT_TRUE(st.ok()) << st.error_message();
      if (!st.ok()) break;
      for (const v1::Case& c : resp.cases()) {
        int64_t sum = 0;
        for (const v1::Money& m : c.overdue()) sum += m.minor_units();
        out[c.customer()] = sum;
      }
      token = resp.next_page_token();
    } while (!token.empty());
    return out;
  }

  std::map<std::string, int64_t> WorkQueue() {
    std::map<std::string, int64_t> out;
    grpc::ClientContext ctx;
    v1::ListWorkQueueRequest req;
    req.set_parent(kTenant);
    req.set_page_size(100);
    v1::ListWorkQueueResponse resp;
    const grpc::Status st = recovery_->ListWorkQueue(&ctx, req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    for (const v1::WorkQueueItem& item : resp.items()) {
      int64_t sum = 0;
      for (const v1::Money& m : item.overdue()) sum += m.minor_units();
      out[item.customer()] = sum;
    }
    return out;
  }

  TestServer srv_;
  std::unique_ptr<v1::CaseService::Stub> cases_;
  std::unique_ptr<v1::RecoveryService::Stub> recovery_;
};

TEST_F(DeferredCases, GetCaseRightAfterABulkSyncShowsTheSyncedDebt) {
  const std::vector<std::string> customers = SyncOverdueLedger();
  for (int i : {0, 7, kCustomers - 1}) {
    const v1::Case c = GetCase(customers[i]);
    EXPECT_EQ(c.state(), v1::Case::ACTIVE) << customers[i];
    ASSERT_EQ(c.overdue_size(), 1) << customers[i];
    EXPECT_EQ(c.overdue(0).minor_units(), (1000 + i) * 100);
    EXPECT_EQ(c.overdue(0).currency_code(), "EUR");
    EXPECT_EQ(c.oldest_days_past_due(), 50);
  }

  SyncPaymentsOfEvenCustomers();
  const v1::Case paid = GetCase(customers[8]);
  EXPECT_EQ(paid.overdue_size(), 0) << paid.DebugString();
  EXPECT_NE(paid.state(), v1::Case::ACTIVE);
  const v1::Case unpaid = GetCase(customers[9]);
  ASSERT_EQ(unpaid.overdue_size(), 1);
  EXPECT_EQ(unpaid.overdue(0).minor_units(), 1009 * 100);
}

// The case file's CASE section and its JSON "case" are the case moved by
// the file's own catch-up, in the same read as the ledger it shows.
TEST_F(DeferredCases, CaseFileRightAfterABulkSyncShowsTheCurrentCase) {
  const std::vector<std::string> customers = SyncOverdueLedger();
  SyncPaymentsOfEvenCustomers();
  for (int i : {4, 5}) {
    grpc::ClientContext ctx;
    v1::ExportCaseFileRequest req;
    req.set_customer(customers[i]);
    v1::ExportCaseFileResponse out;
    const grpc::Status st = recovery_->ExportCaseFile(&ctx, req, &out);
    ASSERT_TRUE(st.ok()) << st.error_message();
    const v1::Case stored = GetCase(customers[i]);
    // The case as GetCase returns it, and the file's own view of it.
    EXPECT_NE(out.text().find(absl::StrCat("\nCASE\n  ", v1::Case::State_Name(stored.state()))),
              std::string::npos)
        << out.text();
    if (i % 2 == 0) {
      EXPECT_EQ(stored.overdue_size(), 0) << stored.DebugString();
    } else {
      ASSERT_EQ(stored.overdue_size(), 1);
      EXPECT_EQ(stored.state(), v1::Case::ACTIVE);
    }
    EXPECT_NE(out.json().find("\"case\":"), std::string::npos);
  }
}

TEST_F(DeferredCases, ListsRightAfterABulkSyncHoldEveryOverdueAccount) {
  const std::vector<std::string> customers = SyncOverdueLedger();
  std::map<std::string, int64_t> expected;
  for (int i = 0; i < kCustomers; ++i) expected[customers[i]] = (1000 + i) * 100;
  EXPECT_EQ(OverdueCases(), expected);
  EXPECT_EQ(WorkQueue(), expected);

  SyncPaymentsOfEvenCustomers();
  for (int i = 0; i < kCustomers; i += 2) expected.erase(customers[i]);
  // The queue first this time: the first reader after the sync catches up.
  EXPECT_EQ(WorkQueue(), expected);
  EXPECT_EQ(OverdueCases(), expected);
}

TEST_F(DeferredCases, DailyRunAndRebuildAfterABulkSyncAgreeWithTheLedger) {
  SyncOverdueLedger();
  SyncPaymentsOfEvenCustomers();
  {
    grpc::ClientContext ctx;
    v1::RunCollectionsRequest req;
    req.set_parent(kTenant);
    req.set_dry_run(true);
    v1::RunCollectionsResponse resp;
    const grpc::Status st = recovery_->RunCollections(&ctx, req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
    // Only the odd customers still owe, and each is due its first step.
    EXPECT_EQ(resp.evaluated(), kCustomers / 2) << resp.DebugString();
  }
  grpc::ClientContext ctx;
  v1::RebuildCasesRequest req;
  req.set_parent(kTenant);
  req.set_verify_only(true);
  v1::RebuildCasesResponse resp;
  const grpc::Status st = cases_->RebuildCases(&ctx, req, &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(resp.rebuilt(), kCustomers);
  EXPECT_EQ(resp.changed(), 0) << resp.DebugString();
}

}  // namespace
}  // namespace collections::testing
