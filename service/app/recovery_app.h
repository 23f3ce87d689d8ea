// RecoveryApp: the RecoveryService operations on collections_sidecar.v1 messages,
// without gRPC. It loads an AccountContext per customer from the store (the
// ledger snapshot, contacts, outbox actions and the arrangements: promises, plans,
// settlements, disputes),
// runs the pure engine (service/domain: recommend, compliance, risk,
// work_queue, templates) and writes contacts and outbox actions as store
// documents of kinds "contact" and "outbox"; the tenant's policy, once
// replaced over the API, is the document ("policy", "current"). Every
// mutation runs in one write transaction with request_id idempotency and
// appends its audit event in that transaction. Thread-safe.
#ifndef COLLECTIONS_APP_RECOVERY_APP_H_
#define COLLECTIONS_APP_RECOVERY_APP_H_

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "collections_sidecar/v1/recovery.pb.h"
#include "service/app/app_common.h"
#include "service/app/letters.h"
#include "service/app/recovery_convert.h"
#include "service/app/tenant_policy.h"
#include "service/domain/account_context.h"
#include "service/domain/fees.h"
#include "service/domain/policy.h"
#include "service/store/store.h"

namespace collections::app {

namespace v1 = ::collections_sidecar::v1;

class CaseKeeper;

inline constexpr char kContactKind[] = "contact";
inline constexpr char kOutboxKind[] = "outbox";

// Policy proto -> domain, validated (INVALID_ARGUMENT, reason
// INVALID_POLICY, field paths as in the proto).
absl::StatusOr<domain::CollectionPolicy> ToDomainPolicy(const v1::CollectionPolicy& p);

// Reads a policy file: proto text format, or JSON when the content starts
// with '{'. Validated; version 1.
absl::StatusOr<v1::CollectionPolicy> LoadPolicyFile(const std::string& path);

struct RecoveryConfig {
  // The policy every tenant starts with (from --policy=, else the default).
  v1::CollectionPolicy policy = ToProtoPolicy(domain::DefaultPolicy());
  // The creditor's name in rendered messages of tenants without a profile
  // (collectionsd --company_name; LetterService sets a tenant's profile).
  std::string company_name = "Our company";
  // Rate tables, statutory packs and caps the backtest replays fees with:
  // DefaultFeeRules(), as ArrangementConfig::fee_rules (the server
  // configures neither; one that does must give both the same rules).
  domain::FeeRules fee_rules = domain::DefaultFeeRules();
};

// How many outbox actions of the tenant are PENDING (a counter kept with
// every change of status, never a scan).
absl::StatusOr<int64_t> PendingActions(store::Transaction& tx);

class RecoveryApp {
 public:
  RecoveryApp(store::Store& store, const domain::Clock& clock, RecoveryConfig config = {})
      : store_(store), clock_(clock), config_(std::move(config)) {}

  absl::StatusOr<v1::CollectionPolicy> GetPolicy(const CallContext& ctx,
                                                 const v1::GetPolicyRequest& r);
  absl::StatusOr<v1::CollectionPolicy> ReplacePolicy(const CallContext& ctx,
                                                     const v1::ReplacePolicyRequest& r);
  absl::StatusOr<v1::Recommendation> GetRecommendation(const CallContext& ctx,
                                                       const v1::GetRecommendationRequest& r);
  absl::StatusOr<v1::ListRecommendationsResponse> ListRecommendations(
      const CallContext& ctx, const v1::ListRecommendationsRequest& r);
  absl::StatusOr<v1::ListWorkQueueResponse> ListWorkQueue(const CallContext& ctx,
                                                          const v1::ListWorkQueueRequest& r);
  // FAILED_PRECONDITION with the rule code as reason when the compliance
  // guard refuses and no matching override is given; nothing is written.
  absl::StatusOr<v1::ContactRecord> RecordContact(const CallContext& ctx,
                                                  const v1::RecordContactRequest& r);
  absl::StatusOr<v1::ListContactsResponse> ListContacts(const CallContext& ctx,
                                                        const v1::ListContactsRequest& r);
  absl::StatusOr<v1::ExportCaseFileResponse> ExportCaseFile(const CallContext& ctx,
                                                            const v1::ExportCaseFileRequest& r);
  absl::StatusOr<v1::RenderMessageResponse> RenderMessage(const CallContext& ctx,
                                                          const v1::RenderMessageRequest& r);
  // RenderMessage with `text` in place of a stored template (LetterService
  // PreviewMessageTemplate); nothing is written.
  absl::StatusOr<v1::RenderMessageResponse> PreviewMessage(const CallContext& ctx,
                                                           const v1::RenderMessageRequest& r,
                                                           const domain::MessageTemplate& text);
  // Deterministic for one as_of; a second run finds the same action ids and
  // creates nothing.
  absl::StatusOr<v1::RunCollectionsResponse> RunCollections(const CallContext& ctx,
                                                            const v1::RunCollectionsRequest& r);
  // Outbox actions with sequence > after_sequence, ascending (at most `limit`).
  absl::StatusOr<std::vector<v1::OutboxAction>> ListActions(const CallContext& ctx,
                                                            const v1::StreamActionsRequest& r,
                                                            int limit);
  absl::StatusOr<v1::OutboxAction> CompleteAction(const CallContext& ctx,
                                                  const v1::CompleteActionRequest& r);
  // Once at start-up: indexes outbox actions stored by earlier versions.
  absl::Status MigrateStore();
  absl::StatusOr<v1::PaymentRisk> GetPaymentRisk(const CallContext& ctx,
                                                 const v1::GetPaymentRiskRequest& r);

