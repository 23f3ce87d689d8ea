#include "service/api/ledger_service.h"

#include <memory>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "service/app/resource_names.h"
#include "service/domain/errors.h"

namespace collections::api {

using grpc::CallbackServerContext;
using grpc::ServerUnaryReactor;

ServerUnaryReactor* LedgerService::GetCustomer(CallbackServerContext* c,
                                               const v1::GetCustomerRequest* r, v1::Customer* out) {
  return HandleUnary(env_, c, "LedgerService/GetCustomer", TenantOf(r->name()), out,
                     [this, r](const app::CallContext& who) { return app_.GetCustomer(who, *r); });
}
ServerUnaryReactor* LedgerService::ListCustomers(CallbackServerContext* c,
                                                 const v1::ListCustomersRequest* r,
                                                 v1::ListCustomersResponse* out) {
  return HandleUnary(env_, c, "LedgerService/ListCustomers", TenantOf(r->parent()), out,
                     [this, r](const app::CallContext& who) { return app_.ListCustomers(who, *r); });
}
ServerUnaryReactor* LedgerService::UpsertCustomer(CallbackServerContext* c,
                                                  const v1::UpsertCustomerRequest* r,
                                                  v1::Customer* out) {
  return HandleUnary(env_, c, "LedgerService/UpsertCustomer", TenantOf(r->parent()), out,
                     [this, r](const app::CallContext& who) { return app_.UpsertCustomer(who, *r); });
}
ServerUnaryReactor* LedgerService::GetInvoice(CallbackServerContext* c,
                                              const v1::GetInvoiceRequest* r, v1::Invoice* out) {
  return HandleUnary(env_, c, "LedgerService/GetInvoice", TenantOf(r->name()), out,
                     [this, r](const app::CallContext& who) { return app_.GetInvoice(who, *r); });
}
ServerUnaryReactor* LedgerService::ListInvoices(CallbackServerContext* c,
                                                const v1::ListInvoicesRequest* r,
                                                v1::ListInvoicesResponse* out) {
  return HandleUnary(env_, c, "LedgerService/ListInvoices", TenantOf(r->parent()), out,
                     [this, r](const app::CallContext& who) { return app_.ListInvoices(who, *r); });
}
ServerUnaryReactor* LedgerService::UpsertInvoice(CallbackServerContext* c,
                                                 const v1::UpsertInvoiceRequest* r,
                                                 v1::Invoice* out) {
  return HandleUnary(env_, c, "LedgerService/UpsertInvoice", TenantOf(r->parent()), out,
                     [this, r](const app::CallContext& who) { return app_.UpsertInvoice(who, *r); });
}
ServerUnaryReactor* LedgerService::VoidInvoice(CallbackServerContext* c,
                                               const v1::VoidInvoiceRequest* r, v1::Invoice* out) {
  return HandleUnary(env_, c, "LedgerService/VoidInvoice", TenantOf(r->name()), out,
                     [this, r](const app::CallContext& who) { return app_.VoidInvoice(who, *r); });
}
ServerUnaryReactor* LedgerService::RecordPayment(CallbackServerContext* c,
                                                 const v1::RecordPaymentRequest* r,
                                                 v1::Payment* out) {
  return HandleUnary(env_, c, "LedgerService/RecordPayment", TenantOf(r->parent()), out,
                     [this, r](const app::CallContext& who) { return app_.RecordPayment(who, *r); });
}
ServerUnaryReactor* LedgerService::GetPayment(CallbackServerContext* c,
                                              const v1::GetPaymentRequest* r, v1::Payment* out) {
  return HandleUnary(env_, c, "LedgerService/GetPayment", TenantOf(r->name()), out,
                     [this, r](const app::CallContext& who) { return app_.GetPayment(who, *r); });
}
ServerUnaryReactor* LedgerService::ListPayments(CallbackServerContext* c,
                                                const v1::ListPaymentsRequest* r,
                                                v1::ListPaymentsResponse* out) {
  return HandleUnary(env_, c, "LedgerService/ListPayments", TenantOf(r->parent()), out,
                     [this, r](const app::CallContext& who) { return app_.ListPayments(who, *r); });
}
ServerUnaryReactor* LedgerService::RecordCreditNote(CallbackServerContext* c,
                                                    const v1::RecordCreditNoteRequest* r,
                                                    v1::CreditNote* out) {
  return HandleUnary(env_, c, "LedgerService/RecordCreditNote", TenantOf(r->parent()), out,
                     [this, r](const app::CallContext& who) { return app_.RecordCreditNote(who, *r); });
}
ServerUnaryReactor* LedgerService::GetCreditNote(CallbackServerContext* c,
                                                 const v1::GetCreditNoteRequest* r,
                                                 v1::CreditNote* out) {
  return HandleUnary(env_, c, "LedgerService/GetCreditNote", TenantOf(r->name()), out,
                     [this, r](const app::CallContext& who) { return app_.GetCreditNote(who, *r); });
}
ServerUnaryReactor* LedgerService::ListCreditNotes(CallbackServerContext* c,
                                                   const v1::ListCreditNotesRequest* r,
                                                   v1::ListCreditNotesResponse* out) {
  return HandleUnary(env_, c, "LedgerService/ListCreditNotes", TenantOf(r->parent()), out,
                     [this, r](const app::CallContext& who) { return app_.ListCreditNotes(who, *r); });
}
ServerUnaryReactor* LedgerService::GetAccountSummary(CallbackServerContext* c,
                                                     const v1::GetAccountSummaryRequest* r,
                                                     v1::AccountSummary* out) {
  return HandleUnary(env_, c, "LedgerService/GetAccountSummary", TenantOf(r->customer()), out,
                     [this, r](const app::CallContext& who) { return app_.GetAccountSummary(who, *r); });
}
ServerUnaryReactor* LedgerService::GetAgingReport(CallbackServerContext* c,
                                                  const v1::GetAgingReportRequest* r,
                                                  v1::AgingReport* out) {
  return HandleUnary(env_, c, "LedgerService/GetAgingReport", TenantOf(r->parent()), out,
                     [this, r](const app::CallContext& who) { return app_.GetAgingReport(who, *r); });
}

namespace {

// Reads chunks one at a time; each is applied on the worker pool before the
// next read starts, so a slow store applies back-pressure to the client.
class SyncReactor : public grpc::ServerReadReactor<v1::SyncLedgerRequest> {
 public:
  SyncReactor(const ServiceEnv& env, app::LedgerApp& app, CallbackServerContext* ctx,
              v1::SyncLedgerResponse* response)
      : env_(env), app_(app), ctx_(ctx), response_(response), start_(absl::Now()),
        request_id_(RequestIdOf(ctx)) {
    StartRead(&chunk_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // client half-closed: the stream is complete
      Done(grpc::Status::OK);
      return;
    }
    if (!env_.pool->Submit([this] { ApplyChunk(); })) {
      Done(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        "the server is overloaded; retry the remaining chunks with backoff"));
    }
  }
  void OnDone() override { delete this; }

