// Forwarding bases for Store and Transaction decorators (LevelDB's
// EnvWrapper pattern): every call goes to the wrapped object unchanged, so a
// decorator overrides only what it changes. Use them for anything that
// stands between the application and a backend: timing (server's
// TimedStore), fault injection (FaultyStore), tests that hold transactions
// back. A decorator written against these keeps compiling, and keeps
// forwarding, when the interface gains a method.
#ifndef COLLECTIONS_STORE_STORE_WRAPPER_H_
#define COLLECTIONS_STORE_STORE_WRAPPER_H_

#include <memory>
#include <utility>

#include "service/store/store.h"

namespace collections::store {

// Forwards every Transaction call to `target`, which must outlive it.
// Not thread-safe, as Transaction is not.
class TransactionWrapper : public Transaction {
 public:
  explicit TransactionWrapper(Transaction& target) : target_(target) {}

  Transaction& target() { return target_; }

  absl::StatusOr<std::optional<Doc>> GetDoc(absl::string_view kind, absl::string_view id) override {
    return target_.GetDoc(kind, id);
  }
  absl::StatusOr<std::optional<Doc>> FindDocByRef(absl::string_view kind,
                                                  absl::string_view ref) override {
    return target_.FindDocByRef(kind, ref);
  }
  absl::StatusOr<std::optional<Doc>> FindDocByNumber(absl::string_view kind,
                                                     absl::string_view customer,
                                                     absl::string_view number) override {
    return target_.FindDocByNumber(kind, customer, number);
  }
  absl::Status PutDoc(const Doc& doc) override { return target_.PutDoc(doc); }
  absl::Status DeleteDoc(absl::string_view kind, absl::string_view id) override {
    return target_.DeleteDoc(kind, id);
  }
  absl::StatusOr<std::vector<Doc>> ListDocs(absl::string_view kind, absl::string_view customer,
                                            absl::string_view after_id, int limit) override {
    return target_.ListDocs(kind, customer, after_id, limit);
  }
  absl::StatusOr<std::vector<Doc>> ListCustomerDocs(absl::string_view customer,
                                                    const std::vector<std::string>& kinds,
                                                    int limit) override {
    return target_.ListCustomerDocs(customer, kinds, limit);
  }
  absl::StatusOr<std::vector<Doc>> ListDocsByNumber(absl::string_view kind,
                                                    absl::string_view after_number,
                                                    int limit) override {
    return target_.ListDocsByNumber(kind, after_number, limit);
  }

  absl::StatusOr<std::optional<InvoiceRow>> GetInvoice(absl::string_view id) override {
    return target_.GetInvoice(id);
  }
  absl::StatusOr<std::optional<InvoiceRow>> FindInvoiceByRef(absl::string_view ref) override {
    return target_.FindInvoiceByRef(ref);
  }
  absl::StatusOr<std::optional<InvoiceRow>> FindInvoiceByNumber(absl::string_view customer,
                                                                absl::string_view number) override {
    return target_.FindInvoiceByNumber(customer, number);
  }
  absl::Status PutInvoice(const InvoiceRow& row) override { return target_.PutInvoice(row); }
  absl::StatusOr<std::vector<InvoiceRow>> ListInvoices(const InvoiceFilter& filter) override {
    return target_.ListInvoices(filter);
  }

  absl::StatusOr<std::vector<SettlementRow>> ListSettlements(
      const std::vector<std::string>& invoice_ids) override {
    return target_.ListSettlements(invoice_ids);
  }
  absl::StatusOr<std::vector<SettlementRow>> ListSettlementsBySource(
      absl::string_view source_kind, absl::string_view source_id) override {
    return target_.ListSettlementsBySource(source_kind, source_id);
  }
  absl::Status ReplaceSettlements(absl::string_view source_kind, absl::string_view source_id,
                                  const std::vector<SettlementRow>& rows) override {
    return target_.ReplaceSettlements(source_kind, source_id, rows);
  }

