// The ledger of the cash-application tests (camt in tests/api, MT940 and OFX
// in tests/connectors): three customers with open invoices, synced the way
// an ERP connector syncs them, on a real in-process server. A test parses a
// bank statement with a connector's parser, syncs the customer-less
// payments, and checks what the server's cash application
// (service/app/cash_application.h) applied, suggested and queued.
#ifndef COLLECTIONS_TESTS_API_CASH_LEDGER_FIXTURE_H_
#define COLLECTIONS_TESTS_API_CASH_LEDGER_FIXTURE_H_

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "collections_sidecar/v1/cash.grpc.pb.h"
#include "connectors/common/records.h"
#include "tests/api/test_server.h"

namespace collections::testing {

namespace v1 = ::collections_sidecar::v1;

// A real in-process server with the ledger calls the connector tests need.
class InProcessLedger : public ::testing::Test {
 protected:
  static constexpr char kTenant[] = "tenants/acme";

  v1::SyncLedgerResponse Sync(const std::string& sync_id, const std::vector<v1::SyncRecord>& recs) {
    return SyncChunk(srv_, kTenant, sync_id, recs);
  }

  v1::Invoice Get(const std::string& name) {
    grpc::ClientContext ctx;
    v1::GetInvoiceRequest req;
    req.set_name(name);
    v1::Invoice out;
    grpc::Status st = srv_.ledger().GetInvoice(&ctx, req, &out);
    EXPECT_TRUE(st.ok()) << name << ": " << st.error_message();
    return out;
  }
  TestServer srv_;
};

class CashLedger : public InProcessLedger {
 protected:
  static constexpr char kRf[] = "RF18539007547034";

  static std::string Inv(const std::string& customer, const std::string& number) {
    return "tenants/acme/customers/" + customer + "/invoices/" + number;
  }

  // C-1 Alpha GmbH: INV-1001 1000.00 (asks for RF18 5390 0754 7034),
  //                 INV-1002 777.00
  // C-2 Beta Ltd:   INV-2001 300.00, INV-2002 200.00
  // C-3 Gamma SA:   INV-3001 250.00
  // All EUR, issued 2026-10-01, due 2026-10-31.
  void SetUp() override {
    cash_ = v1::CashApplicationService::NewStub(srv_.channel());
    std::vector<v1::SyncRecord> recs;
    auto customer = [&](const char* id, const char* name) {
      v1::SyncRecord r;
      *r.mutable_customer() = MakeCustomer(id, name);
      recs.push_back(r);
    };
    auto invoice = [&](const char* cust, const char* number, int64_t total, const char* ref) {
      v1::SyncRecord r;
      *r.mutable_invoice() = MakeInvoice(number, D(2026, 10, 1), D(2026, 10, 31), "EUR", total);
      r.mutable_invoice()->set_payment_reference(ref);
      r.set_customer_ref(cust);
      recs.push_back(r);
    };
    customer("C-1", "Alpha GmbH");
    customer("C-2", "Beta Ltd");
    customer("C-3", "Gamma SA");
    invoice("C-1", "INV-1001", 100000, kRf);
    invoice("C-1", "INV-1002", 77700, "");
    invoice("C-2", "INV-2001", 30000, "");
    invoice("C-2", "INV-2002", 20000, "");
    invoice("C-3", "INV-3001", 25000, "");
    v1::SyncLedgerResponse resp = Sync("erp-1", recs);
    ASSERT_EQ(resp.created(), 8);
  }

  // Parses `path` with `parse` (the records.h signature without options)
  // and syncs the payments in one chunk; every record must be customer-less.
  template <typename ParseFn>
  v1::SyncLedgerResponse SyncStatement(const std::string& path, ParseFn parse) {
    std::ifstream in(path, std::ios::binary);
    EXPECT_TRUE(in.good()) << path;
    std::vector<v1::SyncRecord> recs;
    absl::Status st = parse(
        in, [&](connectors::ParsedRecord r) { recs.push_back(r.record); },
        [&](connectors::ParseIssue issue) { ADD_FAILURE() << issue.ToString(); });
    EXPECT_TRUE(st.ok()) << st;
    for (const auto& r : recs) EXPECT_TRUE(r.customer_ref().empty());
    return Sync("bank-" + path, recs);
  }

  int64_t Due(const std::string& customer, const std::string& number) {
    return Get(Inv(customer, number)).amount_due().minor_units();
  }

  v1::ListUnappliedCashResponse Queue() {
    grpc::ClientContext ctx;
    v1::ListUnappliedCashRequest req;
    req.set_parent(kTenant);
    v1::ListUnappliedCashResponse out;
    grpc::Status st = cash_->ListUnappliedCash(&ctx, req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out;
  }

  std::unique_ptr<v1::CashApplicationService::Stub> cash_;
};

}  // namespace collections::testing

#endif  // COLLECTIONS_TESTS_API_CASH_LEDGER_FIXTURE_H_
