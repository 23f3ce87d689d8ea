// ArrangementService end to end, through a real gRPC server on a real SQLite
// file: promises decided by payments, a plan that defaults back onto the
// ladder, a settlement refused below the floor and closed by a credit note
// once paid, statutory late fees raised as fee invoices, a dispute, a
// write-off and its reversal, an agency referral, idempotency and bad input
// (the error AND nothing written).
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "collections_sidecar/v1/arrangements.grpc.pb.h"
#include "tests/api/test_server.h"

namespace collections::testing {

namespace v1 = ::collections_sidecar::v1;
namespace {

const char kTenant[] = "tenants/acme";

class ArrangementsE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    arr_ = v1::ArrangementService::NewStub(srv_.channel());
    v1::Customer c = MakeCustomer("c1", "Northwind Traders Ltd");
    c.set_country_code("GB");
    grpc::ClientContext ctx;
    v1::UpsertCustomerRequest req;
    req.set_parent(kTenant);
    *req.mutable_customer() = c;
    v1::Customer out;
    ASSERT_TRUE(srv_.ledger().UpsertCustomer(&ctx, req, &out).ok());
    customer_ = out.name();
    // INV-1: GBP 5,000.00 due 2026-09-15 under the UK Late Payment Act.
    v1::Invoice inv1 = MakeInvoice("INV-1", D(2026, 8, 16), D(2026, 9, 15), "GBP", 500000);
    inv1.mutable_terms()->mutable_late_fee()->set_kind(v1::LateFeeTerms::STATUTORY);
    inv1.mutable_terms()->mutable_late_fee()->set_statutory_pack("UK_LATE_PAYMENT_1998");
    auto* line = inv1.add_lines();
    line->set_line_id("L1");
    line->set_description("consulting");
    *line->mutable_amount() = M("GBP", 500000);
    inv1_ = Upsert(inv1);
    // INV-2: GBP 1,200.00 due 2026-10-31, no late-fee clause.
    v1::Invoice inv2 = MakeInvoice("INV-2", D(2026, 10, 1), D(2026, 10, 31), "GBP", 120000);
    inv2.mutable_terms()->mutable_late_fee()->set_kind(v1::LateFeeTerms::NONE);
    inv2_ = Upsert(inv2);
  }

