// RecoveryApp::BacktestPolicy: the tenant's history replayed with candidate
// policies (service/domain/backtest.h) on an in-memory copy of its ledger.
//
// The copy is read in one read transaction (a consistent snapshot), one
// AccountContext per customer with its invoices' late-fee terms beside it,
// and never written back. The history's payment plans are left out of the
// copy: their arrears flag is the state of today, not of the replayed day;
// so are the fee invoices the sidecar raised: they are the fees of the
// policy that was in force (the replay raises its own, FeeReplay in
// domain/backtest.h). A tenant without an invoice issued on or before the
// range's last day has no history: FAILED_PRECONDITION NO_HISTORY, with
// the tenant and that day in ErrorInfo.metadata (an empty report would look
// like a policy that does nothing). Bounded: at most kMaxBacktestInvoices
// invoices and kMaxBacktestDays days; one backtest per tenant at a time (a
// second one waits up to kWaitForRunning, then is refused).
#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/str_cat.h"
#include "service/app/arrangement_convert.h"
#include "service/app/arrangement_ops.h"
#include "service/app/ledger_ops.h"
#include "service/app/recovery_app.h"
#include "service/base/errors.h"
#include "service/base/resource_names.h"
#include "service/base/status_macros.h"
#include "service/domain/backtest.h"

namespace collections::app {

namespace {

constexpr int64_t kMaxBacktestInvoices = 2000000;
constexpr int kMaxBacktestDays = 3660;
// Customers read per page while copying.
constexpr int kCopyPage = 500;

// How long a backtest waits for the tenant's running one to end (a client
// that cancelled one and starts another finds the first still stopping).
constexpr absl::Duration kWaitForRunning = absl::Seconds(10);

// Marks the tenant's backtest as running for the scope's lifetime, after
// waiting up to kWaitForRunning for one already running to end.
class RunningBacktest {
 public:
  RunningBacktest(absl::Mutex& mu, std::set<std::string>& running, const std::string& tenant)
      : mu_(mu), running_(running), tenant_(tenant) {
    absl::MutexLock l(&mu_);
    auto free = [this]()
                    ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return running_.count(tenant_) == 0; };
    mu_.AwaitWithTimeout(absl::Condition(&free), kWaitForRunning);
    acquired_ = running_.insert(tenant_).second;
  }
  ~RunningBacktest() {
    if (!acquired_) return;
    absl::MutexLock l(&mu_);
    running_.erase(tenant_);
  }
  bool acquired() const { return acquired_; }