  // BacktestPolicy (backtest_app.cc): reads the tenant's ledger into memory
  // in one read transaction and replays it (domain/backtest.h); writes
  // nothing. `progress` receives progress messages (the report is the
  // return value); when it returns false the backtest stops with CANCELLED.
  // RESOURCE_EXHAUSTED BACKTEST_RUNNING when another backtest of the
  // tenant is still running after 10 s, BACKTEST_TOO_LARGE over 2,000,000
  // invoices;
  // INVALID_ARGUMENT INVALID_POLICY or INVALID_DATE_RANGE.
  using BacktestProgressFn = std::function<bool(const v1::BacktestProgress&)>;
  absl::StatusOr<v1::BacktestReport> BacktestPolicy(const CallContext& ctx,
                                                    const v1::BacktestPolicyRequest& r,
                                                    const BacktestProgressFn& progress);

  // The tenant profiles and templates every rendered message uses.
  Letters& letters() { return letters_; }

  // The engine's input for one customer, inside the caller's transaction.
  absl::StatusOr<domain::AccountContext> LoadContext(store::Transaction& tx,
                                                     const std::string& tenant,
                                                     const std::string& customer,
                                                     absl::CivilDay as_of);

  // The case keeper that RunCollections advances cases with (cases_app.h).
  void set_cases(CaseKeeper* cases) { cases_ = cases; }

  // The tenant's policy (the configured default until one is replaced).
  absl::StatusOr<v1::CollectionPolicy> TenantPolicy(store::Transaction& tx);

 private:
  absl::StatusOr<absl::CivilDay> AsOf(const v1::Date& d) const;
  // LoadContext's second half: the engine's input from what was read of the
  // account (its invoice and credit states, contact and outbox documents),
  // the arrangements read here. A caller that has read those already (the
  // case file) does not read them twice.
  absl::StatusOr<domain::AccountContext> BuildContext(
      store::Transaction& tx, const std::string& tenant, const std::string& customer,
      absl::CivilDay as_of, const v1::Customer& customer_doc,
      std::vector<domain::InvoiceState> invoice_states, std::vector<domain::CreditState> credits,
      const std::vector<store::Doc>& contacts, const std::vector<store::Doc>& outbox);
  // RenderMessage and PreviewMessage: `text` null = the stored template.
  absl::StatusOr<v1::RenderMessageResponse> RenderFor(const CallContext& ctx,
                                                      const v1::RenderMessageRequest& r,
                                                      const domain::MessageTemplate* text);

  store::Store& store_;
  const domain::Clock& clock_;
  RecoveryConfig config_;
  CaseKeeper* cases_ = nullptr;
  Letters letters_{config_.company_name};
  absl::Mutex backtest_mu_;
  std::set<std::string> backtests_running_ ABSL_GUARDED_BY(backtest_mu_);
};

}  // namespace collections::app

#endif  // COLLECTIONS_APP_RECOVERY_APP_H_
