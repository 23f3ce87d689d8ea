// gRPC edge of LedgerService and AuditService: converts nothing itself
// (the application layer speaks collections_sidecar.v1), only authenticates, hands
// the work to the pool, maps the status and streams.
#ifndef COLLECTIONS_API_LEDGER_SERVICE_H_
#define COLLECTIONS_API_LEDGER_SERVICE_H_

#include "collections_sidecar/v1/audit.grpc.pb.h"
#include "collections_sidecar/v1/ledger.grpc.pb.h"
#include "service/api/call_support.h"
#include "service/api/stream_support.h"
#include "service/app/ledger_app.h"

namespace collections::api {

namespace v1 = ::collections_sidecar::v1;

class LedgerService final : public v1::LedgerService::CallbackService {
 public:
  LedgerService(const ServiceEnv& env, app::LedgerApp& app) : env_(env), app_(app) {}

  grpc::ServerUnaryReactor* GetCustomer(grpc::CallbackServerContext* c,
                                        const v1::GetCustomerRequest* r,
                                        v1::Customer* out) override;
  grpc::ServerUnaryReactor* ListCustomers(grpc::CallbackServerContext* c,
                                          const v1::ListCustomersRequest* r,
                                          v1::ListCustomersResponse* out) override;
  grpc::ServerUnaryReactor* UpsertCustomer(grpc::CallbackServerContext* c,
                                           const v1::UpsertCustomerRequest* r,
                                           v1::Customer* out) override;
  grpc::ServerUnaryReactor* GetInvoice(grpc::CallbackServerContext* c,
                                       const v1::GetInvoiceRequest* r, v1::Invoice* out) override;
  grpc::ServerUnaryReactor* ListInvoices(grpc::CallbackServerContext* c,
                                         const v1::ListInvoicesRequest* r,
                                         v1::ListInvoicesResponse* out) override;
  grpc::ServerUnaryReactor* UpsertInvoice(grpc::CallbackServerContext* c,
                                          const v1::UpsertInvoiceRequest* r,
                                          v1::Invoice* out) override;
  grpc::ServerUnaryReactor* VoidInvoice(grpc::CallbackServerContext* c,
                                        const v1::VoidInvoiceRequest* r, v1::Invoice* out) override;
  grpc::ServerUnaryReactor* RecordPayment(grpc::CallbackServerContext* c,
                                          const v1::RecordPaymentRequest* r,
                                          v1::Payment* out) override;
  grpc::ServerUnaryReactor* GetPayment(grpc::CallbackServerContext* c,
                                       const v1::GetPaymentRequest* r, v1::Payment* out) override;
  grpc::ServerUnaryReactor* ListPayments(grpc::CallbackServerContext* c,
                                         const v1::ListPaymentsRequest* r,
                                         v1::ListPaymentsResponse* out) override;
  grpc::ServerUnaryReactor* RecordCreditNote(grpc::CallbackServerContext* c,
                                             const v1::RecordCreditNoteRequest* r,
                                             v1::CreditNote* out) override;
  grpc::ServerUnaryReactor* GetCreditNote(grpc::CallbackServerContext* c,
                                          const v1::GetCreditNoteRequest* r,
                                          v1::CreditNote* out) override;
  grpc::ServerUnaryReactor* ListCreditNotes(grpc::CallbackServerContext* c,
                                            const v1::ListCreditNotesRequest* r,
                                            v1::ListCreditNotesResponse* out) override;
  grpc::ServerReadReactor<v1::SyncLedgerRequest>* SyncLedger(grpc::CallbackServerContext* c,
                                                             v1::SyncLedgerResponse* out) override;
  grpc::ServerUnaryReactor* GetAccountSummary(grpc::CallbackServerContext* c,
                                              const v1::GetAccountSummaryRequest* r,
                                              v1::AccountSummary* out) override;
  grpc::ServerUnaryReactor* GetAgingReport(grpc::CallbackServerContext* c,
                                           const v1::GetAgingReportRequest* r,
                                           v1::AgingReport* out) override;

 private:
  const ServiceEnv& env_;
  app::LedgerApp& app_;
};

class AuditService final : public v1::AuditService::CallbackService {
 public:
  // WatchEvents streams share `streams` (limits, hub) with every other
  // server stream.
  AuditService(const ServiceEnv& env, app::LedgerApp& app, const StreamEnv& streams)
      : env_(env), app_(app), streams_(streams) {}

  grpc::ServerUnaryReactor* ListEvents(grpc::CallbackServerContext* c,
                                       const v1::ListEventsRequest* r,
                                       v1::ListEventsResponse* out) override;
  grpc::ServerWriteReactor<v1::Event>* WatchEvents(grpc::CallbackServerContext* c,
                                                   const v1::WatchEventsRequest* r) override;

 private:
  const ServiceEnv& env_;
  app::LedgerApp& app_;
  const StreamEnv streams_;
};

}  // namespace collections::api

#endif  // COLLECTIONS_API_LEDGER_SERVICE_H_
