#include "service/api/ledger_service.h"

#include <memory>

#include "absl/synchronization/mutex.h"
#include "service/base/errors.h"
#include "service/base/resource_names.h"
#include "service/base/status_macros.h"

namespace collections::api {

namespace v1 = ::collections_sidecar::v1;

using grpc::CallbackServerContext;
using grpc::ServerUnaryReactor;

ServerUnaryReactor* LedgerService::GetCustomer(CallbackServerContext* c,
                                               const v1::GetCustomerRequest* r, v1::Customer* out) {
  return HandleUnary(env_, c, "LedgerService/GetCustomer", r->name(), out,
                     [this, r](const app::CallContext& who) { return app_.GetCustomer(who, *r); });
}
ServerUnaryReactor* LedgerService::ListCustomers(CallbackServerContext* c,
                                                 const v1::ListCustomersRequest* r,
                                                 v1::ListCustomersResponse* out) {
  return HandleUnary(
      env_, c, "LedgerService/ListCustomers", r->parent(), out,
      [this, r](const app::CallContext& who) { return app_.ListCustomers(who, *r); });
}
ServerUnaryReactor* LedgerService::UpsertCustomer(CallbackServerContext* c,
                                                  const v1::UpsertCustomerRequest* r,
                                                  v1::Customer* out) {
  return HandleUnary(
      env_, c, "LedgerService/UpsertCustomer", r->parent(), out,
      [this, r](const app::CallContext& who) { return app_.UpsertCustomer(who, *r); });
}
ServerUnaryReactor* LedgerService::GetInvoice(CallbackServerContext* c,
                                              const v1::GetInvoiceRequest* r, v1::Invoice* out) {
  return HandleUnary(env_, c, "LedgerService/GetInvoice", r->name(), out,
                     [this, r](const app::CallContext& who) { return app_.GetInvoice(who, *r); });
}
ServerUnaryReactor* LedgerService::ListInvoices(CallbackServerContext* c,
                                                const v1::ListInvoicesRequest* r,
                                                v1::ListInvoicesResponse* out) {
  return HandleUnary(env_, c, "LedgerService/ListInvoices", r->parent(), out,
                     [this, r](const app::CallContext& who) { return app_.ListInvoices(who, *r); });
}
ServerUnaryReactor* LedgerService::UpsertInvoice(CallbackServerContext* c,
                                                 const v1::UpsertInvoiceRequest* r,
                                                 v1::Invoice* out) {
  return HandleUnary(
      env_, c, "LedgerService/UpsertInvoice", r->parent(), out,
      [this, r](const app::CallContext& who) { return app_.UpsertInvoice(who, *r); });
}
ServerUnaryReactor* LedgerService::VoidInvoice(CallbackServerContext* c,
                                               const v1::VoidInvoiceRequest* r, v1::Invoice* out) {
  return HandleUnary(env_, c, "LedgerService/VoidInvoice", r->name(), out,
                     [this, r](const app::CallContext& who) { return app_.VoidInvoice(who, *r); });
}
ServerUnaryReactor* LedgerService::RecordPayment(CallbackServerContext* c,
                                                 const v1::RecordPaymentRequest* r,
                                                 v1::Payment* out) {
  return HandleUnary(
      env_, c, "LedgerService/RecordPayment", r->parent(), out,
      [this, r](const app::CallContext& who) { return app_.RecordPayment(who, *r); });
}
ServerUnaryReactor* LedgerService::GetPayment(CallbackServerContext* c,
                                              const v1::GetPaymentRequest* r, v1::Payment* out) {
  return HandleUnary(env_, c, "LedgerService/GetPayment", r->name(), out,
                     [this, r](const app::CallContext& who) { return app_.GetPayment(who, *r); });
}
ServerUnaryReactor* LedgerService::ListPayments(CallbackServerContext* c,
                                                const v1::ListPaymentsRequest* r,
                                                v1::ListPaymentsResponse* out) {
  return HandleUnary(env_, c, "LedgerService/ListPayments", r->parent(), out,
                     [this, r](const app::CallContext& who) { return app_.ListPayments(who, *r); });
}
ServerUnaryReactor* LedgerService::RecordCreditNote(CallbackServerContext* c,
                                                    const v1::RecordCreditNoteRequest* r,
                                                    v1::CreditNote* out) {
  return HandleUnary(
      env_, c, "LedgerService/RecordCreditNote", r->parent(), out,
      [this, r](const app::CallContext& who) { return app_.RecordCreditNote(who, *r); });
}
ServerUnaryReactor* LedgerService::GetCreditNote(CallbackServerContext* c,
                                                 const v1::GetCreditNoteRequest* r,
                                                 v1::CreditNote* out) {
  return HandleUnary(
      env_, c, "LedgerService/GetCreditNote", r->name(), out,
      [this, r](const app::CallContext& who) { return app_.GetCreditNote(who, *r); });
}
ServerUnaryReactor* LedgerService::ListCreditNotes(CallbackServerContext* c,
                                                   const v1::ListCreditNotesRequest* r,
                                                   v1::ListCreditNotesResponse* out) {
  return HandleUnary(
      env_, c, "LedgerService/ListCreditNotes", r->parent(), out,
      [this, r](const app::CallContext& who) { return app_.ListCreditNotes(who, *r); });
}
ServerUnaryReactor* LedgerService::GetAccountSummary(CallbackServerContext* c,
                                                     const v1::GetAccountSummaryRequest* r,
                                                     v1::AccountSummary* out) {
  return HandleUnary(
      env_, c, "LedgerService/GetAccountSummary", r->customer(), out,
      [this, r](const app::CallContext& who) { return app_.GetAccountSummary(who, *r); });
}
ServerUnaryReactor* LedgerService::GetAgingReport(CallbackServerContext* c,
                                                  const v1::GetAgingReportRequest* r,
                                                  v1::AgingReport* out) {
  return HandleUnary(
      env_, c, "LedgerService/GetAgingReport", r->parent(), out,
      [this, r](const app::CallContext& who) { return app_.GetAgingReport(who, *r); });
}

namespace {

// Reads chunks one at a time; each is applied on the worker pool before the
// next read starts, so a slow store applies back-pressure to the client.
class SyncReactor : public grpc::ServerReadReactor<v1::SyncLedgerRequest> {
 public:
  SyncReactor(const ServiceEnv& env, app::LedgerApp& app, CallbackServerContext* ctx,
              v1::SyncLedgerResponse* response)
      : env_(env),
        app_(app),
        ctx_(ctx),
        response_(response),
        start_(absl::Now()),
        request_id_(RequestIdOf(ctx)) {
    StartRead(&chunk_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // client half-closed: the stream is complete
      Done(grpc::Status::OK);
      return;
    }
    WorkerPool::Refusal why = WorkerPool::Refusal::kNone;
    if (!env_.pool->Submit([this] { ApplyChunk(); }, grpc_status::TenantOf(chunk_.parent()),
                           &why)) {
      Done(grpc_status::ToGrpcStatus(OverloadStatus(why, grpc_status::TenantOf(chunk_.parent()))));
    }
  }
  void OnDone() override { delete this; }

