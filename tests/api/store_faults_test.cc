// What a client sees when the database fails under a call: UNAVAILABLE
// (retry the call), and nothing of the call left behind: neither the writes
// it made before the failure, nor its audit event, nor its request_id, so
// that the retry applies it exactly once. The store is a real SQLite store
// inside a store::FaultyStore.
#include <gtest/gtest.h>

#include <memory>

#include "service/store/faulty_store.h"
#include "tests/api/test_server.h"

namespace collections::testing {

namespace v1 = ::collections_sidecar::v1;
namespace {

const absl::Time kNow =
    absl::FromCivil(absl::CivilSecond(2026, 11, 20, 12, 0, 0), absl::UTCTimeZone());

// A test server over a FaultyStore; `faulty` points at it.
std::unique_ptr<TestServer> FaultyServer(store::FaultyStore** faulty) {
  return std::make_unique<TestServer>(kNow, "", [faulty](std::unique_ptr<store::Store> inner) {
    auto f = std::make_unique<store::FaultyStore>(std::move(inner));
    *faulty = f.get();
    return f;
  });
}

int InvoiceCount(TestServer& srv, const std::string& customer) {
  grpc::ClientContext ctx;
  v1::ListInvoicesRequest req;
  req.set_parent(customer);
  v1::ListInvoicesResponse resp;
  grpc::Status st = srv.ledger().ListInvoices(&ctx, req, &resp);
  EXPECT_TRUE(st.ok()) << st.error_message();
  return resp.invoices_size();
}

TEST(StoreFaults, WriteFailingHalfWayAnswersUnavailableAndWritesNothing) {
  store::FaultyStore* faulty = nullptr;
  auto srv = FaultyServer(&faulty);
  ASSERT_NE(faulty, nullptr);
  const std::string customer = SeedCustomer(*srv, MakeCustomer("C-1", "Ada Ltd"));
  const int events = srv->EventCount();

  v1::UpsertInvoiceRequest req;
  req.set_parent(customer);
  req.set_request_id("upsert-inv-1");
  *req.mutable_invoice() = MakeInvoice("INV-1", D(2026, 10, 1), D(2026, 10, 31), "EUR", 12000);

  // The call's first write goes through; the next one finds the disk gone.
  faulty->FailWrites(absl::UnavailableError("injected: the database went away"), /*after=*/1);
  {
    grpc::ClientContext ctx;
    v1::Invoice out;
    grpc::Status st = srv->ledger().UpsertInvoice(&ctx, req, &out);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE) << st.error_message();
  }
  EXPECT_GE(faulty->faults(), 1);
  faulty->Heal();
  EXPECT_EQ(InvoiceCount(*srv, customer), 0);
  EXPECT_EQ(srv->EventCount(), events);

  // The retry with the same request_id is applied, once.
  {
    grpc::ClientContext ctx;
    v1::Invoice out;
    grpc::Status st = srv->ledger().UpsertInvoice(&ctx, req, &out);
    ASSERT_TRUE(st.ok()) << st.error_message();
    EXPECT_EQ(out.number(), "INV-1");
  }
  EXPECT_EQ(InvoiceCount(*srv, customer), 1);
  EXPECT_GT(srv->EventCount(), events);
}

TEST(StoreFaults, LostConnectionAnswersUnavailableForReadsAndWrites) {
  store::FaultyStore* faulty = nullptr;
  auto srv = FaultyServer(&faulty);
  ASSERT_NE(faulty, nullptr);
  const std::string customer = SeedCustomer(*srv, MakeCustomer("C-1", "Ada Ltd"));
  const int events = srv->EventCount();

  faulty->FailTransactions(absl::UnavailableError("injected: connection refused"));
  {
    grpc::ClientContext ctx;
    v1::GetCustomerRequest req;
    req.set_name(customer);
    v1::Customer out;
    grpc::Status st = srv->ledger().GetCustomer(&ctx, req, &out);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE) << st.error_message();
  }
  {
    grpc::ClientContext ctx;
    v1::UpsertCustomerRequest req;
    req.set_parent("tenants/acme");
    *req.mutable_customer() = MakeCustomer("C-2", "Grace plc");
    v1::Customer out;
    grpc::Status st = srv->ledger().UpsertCustomer(&ctx, req, &out);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE) << st.error_message();
  }
  EXPECT_GE(faulty->faults(), 2);
  faulty->Heal();
  EXPECT_EQ(srv->EventCount(), events);
  grpc::ClientContext ctx;
  v1::ListCustomersRequest req;
  req.set_parent("tenants/acme");
  v1::ListCustomersResponse resp;
  ASSERT_TRUE(srv->ledger().ListCustomers(&ctx, req, &resp).ok());
  EXPECT_EQ(resp.customers_size(), 1);
}

}  // namespace
}  // namespace collections::testing
