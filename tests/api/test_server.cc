#include "tests/api/test_server.h"

#include <gtest/gtest.h>

#include <unistd.h>
#include <chrono>

#include <cstdlib>
#include <filesystem>

#include "service/base/errors.h"
#include "service/grpc_status/status_convert.h"

namespace collections::testing {

namespace v1 = ::collections_sidecar::v1;

TestServer::TestServer(absl::Time now, std::string listen, StoreDecorator decorate,
                       Configure configure)
    : clock_(now) {
  char tmpl[] = "/tmp/collections-test-XXXXXX";
  dir_ = mkdtemp(tmpl);
  db_path_ = dir_ + "/ledger.db";
  server::ServerOptions opts;
  opts.listen = std::move(listen);
  opts.store_uri = "sqlite:" + db_path_;
  opts.workers = 4;
  opts.log_requests = false;
  opts.clock = &clock_;
  if (decorate) {
    opts.open_store = [uri = opts.store_uri,
                       decorate]() -> absl::StatusOr<std::unique_ptr<store::Store>> {
      auto inner = store::OpenStore(uri);
      if (!inner.ok()) return inner.status();
      return decorate(*std::move(inner));
    };
  }
  if (configure) configure(opts);
  auto s = server::Server::Start(opts);
  if (!s.ok()) {
    ADD_FAILURE() << "server did not start: " << s.status();
    std::abort();
  }
  server_ = *std::move(s);
  channel_ = server_->InProcessChannel();
  ledger_ = v1::LedgerService::NewStub(channel_);
  audit_ = v1::AuditService::NewStub(channel_);
}

TestServer::~TestServer() {
  server_->Shutdown(absl::Seconds(2));
  server_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

int TestServer::EventCount(const std::string& tenant) {
  int n = 0;
  std::string token;
  do {
    grpc::ClientContext ctx;
    v1::ListEventsRequest req;
    req.set_parent("tenants/" + tenant);
    req.set_page_size(1000);
    req.set_page_token(token);
    v1::ListEventsResponse resp;
    grpc::Status st = audit_->ListEvents(&ctx, req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    if (!st.ok()) return -1;
    n += resp.events_size();
    token = resp.next_page_token();
  } while (!token.empty());
  return n;
}

v1::Date D(int y, int m, int d) {
  v1::Date out;
  out.set_year(y);
  out.set_month(m);
  out.set_day(d);
  return out;
}

v1::Money M(const std::string& ccy, int64_t minor) {
  v1::Money m;
  m.set_currency_code(ccy);
  m.set_minor_units(minor);
  return m;
}

v1::Customer MakeCustomer(const std::string& ext_id, const std::string& name,
                          v1::CustomerKind kind) {
  v1::Customer c;
  c.mutable_external_ref()->set_source_system("erp");
  c.mutable_external_ref()->set_id(ext_id);
  c.set_display_name(name);
  c.set_kind(kind);
  c.set_time_zone("Europe/London");
  return c;
}

v1::Invoice MakeInvoice(const std::string& number, v1::Date issue, v1::Date due,
                        const std::string& ccy, int64_t total) {
  v1::Invoice inv;
  inv.mutable_external_ref()->set_source_system("erp");
  inv.mutable_external_ref()->set_id(number);
  inv.set_number(number);
  *inv.mutable_issue_date() = issue;
  *inv.mutable_due_date() = due;
  inv.set_currency_code(ccy);
  *inv.mutable_total() = M(ccy, total);
  return inv;
}

v1::Payment MakePayment(const std::string& ext_id, const std::string& ccy, int64_t amount,
                        v1::Date received) {
  v1::Payment p;
  p.mutable_external_ref()->set_source_system("bank");
  p.mutable_external_ref()->set_id(ext_id);
  *p.mutable_amount() = M(ccy, amount);
  *p.mutable_received_date() = received;
  p.set_method(v1::Payment::BANK_TRANSFER);
  return p;
}

v1::SyncLedgerResponse SyncChunk(TestServer& srv, const std::string& parent,
                                 const std::string& sync_id,
                                 const std::vector<v1::SyncRecord>& recs) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::SyncLedgerResponse resp;
  auto writer = srv.ledger().SyncLedger(&ctx, &resp);
  v1::SyncLedgerRequest chunk;
  chunk.set_parent(parent);
  chunk.set_sync_id(sync_id);
  for (const auto& r : recs) *chunk.add_records() = r;
  EXPECT_TRUE(writer->Write(chunk));
  writer->WritesDone();
  grpc::Status st = writer->Finish();
  EXPECT_TRUE(st.ok()) << st.error_message();
  return resp;
}

std::string SeedCustomer(TestServer& srv, const v1::Customer& customer) {
  grpc::ClientContext ctx;
  v1::UpsertCustomerRequest req;
  req.set_parent("tenants/acme");
  *req.mutable_customer() = customer;
  v1::Customer out;
  grpc::Status st = srv.ledger().UpsertCustomer(&ctx, req, &out);
  EXPECT_TRUE(st.ok()) << st.error_message();
  return out.name();
}

void SeedInvoice(TestServer& srv, const std::string& customer, const v1::Invoice& invoice) {
  grpc::ClientContext ctx;
  v1::UpsertInvoiceRequest req;
  req.set_parent(customer);
  *req.mutable_invoice() = invoice;
  v1::Invoice out;
  grpc::Status st = srv.ledger().UpsertInvoice(&ctx, req, &out);
  EXPECT_TRUE(st.ok()) << st.error_message();
}

std::string ReasonOf(const grpc::Status& st) {
  return domain::ReasonOf(grpc_status::FromGrpcStatus(st));
}

std::string FieldOf(const grpc::Status& st) {
  auto fields = domain::FieldsOf(grpc_status::FromGrpcStatus(st));
  return fields.empty() ? "" : fields[0].field;
}

std::vector<v1::OutboxAction> ActionsOfRun(v1::RecoveryService::Stub& recovery,
                                           const std::string& parent,
                                           const v1::RunCollectionsResponse& run) {
  std::vector<v1::OutboxAction> out;
  if (run.last_sequence() == 0) return out;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::StreamActionsRequest req;
  req.set_parent(parent);
  req.set_after_sequence(run.first_sequence() - 1);
  auto reader = recovery.StreamActions(&ctx, req);
  v1::OutboxAction a;
  while (reader->Read(&a)) {
    if (a.sequence() <= run.last_sequence()) out.push_back(a);
  }
  grpc::Status st = reader->Finish();
  EXPECT_TRUE(st.ok()) << st.error_message();
  return out;
}

}  // namespace collections::testing
