// Collection cases in the application layer: keeping them, reading them and
// advancing them.
//
//  * CaseKeeper moves the case of every customer a write transaction touched,
//    inside that transaction: a store decorator (WithCaseKeeping) watches the
//    audit events each write appends (every mutation appends one naming its
//    customer), and before the transaction ends feeds the event to
//    domain::Transition with the customer's snapshot after the change. So no
//    write path can forget its case, and a case never disagrees with the
//    ledger it was committed with.
//  * The tenant's portfolio prior (risk.h) is an aggregate document updated
//    by each case's change of contribution, never recomputed by a scan.
//  * CasesApp serves CaseService (GetCase, ListCases, RebuildCases) and the
//    daily advance that RunCollections drives: only cases whose due day has
//    come are loaded.
#ifndef COLLECTIONS_APP_CASES_APP_H_
#define COLLECTIONS_APP_CASES_APP_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "collections_sidecar/v1/cases.pb.h"
#include "service/app/app_common.h"
#include "service/app/recovery_app.h"
#include "service/domain/cases.h"
#include "service/store/store.h"

namespace collections::app {

namespace v1 = ::collections_sidecar::v1;

// Domain case <-> proto case.
v1::Case ToProtoCase(const std::string& tenant, const domain::Case& c);
domain::Case CaseFromProto(const v1::Case& c);

class CaseKeepingStore;

struct CaseAdvance {
  domain::CaseOutcome outcome;
  domain::AccountContext account;
};

class CaseKeeper {
 public:
  // `loader` supplies account snapshots and the tenant policy; it must not
  // be used for writes through the keeper's own store.
  CaseKeeper(const domain::Clock& clock, RecoveryApp& loader) : clock_(clock), loader_(loader) {}

  // Feeds `event_type` on `day` to the customer's case and stores the
  // result; the tenant's prior aggregate follows. `daily_run` is the passing
  // of days (the outcome may carry an action for the caller to write).
  absl::StatusOr<CaseAdvance> Advance(store::Transaction& tx, const std::string& tenant,
                                      const std::string& customer, absl::string_view event_type,
                                      absl::CivilDay day, bool daily_run, bool write = true);

  // The stored case, if any.
  absl::StatusOr<std::optional<domain::Case>> Load(store::Transaction& tx,
                                                   const std::string& customer);

  // The tenant's portfolio prior from its aggregate.
  absl::StatusOr<domain::PortfolioPrior> Prior(store::Transaction& tx);

  // Moves the cases whose refresh a bulk write deferred (all of the
  // tenant's, or only `customer`'s when it is not empty). Lists, the daily
  // run and a case's readers call it first, so they never see a case older
  // than the ledger; a no-op when nothing is pending. A case whose move
  // fails on its own data (IsStoreFailure false) is passed over in a
  // tenant-wide catch-up: it keeps its last state and its mark, is added to
  // `failures` when given, and holds back no other case. A catch-up of one
  // customer returns that error.
  struct CaseFailure {
    std::string customer;
    absl::Status status;
  };
  absl::Status CatchUp(const std::string& tenant, absl::string_view customer = {},
                       std::vector<CaseFailure>* failures = nullptr);
  // Whether `customer`'s case waits for a deferred refresh.
  absl::StatusOr<bool> IsStale(store::Transaction& tx, absl::string_view customer);
  // Runs `read` in a read transaction of `store` in which `customer`'s case
  // is current: CatchUp(tenant, customer) then `read`, but when nothing is
  // pending (the common case) in one transaction, not two. `read` may run
  // twice only if the first transaction found the case stale (it is then
  // not called in that one).
  absl::Status ReadCurrent(store::Store& store, const std::string& tenant,
                           const std::string& customer,
                           const std::function<absl::Status(store::Transaction&)>& read);

  const domain::Clock& clock() const { return clock_; }
  RecoveryApp& loader() { return loader_; }
  void set_deferred(CaseKeepingStore* store) { deferred_ = store; }

 private:
  absl::Status Put(store::Transaction& tx, const std::string& tenant, const domain::Case& c,
                   const std::optional<domain::Case>& before);

  const domain::Clock& clock_;
  RecoveryApp& loader_;
  CaseKeepingStore* deferred_ = nullptr;
};

// Wraps `inner` so that every write transaction moves the cases of the
// customers it touched, in the same transaction; a write touching many
// customers (a bulk sync chunk) marks their cases stale instead, and they
// move once, later (StartCaseRefresher, CaseKeeper::CatchUp). `keeper` may be
// set later (SetKeeper) and must outlive the store.
std::unique_ptr<store::Store> WithCaseKeeping(std::unique_ptr<store::Store> inner,
                                              CaseKeepingStore** handle);
void SetKeeper(CaseKeepingStore* store, CaseKeeper* keeper);
// Wraps `inner` so that each transaction reads a customer's account documents
// (payments, credit notes, arrangements, contacts, outbox: every kind that
// loading an account lists) in one query on first use, and answers the
// listings that follow from memory (store/customer_doc_cache.h).
std::unique_ptr<store::Store> WithAccountDocCache(std::unique_ptr<store::Store> inner);
// The background refresher of deferred cases; stop it before the keeper
// goes away.
void StartCaseRefresher(CaseKeepingStore* store);
void StopCaseRefresher(CaseKeepingStore* store);
// The daily run's batches move their cases in the transaction however many
// customers they touch (the next step depends on the action just written).
void KeepCasesInline(store::Transaction& tx);
// Marks `customer` as already handled in the current transaction (the
// daily run advances its cases itself). No-op outside a keeping transaction.
void MarkCaseHandled(store::Transaction& tx, const std::string& customer);

class CasesApp {
 public:
  CasesApp(store::Store& store, CaseKeeper& keeper) : store_(store), keeper_(keeper) {}

  absl::StatusOr<v1::Case> GetCase(const CallContext& ctx, const v1::GetCaseRequest& r);
  absl::StatusOr<v1::ListCasesResponse> ListCases(const CallContext& ctx,
                                                  const v1::ListCasesRequest& r);
  absl::StatusOr<v1::RebuildCasesResponse> RebuildCases(const CallContext& ctx,
                                                        const v1::RebuildCasesRequest& r);

  // Rebuilds every case of `tenant` from its ledger, contacts and
  // arrangements as of `day`, in transactions of a few hundred customers.
  // Also rebuilds the prior aggregate from scratch.
  absl::StatusOr<v1::RebuildCasesResponse> RebuildTenant(const std::string& tenant,
                                                         absl::CivilDay day);
  // Recomputes each stored case as of the day it was last evaluated and
  // counts (and names) those that differ; writes nothing.
  absl::StatusOr<v1::RebuildCasesResponse> VerifyTenant(const std::string& tenant,
                                                        const std::string& only_customer);
  // Builds the cases of every tenant that has customers but no cases (an
  // older store opened by this version).
  absl::Status MigrateStore();

 private:
  store::Store& store_;
  CaseKeeper& keeper_;
};

}  // namespace collections::app

#endif  // COLLECTIONS_APP_CASES_APP_H_