 private:
  void ApplyChunk() {
    if (first_) {
      first_ = false;
      parent_ = chunk_.parent();
      sync_id_ = chunk_.sync_id();
      tenant_ = grpc_status::TenantOf(parent_);
      auto who = env_.authenticate(*ctx_, "LedgerService/SyncLedger", tenant_);
      if (!who.ok()) {
        Done(grpc_status::ToGrpcStatus(who.status()));
        return;
      }
      caller_ = *who;
    } else if (chunk_.parent() != parent_ || chunk_.sync_id() != sync_id_) {
      Done(grpc_status::ToGrpcStatus(domain::InvalidInput(
          "SYNC_STREAM_INCONSISTENT", "parent",
          "every message of a SyncLedger stream must carry the same parent and sync_id")));
      return;
    }
    if (ctx_->IsCancelled()) {
      Done(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled by the client"));
      return;
    }
    absl::Status st = app_.SyncChunk(caller_, chunk_, response_, &validated_);
    if (!st.ok()) {
      Done(grpc_status::ToGrpcStatus(st));
      return;
    }
    if (chunk_.validate_only()) {
      validated_records_ += chunk_.records_size();
      if (validated_records_ > kMaxValidateOnlyRecords) {
        Done(grpc_status::ToGrpcStatus(domain::PreconditionError(
            "VALIDATE_ONLY_STREAM_TOO_LARGE",
            "a validate_only stream is limited to 100000 records; validate large files in parts "
            "or parse-only")));
        return;
      }
      validated_.push_back(chunk_);
    }
    StartRead(&chunk_);
  }

  void Done(const grpc::Status& st) {
    FinishCall(env_, "LedgerService/SyncLedger", tenant_, first_ ? nullptr : &caller_, st, start_,
               request_id_);
    if (env_.count && !first_) {
      env_.count("sync_records", tenant_, "created", response_->created());
      env_.count("sync_records", tenant_, "updated", response_->updated());
      env_.count("sync_records", tenant_, "unchanged", response_->unchanged());
      env_.count("sync_records", tenant_, "rejected", response_->rejected());
    }
    Finish(st);
  }

  const ServiceEnv& env_;
  app::LedgerApp& app_;
  CallbackServerContext* ctx_;
  v1::SyncLedgerResponse* response_;
  v1::SyncLedgerRequest chunk_;
  absl::Time start_;
  std::string request_id_;
  static constexpr int kMaxValidateOnlyRecords = 100000;
  bool first_ = true;
  std::string parent_, sync_id_, tenant_;
  std::vector<v1::SyncLedgerRequest> validated_;  // earlier validate_only chunks
  int validated_records_ = 0;
  app::CallContext caller_;
};

}  // namespace

grpc::ServerReadReactor<v1::SyncLedgerRequest>* LedgerService::SyncLedger(
    CallbackServerContext* c, v1::SyncLedgerResponse* out) {
  return new SyncReactor(env_, app_, c, out);
}

ServerUnaryReactor* AuditService::ListEvents(CallbackServerContext* c,
                                             const v1::ListEventsRequest* r,
                                             v1::ListEventsResponse* out) {
  return HandleUnary(env_, c, "AuditService/ListEvents", r->parent(), out,
                     [this, r](const app::CallContext& who) { return app_.ListEvents(who, *r); });
}

grpc::ServerWriteReactor<v1::Event>* AuditService::WatchEvents(CallbackServerContext* c,
                                                               const v1::WatchEventsRequest* r) {
  absl::Status check =
      r->after_sequence() < 0
          ? domain::InvalidInput("INVALID_CURSOR", "after_sequence", "must not be negative")
          : absl::OkStatus();
  const std::string tenant = grpc_status::TenantOf(r->parent());
  PageFetcher<v1::Event> fetch =
      [this, tenant](const app::CallContext&,
                     int64_t after) -> absl::StatusOr<std::vector<std::pair<int64_t, v1::Event>>> {
    store::EventFilter f;
    f.limit = 200;
    f.after_sequence = after;
    ASSIGN_OR_RETURN(auto rows, app_.store().ListEvents(tenant, f));
    ASSIGN_OR_RETURN(std::vector<v1::Event> events, app::EventsFromRows(rows));
    std::vector<std::pair<int64_t, v1::Event>> out;
    for (size_t i = 0; i < rows.size(); ++i)
      out.emplace_back(rows[i].sequence, std::move(events[i]));
    return out;
  };
  return StartStream<v1::Event>(streams_, c, "AuditService/WatchEvents",
                                app::ParseTenantName(r->parent(), "parent"), check,
                                r->after_sequence(), /*follow=*/true, std::move(fetch));
}

}  // namespace collections::api
