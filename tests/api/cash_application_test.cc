// Cash application end to end: customers and invoices synced from
// the ERP, then a camt.053 statement parsed by the camt connector and synced
// without customers. Referenced payments are applied to the right invoices,
// the rest wait in CashApplicationService's review queue with suggestions; a
// re-import changes nothing; a reversal gives the invoice its balance back;
// applying a queued item is audited and a bad one writes nothing.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <fstream>
#include <vector>

#include "collections_sidecar/v1/cash.grpc.pb.h"
#include "connectors/camt/parse_camt.h"
#include "tests/api/cash_ledger_fixture.h"

namespace collections::testing {

namespace v1 = ::collections_sidecar::v1;
namespace {

class CashApplication : public CashLedger {
 protected:
  // Parses a camt fixture with the connector and syncs it in one chunk.
  v1::SyncLedgerResponse SyncStatement(const std::string& file) {
    return CashLedger::SyncStatement(
        std::string(CASH_TESTDATA) + "/" + file,
        [&](std::istream& in, const connectors::RecordSink& r, const connectors::IssueSink& i) {
          connectors::ParseOptions opts;
          opts.file_name = file;
          return connectors::ParseCamt(in, opts, r, i);
        });
  }

  grpc::Status Apply(const v1::ApplyUnappliedCashRequest& req, v1::UnappliedCash* out) {
    grpc::ClientContext ctx;
    return cash_->ApplyUnappliedCash(&ctx, req, out);
  }
};

TEST_F(CashApplication, ReferencedPaymentsAreAppliedAndTheRestQueued) {
  v1::SyncLedgerResponse resp = SyncStatement("cash_statement.xml");
  ASSERT_EQ(resp.outcomes_size(), 3);
  EXPECT_EQ(resp.created(), 3);
  EXPECT_EQ(resp.rejected(), 0);
  EXPECT_NE(resp.outcomes(0).name().find("/customers/C-1/payments/"), std::string::npos)
      << resp.outcomes(0).name();
  EXPECT_NE(resp.outcomes(1).name().find("/customers/C-2/payments/"), std::string::npos)
      << resp.outcomes(1).name();
  EXPECT_NE(resp.outcomes(2).name().find("tenants/acme/unappliedCash/"), std::string::npos)
      << resp.outcomes(2).name();

  // The RF reference settles INV-1001 and nothing else of Alpha's.
  EXPECT_EQ(Get(Inv("C-1", "INV-1001")).status(), v1::Invoice::PAID);
  EXPECT_EQ(Get(Inv("C-1", "INV-1002")).amount_due().minor_units(), 77700);
  // One payment, two invoices by referred documents.
  EXPECT_EQ(Get(Inv("C-2", "INV-2001")).status(), v1::Invoice::PAID);
  EXPECT_EQ(Get(Inv("C-2", "INV-2002")).status(), v1::Invoice::PAID);
  // The unreferenced payment is only suggested.
  EXPECT_EQ(Get(Inv("C-3", "INV-3001")).amount_due().minor_units(), 25000);
  v1::ListUnappliedCashResponse q = Queue();
  ASSERT_EQ(q.items_size(), 1);
  const v1::UnappliedCash& item = q.items(0);
  EXPECT_EQ(item.name(), resp.outcomes(2).name());
  EXPECT_EQ(item.status(), v1::UnappliedCash::OPEN);
  EXPECT_EQ(item.payment().amount().minor_units(), 25000);
  ASSERT_GE(item.suggestions_size(), 1);
  EXPECT_EQ(item.suggestions(0).customer(), "tenants/acme/customers/C-3");
  ASSERT_EQ(item.suggestions(0).allocations_size(), 1);
  EXPECT_EQ(item.suggestions(0).allocations(0).invoice(), Inv("C-3", "INV-3001"));
  EXPECT_GT(item.suggestions(0).confidence_bp(), 0);
  EXPECT_FALSE(item.suggestions(0).evidence().empty());

  // The same statement again changes nothing.
  const int events = srv_.EventCount();
  v1::SyncLedgerResponse again = SyncStatement("cash_statement.xml");
  EXPECT_EQ(again.unchanged(), 3);
  EXPECT_EQ(again.created() + again.updated(), 0);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(again.outcomes(i).name(), resp.outcomes(i).name());
  EXPECT_EQ(srv_.EventCount(), events);
  EXPECT_EQ(Queue().items_size(), 1);
}

TEST_F(CashApplication, ReversalRestoresTheInvoiceBalanceOnce) {
  SyncStatement("cash_statement.xml");
  ASSERT_EQ(Get(Inv("C-1", "INV-1001")).amount_due().minor_units(), 0);
  const int before = srv_.EventCount();
  v1::SyncLedgerResponse rev = SyncStatement("cash_reversal.xml");
  ASSERT_EQ(rev.outcomes_size(), 1);
  EXPECT_EQ(rev.created(), 1);
  EXPECT_NE(rev.outcomes(0).name().find("/customers/C-1/payments/"), std::string::npos);
  v1::Invoice inv = Get(Inv("C-1", "INV-1001"));
  EXPECT_EQ(inv.amount_due().minor_units(), 100000);
  EXPECT_EQ(inv.status(), v1::Invoice::OPEN);
  EXPECT_GT(srv_.EventCount(), before);  // payment.reversed (+ the status change)

  // The reversal again, and the original statement again: nothing moves.
  const int events = srv_.EventCount();
  EXPECT_EQ(SyncStatement("cash_reversal.xml").unchanged(), 1);
  EXPECT_EQ(SyncStatement("cash_statement.xml").unchanged(), 3);
  EXPECT_EQ(srv_.EventCount(), events);
  EXPECT_EQ(Get(Inv("C-1", "INV-1001")).amount_due().minor_units(), 100000);
}

TEST_F(CashApplication, ReversalOfAQueuedOrUnknownPaymentStaysInTheQueue) {
  SyncStatement("cash_statement.xml");
  const std::string queued = Queue().items(0).name();
  v1::SyncLedgerResponse rev = SyncStatement("cash_reversal_queued.xml");
  ASSERT_EQ(rev.outcomes_size(), 2);
  EXPECT_EQ(rev.created(), 2);
  // The queued item is closed as reversed; the unknown reversal is queued
  // for a person, and cannot be applied to a customer.
  EXPECT_EQ(rev.outcomes(0).name(), queued);
  v1::ListUnappliedCashResponse q = Queue();
  ASSERT_EQ(q.items_size(), 2);
  const v1::UnappliedCash* reversed = nullptr;
  const v1::UnappliedCash* unknown = nullptr;
  for (const auto& item : q.items()) (item.name() == queued ? reversed : unknown) = &item;
  ASSERT_NE(reversed, nullptr);
  ASSERT_NE(unknown, nullptr);
  EXPECT_EQ(reversed->status(), v1::UnappliedCash::REVERSED);
  EXPECT_EQ(unknown->name(), rev.outcomes(1).name());
  EXPECT_TRUE(unknown->payment().reversal());
  EXPECT_EQ(unknown->status(), v1::UnappliedCash::OPEN);
  EXPECT_FALSE(unknown->notes().empty());
  EXPECT_EQ(Get(Inv("C-3", "INV-3001")).amount_due().minor_units(), 25000);
  {
    grpc::ClientContext ctx;
    v1::ListUnappliedCashRequest open_only;
    open_only.set_parent(kTenant);
    open_only.set_status(v1::UnappliedCash::OPEN);
    v1::ListUnappliedCashResponse out;
    ASSERT_TRUE(cash_->ListUnappliedCash(&ctx, open_only, &out).ok());
    ASSERT_EQ(out.items_size(), 1);
    EXPECT_EQ(out.items(0).name(), unknown->name());
  }

  const int events = srv_.EventCount();
  v1::ApplyUnappliedCashRequest req;
  req.set_name(unknown->name());
  req.set_customer("tenants/acme/customers/C-3");
  v1::UnappliedCash out;
  grpc::Status st = Apply(req, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(st), "UNAPPLIED_CASH_IS_REVERSAL");
  EXPECT_EQ(SyncStatement("cash_reversal_queued.xml").unchanged(), 2);
  EXPECT_EQ(srv_.EventCount(), events);
}

TEST_F(CashApplication, ApplyingAQueuedItemRecordsThePaymentAndIsAudited) {
  SyncStatement("cash_statement.xml");
  const std::string item = Queue().items(0).name();
  const int events = srv_.EventCount();
  v1::ApplyUnappliedCashRequest req;
  req.set_name(item);
  req.set_customer("tenants/acme/customers/C-3");
  req.set_request_id("apply-1");
  v1::UnappliedCash out;
  grpc::Status st = Apply(req, &out);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(out.status(), v1::UnappliedCash::APPLIED);
  EXPECT_NE(out.applied_payment().find("/customers/C-3/payments/"), std::string::npos);
  EXPECT_EQ(Get(Inv("C-3", "INV-3001")).status(), v1::Invoice::PAID);  // the suggestion
  const int after = srv_.EventCount();
  EXPECT_GE(after, events + 2);  // payment.recorded + unapplied_cash.applied (+ status)

  // A replay answers the same and writes nothing; so does the statement.
  v1::UnappliedCash replay;
  ASSERT_TRUE(Apply(req, &replay).ok());
  EXPECT_EQ(replay.SerializeAsString(), out.SerializeAsString());
  EXPECT_EQ(SyncStatement("cash_statement.xml").unchanged(), 3);
  EXPECT_EQ(srv_.EventCount(), after);

  // Applying it again under a new request id is refused: it is not OPEN.
  req.set_request_id("apply-2");
  st = Apply(req, &replay);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(st), "UNAPPLIED_CASH_NOT_OPEN");
}

TEST_F(CashApplication, BadApplyWritesNothing) {
  SyncStatement("cash_statement.xml");
  const v1::UnappliedCash item = Queue().items(0);
  const int events = srv_.EventCount();
  v1::ApplyUnappliedCashRequest req;
  req.set_name(item.name());
  req.set_customer("tenants/acme/customers/C-3");
  req.set_request_id("apply-bad");
  auto* a = req.add_allocations();
  a->set_invoice(Inv("C-3", "INV-3001"));
  *a->mutable_amount() = M("EUR", 30000);  // more than the 250.00 received
  v1::UnappliedCash out;
  grpc::Status st = Apply(req, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(st), "PAYMENT_OVER_ALLOCATED");
  EXPECT_EQ(srv_.EventCount(), events);
  EXPECT_EQ(Get(Inv("C-3", "INV-3001")).amount_due().minor_units(), 25000);
  EXPECT_EQ(Queue().items(0).SerializeAsString(), item.SerializeAsString());

  // An unknown item, and a dismissal without a reason, write nothing either.
  req.clear_allocations();
  req.set_name("tenants/acme/unappliedCash/nope");
  st = Apply(req, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  grpc::ClientContext ctx;
  v1::DismissUnappliedCashRequest dis;
  dis.set_name(item.name());
  st = cash_->DismissUnappliedCash(&ctx, dis, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(srv_.EventCount(), events);

  // With a reason it is dismissed, audited, and stays dismissed on re-import.
  grpc::ClientContext ctx2;
  dis.set_reason("refund to sender");
  ASSERT_TRUE(cash_->DismissUnappliedCash(&ctx2, dis, &out).ok());
  EXPECT_EQ(out.status(), v1::UnappliedCash::DISMISSED);
  EXPECT_EQ(srv_.EventCount(), events + 1);
  EXPECT_EQ(SyncStatement("cash_statement.xml").unchanged(), 3);
  EXPECT_EQ(Queue().items(0).status(), v1::UnappliedCash::DISMISSED);
}

}  // namespace
}  // namespace collections::testing