 private:
  void ApplyChunk() {
    if (first_) {
      first_ = false;
      parent_ = chunk_.parent();
      sync_id_ = chunk_.sync_id();
      tenant_ = TenantOf(parent_);
      auto who = env_.authenticate(*ctx_, "LedgerService/SyncLedger", tenant_);
      if (!who.ok()) {
        Done(ToGrpcStatus(who.status()));
        return;
      }
      caller_ = *who;
    } else if (chunk_.parent() != parent_ || chunk_.sync_id() != sync_id_) {
      Done(ToGrpcStatus(domain::InvalidInput(
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
      Done(ToGrpcStatus(st));
      return;
    }
    if (chunk_.validate_only()) {
      validated_records_ += chunk_.records_size();
      if (validated_records_ > kMaxValidateOnlyRecords) {
        Done(ToGrpcStatus(domain::PreconditionError(
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

// State shared by a WatchEvents reactor and its feeder thread.
struct WatchState {
  absl::Mutex mu;
  bool write_done = true;
  bool cancelled = false;
  bool write_failed = false;
};

class WatchReactor : public grpc::ServerWriteReactor<v1::Event> {
 public:
  WatchReactor(const ServiceEnv& env, app::LedgerApp& app, CallbackServerContext* ctx,
               const v1::WatchEventsRequest& req, std::atomic<int>& watchers)
      : env_(env), app_(app), ctx_(ctx), req_(req), watchers_(watchers),
        state_(std::make_shared<WatchState>()), start_(absl::Now()) {}

  void Start(const app::CallContext& caller, std::string request_id) {
    caller_ = caller;
    request_id_ = std::move(request_id);
    std::thread([this, state = state_] { Feed(state); }).detach();
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock l(&state_->mu);
    state_->write_done = true;
    if (!ok) state_->write_failed = true;
  }
  void OnCancel() override {
    absl::MutexLock l(&state_->mu);
    state_->cancelled = true;
  }
  void OnDone() override {
    watchers_.fetch_sub(1);
    delete this;
  }

 private:
  // Runs on its own thread: pages through the log after the cursor, then
  // waits for new commits, until the client goes away.
  void Feed(std::shared_ptr<WatchState> state) {
    const std::string tenant = TenantOf(req_.parent());
    int64_t cursor = req_.after_sequence();
    store::EventFilter f;
    f.limit = 200;
    grpc::Status final_status = grpc::Status::OK;
    while (true) {
      {
        absl::MutexLock l(&state->mu);
        if (state->cancelled || state->write_failed) break;
      }
      f.after_sequence = cursor;
      auto rows = app_.store().ListEvents(tenant, f);
      if (!rows.ok()) {
        final_status = ToGrpcStatus(rows.status());
        break;
      }
      if (rows->empty()) {
        app_.store().WaitForEvents(cursor, absl::Now() + absl::Milliseconds(500));
        continue;
      }
      bool stop = false;
      for (const auto& row : *rows) {
        auto ev = app::EventFromRow(row);
        if (!ev.ok()) {
          final_status = ToGrpcStatus(ev.status());
          stop = true;
          break;
        }
        event_ = *std::move(ev);
        {
          absl::MutexLock l(&state->mu);
          state->write_done = false;
        }
        StartWrite(&event_);
        absl::MutexLock l(&state->mu);
        auto written = [&state]() { return state->write_done || state->cancelled; };
        state->mu.Await(absl::Condition(&written));
        if (state->cancelled || state->write_failed) {
          stop = true;
          break;
        }
        cursor = row.sequence;
      }
      if (stop) break;
    }
    FinishCall(env_, "AuditService/WatchEvents", tenant, &caller_, final_status, start_,
               request_id_);
    Finish(final_status);  // the reactor may be deleted from here on
  }

  const ServiceEnv& env_;
  app::LedgerApp& app_;
  CallbackServerContext* ctx_;
  v1::WatchEventsRequest req_;
  std::atomic<int>& watchers_;
  std::shared_ptr<WatchState> state_;
  absl::Time start_;
  app::CallContext caller_;
  std::string request_id_;
  v1::Event event_;
};

// Finishes a streaming call at once with an error.
template <typename Base>
class RejectReactor : public Base {
 public:
  explicit RejectReactor(const grpc::Status& st) { this->Finish(st); }
  void OnDone() override { delete this; }
};

}  // namespace

grpc::ServerReadReactor<v1::SyncLedgerRequest>* LedgerService::SyncLedger(
    CallbackServerContext* c, v1::SyncLedgerResponse* out) {
  return new SyncReactor(env_, app_, c, out);
}

ServerUnaryReactor* AuditService::ListEvents(CallbackServerContext* c, const v1::ListEventsRequest* r,
                                             v1::ListEventsResponse* out) {
  return HandleUnary(env_, c, "AuditService/ListEvents", TenantOf(r->parent()), out,
                     [this, r](const app::CallContext& who) { return app_.ListEvents(who, *r); });
}

grpc::ServerWriteReactor<v1::Event>* AuditService::WatchEvents(CallbackServerContext* c,
                                                                const v1::WatchEventsRequest* r) {
  using Reject = RejectReactor<grpc::ServerWriteReactor<v1::Event>>;
  const absl::Time start = absl::Now();
  std::string request_id = RequestIdOf(c);
  auto tenant = app::ParseTenantName(r->parent(), "parent");
  if (!tenant.ok()) {
    grpc::Status st = ToGrpcStatus(tenant.status());
    FinishCall(env_, "AuditService/WatchEvents", "", nullptr, st, start, request_id);
    return new Reject(st);
  }
  auto who = env_.authenticate(*c, "AuditService/WatchEvents", *tenant);
  absl::Status allowed = who.ok() ? app::CheckTenant(*who, *tenant) : who.status();
  if (allowed.ok() && r->after_sequence() < 0) {
    allowed = domain::InvalidInput("INVALID_CURSOR", "after_sequence", "must not be negative");
  }
  if (!allowed.ok()) {
    grpc::Status st = ToGrpcStatus(allowed);
    FinishCall(env_, "AuditService/WatchEvents", *tenant, nullptr, st, start, request_id);
    return new Reject(st);
  }
  if (watchers_.fetch_add(1) >= max_watchers_) {
    watchers_.fetch_sub(1);
    grpc::Status st(grpc::StatusCode::RESOURCE_EXHAUSTED, "too many WatchEvents streams; retry later");
    FinishCall(env_, "AuditService/WatchEvents", *tenant, &*who, st, start, request_id);
    return new Reject(st);
  }
  auto* reactor = new WatchReactor(env_, app_, c, *r, watchers_);
  reactor->Start(*who, std::move(request_id));
  return reactor;
}

}  // namespace collections::api
