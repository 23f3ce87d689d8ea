// LedgerService and AuditService end to end, through a real gRPC server on a
// real SQLite file: upserts, allocation, summaries, aging, SyncLedger replay
// safety, request_id idempotency, every bad-input class (error AND nothing
// written), and WatchEvents.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>

#include <thread>

#include "tests/api/test_server.h"

namespace collections::testing {

namespace v1 = ::collections_sidecar::v1;
namespace {

const char kTenant[] = "tenants/acme";

class LedgerE2E : public ::testing::Test {
 protected:
  v1::Customer Upsert(const v1::Customer& c) {
    grpc::ClientContext ctx;
    v1::UpsertCustomerRequest req;
    req.set_parent(kTenant);
    *req.mutable_customer() = c;
    v1::Customer out;
    grpc::Status st = srv_.ledger().UpsertCustomer(&ctx, req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out;
  }
  grpc::Status UpsertInvoice(const std::string& customer, const v1::Invoice& inv, v1::Invoice* out,
                             const std::string& request_id = "") {
    grpc::ClientContext ctx;
    v1::UpsertInvoiceRequest req;
    req.set_parent(customer);
    *req.mutable_invoice() = inv;
    req.set_request_id(request_id);
    return srv_.ledger().UpsertInvoice(&ctx, req, out);
  }
  grpc::Status Pay(const std::string& customer, const v1::Payment& p, v1::Payment* out,
                   const std::string& request_id = "") {
    grpc::ClientContext ctx;
    v1::RecordPaymentRequest req;
    req.set_parent(customer);
    *req.mutable_payment() = p;
    req.set_request_id(request_id);
    return srv_.ledger().RecordPayment(&ctx, req, out);
  }
  v1::Invoice Get(const std::string& name) {
    grpc::ClientContext ctx;
    v1::GetInvoiceRequest req;
    req.set_name(name);
    v1::Invoice out;
    EXPECT_TRUE(srv_.ledger().GetInvoice(&ctx, req, &out).ok());
    return out;
  }
  v1::AccountSummary Summary(const std::string& customer, v1::Date as_of) {
    grpc::ClientContext ctx;
    v1::GetAccountSummaryRequest req;
    req.set_customer(customer);
    *req.mutable_as_of() = as_of;
    v1::AccountSummary out;
    grpc::Status st = srv_.ledger().GetAccountSummary(&ctx, req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out;
  }
  // A snapshot of everything the tenant holds, to prove nothing changed.
  std::string LedgerDump() {
    std::string dump;
    grpc::ClientContext ctx;
    v1::ListInvoicesRequest req;
    req.set_parent(kTenant);
    req.set_page_size(1000);
    v1::ListInvoicesResponse resp;
    EXPECT_TRUE(srv_.ledger().ListInvoices(&ctx, req, &resp).ok());
    dump += resp.SerializeAsString();
    grpc::ClientContext ctx2;
    v1::ListCustomersRequest creq;
    creq.set_parent(kTenant);
    creq.set_page_size(1000);
    v1::ListCustomersResponse cresp;
    EXPECT_TRUE(srv_.ledger().ListCustomers(&ctx2, creq, &cresp).ok());
    dump += cresp.SerializeAsString();
    return dump;
  }

  TestServer srv_;
};

TEST_F(LedgerE2E, InvoiceLifecycleAndDefaultAllocation) {
  v1::Customer c = Upsert(MakeCustomer("C-1", "Ortiz Bakery"));
  EXPECT_EQ(c.name(), "tenants/acme/customers/C-1");
  v1::Invoice a, b;
  ASSERT_TRUE(UpsertInvoice(c.name(),
                            MakeInvoice("INV-1", D(2026, 8, 1), D(2026, 8, 31), "EUR", 100000), &a)
                  .ok());
  ASSERT_TRUE(
      UpsertInvoice(c.name(), MakeInvoice("INV-2", D(2026, 9, 1), D(2026, 10, 1), "EUR", 50000), &b)
          .ok());
  EXPECT_EQ(a.status(), v1::Invoice::OPEN);
  EXPECT_EQ(a.amount_due().minor_units(), 100000);

  // 1,200.00 paid without allocations: oldest due first, rest unapplied.
  v1::Payment p;
  ASSERT_TRUE(Pay(c.name(), MakePayment("TX-1", "EUR", 120000, D(2026, 10, 5)), &p).ok());
  ASSERT_EQ(p.allocations_size(), 2);
  EXPECT_EQ(p.allocations(0).invoice(), a.name());
  EXPECT_EQ(p.allocations(0).amount().minor_units(), 100000);
  EXPECT_EQ(p.allocations(1).amount().minor_units(), 20000);
  EXPECT_EQ(p.unapplied().minor_units(), 0);
  EXPECT_EQ(Get(a.name()).status(), v1::Invoice::PAID);
  v1::Invoice b2 = Get(b.name());
  EXPECT_EQ(b2.status(), v1::Invoice::PARTIALLY_PAID);
  EXPECT_EQ(b2.amount_due().minor_units(), 30000);
  EXPECT_EQ(Get(a.name()).paid_date().day(), 5);

  // Overpayment stays as unapplied customer credit.
  v1::Payment p2;
  ASSERT_TRUE(Pay(c.name(), MakePayment("TX-2", "EUR", 40000, D(2026, 10, 20)), &p2).ok());
  EXPECT_EQ(p2.unapplied().minor_units(), 10000);

  v1::AccountSummary s = Summary(c.name(), D(2026, 11, 20));
  ASSERT_EQ(s.positions_size(), 1);
  EXPECT_EQ(s.positions(0).balance().minor_units(), 0);
  EXPECT_EQ(s.positions(0).unapplied_credit().minor_units(), 10000);
  EXPECT_EQ(s.payment_history().invoices_paid(), 2);
  EXPECT_EQ(s.payment_history().last_payment_date().day(), 20);
  // INV-1 was paid 35 days late, INV-2 19 days late.
  EXPECT_EQ(s.payment_history().worst_days_late(), 35);
  EXPECT_EQ(s.payment_history().paid_late_bp(), 10000);

  // As of a day before the first payment, both invoices were open.
  v1::AccountSummary before = Summary(c.name(), D(2026, 10, 4));
  EXPECT_EQ(before.positions(0).balance().minor_units(), 150000);
  EXPECT_EQ(before.positions(0).overdue().minor_units(), 150000);
  EXPECT_EQ(before.oldest_days_past_due(), 34);
  EXPECT_EQ(before.positions(0).buckets(2).amount().minor_units(), 100000);  // 31-60
  EXPECT_EQ(before.positions(0).buckets(1).amount().minor_units(), 50000);   // 1-30
}

TEST_F(LedgerE2E, AgingReportReconcilesPerCurrencyAndPages) {
  int64_t eur_total = 0, usd_total = 0;
  for (int i = 0; i < 5; ++i) {
    v1::Customer c =
        Upsert(MakeCustomer("C-" + std::to_string(i), "Customer " + std::to_string(i)));
    for (int j = 0; j < 3; ++j) {
      const std::string ccy = (i + j) % 2 ? "USD" : "EUR";
      const int64_t amount = 1000 * (i + 1) + j;
      v1::Invoice inv;
      ASSERT_TRUE(UpsertInvoice(c.name(),
                                MakeInvoice("I-" + std::to_string(i) + "-" + std::to_string(j),
                                            D(2026, 6, 1), D(2026, 6 + j * 2, 10), ccy, amount),
                                &inv)
                      .ok());
      (ccy == "EUR" ? eur_total : usd_total) += amount;
    }
  }
  v1::GetAgingReportRequest req;
  req.set_parent(kTenant);
  *req.mutable_as_of() = D(2026, 11, 20);
  req.set_page_size(3);
  int64_t eur_rows = 0, usd_rows = 0;
  int pages = 0;
  v1::AgingReport first;
  do {
    grpc::ClientContext ctx;
    v1::AgingReport rep;
    ASSERT_TRUE(srv_.ledger().GetAgingReport(&ctx, req, &rep).ok());
    if (pages == 0) first = rep;
    for (const auto& row : rep.rows()) {
      int64_t sum = 0;
      for (const auto& b : row.buckets()) sum += b.amount().minor_units();
      EXPECT_EQ(sum, row.total().minor_units());
      EXPECT_FALSE(row.display_name().empty());
      (row.currency_code() == "EUR" ? eur_rows : usd_rows) += row.total().minor_units();
    }
    req.set_page_token(rep.next_page_token());
    ++pages;
  } while (!req.page_token().empty());
  EXPECT_GT(pages, 1);
  EXPECT_EQ(eur_rows, eur_total);
  EXPECT_EQ(usd_rows, usd_total);
  ASSERT_EQ(first.currency_totals_size(), 2);
  for (const auto& t : first.currency_totals()) {
    EXPECT_EQ(t.total().minor_units(), t.currency_code() == "EUR" ? eur_total : usd_total);
  }
  // Grouped by currency: one row per currency.
  grpc::ClientContext ctx;
  v1::GetAgingReportRequest by_ccy;
  by_ccy.set_parent(kTenant);
  *by_ccy.mutable_as_of() = D(2026, 11, 20);
  by_ccy.set_group_by(v1::GetAgingReportRequest::CURRENCY);
  v1::AgingReport rep;
  ASSERT_TRUE(srv_.ledger().GetAgingReport(&ctx, by_ccy, &rep).ok());
  ASSERT_EQ(rep.rows_size(), 2);
  EXPECT_TRUE(rep.rows(0).customer().empty());
}

// ---------------------------------------------------------------- bad input

struct BadCase {
  const char* name;
  grpc::StatusCode code;
  const char* reason;
  const char* field;  // substring of the first field violation ("" = none)
};

TEST_F(LedgerE2E, EveryBadInputIsRefusedAndWritesNothing) {
  v1::Customer c = Upsert(MakeCustomer("C-1", "Ortiz Bakery"));
  v1::Invoice eur;
  ASSERT_TRUE(UpsertInvoice(c.name(),
                            MakeInvoice("INV-1", D(2026, 8, 1), D(2026, 8, 31), "EUR", 10000), &eur)
                  .ok());
  const int events = srv_.EventCount();
  const std::string dump = LedgerDump();

  auto check = [&](const BadCase& bc, const grpc::Status& st) {
    SCOPED_TRACE(bc.name);
    EXPECT_EQ(st.error_code(), bc.code) << st.error_message();
    EXPECT_EQ(ReasonOf(st), bc.reason) << st.error_message();
    EXPECT_NE(FieldOf(st).find(bc.field), std::string::npos) << FieldOf(st);
    EXPECT_EQ(srv_.EventCount(), events);
    EXPECT_EQ(LedgerDump(), dump);
  };

  {  // A payment in another currency than its invoice.
    v1::Payment p = MakePayment("TX-USD", "USD", 5000, D(2026, 9, 1));
    auto* a = p.add_allocations();
    a->set_invoice(eur.name());
    *a->mutable_amount() = M("USD", 5000);
    v1::Payment out;
    check({"currency", grpc::StatusCode::INVALID_ARGUMENT, "PAYMENT_CURRENCY_MISMATCH",
           "allocations[0]"},
          Pay(c.name(), p, &out));
  }
  {  // A due date before the issue date.
    v1::Invoice out;
    check({"due<issue", grpc::StatusCode::INVALID_ARGUMENT, "INVOICE_DUE_BEFORE_ISSUE",
           "invoice.due_date"},
          UpsertInvoice(c.name(), MakeInvoice("INV-X", D(2026, 8, 10), D(2026, 8, 1), "EUR", 100),
                        &out));
  }
  {  // A negative invoice total.
    v1::Invoice out;
    check(
        {"negative", grpc::StatusCode::INVALID_ARGUMENT, "INVOICE_NEGATIVE_TOTAL", "invoice.total"},
        UpsertInvoice(c.name(), MakeInvoice("INV-N", D(2026, 8, 1), D(2026, 8, 31), "EUR", -100),
                      &out));
  }
  {  // A payment over-allocated: allocations above the payment amount.
    v1::Payment p = MakePayment("TX-O", "EUR", 1000, D(2026, 9, 1));
    auto* a = p.add_allocations();
    a->set_invoice(eur.name());
    *a->mutable_amount() = M("EUR", 2000);
    v1::Payment out;
    check({"over-allocated payment", grpc::StatusCode::INVALID_ARGUMENT, "PAYMENT_OVER_ALLOCATED",
           "allocations[0]"},
          Pay(c.name(), p, &out));
  }
  {  // An allocation above the invoice's amount due.
    v1::Payment p = MakePayment("TX-O2", "EUR", 50000, D(2026, 9, 1));
    auto* a = p.add_allocations();
    a->set_invoice(eur.name());
    *a->mutable_amount() = M("EUR", 20000);
    v1::Payment out;
    check({"over-allocated invoice", grpc::StatusCode::INVALID_ARGUMENT, "INVOICE_OVER_ALLOCATED",
           "allocations[0]"},
          Pay(c.name(), p, &out));
  }
  {  // An unknown customer.
    v1::Invoice out;
    check({"unknown customer", grpc::StatusCode::NOT_FOUND, "CUSTOMER_NOT_FOUND", ""},
          UpsertInvoice("tenants/acme/customers/nobody",
                        MakeInvoice("INV-U", D(2026, 8, 1), D(2026, 8, 31), "EUR", 100), &out));
  }
  {  // A malformed tenant.
    v1::Invoice out;
    check({"bad tenant", grpc::StatusCode::INVALID_ARGUMENT, "INVALID_RESOURCE_NAME", "parent"},
          UpsertInvoice("tenants/ACME!/customers/C-1",
                        MakeInvoice("INV-T", D(2026, 8, 1), D(2026, 8, 31), "EUR", 100), &out));
    grpc::ClientContext ctx;
    v1::GetInvoiceRequest req;
    req.set_name("tenants/acme/customers/C-1/bills/INV-1");
    check({"bad name", grpc::StatusCode::INVALID_ARGUMENT, "INVALID_RESOURCE_NAME", "name"},
          srv_.ledger().GetInvoice(&ctx, req, &out));
  }
  {  // An unknown currency and an impossible date.
    v1::Invoice out;
    check(
        {"currency code", grpc::StatusCode::INVALID_ARGUMENT, "UNKNOWN_CURRENCY", "currency_code"},
        UpsertInvoice(c.name(), MakeInvoice("INV-C", D(2026, 8, 1), D(2026, 8, 31), "EUX", 100),
                      &out));
    check({"date", grpc::StatusCode::INVALID_ARGUMENT, "INVALID_DATE", "invoice.issue_date"},
          UpsertInvoice(c.name(), MakeInvoice("INV-D", D(2026, 2, 30), D(2026, 8, 31), "EUR", 100),
                        &out));
  }
  {  // Voiding an invoice that has money on it is a state conflict.
    v1::Payment p;
    ASSERT_TRUE(Pay(c.name(), MakePayment("TX-V", "EUR", 100, D(2026, 9, 1)), &p).ok());
    const int ev = srv_.EventCount();
    grpc::ClientContext ctx;
    v1::VoidInvoiceRequest req;
    req.set_name(eur.name());
    v1::Invoice out;
    grpc::Status st = srv_.ledger().VoidInvoice(&ctx, req, &out);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_EQ(ReasonOf(st), "INVOICE_HAS_ALLOCATIONS");
    EXPECT_EQ(srv_.EventCount(), ev);
  }
}

TEST_F(LedgerE2E, RequestIdReplayReturnsFirstAnswerAndReuseIsRefused) {
  v1::Customer c = Upsert(MakeCustomer("C-1", "Ortiz Bakery"));
  v1::Invoice inv;
  ASSERT_TRUE(UpsertInvoice(c.name(),
                            MakeInvoice("INV-1", D(2026, 8, 1), D(2026, 8, 31), "EUR", 10000), &inv)
                  .ok());
  v1::Payment p = MakePayment("TX-1", "EUR", 2500, D(2026, 9, 1));
  p.clear_external_ref();  // keyed by request id
  v1::Payment first, second;
  ASSERT_TRUE(Pay(c.name(), p, &first, "req-42").ok());
  const int events = srv_.EventCount();
  ASSERT_TRUE(Pay(c.name(), p, &second, "req-42").ok());
  EXPECT_EQ(first.SerializeAsString(), second.SerializeAsString());
  EXPECT_EQ(srv_.EventCount(), events);
  EXPECT_EQ(Get(inv.name()).amount_due().minor_units(), 7500);  // applied once

  p.mutable_amount()->set_minor_units(9999);
  v1::Payment third;
  grpc::Status st = Pay(c.name(), p, &third, "req-42");
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(st), "REQUEST_ID_REUSED");
  EXPECT_EQ(FieldOf(st), "request_id");
  EXPECT_EQ(srv_.EventCount(), events);
  EXPECT_EQ(Get(inv.name()).amount_due().minor_units(), 7500);
}

TEST_F(LedgerE2E, CreditNoteAgainstInvoiceAndAccount) {
  v1::Customer c = Upsert(MakeCustomer("C-1", "Ortiz Bakery"));
  v1::Invoice inv;
  ASSERT_TRUE(UpsertInvoice(c.name(),
                            MakeInvoice("INV-1", D(2026, 8, 1), D(2026, 8, 31), "EUR", 10000), &inv)
                  .ok());
  v1::CreditNote cn;
  cn.mutable_external_ref()->set_source_system("erp");
  cn.mutable_external_ref()->set_id("CN-1");
  cn.set_number("CN-1");
  *cn.mutable_issue_date() = D(2026, 9, 2);
  *cn.mutable_amount() = M("EUR", 12000);
  cn.set_invoice_number("INV-1");
  grpc::ClientContext ctx;
  v1::RecordCreditNoteRequest req;
  req.set_parent(c.name());
  *req.mutable_credit_note() = cn;
  v1::CreditNote out;
  ASSERT_TRUE(srv_.ledger().RecordCreditNote(&ctx, req, &out).ok());
  EXPECT_EQ(out.invoice(), inv.name());
  EXPECT_EQ(out.unapplied().minor_units(), 2000);
  v1::Invoice after = Get(inv.name());
  EXPECT_EQ(after.status(), v1::Invoice::PAID);
  EXPECT_EQ(after.amount_credited().minor_units(), 10000);
}

// ledger.proto's Allocation.invoice accepts "the invoice's
// external id or number"; journals and GnuCash books send the external id.
TEST_F(LedgerE2E, AllocationNamesTheInvoiceByExternalIdOrNumber) {
  v1::Customer c = Upsert(MakeCustomer("C-1", "Ortiz Bakery"));
  v1::Invoice inv = MakeInvoice("INV-1", D(2026, 8, 1), D(2026, 8, 31), "EUR", 10000);
  inv.mutable_external_ref()->set_id("guid-7f3a");  // external id != number
  v1::Invoice stored;
  ASSERT_TRUE(UpsertInvoice(c.name(), inv, &stored).ok());
  v1::Payment by_id = MakePayment("TX-1", "EUR", 3000, D(2026, 9, 1));
  by_id.mutable_external_ref()->set_source_system("erp");  // the invoice's system
  auto* a = by_id.add_allocations();
  a->set_invoice("guid-7f3a");
  *a->mutable_amount() = M("EUR", 3000);
  v1::Payment out;
  grpc::Status st = Pay(c.name(), by_id, &out);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(out.allocations(0).invoice(), stored.name());
  v1::Payment by_number = MakePayment("TX-2", "EUR", 2000, D(2026, 9, 2));
  a = by_number.add_allocations();
  a->set_invoice("INV-1");
  *a->mutable_amount() = M("EUR", 2000);
  a = by_number.add_allocations();
  a->set_invoice("erp/guid-7f3a");  // another system's document, qualified
  *a->mutable_amount() = M("EUR", 1000);
  by_number.mutable_amount()->set_minor_units(3000);
  st = Pay(c.name(), by_number, &out);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(Get(stored.name()).amount_due().minor_units(), 4000);
  v1::Payment unknown = MakePayment("TX-3", "EUR", 1000, D(2026, 9, 3));
  a = unknown.add_allocations();
  a->set_invoice("guid-nope");
  *a->mutable_amount() = M("EUR", 1000);
  EXPECT_EQ(Pay(c.name(), unknown, &out).error_code(), grpc::StatusCode::NOT_FOUND);
}

// EN 16931 BG-3 (the preceding invoice) is information. A
// credit note naming an invoice the service does not hold is kept as
// unapplied credit with the reference, and applied when the invoice arrives.
TEST_F(LedgerE2E, CreditNoteForAnUnknownInvoiceWaitsForIt) {
  v1::Customer c = Upsert(MakeCustomer("C-1", "Ortiz Bakery"));
  v1::CreditNote cn;
  cn.mutable_external_ref()->set_source_system("erp");
  cn.mutable_external_ref()->set_id("CN-1");
  cn.set_number("CN-1");
  *cn.mutable_issue_date() = D(2026, 9, 2);
  *cn.mutable_amount() = M("EUR", 1000);
  cn.set_invoice_number("INV-9");
  grpc::ClientContext ctx;
  v1::RecordCreditNoteRequest req;
  req.set_parent(c.name());
  *req.mutable_credit_note() = cn;
  v1::CreditNote out;
  grpc::Status st = srv_.ledger().RecordCreditNote(&ctx, req, &out);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(out.invoice(), "");
  EXPECT_EQ(out.invoice_number(), "INV-9");
  EXPECT_EQ(out.unapplied().minor_units(), 1000);

  v1::Invoice inv;
  ASSERT_TRUE(UpsertInvoice(c.name(),
                            MakeInvoice("INV-9", D(2026, 8, 1), D(2026, 8, 31), "EUR", 10000), &inv)
                  .ok());
  v1::Invoice after = Get(inv.name());
  EXPECT_EQ(after.amount_credited().minor_units(), 1000);
  EXPECT_EQ(after.amount_due().minor_units(), 9000);
  grpc::ClientContext ctx2;
  v1::GetCreditNoteRequest get;
  get.set_name(out.name());
  v1::CreditNote applied;
  ASSERT_TRUE(srv_.ledger().GetCreditNote(&ctx2, get, &applied).ok());
  EXPECT_EQ(applied.invoice(), inv.name());
  EXPECT_EQ(applied.unapplied().minor_units(), 0);
  // A resource name that does not exist is still an error, not a reference.
  grpc::ClientContext ctx3;
  cn.mutable_external_ref()->set_id("CN-2");
  cn.clear_invoice_number();
  cn.set_invoice(c.name() + "/invoices/missing");
  *req.mutable_credit_note() = cn;
  EXPECT_EQ(srv_.ledger().RecordCreditNote(&ctx3, req, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

// ---------------------------------------------------------------------- sync

v1::SyncLedgerRequest Chunk(int index, std::vector<v1::SyncRecord> records) {
  v1::SyncLedgerRequest r;
  r.set_parent(kTenant);
  r.set_sync_id("sync-1");
  r.set_chunk_index(index);
  for (auto& rec : records) *r.add_records() = std::move(rec);
  return r;
}

std::vector<v1::SyncLedgerRequest> DemoStream() {
  std::vector<v1::SyncLedgerRequest> chunks;
  std::vector<v1::SyncRecord> recs;
  for (int i = 0; i < 4; ++i) {
    v1::SyncRecord r;
    *r.mutable_customer() = MakeCustomer("C-" + std::to_string(i), "Customer " + std::to_string(i));
    recs.push_back(r);
  }
  chunks.push_back(Chunk(0, recs));
  recs.clear();
  for (int i = 0; i < 8; ++i) {
    v1::SyncRecord r;
    *r.mutable_invoice() = MakeInvoice("INV-" + std::to_string(i), D(2026, 7, 1 + i),
                                       D(2026, 8, 1 + i), "EUR", 10000 + i);
    r.set_customer_ref("C-" + std::to_string(i % 4));
    recs.push_back(r);
  }
  // A payment in the same chunk as invoices, listed before them: applied after.
  v1::SyncRecord pay;
  *pay.mutable_payment() = MakePayment("TX-9", "EUR", 15000, D(2026, 9, 1));
  pay.set_customer_ref("erp/C-1");  // a bank payment for an ERP customer
  recs.insert(recs.begin(), pay);
  chunks.push_back(Chunk(1, recs));
  return chunks;
}

v1::SyncLedgerResponse RunSync(v1::LedgerService::Stub& stub,
                               const std::vector<v1::SyncLedgerRequest>& chunks, grpc::Status* st) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::SyncLedgerResponse resp;
  auto writer = stub.SyncLedger(&ctx, &resp);
  for (const auto& c : chunks) {
    if (!writer->Write(c)) break;
  }
  writer->WritesDone();
  *st = writer->Finish();
  return resp;
}

TEST_F(LedgerE2E, SyncLedgerReplayChangesNothing) {
  grpc::Status st;
  v1::SyncLedgerResponse first = RunSync(srv_.ledger(), DemoStream(), &st);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(first.chunks_applied(), 2);
  EXPECT_EQ(first.created(), 13);
  EXPECT_EQ(first.rejected(), 0);
  const int events = srv_.EventCount();
  const std::string dump = LedgerDump();
  v1::AccountSummary s1 = Summary("tenants/acme/customers/C-1", D(2026, 11, 20));

  v1::SyncLedgerResponse again = RunSync(srv_.ledger(), DemoStream(), &st);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(again.unchanged(), 13);
  EXPECT_EQ(again.created() + again.updated(), 0);
  EXPECT_EQ(srv_.EventCount(), events);
  EXPECT_EQ(LedgerDump(), dump);
  EXPECT_EQ(Summary("tenants/acme/customers/C-1", D(2026, 11, 20)).SerializeAsString(),
            s1.SerializeAsString());
  // The payment found its invoices although it was listed first.
  EXPECT_EQ(s1.positions(0).balance().minor_units(), 10001 + 10005 - 15000);
}

TEST_F(LedgerE2E, SyncChunkWithABadRecordIsRejectedWholeAndOthersApply) {
  auto chunks = DemoStream();
  // Chunk 1 gets a bad invoice (due before issue) and an unknown customer.
  v1::SyncRecord bad;
  *bad.mutable_invoice() = MakeInvoice("BAD-1", D(2026, 7, 10), D(2026, 7, 1), "EUR", 100);
  bad.set_customer_ref("C-0");
  bad.set_source_location("export.csv:17");
  *chunks[1].add_records() = bad;
  grpc::Status st;
  v1::SyncLedgerResponse resp = RunSync(srv_.ledger(), chunks, &st);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(resp.chunks_applied(), 1);
  EXPECT_EQ(resp.chunks_rejected(), 1);
  EXPECT_EQ(resp.created(), 4);  // the customers only
  EXPECT_EQ(resp.rejected(), 1);
  bool found = false;
  for (const auto& o : resp.outcomes()) {
    if (o.reason() == "INVOICE_DUE_BEFORE_ISSUE") {
      found = true;
      EXPECT_EQ(o.source_location(), "export.csv:17");
      EXPECT_NE(o.field().find("due_date"), std::string::npos);
    }
  }
  EXPECT_TRUE(found);
  grpc::ClientContext ctx;
  v1::ListInvoicesRequest req;
  req.set_parent(kTenant);
  v1::ListInvoicesResponse invs;
  ASSERT_TRUE(srv_.ledger().ListInvoices(&ctx, req, &invs).ok());
  EXPECT_EQ(invs.invoices_size(), 0);
  EXPECT_EQ(srv_.EventCount(), 4);

  // Unknown customer in a chunk: located error, nothing of the chunk written.
  v1::SyncRecord orphan;
  *orphan.mutable_invoice() = MakeInvoice("ORPHAN", D(2026, 7, 1), D(2026, 7, 31), "EUR", 100);
  orphan.set_customer_ref("C-404");
  resp = RunSync(srv_.ledger(), {Chunk(5, {orphan})}, &st);
  ASSERT_TRUE(st.ok());
  ASSERT_EQ(resp.outcomes_size(), 1);
  EXPECT_EQ(resp.outcomes(0).reason(), "CUSTOMER_NOT_FOUND");
  EXPECT_EQ(srv_.EventCount(), 4);
}

TEST_F(LedgerE2E, ValidateOnlyWritesNothing) {
  auto chunks = DemoStream();
  for (auto& c : chunks) c.set_validate_only(true);
  grpc::Status st;
  v1::SyncLedgerResponse resp = RunSync(srv_.ledger(), chunks, &st);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(resp.rejected(), 0);
  EXPECT_EQ(resp.chunks_applied(), 0);
  EXPECT_EQ(srv_.EventCount(), 0);
}

// ------------------------------------------------------------------- events

TEST_F(LedgerE2E, WatchEventsReplaysThenFollowsAndResumes) {
  Upsert(MakeCustomer("C-1", "One"));
  Upsert(MakeCustomer("C-2", "Two"));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::WatchEventsRequest req;
  req.set_parent(kTenant);
  auto reader = srv_.audit().WatchEvents(&ctx, req);
  v1::Event e1, e2, e3;
  ASSERT_TRUE(reader->Read(&e1));
  ASSERT_TRUE(reader->Read(&e2));
  EXPECT_EQ(e1.type(), "customer.created");
  EXPECT_LT(e1.sequence(), e2.sequence());
  std::thread later([this] { Upsert(MakeCustomer("C-3", "Three")); });
  ASSERT_TRUE(reader->Read(&e3));
  later.join();
  EXPECT_EQ(e3.resource(), "tenants/acme/customers/C-3");
  EXPECT_FALSE(e3.after_json().empty());
  ctx.TryCancel();
  reader->Finish();

  // Resume from the second event's cursor: exactly the third comes back.
  grpc::ClientContext ctx2;
  ctx2.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  req.set_after_sequence(e2.sequence());
  auto resumed = srv_.audit().WatchEvents(&ctx2, req);
  v1::Event r;
  ASSERT_TRUE(resumed->Read(&r));
  EXPECT_EQ(r.sequence(), e3.sequence());
  ctx2.TryCancel();
  resumed->Finish();
}

TEST_F(LedgerE2E, ListEventsFiltersByCustomerAndRecordsBeforeAfter) {
  v1::Customer c = Upsert(MakeCustomer("C-1", "One"));
  Upsert(MakeCustomer("C-2", "Two"));
  v1::Customer changed = MakeCustomer("C-1", "One Renamed");
  Upsert(changed);
  grpc::ClientContext ctx;
  v1::ListEventsRequest req;
  req.set_parent(kTenant);
  req.set_customer(c.name());
  v1::ListEventsResponse resp;
  ASSERT_TRUE(srv_.audit().ListEvents(&ctx, req, &resp).ok());
  ASSERT_EQ(resp.events_size(), 2);
  EXPECT_EQ(resp.events(1).type(), "customer.updated");
  EXPECT_NE(resp.events(1).before_json().find("\"One\""), std::string::npos);
  EXPECT_NE(resp.events(1).after_json().find("One Renamed"), std::string::npos);
}

TEST(LedgerLoopback, HealthCheckServesOverTcp) {
  TestServer srv(absl::Now(), "127.0.0.1:0");
  ASSERT_GT(srv.server().port(), 0);
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(srv.server().port()),
                                     grpc::InsecureChannelCredentials());
  auto stub = v1::LedgerService::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1::ListCustomersRequest req;
  req.set_parent("tenants/acme");
  v1::ListCustomersResponse resp;
  EXPECT_TRUE(stub->ListCustomers(&ctx, req, &resp).ok());
}

}  // namespace
}  // namespace collections::testing