 private:
  absl::Mutex& mu_;
  std::set<std::string>& running_;
  std::string tenant_;
  bool acquired_ = false;
};

// Removes the fee invoices the sidecar raised from `account` and returns
// the late-fee terms of the invoices left, in their order.
absl::StatusOr<std::vector<domain::LateFeeTerms>> TakeFeeTerms(store::Transaction& tx,
                                                               domain::AccountContext& account) {
  struct Stored {
    domain::LateFeeTerms terms;
    bool fee_invoice = false;
  };
  std::map<std::string, Stored> by_id;
  store::InvoiceFilter f;
  f.customer = account.customer.id;
  f.limit = 1000;
  while (true) {
    ASSIGN_OR_RETURN(std::vector<store::InvoiceRow> page, tx.ListInvoices(f));
    for (const store::InvoiceRow& row : page) {
      v1::Invoice inv;
      if (!inv.ParseFromString(row.body)) {
        return absl::InternalError(
            absl::StrCat("stored invoice ", row.id, " (number ", row.number, ") does not parse"));
      }
      by_id[row.id] = {TermsOf(inv.terms().late_fee()), IsFeeInvoice(inv)};
    }
    if (static_cast<int>(page.size()) < f.limit) break;
    f.after_id = page.back().id;
  }
  std::vector<domain::LateFeeTerms> terms;
  std::vector<domain::InvoiceContext> kept;
  for (domain::InvoiceContext& inv : account.invoices) {
    const auto it = by_id.find(inv.state.id);
    if (it != by_id.end() && it->second.fee_invoice) continue;
    terms.push_back(it != by_id.end() ? it->second.terms : domain::LateFeeTerms{});
    kept.push_back(std::move(inv));
  }
  account.invoices = std::move(kept);
  return terms;
}

absl::Status NoHistory(const std::string& tenant, absl::CivilDay last) {
  const std::string day = absl::FormatCivilTime(last);
  return domain::WithMetadata(
      domain::WithMetadata(
          domain::PreconditionError(
              "NO_HISTORY",
              absl::StrCat("tenant ", tenant, " has no invoice issued on or before ", day,
                           ": there is no history to replay (sync its ledger "
                           "first, or choose a later end_date)")),
          "tenant", tenant),
      "end_date", day);
}

void FillRisk(const domain::RiskScores& s, v1::RiskBacktest* out) {
  out->set_predictions(s.predictions);
  out->set_observed_late_rate(s.observed_late_rate);
  out->set_auc(s.auc);
  out->set_brier(s.brier);
  out->set_days_late_mae(s.days_late_mae);
  out->set_days_late_mae_always_zero(s.days_late_mae_always_zero);
  for (const auto& b : s.calibration) {
    v1::CalibrationBin* c = out->add_calibration();
    c->set_predicted_from(b.from);
    c->set_predicted_to(b.to);
    c->set_count(b.count);
    c->set_mean_predicted(b.mean_predicted);
    c->set_observed_rate(b.observed_rate);
  }
}

void FillPolicy(const std::string& label, int64_t version, const domain::PolicyOutcome& o,
                v1::PolicyBacktest* out) {
  out->set_label(label);
  out->set_policy_version(version);
  out->set_contacts(o.contacts);
  out->set_customers_contacted(o.customers_contacted);
  out->set_contacts_per_customer(o.contacts_per_customer);
  for (const auto& [stage, n] : o.stages_reached) {
    v1::StageCount* c = out->add_stages_reached();
    c->set_stage(ToProtoStage(stage));
    c->set_customers(n);
  }
  out->set_referrals(o.referrals);
  out->set_settlements_offered(o.settlements_offered);
  out->set_payment_plans_offered(o.payment_plans_offered);
  for (const auto& [action, n] : o.actions) {
    v1::ActionCount* c = out->add_actions_by_kind();
    c->set_action(static_cast<v1::Recommendation::Action>(static_cast<int>(action) + 1));
    c->set_count(n);
  }
  out->set_currency(o.currency);
  out->set_dso_actual(o.dso_actual);
  out->set_dso_simulated(o.dso_simulated);
  out->set_recovered_actual_minor(o.recovered_actual);
  out->set_recovered_simulated_minor(o.recovered_simulated);
  out->set_fees_simulated_minor(o.fees_simulated);
  out->set_fees_actual_minor(o.fees_actual);
  out->set_fee_invoices(o.fee_invoices);
}

// The policies to replay, with their labels and versions.
struct Candidate {
  std::string label;
  domain::CollectionPolicy policy;
  int64_t version = 0;
};

// Reports a phase's progress; false means the client cancelled.
using Progress = absl::FunctionRef<bool(const char* phase, int policy_index, int done, int total)>;

absl::Status Cancelled() { return absl::CancelledError("the backtest was cancelled"); }

// What the request asks for, checked before anything is read: the optional
// range and the request's own policies ("current" joins after the copy).
struct BacktestAsk {
  std::optional<absl::CivilDay> start, end;
  std::vector<Candidate> candidates;
};

absl::StatusOr<BacktestAsk> ReadAsk(const v1::BacktestPolicyRequest& r, absl::CivilDay today) {
  BacktestAsk ask;
  if (HasDate(r.start_date())) {
    ASSIGN_OR_RETURN(ask.start, ToDay(r.start_date(), "start_date"));
  }
  if (HasDate(r.end_date())) {
    ASSIGN_OR_RETURN(ask.end, ToDay(r.end_date(), "end_date"));
  }
  if (ask.end && *ask.end > today) {
    return domain::InvalidInput("INVALID_DATE_RANGE", "end_date", "after today");
  }
  auto validated = [](const v1::CollectionPolicy& p,
                      const char* field) -> absl::StatusOr<domain::CollectionPolicy> {
    auto d = ToDomainPolicy(p);
    if (!d.ok()) return domain::PrefixFields(d.status(), field);
    return d;
  };
  if (r.has_policy()) {
    ASSIGN_OR_RETURN(domain::CollectionPolicy p, validated(r.policy(), "policy."));
    ask.candidates.push_back({"candidate", p, r.policy().version()});
  }
  if (r.has_compare_policy()) {
    ASSIGN_OR_RETURN(domain::CollectionPolicy p, validated(r.compare_policy(), "compare_policy."));
    ask.candidates.push_back({"compare", p, r.compare_policy().version()});
  }
  return ask;
}

// The tenant's ledger in memory (see the header comment for what is left
// out), with the late-fee terms of its invoices beside it.
struct LedgerCopy {
  std::vector<domain::AccountContext> accounts;
  domain::FeeReplay fees;
  int64_t invoices = 0;
};

// Copies every customer's account as of `load_day` into `copy`, a page of
// customers at a time. RESOURCE_EXHAUSTED BACKTEST_TOO_LARGE past
// kMaxBacktestInvoices; CANCELLED when `progress` says so.
absl::Status CopyLedger(RecoveryApp& app, store::Transaction& tx, const std::string& tenant,
                        absl::CivilDay load_day, Progress progress, LedgerCopy& copy) {
  std::string after;
  while (true) {
    ASSIGN_OR_RETURN(auto page, tx.ListDocs(kCustomerKind, "", after, kCopyPage));
    if (page.empty()) break;
    after = page.back().id;
    for (const auto& doc : page) {
      ASSIGN_OR_RETURN(domain::AccountContext a, app.LoadContext(tx, tenant, doc.id, load_day));
      a.plans.clear();
      ASSIGN_OR_RETURN(std::vector<domain::LateFeeTerms> terms, TakeFeeTerms(tx, a));
      copy.fees.terms.push_back(std::move(terms));
      copy.invoices += static_cast<int64_t>(a.invoices.size());
      if (copy.invoices > kMaxBacktestInvoices) {
        return domain::WithReason(absl::ResourceExhaustedError(absl::StrCat(
                                      "the ledger has more than ", kMaxBacktestInvoices,
                                      " invoices, the most a backtest reads")),
                                  "BACKTEST_TOO_LARGE");
      }
      copy.accounts.push_back(std::move(a));
    }
    if (!progress("LOADING", 0, 0, 0)) return Cancelled();
  }
  return absl::OkStatus();
}

struct DayRange {
  absl::CivilDay from, to;
};

// The days to replay: the asked range, by default from the first invoice
// issued to yesterday. FAILED_PRECONDITION NO_HISTORY without such an
// invoice; INVALID_ARGUMENT INVALID_DATE_RANGE for an empty or too long one.
absl::StatusOr<DayRange> ReplayRange(const std::vector<domain::AccountContext>& accounts,
                                     const BacktestAsk& ask, absl::CivilDay today,
                                     const std::string& tenant) {
  const absl::CivilDay to = ask.end.value_or(today - 1);
  std::optional<absl::CivilDay> first;
  for (const auto& a : accounts) {
    for (const auto& inv : a.invoices) {
      if (inv.state.issue_date <= to && (!first || inv.state.issue_date < *first)) {
        first = inv.state.issue_date;
      }
    }
  }
  if (!first) return NoHistory(tenant, to);
  const absl::CivilDay from = ask.start.value_or(*first);
  if (from > to) {
    return domain::InvalidInput("INVALID_DATE_RANGE", "start_date", "after end_date");
  }
  if (to - from + 1 > kMaxBacktestDays) {
    return domain::InvalidInput(
        "INVALID_DATE_RANGE", "start_date",
        absl::StrCat("more than ", kMaxBacktestDays, " days before end_date"));
  }
  return DayRange{from, to};
}

// Replays the risk scores, fits the reminder effect and replays each
// candidate policy under it, into `out`. CANCELLED when `progress` says so.
absl::Status Replay(const LedgerCopy& copy, const std::vector<Candidate>& candidates, DayRange days,
                    Progress progress, v1::BacktestReport& out) {
  bool stopped = false;
  const std::vector<domain::RiskPrediction> predictions =
      domain::ReplayRisk(copy.accounts, days.from, days.to, [&](int done, int total) {
        stopped = !progress("RISK", 0, done, total);
        return !stopped;
      });
  if (stopped) return Cancelled();
  FillRisk(domain::ScoreRisk(predictions), out.mutable_risk());

  const domain::ReminderEffect effect =
      domain::FitReminderEffect(copy.accounts, days.from, days.to);
  out.set_reminder_effect_fitted(effect.fitted);
  out.set_reminder_response_bp(effect.response_bp);
  out.set_reminder_lag_days(effect.lag_days);
  for (const auto& a : domain::BacktestAssumptions(effect)) out.add_assumptions(a);

  int64_t unassessed = 0;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const domain::PolicyOutcome o = domain::ReplayPolicy(
        copy.accounts, candidates[i].policy, days.from, days.to, effect,
        [&](int done, int total) {
          stopped = !progress("POLICY", static_cast<int>(i), done, total);
          return !stopped;
        },
        copy.fees);
    if (stopped) return Cancelled();
    unassessed = std::max(unassessed, o.fees_unassessed);
    FillPolicy(candidates[i].label, candidates[i].version, o, out.add_policies());
  }
  if (unassessed > 0) {
    out.add_assumptions(
        absl::StrCat(unassessed,
                     " invoices count no simulated fee: their terms could not be assessed on "
                     "these days (a rate table without the day's rate, or terms the fee rules "
                     "refuse; AssessFees on one of them names the problem)."));
  }
  return absl::OkStatus();
}

}  // namespace

