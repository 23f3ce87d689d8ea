// The pieces the ArrangementService's files share (arrangements_*.cc):
// ArrangementOps, the unit of work of one call on one account, the
// transaction wrappers MutateAccount and ReadAccount, the collection names
// and small validation helpers. Internal to those files: the service's
// interface is arrangements_app.h.
#ifndef COLLECTIONS_APP_ARRANGEMENT_OPS_H_
#define COLLECTIONS_APP_ARRANGEMENT_OPS_H_

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "service/app/arrangements_app.h"
#include "service/app/ledger_ops.h"
#include "service/app/tenant_policy.h"
#include "service/base/errors.h"
#include "service/base/resource_names.h"
#include "service/base/status_macros.h"
#include "service/domain/amount_limits.h"
#include "service/domain/plans.h"

namespace collections::app {

namespace v1 = ::collections_sidecar::v1;

// Collections of a customer's arrangement documents in resource names
// (tenants/t/customers/c/promises/p-...).
inline constexpr char kPromises[] = "promises";
inline constexpr char kPlans[] = "plans";
inline constexpr char kSettlements[] = "settlements";
inline constexpr char kFees[] = "fees";
inline constexpr char kDisputes[] = "disputes";
inline constexpr char kWriteOffs[] = "writeOffs";
inline constexpr char kReferrals[] = "referrals";

// The day of `d`, or nullopt when it is unset or not a calendar day.
std::optional<absl::CivilDay> OptDay(const v1::Date& d);

// INVALID_ARGUMENT INVALID_TEXT on `field` unless `text` has min..max bytes.
absl::Status CheckText(const std::string& text, size_t min, size_t max, absl::string_view field);

// A fee invoice the sidecar raised (source system "collections", id fee-...).
bool IsFeeInvoice(const v1::Invoice& inv);

// The last segment of a resource name (the document id).
std::string IdOf(absl::string_view resource_name);

// `d` when set, else `def`; INVALID_ARGUMENT on `field` when not a day.
absl::StatusOr<absl::CivilDay> DayOr(const v1::Date& d, absl::CivilDay def,
                                     absl::string_view field);

// The amount due on the invoices `idx`; OUT_OF_RANGE AMOUNT_SUM_OVERFLOW past int64.
absl::StatusOr<int64_t> SumDue(const AccountSnapshot& snap, const std::vector<int>& idx);

// A named child of a customer: (tenant, customer, id).
absl::StatusOr<ChildName> Child(const std::string& name, absl::string_view collection);

// ------------------------------------------------------------ the unit of work

// Everything one call does to one account, inside one transaction, as of
// one day (the request's as_of, resolved by ResolveAsOf) under the tenant's
// policy.
class ArrangementOps {
 public:
  ArrangementOps(store::Transaction& tx, const domain::Clock& clock, const CallContext& ctx,
                 const ArrangementConfig& config, domain::CollectionPolicy policy,
                 absl::CivilDay day, std::string tenant, std::string customer,
                 std::string request_id)
      : tx_(tx),
        clock_(clock),
        ctx_(ctx),
        config_(config),
        policy_(std::move(policy)),
        day_(day),
        tenant_(std::move(tenant)),
        customer_(std::move(customer)),
        request_id_(std::move(request_id)),
        ledger_(tx, clock, ctx, tenant_, request_id_) {}

  store::Transaction& tx() { return tx_; }
  LedgerOps& ledger() { return ledger_; }
  // The tenant's policy (CollectionPolicy): arrangement rules, economics.
  const domain::CollectionPolicy& policy() const { return policy_; }
  const domain::PlanPolicy& plan_policy() const { return policy_.arrangements.plans; }
  const ArrangementConfig& config() const { return config_; }
  // The day the call acts on, and the instant its records carry (now when
  // that day is today, else the same time of day on that day). Audit events
  // keep the real time.
  absl::CivilDay Today() const { return day_; }
  absl::Time Now() const { return InstantOn(day_, clock_); }
  const std::string& customer() const { return customer_; }
  std::string CustomerRes() const { return CustomerResource(tenant_, customer_); }
  std::string Res(absl::string_view collection, absl::string_view id) const {
    return ChildResource(tenant_, customer_, collection, id);
  }

