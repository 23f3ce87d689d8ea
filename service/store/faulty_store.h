// A Store that fails on command, for tests (LevelDB's fault-injecting Env):
// what does the client see, and what is left in the store, when the
// database goes away in the middle of a call? Wraps a real store and
// forwards to it until a fault is armed.
//
// Faults:
//   * FailWrites: the write calls of transactions (PutDoc, DeleteDoc,
//     PutInvoice, ReplaceSettlements, PutCase, AppendEvent, AddEvent, PutRequest)
//     fail with the given status, optionally after a number of writes have
//     gone through, so that a call fails half-way with some of its writes
//     already made inside the transaction;
//   * FailTransactions: Store::Run fails before its work starts (the
//     connection is gone).
// Heal() disarms both. Thread-safe.
#ifndef COLLECTIONS_STORE_FAULTY_STORE_H_
#define COLLECTIONS_STORE_FAULTY_STORE_H_

#include <memory>
#include <optional>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "service/store/store_wrapper.h"

namespace collections::store {

class FaultyStore : public StoreWrapper {
 public:
  explicit FaultyStore(std::unique_ptr<Store> target) : StoreWrapper(std::move(target)) {}

  // From now on, after `after` more transaction writes have gone through,
  // every write fails with `status` (which must not be OK) until Heal().
  void FailWrites(absl::Status status, int after = 0) {
    absl::MutexLock lock(&mu_);
    write_fault_ = std::move(status);
    writes_before_fault_ = after;
  }
  // From now on every Store::Run fails with `status` without running its
  // work, until Heal().
  void FailTransactions(absl::Status status) {
    absl::MutexLock lock(&mu_);
    run_fault_ = std::move(status);
  }
  void Heal() {
    absl::MutexLock lock(&mu_);
    write_fault_.reset();
    run_fault_.reset();
  }
  // How many calls have failed by injection so far.
  int faults() const {
    absl::MutexLock lock(&mu_);
    return faults_;
  }

  absl::Status Run(absl::string_view tenant, TxMode mode,
                   const std::function<absl::Status(Transaction&)>& fn) override {
    {
      absl::MutexLock lock(&mu_);
      if (run_fault_) {
        ++faults_;
        return *run_fault_;
      }
    }
    return StoreWrapper::Run(tenant, mode, [&](Transaction& tx) {
      FaultyTransaction faulty(tx, *this);
      return fn(faulty);
    });
  }

 private:
  // The status the next write returns: OK, or the armed fault.
  absl::Status NextWrite() {
    absl::MutexLock lock(&mu_);
    if (!write_fault_) return absl::OkStatus();
    if (writes_before_fault_ > 0) {
      --writes_before_fault_;
      return absl::OkStatus();
    }
    ++faults_;
    return *write_fault_;
  }

  class FaultyTransaction : public TransactionWrapper {
   public:
    FaultyTransaction(Transaction& target, FaultyStore& store)
        : TransactionWrapper(target), store_(store) {}

    absl::Status PutDoc(const Doc& doc) override {
      if (absl::Status st = store_.NextWrite(); !st.ok()) return st;
      return TransactionWrapper::PutDoc(doc);
    }
    absl::Status DeleteDoc(absl::string_view kind, absl::string_view id) override {
      if (absl::Status st = store_.NextWrite(); !st.ok()) return st;
      return TransactionWrapper::DeleteDoc(kind, id);
    }
    absl::Status PutInvoice(const InvoiceRow& row) override {
      if (absl::Status st = store_.NextWrite(); !st.ok()) return st;
      return TransactionWrapper::PutInvoice(row);
    }
    absl::Status ReplaceSettlements(absl::string_view source_kind, absl::string_view source_id,
                                    const std::vector<SettlementRow>& rows) override {
      if (absl::Status st = store_.NextWrite(); !st.ok()) return st;
      return TransactionWrapper::ReplaceSettlements(source_kind, source_id, rows);
    }
    absl::Status PutCase(const CaseRow& row) override {
      if (absl::Status st = store_.NextWrite(); !st.ok()) return st;
      return TransactionWrapper::PutCase(row);
    }
    absl::StatusOr<int64_t> AppendEvent(const EventRow& event) override {
      if (absl::Status st = store_.NextWrite(); !st.ok()) return st;
      return TransactionWrapper::AppendEvent(event);
    }
    absl::Status AddEvent(const EventRow& event) override {
      if (absl::Status st = store_.NextWrite(); !st.ok()) return st;
      return TransactionWrapper::AddEvent(event);
    }
    absl::Status PutRequest(absl::string_view request_id, const StoredRequest& request) override {
      if (absl::Status st = store_.NextWrite(); !st.ok()) return st;
      return TransactionWrapper::PutRequest(request_id, request);
    }

   private:
    FaultyStore& store_;
  };

  mutable absl::Mutex mu_;
  std::optional<absl::Status> write_fault_;
  int writes_before_fault_ = 0;
  std::optional<absl::Status> run_fault_;
  int faults_ = 0;
};

}  // namespace collections::store

#endif  // COLLECTIONS_STORE_FAULTY_STORE_H_