  std::string Upsert(const v1::Invoice& inv) {
    grpc::ClientContext ctx;
    v1::UpsertInvoiceRequest req;
    req.set_parent(customer_);
    *req.mutable_invoice() = inv;
    v1::Invoice out;
    grpc::Status st = srv_.ledger().UpsertInvoice(&ctx, req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out.name();
  }
  void Pay(const std::string& id, int64_t amount, v1::Date day, const std::string& invoice = "") {
    grpc::ClientContext ctx;
    v1::RecordPaymentRequest req;
    req.set_parent(customer_);
    *req.mutable_payment() = MakePayment(id, "GBP", amount, day);
    if (!invoice.empty()) {
      auto* a = req.mutable_payment()->add_allocations();
      a->set_invoice(invoice);
      *a->mutable_amount() = M("GBP", amount);
    }
    v1::Payment out;
    grpc::Status st = srv_.ledger().RecordPayment(&ctx, req, &out);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  v1::Invoice GetInvoice(const std::string& name) {
    grpc::ClientContext ctx;
    v1::GetInvoiceRequest req;
    req.set_name(name);
    v1::Invoice out;
    EXPECT_TRUE(srv_.ledger().GetInvoice(&ctx, req, &out).ok());
    return out;
  }
  void SetDay(int y, int m, int d) {
    srv_.clock().Set(absl::FromCivil(absl::CivilSecond(y, m, d, 12, 0, 0), absl::UTCTimeZone()));
  }
  v1::RefreshArrangementsResponse Refresh() {
    grpc::ClientContext ctx;
    v1::RefreshArrangementsRequest req;
    req.set_customer(customer_);
    v1::RefreshArrangementsResponse out;
    grpc::Status st = arr_->RefreshArrangements(&ctx, req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out;
  }

  TestServer srv_;
  std::unique_ptr<v1::ArrangementService::Stub> arr_;
  std::string customer_, inv1_, inv2_;
};

TEST_F(ArrangementsE2E, PromiseIsDecidedByPaymentsAndRecorded) {
  grpc::ClientContext ctx;
  v1::RecordPromiseRequest req;
  req.set_parent(customer_);
  req.set_request_id("ptp-1");
  auto* p = req.mutable_promise();
  *p->mutable_amount() = M("GBP", 100000);
  *p->mutable_promised_date() = D(2026, 11, 25);
  p->set_channel(v1::PromiseToPay::PHONE);
  p->set_promised_by("Ana Ortiz");
  p->add_invoices(inv1_);
  v1::PromiseToPay made;
  grpc::Status st = arr_->RecordPromise(&ctx, req, &made);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(made.status(), v1::PromiseToPay::PENDING);
  EXPECT_EQ(made.grace_days(), 3);
  EXPECT_EQ(made.grace_end().day(), 28);

  // A replay returns the first answer and writes nothing.
  const int events = srv_.EventCount();
  grpc::ClientContext again;
  v1::PromiseToPay replay;
  ASSERT_TRUE(arr_->RecordPromise(&again, req, &replay).ok());
  EXPECT_EQ(replay.name(), made.name());
  EXPECT_EQ(srv_.EventCount(), events);

  // Half paid by the grace end: partly kept.
  SetDay(2026, 11, 30);
  Pay("p1", 50000, D(2026, 11, 24), inv1_);
  v1::RefreshArrangementsResponse changed = Refresh();
  ASSERT_EQ(changed.changed_size(), 1);
  EXPECT_EQ(changed.changed(0).promise().status(), v1::PromiseToPay::PARTLY_KEPT);
  EXPECT_EQ(changed.changed(0).promise().amount_paid().minor_units(), 50000);
  EXPECT_EQ(Refresh().changed_size(), 0);  // decided once

  grpc::ClientContext lctx;
  v1::ListPromisesRequest lreq;
  lreq.set_parent(customer_);
  v1::ListPromisesResponse list;
  ASSERT_TRUE(arr_->ListPromises(&lctx, lreq, &list).ok());
  ASSERT_EQ(list.promises_size(), 1);
  EXPECT_EQ(list.promises(0).status(), v1::PromiseToPay::PARTLY_KEPT);
}

TEST_F(ArrangementsE2E, BadPromiseIsRefusedAndNothingIsWritten) {
  const int events = srv_.EventCount();
  grpc::ClientContext ctx;
  v1::RecordPromiseRequest req;
  req.set_parent(customer_);
  auto* p = req.mutable_promise();
  *p->mutable_amount() = M("GBP", 0);
  *p->mutable_promised_date() = D(2026, 11, 25);
  p->set_channel(v1::PromiseToPay::PHONE);
  p->set_promised_by("Ana Ortiz");
  v1::PromiseToPay out;
  grpc::Status st = arr_->RecordPromise(&ctx, req, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldOf(st), "promise.amount.minor_units");
  EXPECT_EQ(srv_.EventCount(), events);

  *p->mutable_amount() = M("GBP", 100);
  *p->mutable_promised_date() = D(2026, 11, 1);  // in the past
  grpc::ClientContext ctx2;
  st = arr_->RecordPromise(&ctx2, req, &out);
  EXPECT_EQ(ReasonOf(st), "INVALID_PROMISE");
  EXPECT_EQ(srv_.EventCount(), events);
}

TEST_F(ArrangementsE2E, PlanWithAMissedInstallmentDefaultsBackOntoTheLadder) {
  grpc::ClientContext ctx;
  v1::ProposePaymentPlanRequest req;
  req.set_parent(customer_);
  req.add_invoices(inv2_);
  req.set_installments(3);
  *req.mutable_first_due_date() = D(2026, 12, 1);
  v1::PaymentPlan plan;
  grpc::Status st = arr_->ProposePaymentPlan(&ctx, req, &plan);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(plan.state(), v1::PaymentPlan::PROPOSED);
  ASSERT_EQ(plan.installments_size(), 3);
  EXPECT_EQ(plan.installments(0).amount().minor_units(), 40000);
  EXPECT_EQ(plan.installments(2).due_date().month(), 2);

  grpc::ClientContext actx;
  v1::AcceptPaymentPlanRequest areq;
  areq.set_name(plan.name());
  ASSERT_TRUE(arr_->AcceptPaymentPlan(&actx, areq, &plan).ok());
  EXPECT_EQ(plan.state(), v1::PaymentPlan::ACTIVE);

  // The first installment is paid; the second (2027-01-01) is not.
  SetDay(2026, 12, 1);
  Pay("p-inst-1", 40000, D(2026, 12, 1), inv2_);
  SetDay(2027, 1, 10);  // past grace (5 days): a reminder, still active
  grpc::ClientContext gctx;
  v1::GetPaymentPlanRequest greq;
  greq.set_name(plan.name());
  ASSERT_TRUE(arr_->GetPaymentPlan(&gctx, greq, &plan).ok());
  EXPECT_TRUE(plan.in_arrears());
  EXPECT_EQ(plan.next_action(), v1::PaymentPlan::REMINDER);
  EXPECT_EQ(plan.installments(0).status(), v1::PlanInstallment::PAID);
  EXPECT_EQ(plan.installments(1).status(), v1::PlanInstallment::MISSED);

  SetDay(2027, 1, 25);  // past grace + cure (14 days): default
  v1::RefreshArrangementsResponse changed = Refresh();
  ASSERT_EQ(changed.changed_size(), 1);
  const v1::PaymentPlan& defaulted = changed.changed(0).plan();
  EXPECT_EQ(defaulted.state(), v1::PaymentPlan::DEFAULTED);
  EXPECT_EQ(defaulted.remaining().minor_units(), 80000);
  // The balance is back on the invoice, collectible by the ladder.
  EXPECT_EQ(GetInvoice(inv2_).amount_due().minor_units(), 80000);
}

TEST_F(ArrangementsE2E, SettlementRefusedBelowTheFloorAndClosedByACreditNoteOncePaid) {
  const int events = srv_.EventCount();
  grpc::ClientContext ctx;
  v1::ProposeSettlementRequest req;
  req.set_parent(customer_);
  req.add_invoices(inv2_);
  *req.mutable_amount() = M("GBP", 60000);  // 50% of 1,200.00: below the 70% floor
  v1::Settlement s;
  grpc::Status st = arr_->ProposeSettlement(&ctx, req, &s);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(st), "SETTLEMENT_BELOW_MARGIN_FLOOR");
  EXPECT_EQ(srv_.EventCount(), events);

  // Without an amount the offer is the smallest worth accepting.
  grpc::ClientContext ctx2;
  req.clear_amount();
  st = arr_->ProposeSettlement(&ctx2, req, &s);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(s.state(), v1::Settlement::PROPOSED);
  // Default policy: floor 70%, max discount 25% -> at least 900.00; the
  // default internal estimate (60% in 60 days) is worth less.
  EXPECT_EQ(s.amount().minor_units(), 90000);
  EXPECT_EQ(s.discount().minor_units(), 30000);
  EXPECT_EQ(s.figures().alternatives_size(), 3);
  EXPECT_FALSE(s.figures().reasons().empty());

  grpc::ClientContext actx;
  v1::AcceptSettlementRequest areq;
  areq.set_name(s.name());
  ASSERT_TRUE(arr_->AcceptSettlement(&actx, areq, &s).ok());
  EXPECT_EQ(s.state(), v1::Settlement::ACCEPTED);

  SetDay(2026, 11, 25);
  Pay("p-lump", 90000, D(2026, 11, 24), inv2_);
  v1::RefreshArrangementsResponse changed = Refresh();
  ASSERT_EQ(changed.changed_size(), 1);
  const v1::Settlement& paid = changed.changed(0).settlement();
  EXPECT_EQ(paid.state(), v1::Settlement::PAID);
  ASSERT_FALSE(paid.credit_note().empty());
  const v1::Invoice inv = GetInvoice(inv2_);
  EXPECT_EQ(inv.status(), v1::Invoice::PAID);
  EXPECT_EQ(inv.amount_credited().minor_units(), 30000);

  grpc::ClientContext cctx;
  v1::GetCreditNoteRequest creq;
  creq.set_name(paid.credit_note());
  v1::CreditNote cn;
  ASSERT_TRUE(srv_.ledger().GetCreditNote(&cctx, creq, &cn).ok());
  EXPECT_EQ(cn.external_ref().source_system(), "collections");  // exported by connectors
  EXPECT_EQ(cn.amount().minor_units(), 30000);
}

// INV-1 (GBP 5,000.00, due 2026-09-15) on 2026-11-20: statutory interest
// from 2026-09-16 = 66 days. Interest starts in July-December 2026, so the
// reference rate is the Bank of England rate on 30 June 2026 (3.75% in the
// built-in table) + 8% = 11.75%: 500,000 x 1175 x 66 / 3,650,000 =
// 10,623.29 -> 10,623p. Compensation for a debt of GBP 1,000-9,999.99: 70.00.
TEST_F(ArrangementsE2E, LateFeesOnlyWhereTheTermsAllowThemRaisedAsFeeInvoices) {
  grpc::ClientContext ctx;
  v1::AssessFeesRequest req;
  req.set_customer(customer_);
  v1::AssessFeesResponse assessed;
  ASSERT_TRUE(arr_->AssessFees(&ctx, req, &assessed).ok());
  ASSERT_EQ(assessed.fees_size(), 2);
  for (const auto& f : assessed.fees()) EXPECT_EQ(f.invoice(), inv1_);
  ASSERT_EQ(assessed.skipped_size(), 1);  // INV-2 has no clause
  EXPECT_NE(assessed.skipped(0).find("no late-fee"), std::string::npos) << assessed.skipped(0);

  grpc::ClientContext actx;
  v1::ApplyLateFeesRequest areq;
  areq.set_customer(customer_);
  areq.set_request_id("fees-2026-11-20");
  v1::ApplyLateFeesResponse raised;
  grpc::Status st = arr_->ApplyLateFees(&actx, areq, &raised);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(raised.fees_size(), 2);
  int64_t interest = 0, compensation = 0;
  for (const auto& f : raised.fees()) {
    EXPECT_TRUE(f.export_pending());
    const v1::Invoice fee_invoice = GetInvoice(f.fee_invoice());
    EXPECT_EQ(fee_invoice.external_ref().source_system(), "collections");
    EXPECT_EQ(fee_invoice.amount_due().minor_units(), f.amount().minor_units());
    if (f.kind() == v1::Fee::STATUTORY_INTEREST) interest = f.amount().minor_units();
    if (f.kind() == v1::Fee::STATUTORY_COMPENSATION) compensation = f.amount().minor_units();
  }
  EXPECT_EQ(interest, 10623);
  EXPECT_EQ(compensation, 7000);

  // Applying again the same day raises nothing new.
  grpc::ClientContext actx2;
  areq.set_request_id("fees-2026-11-20-again");
  ASSERT_TRUE(arr_->ApplyLateFees(&actx2, areq, &raised).ok());
  EXPECT_EQ(raised.fees_size(), 0);
}

TEST_F(ArrangementsE2E, DisputePausesFeesUntilRejected) {
  grpc::ClientContext ctx;
  v1::OpenDisputeRequest req;
  req.set_parent(customer_);
  req.mutable_dispute()->set_invoice(inv1_);
  req.mutable_dispute()->set_line_id("L1");
  req.mutable_dispute()->set_reason(v1::Dispute::QUALITY);
  req.mutable_dispute()->set_owner("maria@acme.example");
  v1::Dispute d;
  grpc::Status st = arr_->OpenDispute(&ctx, req, &d);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(d.state(), v1::Dispute::OPEN);
  EXPECT_EQ(d.amount().minor_units(), 500000);

  grpc::ClientContext fctx;
  v1::AssessFeesRequest freq;
  freq.set_customer(customer_);
  v1::AssessFeesResponse fees;
  ASSERT_TRUE(arr_->AssessFees(&fctx, freq, &fees).ok());
  EXPECT_EQ(fees.fees_size(), 0);  // collection of INV-1 is paused

  grpc::ClientContext rctx;
  v1::ResolveDisputeRequest rreq;
  rreq.set_name(d.name());
  rreq.set_outcome(v1::Dispute::REJECTED);
  rreq.set_resolved_by("maria@acme.example");
  ASSERT_TRUE(arr_->ResolveDispute(&rctx, rreq, &d).ok());
  EXPECT_EQ(d.state(), v1::Dispute::RESOLVED);
  EXPECT_EQ(d.outcome(), v1::Dispute::REJECTED);

  grpc::ClientContext fctx2;
  ASSERT_TRUE(arr_->AssessFees(&fctx2, freq, &fees).ok());
  EXPECT_EQ(fees.fees_size(), 2);  // resumed
}

TEST_F(ArrangementsE2E, WriteOffAndItsReversal) {
  grpc::ClientContext ctx;
  v1::WriteOffRequest req;
  req.set_parent(customer_);
  auto* item = req.mutable_write_off()->add_items();
  item->set_invoice(inv2_);
  req.mutable_write_off()->set_reason(v1::WriteOff::UNECONOMIC);
  v1::WriteOff w;
  grpc::Status st = arr_->WriteOff(&ctx, req, &w);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(w.items(0).amount().minor_units(), 120000);
  v1::Invoice inv = GetInvoice(inv2_);
  EXPECT_EQ(inv.status(), v1::Invoice::WRITTEN_OFF);
  EXPECT_EQ(inv.amount_written_off().minor_units(), 120000);
  grpc::ClientContext sctx;
  v1::GetAccountSummaryRequest sreq;
  sreq.set_customer(customer_);
  v1::AccountSummary summary;
  ASSERT_TRUE(srv_.ledger().GetAccountSummary(&sctx, sreq, &summary).ok());
  EXPECT_EQ(summary.arrangements().write_offs_size(), 1);
  // INV-1 is still open: the account as a whole stays in internal collection.
  EXPECT_EQ(summary.arrangements().end_state(), v1::AccountArrangements::INTERNAL);

  grpc::ClientContext rctx;
  v1::ReverseWriteOffRequest rreq;
  rreq.set_name(w.name());
  rreq.set_reason("customer paid after all");
  ASSERT_TRUE(arr_->ReverseWriteOff(&rctx, rreq, &w).ok());
  EXPECT_TRUE(w.reversed());
  inv = GetInvoice(inv2_);
  EXPECT_EQ(inv.status(), v1::Invoice::OPEN);
  EXPECT_EQ(inv.amount_due().minor_units(), 120000);

  grpc::ClientContext r2;
  st = arr_->ReverseWriteOff(&r2, rreq, &w);
  EXPECT_EQ(ReasonOf(st), "WRITE_OFF_REVERSED");

  // Both steps are in the invoice's and the write-off's audit trail.
  grpc::ClientContext ectx;
  v1::ListEventsRequest ereq;
  ereq.set_parent(kTenant);
  ereq.set_resource(w.name());
  v1::ListEventsResponse events;
  ASSERT_TRUE(srv_.audit().ListEvents(&ectx, ereq, &events).ok());
  ASSERT_EQ(events.events_size(), 2);
  EXPECT_EQ(events.events(0).type(), "write_off.recorded");
  EXPECT_EQ(events.events(1).type(), "write_off.reversed");
}

TEST_F(ArrangementsE2E, AgencyReferralRecordsCollectionsNetOfCommission) {
  grpc::ClientContext ctx;
  v1::ReferToAgencyRequest req;
  req.set_parent(customer_);
  req.mutable_referral()->set_party("Acme Recovery Ltd");
  req.mutable_referral()->set_commission_bp(2500);
  req.mutable_referral()->add_invoices(inv1_);
  v1::Referral r;
  grpc::Status st = arr_->ReferToAgency(&ctx, req, &r);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(r.state(), v1::Referral::ACTIVE);
  EXPECT_EQ(r.referred_amount().minor_units(), 500000);

  grpc::ClientContext dup;
  EXPECT_EQ(ReasonOf(arr_->ReferToAgency(&dup, req, &r)), "REFERRAL_ACTIVE");

  grpc::ClientContext cctx;
  v1::RecordAgencyCollectionRequest creq;
  creq.set_name(r.name());
  *creq.mutable_gross() = M("GBP", 123457);
  *creq.mutable_collected_date() = D(2026, 11, 20);
  ASSERT_TRUE(arr_->RecordAgencyCollection(&cctx, creq, &r).ok());
  ASSERT_EQ(r.collections_size(), 1);
  EXPECT_EQ(r.collections(0).commission().minor_units(), 30864);
  EXPECT_EQ(r.collected_net().minor_units(), 92593);
  EXPECT_EQ(GetInvoice(inv1_).amount_due().minor_units(), 500000 - 123457);

  // The account summary shows the end state.
  grpc::ClientContext sctx;
  v1::GetAccountSummaryRequest sreq;
  sreq.set_customer(customer_);
  v1::AccountSummary summary;
  ASSERT_TRUE(srv_.ledger().GetAccountSummary(&sctx, sreq, &summary).ok());
  EXPECT_EQ(summary.arrangements().end_state(), v1::AccountArrangements::AT_AGENCY);
  EXPECT_EQ(summary.arrangements().referral().name(), r.name());

  grpc::ClientContext rctx;
  v1::RecallReferralRequest rreq;
  rreq.set_name(r.name());
  rreq.set_reason("customer asked to deal with us directly");
  ASSERT_TRUE(arr_->RecallReferral(&rctx, rreq, &r).ok());
  EXPECT_EQ(r.state(), v1::Referral::RECALLED);

  grpc::ClientContext lctx;
  v1::ListArrangementsRequest lreq;
  lreq.set_parent(customer_);
  lreq.add_kinds("referral");
  v1::ListArrangementsResponse list;
  ASSERT_TRUE(arr_->ListArrangements(&lctx, lreq, &list).ok());
  ASSERT_EQ(list.arrangements_size(), 1);
  EXPECT_EQ(list.arrangements(0).referral().state(), v1::Referral::RECALLED);
}

}  // namespace
}  // namespace collections::testing