  // The account as the ledger knows it now (loaded once; reload after a
  // ledger mutation with Reload()).
  absl::StatusOr<const AccountSnapshot*> Account() {
    if (!snap_) {
      ASSIGN_OR_RETURN(AccountSnapshot s, ledger_.LoadAccount(customer_));
      snap_ = std::move(s);
    }
    return &*snap_;
  }
  void Reload() { snap_.reset(); }

  // A new document id: deterministic per request_id (so a retried request
  // that lost its response but not its write cannot double-create), unique
  // otherwise.
  absl::StatusOr<std::string> NewId(absl::string_view kind, absl::string_view prefix);

  template <typename Msg>
  absl::StatusOr<Msg> GetDoc(absl::string_view kind, const std::string& name,
                             absl::string_view collection, absl::string_view reason) {
    ASSIGN_OR_RETURN(ChildName n, ParseChildName(name, collection, "name"));
    if (n.tenant != tenant_ || n.customer != customer_) {
      return domain::InvalidInput("CROSS_CUSTOMER_REFERENCE", "name", "names another customer");
    }
    ASSIGN_OR_RETURN(auto doc, tx_.GetDoc(kind, n.id));
    if (!doc || doc->customer != customer_) {
      return domain::NotFoundError(reason, absl::StrCat(name, " does not exist"));
    }
    return ParseDoc<Msg>(*doc);
  }

  template <typename Msg>
  absl::StatusOr<std::vector<Msg>> ListDocs(absl::string_view kind) {
    std::vector<Msg> out;
    std::string after;
    while (true) {
      ASSIGN_OR_RETURN(auto docs, tx_.ListDocs(kind, customer_, after, 1000));
      if (docs.empty()) break;
      after = docs.back().id;
      for (const auto& d : docs) {
        ASSIGN_OR_RETURN(Msg m, ParseDoc<Msg>(d));
        out.push_back(std::move(m));
      }
    }
    return out;
  }

  absl::Status PutDoc(absl::string_view kind, const google::protobuf::Message& m,
                      absl::string_view name);

  absl::Status Event(absl::string_view type, absl::string_view resource,
                     const google::protobuf::Message* before,
                     const google::protobuf::Message* after);

  // Resolves invoice references (resource names of this customer, or
  // numbers) to the snapshot's invoices. Empty `names` with a currency means
  // every open invoice of that currency (fee invoices included).
  absl::StatusOr<std::vector<int>> ResolveInvoices(
      const google::protobuf::RepeatedPtrField<std::string>& names, const std::string& currency,
      absl::string_view field, bool require_open = true);

  // Payment allocations to `invoice_ids` (empty = every invoice in
  // `currency`), dated.
  absl::StatusOr<std::vector<domain::DatedAmount>> PaymentsTo(
      const std::vector<std::string>& invoice_ids, const std::string& currency);

  // A promise with its status evaluated as of `as_of`.
  absl::StatusOr<v1::PromiseToPay> Evaluate(v1::PromiseToPay p, absl::CivilDay as_of);

  // A plan with installments evaluated as of `as_of`; `eval` receives the
  // domain evaluation.
  absl::StatusOr<v1::PaymentPlan> Evaluate(v1::PaymentPlan p, absl::CivilDay as_of,
                                           domain::PlanEvaluation* eval = nullptr);

  // Fees (arrangements_fees.cc).
  // The fee input of one invoice (index into the snapshot).
  absl::StatusOr<domain::FeeInput> FeeInputFor(int idx, int stage, const std::vector<v1::Fee>& fees,
                                               const std::vector<v1::Dispute>& disputes,
                                               const std::vector<v1::PaymentPlan>& plans,
                                               absl::CivilDay as_of);

  // Assesses every overdue principal invoice in `only` (empty = all).
  absl::StatusOr<std::vector<std::pair<int, domain::FeeAssessment>>> AssessAll(
      const std::set<std::string>& only, int stage, absl::CivilDay as_of,
      std::vector<std::string>* skipped);

