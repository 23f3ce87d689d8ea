// The amount ceiling through the API's entry points, and aggregates that
// cannot overflow. INT64_MAX used to be accepted by
// RecordPayment and SyncLedger; the tenant's aging report then failed with
// INTERNAL "sqlite step: integer overflow" and the account summary showed a
// wrapped negative balance.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>

#include <climits>
#include <string>

#include "absl/strings/str_cat.h"
#include "collections_sidecar/v1/recovery.grpc.pb.h"
#include "service/domain/amount_limits.h"
#include "tests/api/test_server.h"

namespace collections::testing {

namespace v1 = ::collections_sidecar::v1;
namespace {

constexpr char kTenant[] = "tenants/acme";
constexpr int64_t kEurCeiling = 100'000'000'000'000;  // 10^12 EUR in cents

class AmountCeiling : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ClientContext ctx;
    v1::UpsertCustomerRequest req;
    req.set_parent(kTenant);
    *req.mutable_customer() = MakeCustomer("C-1", "Big Spender");
    ASSERT_TRUE(srv_.ledger().UpsertCustomer(&ctx, req, &customer_).ok());
  }
  void TearDown() override {
    ASSERT_TRUE(domain::SetMaxDocumentMajorUnits(domain::kDefaultMaxDocumentMajorUnits).ok());
  }

  grpc::Status Pay(int64_t amount) {
    grpc::ClientContext ctx;
    v1::RecordPaymentRequest req;
    req.set_parent(customer_.name());
    *req.mutable_payment() =
        MakePayment(absl::StrCat("TX-", amount), "EUR", amount, D(2026, 11, 1));
    v1::Payment out;
    return srv_.ledger().RecordPayment(&ctx, req, &out);
  }
  grpc::Status Invoice(int64_t total, const std::string& number) {
    grpc::ClientContext ctx;
    v1::UpsertInvoiceRequest req;
    req.set_parent(customer_.name());
    *req.mutable_invoice() = MakeInvoice(number, D(2026, 8, 1), D(2026, 8, 31), "EUR", total);
    v1::Invoice out;
    return srv_.ledger().UpsertInvoice(&ctx, req, &out);
  }
  // Syncs `records` as one chunk of a new run.
  v1::SyncLedgerResponse Sync(const std::vector<v1::SyncRecord>& records, const std::string& id) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::SyncLedgerResponse out;
    auto writer = srv_.ledger().SyncLedger(&ctx, &out);
    for (size_t first = 0; first < records.size(); first += 1000) {
      v1::SyncLedgerRequest chunk;
      chunk.set_parent(kTenant);
      chunk.set_sync_id(id);
      chunk.set_chunk_index(static_cast<int64_t>(first / 1000));
      for (size_t i = first; i < std::min(records.size(), first + 1000); ++i) {
        *chunk.add_records() = records[i];
      }
      writer->Write(chunk);
    }
    writer->WritesDone();
    const grpc::Status st = writer->Finish();
    EXPECT_TRUE(st.ok()) << st.error_code() << " " << st.error_message();
    return out;
  }

  TestServer srv_;
  v1::Customer customer_;
};

TEST_F(AmountCeiling, EveryEntryPointRefusesAnAmountAboveTheCeilingAndWritesNothing) {
  const int events = srv_.EventCount();
  for (int64_t amount : {kEurCeiling + 1, INT64_MAX}) {
    SCOPED_TRACE(amount);
    grpc::Status st = Pay(amount);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(ReasonOf(st), "AMOUNT_TOO_LARGE");
    EXPECT_EQ(FieldOf(st), "payment.amount.minor_units");

    st = Invoice(amount, "INV-BIG");
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(ReasonOf(st), "AMOUNT_TOO_LARGE");
    EXPECT_EQ(FieldOf(st), "invoice.total.minor_units");

    v1::SyncRecord r;
    *r.mutable_invoice() = MakeInvoice("INV-SYNC", D(2026, 8, 1), D(2026, 8, 31), "EUR", amount);
    r.set_customer_ref("C-1");
    v1::SyncLedgerResponse resp = Sync({r}, absl::StrCat("sync-", amount % 1000));
    EXPECT_EQ(resp.rejected(), 1);
    ASSERT_EQ(resp.outcomes_size(), 1);
    EXPECT_EQ(resp.outcomes(0).reason(), "AMOUNT_TOO_LARGE");
    EXPECT_NE(resp.outcomes(0).field().find("invoice.total.minor_units"), std::string::npos)
        << resp.outcomes(0).field();
  }
  EXPECT_EQ(srv_.EventCount(), events);
  // The ceiling itself is accepted.
  EXPECT_TRUE(Pay(kEurCeiling).ok());
  EXPECT_TRUE(Invoice(kEurCeiling, "INV-MAX").ok());
}