// The steps: read the ask, take the tenant's slot, copy the ledger (and the
// current policy) in one read transaction, find the range, replay.
absl::StatusOr<v1::BacktestReport> RecoveryApp::BacktestPolicy(const CallContext& ctx,
                                                               const v1::BacktestPolicyRequest& r,
                                                               const BacktestProgressFn& progress) {
  const auto started = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(std::string tenant, ParseTenantName(r.parent(), "parent"));
  RETURN_IF_ERROR(CheckTenant(ctx, tenant));
  const absl::CivilDay today = clock_.TodayUtc();
  ASSIGN_OR_RETURN(BacktestAsk ask, ReadAsk(r, today));

  RunningBacktest running(backtest_mu_, backtests_running_, tenant);
  if (!running.acquired()) {
    return domain::WithRetryDelay(
        domain::WithReason(absl::ResourceExhaustedError(absl::StrCat(
                               "a backtest of tenant ", tenant, " is already running")),
                           "BACKTEST_RUNNING"),
        absl::Seconds(30));
  }
  auto report = [&](const char* phase, int policy_index, int done, int total) {
    v1::BacktestProgress p;
    p.set_phase(phase);
    p.set_policy_index(policy_index);
    p.set_days_done(done);
    p.set_days_total(total);
    return !progress || progress(p);
  };

  LedgerCopy copy;
  std::optional<Candidate> current;
  RETURN_IF_ERROR(
      store_.Run(tenant, store::TxMode::kRead, [&](store::Transaction& tx) -> absl::Status {
        copy = LedgerCopy{{}, {&config_.fee_rules, {}}, 0};
        ASSIGN_OR_RETURN(v1::CollectionPolicy policy, TenantPolicy(tx));
        if (ask.candidates.empty() || r.compare_with_current()) {
          ASSIGN_OR_RETURN(domain::CollectionPolicy p, ToDomainPolicy(policy));
          current = Candidate{"current", p, policy.version()};
        }
        return CopyLedger(*this, tx, tenant, ask.end.value_or(today), report, copy);
      }));
  if (current) ask.candidates.push_back(*std::move(current));

  ASSIGN_OR_RETURN(DayRange days, ReplayRange(copy.accounts, ask, today, tenant));
  v1::BacktestReport out;
  *out.mutable_start_date() = ToProtoDate(days.from);
  *out.mutable_end_date() = ToProtoDate(days.to);
  out.set_customers(static_cast<int32_t>(copy.accounts.size()));
  out.set_invoices(copy.invoices);
  RETURN_IF_ERROR(Replay(copy, ask.candidates, days, report, out));
  out.set_elapsed_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now() - started)
                         .count());
  return out;
}

}  // namespace collections::app