  // The Fee document of one assessed line of the invoice `idx`.
  v1::Fee FeeOf(int idx, const domain::FeeLine& line, absl::CivilDay as_of);

  // Raises one fee: the Fee document and its fee invoice in the ledger
  // (due on the day raised, no late-fee clause of its own, external
  // reference collections/fee-<id> so that connectors export it).
  absl::StatusOr<v1::Fee> RaiseFee(v1::Fee f, absl::CivilDay as_of);

  // Records fees as waived: counted as charged, never invoiced.
  absl::StatusOr<int64_t> WaiveFees(const std::set<std::string>& invoice_ids, absl::CivilDay as_of,
                                    const std::string& why);

  // Settlements (arrangements_settlements.cc).
  // Closes a settlement whose lump sum arrived: a credit note for what is
  // still due on its invoices. Returns true when it changed.
  absl::StatusOr<bool> CloseSettlementIfPaid(v1::Settlement& s, absl::CivilDay as_of);

 private:
  store::Transaction& tx_;
  const domain::Clock& clock_;
  const CallContext& ctx_;
  const ArrangementConfig& config_;
  const domain::CollectionPolicy policy_;
  const absl::CivilDay day_;
  std::string tenant_;
  std::string customer_;
  std::string request_id_;
  LedgerOps ledger_;
  std::optional<AccountSnapshot> snap_;
};

// One mutation of one account: a write transaction, request_id idempotency.
// `as_of` is the request's: a past day replays, a future one is refused.
template <typename Resp>
absl::StatusOr<Resp> MutateAccount(store::Store& store, const domain::Clock& clock,
                                   const ArrangementConfig& config, const CallContext& ctx,
                                   const std::string& tenant, const std::string& customer,
                                   const std::string& request_id, const v1::Date& as_of,
                                   absl::string_view method,
                                   const google::protobuf::Message& request,
                                   const std::function<absl::StatusOr<Resp>(ArrangementOps&)>& fn) {
  RETURN_IF_ERROR(CheckTenant(ctx, tenant));
  ASSIGN_OR_RETURN(const absl::CivilDay day, ResolveAsOf(as_of, clock, AsOfUse::kWrite));
  Resp resp;
  RETURN_IF_ERROR(store.Run(tenant, store::TxMode::kWrite, [&](store::Transaction& tx) {
    ASSIGN_OR_RETURN(domain::CollectionPolicy policy,
                     LoadTenantDomainPolicy(tx, config.starting_policy));
    ArrangementOps ops(tx, clock, ctx, config, std::move(policy), day, tenant, customer,
                       request_id);
    return RunIdempotent(tx, request_id, absl::StrCat("ArrangementService/", method), request,
                         &resp, [&]() -> absl::Status {
                           RETURN_IF_ERROR(ops.ledger().LoadCustomer(customer).status());
                           ASSIGN_OR_RETURN(resp, fn(ops));
                           return absl::OkStatus();
                         });
  }));
  return resp;
}

// `day` is the request's as_of, resolved with AsOfUse::kRead.
template <typename Resp>
absl::StatusOr<Resp> ReadAccount(store::Store& store, const domain::Clock& clock,
                                 const ArrangementConfig& config, const CallContext& ctx,
                                 const std::string& tenant, const std::string& customer,
                                 absl::CivilDay day,
                                 const std::function<absl::StatusOr<Resp>(ArrangementOps&)>& fn) {
  RETURN_IF_ERROR(CheckTenant(ctx, tenant));
  Resp resp;
  RETURN_IF_ERROR(
      store.Run(tenant, store::TxMode::kRead, [&](store::Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(domain::CollectionPolicy policy,
                         LoadTenantDomainPolicy(tx, config.starting_policy));
        ArrangementOps ops(tx, clock, ctx, config, std::move(policy), day, tenant, customer, "");
        RETURN_IF_ERROR(ops.ledger().LoadCustomer(customer).status());
        ASSIGN_OR_RETURN(resp, fn(ops));
        return absl::OkStatus();
      }));
  return resp;
}

}  // namespace collections::app

#endif  // COLLECTIONS_APP_ARRANGEMENT_OPS_H_
