#include "tests/store/ledger_workload.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/api/test_server.h"

namespace collections::testing {

namespace v1 = ::collections_sidecar::v1;
namespace {

std::string InvoiceNumber(int c, int i) { return absl::StrCat("INV-", c, "-", i); }

v1::SyncLedgerRequest Chunk(const std::string& sync_id, int index) {
  v1::SyncLedgerRequest r;
  r.set_parent(kParent);
  r.set_sync_id(sync_id);
  r.set_chunk_index(index);
  return r;
}

v1::Allocation To(int c, int i, int64_t amount) {
  v1::Allocation a;
  a.set_invoice_number(InvoiceNumber(c, i));
  *a.mutable_amount() = M("EUR", amount);
  return a;
}

void Deadline(grpc::ClientContext* ctx) {
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(120)));
}

}  // namespace

std::string CustomerId(int c) { return absl::StrCat("C-", c); }
std::string CustomerName(int c) { return absl::StrCat(kParent, "/customers/", CustomerId(c)); }

std::vector<v1::SyncLedgerRequest> LedgerStream(const std::string& sync_id) {
  std::vector<v1::SyncLedgerRequest> chunks = {Chunk(sync_id, 0), Chunk(sync_id, 1),
                                               Chunk(sync_id, 2)};
  for (int c = 0; c < kCustomers; ++c) {
    *chunks[0].add_records()->mutable_customer() =
        MakeCustomer(CustomerId(c), absl::StrCat("Customer ", c));
    for (int i = 0; i < kInvoices; ++i) {
      v1::SyncRecord* r = chunks[c < kCustomers / 2 ? 1 : 2].add_records();
      *r->mutable_invoice() = MakeInvoice(InvoiceNumber(c, i), D(2026, 7, 1 + i), D(2026, 8, 1 + i),
                                          "EUR", 10000 + 1000 * c + 100 * i);
      r->set_customer_ref(CustomerId(c));
    }
  }
  return chunks;
}

std::vector<Operation> PaymentOperations() {
  std::vector<Operation> ops;
  for (int c = 0; c < kCustomers; ++c) {
    v1::Payment auto_allocated =
        MakePayment(absl::StrCat("TX-", c, "-0"), "EUR", 5000, D(2026, 9, 1));
    ops.push_back({Operation::kRecordPayment, c, auto_allocated, absl::StrCat("rp-", c, "-0")});
    v1::Payment explicit_payment =
        MakePayment(absl::StrCat("TX-", c, "-1"), "EUR", 2000, D(2026, 9, 2));
    *explicit_payment.add_allocations() = To(c, 2, 2000);
    ops.push_back({Operation::kRecordPayment, c, explicit_payment, absl::StrCat("rp-", c, "-1")});
    v1::Payment bank = MakePayment(absl::StrCat("TX-", c, "-2"), "EUR", 1500, D(2026, 9, 3));
    *bank.add_allocations() = To(c, 1, 1500);
    ops.push_back({Operation::kSyncPayment, c, bank, ""});
  }
  return ops;
}

LedgerClient::LedgerClient(std::shared_ptr<grpc::Channel> channel)
    : ledger_(v1::LedgerService::NewStub(channel)), audit_(v1::AuditService::NewStub(channel)) {}

grpc::Status LedgerClient::Sync(const std::vector<v1::SyncLedgerRequest>& chunks,
                                v1::SyncLedgerResponse* out) {
  grpc::ClientContext ctx;
  Deadline(&ctx);
  auto writer = ledger_->SyncLedger(&ctx, out);
  for (const auto& c : chunks) {
    if (!writer->Write(c)) break;
  }
  writer->WritesDone();
  return writer->Finish();
}

grpc::Status LedgerClient::Run(const Operation& op, const std::string& sync_id,
                               std::string* answer) {
  if (op.kind == Operation::kSyncPayment) {
    v1::SyncLedgerRequest chunk = Chunk(sync_id, 0);
    v1::SyncRecord* r = chunk.add_records();
    *r->mutable_payment() = op.payment;
    r->set_customer_ref(absl::StrCat("erp/", CustomerId(op.customer)));
    v1::SyncLedgerResponse resp;
    grpc::Status st = Sync({chunk}, &resp);
    if (st.ok() &&
        (resp.outcomes_size() != 1 || resp.rejected() != 0 || resp.chunks_rejected() != 0)) {
      return grpc::Status(grpc::StatusCode::INTERNAL, resp.DebugString());
    }
    if (st.ok()) *answer = resp.outcomes(0).name();
    return st;
  }
  grpc::ClientContext ctx;
  Deadline(&ctx);
  v1::RecordPaymentRequest req;
  req.set_parent(CustomerName(op.customer));
  *req.mutable_payment() = op.payment;
  req.set_request_id(op.request_id);
  v1::Payment out;
  grpc::Status st = ledger_->RecordPayment(&ctx, req, &out);
  *answer = out.SerializeAsString();
  return st;
}

v1::AccountSummary LedgerClient::Summary(int c) {
  grpc::ClientContext ctx;
  Deadline(&ctx);
  v1::GetAccountSummaryRequest req;
  req.set_customer(CustomerName(c));
  *req.mutable_as_of() = D(2026, 11, 20);
  v1::AccountSummary out;
  grpc::Status st = ledger_->GetAccountSummary(&ctx, req, &out);
  EXPECT_TRUE(st.ok()) << st.error_message();
  return out;
}

v1::ListInvoicesResponse LedgerClient::ListInvoices() {
  grpc::ClientContext ctx;
  Deadline(&ctx);
  v1::ListInvoicesRequest req;
  req.set_parent(kParent);
  req.set_page_size(1000);
  v1::ListInvoicesResponse resp;
  grpc::Status st = ledger_->ListInvoices(&ctx, req, &resp);
  EXPECT_TRUE(st.ok()) << st.error_message();
  return resp;
}

std::map<std::string, std::pair<int, int64_t>> LedgerClient::Invoices() {
  std::map<std::string, std::pair<int, int64_t>> out;
  const v1::ListInvoicesResponse resp = ListInvoices();
  for (const auto& inv : resp.invoices()) {
    out[inv.name()] = {inv.status(), inv.amount_due().minor_units()};
  }
  return out;
}

std::vector<v1::Payment> LedgerClient::Payments(int c) {
  grpc::ClientContext ctx;
  Deadline(&ctx);
  v1::ListPaymentsRequest req;
  req.set_parent(CustomerName(c));
  req.set_page_size(1000);
  v1::ListPaymentsResponse resp;
  grpc::Status st = ledger_->ListPayments(&ctx, req, &resp);
  EXPECT_TRUE(st.ok()) << st.error_message();
  return {resp.payments().begin(), resp.payments().end()};
}

std::vector<v1::Event> LedgerClient::Events() {
  std::vector<v1::Event> out;
  std::string token;
  do {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::ListEventsRequest req;
    req.set_parent(kParent);
    req.set_page_size(1000);
    req.set_page_token(token);
    v1::ListEventsResponse resp;
    grpc::Status st = audit_->ListEvents(&ctx, req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    if (!st.ok()) break;
    out.insert(out.end(), resp.events().begin(), resp.events().end());
    token = resp.next_page_token();
  } while (!token.empty());
  return out;
}

std::vector<std::string> EventContent(const std::vector<v1::Event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(absl::StrCat(e.type(), " ", e.resource()));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace collections::testing