  absl::StatusOr<std::optional<CaseRow>> GetCase(absl::string_view customer) override {
    return target_.GetCase(customer);
  }
  absl::Status PutCase(const CaseRow& row) override { return target_.PutCase(row); }
  absl::StatusOr<std::vector<CaseRow>> ListCases(const CaseFilter& filter) override {
    return target_.ListCases(filter);
  }
  absl::StatusOr<int64_t> CountCases(const CaseFilter& filter) override {
    return target_.CountCases(filter);
  }
  absl::StatusOr<std::vector<std::string>> ListDueCases(int64_t day, absl::string_view after,
                                                        int limit) override {
    return target_.ListDueCases(day, after, limit);
  }

  absl::StatusOr<int64_t> AppendEvent(const EventRow& event) override {
    return target_.AppendEvent(event);
  }
  absl::StatusOr<std::vector<EventRow>> ListEvents(const EventFilter& filter) override {
    return target_.ListEvents(filter);
  }
  absl::Status AddEvent(const EventRow& event) override { return target_.AddEvent(event); }

  absl::StatusOr<std::optional<StoredRequest>> GetRequest(absl::string_view request_id) override {
    return target_.GetRequest(request_id);
  }
  absl::Status PutRequest(absl::string_view request_id, const StoredRequest& request) override {
    return target_.PutRequest(request_id, request);
  }

  absl::StatusOr<std::vector<std::string>> ListDocKinds() override {
    return target_.ListDocKinds();
  }
  absl::StatusOr<std::vector<std::pair<std::string, StoredRequest>>> ListRequests(
      absl::string_view after_id, int limit) override {
    return target_.ListRequests(after_id, limit);
  }
  absl::StatusOr<std::vector<std::pair<int64_t, SettlementRow>>> ListSettlementsInOrder(
      int64_t after, int limit) override {
    return target_.ListSettlementsInOrder(after, limit);
  }
  absl::Status MarkCasesStale(const std::vector<StaleCase>& cases) override {
    return target_.MarkCasesStale(cases);
  }
  absl::StatusOr<std::vector<StaleCase>> ListStaleCases(absl::string_view customer,
                                                        int limit) override {
    return target_.ListStaleCases(customer, limit);
  }
  absl::Status ClearStaleCases(const std::vector<std::string>& customers) override {
    return target_.ClearStaleCases(customers);
  }

 private:
  Transaction& target_;
};

// Owns a Store and forwards every call to it. Thread-safe as far as the
// target is and the overrides are.
class StoreWrapper : public Store {
 public:
  explicit StoreWrapper(std::unique_ptr<Store> target) : target_(std::move(target)) {}

  Store& target() { return *target_; }
  const Store& target() const { return *target_; }

  absl::Status Run(absl::string_view tenant, TxMode mode,
                   const std::function<absl::Status(Transaction&)>& fn) override {
    return target_->Run(tenant, mode, fn);
  }
  absl::StatusOr<std::vector<EventRow>> ListEvents(absl::string_view tenant,
                                                   const EventFilter& filter) override {
    return target_->ListEvents(tenant, filter);
  }
  void WaitForEvents(int64_t after_sequence, absl::Time deadline) override {
    target_->WaitForEvents(after_sequence, deadline);
  }
  absl::StatusOr<std::vector<AgingCell>> Aging(absl::string_view tenant,
                                               const AgingQuery& query) override {
    return target_->Aging(tenant, query);
  }
  absl::Status VisitAging(absl::string_view tenant, const AgingQuery& query,
                          const std::function<absl::Status(const AgingCell&)>& visit) override {
    return target_->VisitAging(tenant, query, visit);
  }
  absl::StatusOr<std::vector<std::string>> ListTenants() override { return target_->ListTenants(); }
  absl::string_view Backend() const override { return target_->Backend(); }

 private:
  std::unique_ptr<Store> target_;
};

}  // namespace collections::store

#endif  // COLLECTIONS_STORE_STORE_WRAPPER_H_