TEST_F(AmountCeiling, TheCeilingIsConfigurable) {
  ASSERT_TRUE(domain::SetMaxDocumentMajorUnits(1000).ok());  // EUR 1,000.00
  EXPECT_TRUE(Pay(100000).ok());
  grpc::Status st = Pay(100001);
  EXPECT_EQ(ReasonOf(st), "AMOUNT_TOO_LARGE");
  EXPECT_NE(st.error_message().find("EUR 1,000.00"), std::string::npos) << st.error_message();
}

// Sums past int64 fail cleanly with OUT_OF_RANGE AMOUNT_SUM_OVERFLOW, no SQL
// text and no wrapped figure. With the largest configurable ceiling (10^14
// EUR = 10^16 cents per invoice), 1,000 invoices exceed 2^63 cents.
TEST_F(AmountCeiling, SumsPastInt64FailCleanlyInsteadOfWrappingOrLeakingSql) {
  ASSERT_TRUE(domain::SetMaxDocumentMajorUnits(domain::kLargestMaxDocumentMajorUnits).ok());
  std::vector<v1::SyncRecord> records;
  for (int i = 0; i < 1000; ++i) {
    v1::SyncRecord r;
    *r.mutable_invoice() = MakeInvoice(absl::StrCat("INV-", i), D(2026, 8, 1), D(2026, 8, 31),
                                       "EUR", 10'000'000'000'000'000);
    r.set_customer_ref("C-1");
    records.push_back(r);
  }
  ASSERT_EQ(Sync(records, "huge").rejected(), 0);

  grpc::ClientContext a;
  v1::GetAgingReportRequest aging_req;
  aging_req.set_parent(kTenant);
  v1::AgingReport report;
  grpc::Status st = srv_.ledger().GetAgingReport(&a, aging_req, &report);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::OUT_OF_RANGE) << st.error_message();
  EXPECT_EQ(ReasonOf(st), "AMOUNT_SUM_OVERFLOW");
  EXPECT_EQ(st.error_message().find("sqlite"), std::string::npos) << st.error_message();
  EXPECT_EQ(st.error_message().find("SELECT"), std::string::npos) << st.error_message();

  grpc::ClientContext s;
  v1::GetAccountSummaryRequest summary_req;
  summary_req.set_customer(customer_.name());
  v1::AccountSummary summary;
  st = srv_.ledger().GetAccountSummary(&s, summary_req, &summary);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::OUT_OF_RANGE) << st.error_message();
  EXPECT_EQ(ReasonOf(st), "AMOUNT_SUM_OVERFLOW");

  // The recovery engine loads the same account: refused as a whole
  // (AccountAmountsFit) instead of recommending on a wrapped balance.
  auto recovery = v1::RecoveryService::NewStub(srv_.channel());
  grpc::ClientContext r;
  v1::GetRecommendationRequest rec_req;
  rec_req.set_customer(customer_.name());
  *rec_req.mutable_as_of() = D(2026, 11, 20);
  v1::Recommendation rec;
  st = recovery->GetRecommendation(&r, rec_req, &rec);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::OUT_OF_RANGE) << st.error_message();
  EXPECT_EQ(ReasonOf(st), "AMOUNT_SUM_OVERFLOW");
  EXPECT_NE(st.error_message().find("EUR amounts of customer"), std::string::npos)
      << st.error_message();
}

}  // namespace
}  // namespace collections::testing
