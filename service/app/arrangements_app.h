// ArrangementsApp: the ArrangementService operations on collections_sidecar.v1
// messages, without gRPC. Promises, plans, settlements, fees, disputes,
// write-offs and referrals are store documents of kinds "promise", "plan",
// "settlement", "fee", "dispute", "write_off" and "referral"; the money they
// move goes through the ledger's own code (LedgerOps): fee invoices,
// settlement and dispute credit notes, write-off settlements, agency
// collections as payments, so balances are derived in one place. Records the
// sidecar originates carry the external reference source system
// "collections", which is how connectors find what to export. Every
// mutation runs in one write transaction with request_id idempotency and
// appends its audit events in that transaction. Thread-safe.
#ifndef COLLECTIONS_APP_ARRANGEMENTS_APP_H_
#define COLLECTIONS_APP_ARRANGEMENTS_APP_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "collections_sidecar/v1/arrangements.pb.h"
#include "service/app/app_common.h"
#include "service/app/recovery_convert.h"
#include "service/domain/account_context.h"
#include "service/domain/fees.h"
#include "service/domain/settlement.h"
#include "service/store/store.h"

namespace collections::app {

namespace v1 = ::collections_sidecar::v1;

inline constexpr char kPromiseKind[] = "promise";
inline constexpr char kPlanKind[] = "plan";
inline constexpr char kSettlementDocKind[] = "settlement";
inline constexpr char kFeeKind[] = "fee";
inline constexpr char kDisputeKind[] = "dispute";
inline constexpr char kWriteOffDocKind[] = "write_off";
inline constexpr char kReferralKind[] = "referral";
// External-reference source system of ledger records the sidecar creates.
inline constexpr char kSidecarSource[] = "collections";

struct ArrangementConfig {
  // The policy of a tenant that never called ReplacePolicy (the server's
  // --policy file or the built-in default). Promise, plan and settlement
  // rules and the economics of settlement figures come from the tenant's
  // CollectionPolicy (RecoveryService.GetPolicy).
  v1::CollectionPolicy starting_policy = ToProtoPolicy(domain::DefaultPolicy());
  // Rate tables, statutory packs and jurisdiction caps.
  domain::FeeRules fee_rules = domain::DefaultFeeRules();
};

class ArrangementsApp {
 public:
  ArrangementsApp(store::Store& store, const domain::Clock& clock, ArrangementConfig config = {})
      : store_(store), clock_(clock), config_(std::move(config)) {}

  absl::StatusOr<v1::PromiseToPay> RecordPromise(const CallContext& ctx,
                                                 const v1::RecordPromiseRequest& r);
  absl::StatusOr<v1::ListPromisesResponse> ListPromises(const CallContext& ctx,
                                                        const v1::ListPromisesRequest& r);
  absl::StatusOr<v1::PaymentPlan> ProposePaymentPlan(const CallContext& ctx,
                                                     const v1::ProposePaymentPlanRequest& r);
  absl::StatusOr<v1::PaymentPlan> AcceptPaymentPlan(const CallContext& ctx,
                                                    const v1::AcceptPaymentPlanRequest& r);
  absl::StatusOr<v1::PaymentPlan> GetPaymentPlan(const CallContext& ctx,
                                                 const v1::GetPaymentPlanRequest& r);
  absl::StatusOr<v1::PaymentPlan> ExtendTerms(const CallContext& ctx,
                                              const v1::ExtendTermsRequest& r);
  absl::StatusOr<v1::Settlement> ProposeSettlement(const CallContext& ctx,
                                                   const v1::ProposeSettlementRequest& r);
  absl::StatusOr<v1::Settlement> AcceptSettlement(const CallContext& ctx,
                                                  const v1::AcceptSettlementRequest& r);
  absl::StatusOr<v1::AssessFeesResponse> AssessFees(const CallContext& ctx,
                                                    const v1::AssessFeesRequest& r);
  absl::StatusOr<v1::ApplyLateFeesResponse> ApplyLateFees(const CallContext& ctx,
                                                          const v1::ApplyLateFeesRequest& r);
  absl::StatusOr<v1::Dispute> OpenDispute(const CallContext& ctx, const v1::OpenDisputeRequest& r);
  absl::StatusOr<v1::Dispute> ResolveDispute(const CallContext& ctx,
                                             const v1::ResolveDisputeRequest& r);
  absl::StatusOr<v1::WriteOff> WriteOff(const CallContext& ctx, const v1::WriteOffRequest& r);
  absl::StatusOr<v1::WriteOff> ReverseWriteOff(const CallContext& ctx,
                                               const v1::ReverseWriteOffRequest& r);
  absl::StatusOr<v1::Referral> ReferToAgency(const CallContext& ctx,
                                             const v1::ReferToAgencyRequest& r);
  absl::StatusOr<v1::Referral> ReferToLegal(const CallContext& ctx,
                                            const v1::ReferToLegalRequest& r);
  absl::StatusOr<v1::Referral> RecordAgencyCollection(const CallContext& ctx,
                                                      const v1::RecordAgencyCollectionRequest& r);
  absl::StatusOr<v1::Referral> RecallReferral(const CallContext& ctx,
                                              const v1::RecallReferralRequest& r);
  absl::StatusOr<v1::ListArrangementsResponse> ListArrangements(
      const CallContext& ctx, const v1::ListArrangementsRequest& r);
  absl::StatusOr<v1::RefreshArrangementsResponse> RefreshArrangements(
      const CallContext& ctx, const v1::RefreshArrangementsRequest& r);

