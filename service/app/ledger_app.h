// LedgerApp: the LedgerService and AuditService operations on collections_sidecar.v1
// messages, without gRPC. Each call validates its request, runs one store
// transaction and returns a message or an absl::Status carrying a machine
// reason and field violations (base/errors.h). Thread-safe.
#ifndef COLLECTIONS_APP_LEDGER_APP_H_
#define COLLECTIONS_APP_LEDGER_APP_H_

#include "absl/status/statusor.h"
#include "collections_sidecar/v1/audit.pb.h"
#include "collections_sidecar/v1/ledger.pb.h"
#include "service/app/app_common.h"
#include "service/store/store.h"

namespace collections::app {

namespace v1 = ::collections_sidecar::v1;

class LedgerApp {
 public:
  LedgerApp(store::Store& store, const domain::Clock& clock) : store_(store), clock_(clock) {}

  absl::StatusOr<v1::Customer> GetCustomer(const CallContext& ctx, const v1::GetCustomerRequest& r);
  absl::StatusOr<v1::ListCustomersResponse> ListCustomers(const CallContext& ctx,
                                                          const v1::ListCustomersRequest& r);
  absl::StatusOr<v1::Customer> UpsertCustomer(const CallContext& ctx,
                                              const v1::UpsertCustomerRequest& r);

  absl::StatusOr<v1::Invoice> GetInvoice(const CallContext& ctx, const v1::GetInvoiceRequest& r);
  absl::StatusOr<v1::ListInvoicesResponse> ListInvoices(const CallContext& ctx,
                                                        const v1::ListInvoicesRequest& r);
  absl::StatusOr<v1::Invoice> UpsertInvoice(const CallContext& ctx,
                                            const v1::UpsertInvoiceRequest& r);
  absl::StatusOr<v1::Invoice> VoidInvoice(const CallContext& ctx, const v1::VoidInvoiceRequest& r);

  absl::StatusOr<v1::Payment> RecordPayment(const CallContext& ctx,
                                            const v1::RecordPaymentRequest& r);
  absl::StatusOr<v1::Payment> GetPayment(const CallContext& ctx, const v1::GetPaymentRequest& r);
  absl::StatusOr<v1::ListPaymentsResponse> ListPayments(const CallContext& ctx,
                                                        const v1::ListPaymentsRequest& r);
  absl::StatusOr<v1::CreditNote> RecordCreditNote(const CallContext& ctx,
                                                  const v1::RecordCreditNoteRequest& r);
  absl::StatusOr<v1::CreditNote> GetCreditNote(const CallContext& ctx,
                                               const v1::GetCreditNoteRequest& r);
  absl::StatusOr<v1::ListCreditNotesResponse> ListCreditNotes(const CallContext& ctx,
                                                              const v1::ListCreditNotesRequest& r);

  // Applies one chunk of a SyncLedger stream atomically and appends its
  // outcomes and counters to `response`. A chunk with any rejected record
  // writes nothing: every record of it is reported REJECTED (the faulty ones
  // with their reason, the rest with CHUNK_REJECTED) and OK is returned, so
  // the stream goes on. `expected_parent` pins the tenant and sync id of the
  // first message. Errors returned are those of the stream itself (bad
  // parent, storage failure).
  //
  // A validate_only chunk is checked as if `earlier` (the previous chunks of
  // the same validate-only stream) had been applied first, in one
  // transaction that is rolled back.
  absl::Status SyncChunk(const CallContext& ctx, const v1::SyncLedgerRequest& chunk,
                         v1::SyncLedgerResponse* response,
                         const std::vector<v1::SyncLedgerRequest>* earlier = nullptr);

  absl::StatusOr<v1::AccountSummary> GetAccountSummary(const CallContext& ctx,
                                                       const v1::GetAccountSummaryRequest& r);
  absl::StatusOr<v1::AgingReport> GetAgingReport(const CallContext& ctx,
                                                 const v1::GetAgingReportRequest& r);

  absl::StatusOr<v1::ListEventsResponse> ListEvents(const CallContext& ctx,
                                                    const v1::ListEventsRequest& r);

  store::Store& store() { return store_; }
  const domain::Clock& clock() const { return clock_; }

 private:
  absl::StatusOr<absl::CivilDay> AsOf(const v1::Date& date, absl::string_view field) const;

  store::Store& store_;
  const domain::Clock& clock_;
};

}  // namespace collections::app

#endif  // COLLECTIONS_APP_LEDGER_APP_H_