  const ArrangementConfig& config() const { return config_; }

 private:
  absl::StatusOr<v1::Referral> Refer(const CallContext& ctx, const std::string& parent,
                                     const v1::Referral& in, v1::Referral::Kind kind,
                                     const std::string& request_id, const v1::Date& as_of,
                                     absl::string_view method,
                                     const google::protobuf::Message& request);

  store::Store& store_;
  const domain::Clock& clock_;
  ArrangementConfig config_;
};

// ------------------------------------------------- for other app services

// RefreshArrangements inside the caller's write transaction, for the daily
// run: promises, plans and settlements decided as of `as_of`, under the
// tenant's stored policy or else `starting_policy` (null = built-in default).
absl::StatusOr<v1::RefreshArrangementsResponse> RefreshArrangementsInTx(
    store::Transaction& tx, const domain::Clock& clock, const CallContext& ctx,
    const std::string& tenant, const std::string& customer, absl::CivilDay as_of,
    const v1::CollectionPolicy* starting_policy = nullptr);

// What the loaders below read with: the clock of records they would date
// (null = the system clock) and the policy of a tenant that never replaced
// it (null = the built-in default). The tenant's stored policy wins.
struct LoadOptions {
  const domain::Clock* clock = nullptr;
  const v1::CollectionPolicy* starting_policy = nullptr;
};

// Fills the arrangement parts of an AccountContext (promises with their
// status as of `as_of`, plans with in_arrears, disputes, fees, the end
// state) from the store, inside the caller's transaction. The recovery
// engine's loader calls this so that a kept promise pauses escalation and a
// broken one resumes it.
absl::Status LoadArrangementContext(store::Transaction& tx, const std::string& tenant,
                                    const std::string& customer_id, absl::CivilDay as_of,
                                    domain::AccountContext* account,
                                    const LoadOptions& options = {});

// The end state and open arrangements of an account, for the account
// summary and the case file (ExportCaseFile), inside the caller's
// transaction.
absl::StatusOr<v1::AccountArrangements> LoadAccountArrangements(store::Transaction& tx,
                                                                const std::string& tenant,
                                                                const std::string& customer_id,
                                                                absl::CivilDay as_of,
                                                                const LoadOptions& options = {});

// Every arrangement of an account ordered by kind then id, for case files.
absl::StatusOr<std::vector<v1::Arrangement>> ListAccountArrangements(
    store::Transaction& tx, const std::string& customer_id);

}  // namespace collections::app

#endif  // COLLECTIONS_APP_ARRANGEMENTS_APP_H_
