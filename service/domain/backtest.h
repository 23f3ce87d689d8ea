// Backtesting on a tenant's own history: how well the risk model (risk.h)
// would have predicted, and what a collection policy would have done and
// changed. Pure: it works on a copy of the ledger as AccountContext values
// and writes nothing; the app layer loads the copy and streams progress.
//
// Everything is replayed day by day, and each day sees only what was known
// on it: invoices issued, settlements and disputes dated on or before it, and
// the contacts the replayed policy itself made (the history's own contacts,
// promises and plans belong to the policy that was in force, so they are not
// shown to the candidate).
//
//   ReplayRisk     scores every invoice on its issue day with the prior of
//                  that day (the tenant aggregate is rebuilt incrementally
//                  from the days' events, as the case keeping does live).
//   ScoreRisk      AUC, Brier score, days-late MAE and a calibration table.
//   FitReminderEffect  how a reminder moves a payment, from the history.
//   ReplayPolicy   the policy's actions each day (domain::Recommend) and
//                  their simulated effect on DSO, recovered amounts and the
//                  late fees the invoices' terms would have charged
//                  (AssessLateFees, the rules ApplyLateFees charges by).
//
// Cost: ReplayRisk is O(sum over customers of invoices^2); ReplayPolicy
// evaluates a customer only on days it has an invoice open and due within
// the pre-due window, with one snapshot per customer kept up to date by
// events, so memory stays at one copy of the ledger plus its contacts.
#ifndef COLLECTIONS_DOMAIN_BACKTEST_H_
#define COLLECTIONS_DOMAIN_BACKTEST_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "service/domain/account_context.h"
#include "service/domain/fees.h"
#include "service/domain/policy.h"
#include "service/domain/recommend.h"
#include "service/domain/risk.h"

namespace collections::domain {

// Called with (days done, days total); returning false stops the replay
// (the result then covers the days done). May be empty.
using ReplayProgress = std::function<bool(int days_done, int days_total)>;

// ------------------------------------------------------------ scores

// One prediction and what happened.
struct RiskPrediction {
  std::string customer;
  std::string invoice;
  absl::CivilDay issue_date;
  double probability = 0;  // late_probability_bp / 10000
  int expected_days_late = 0;
  bool late = false;
  // Days late when the outcome's delay is known (paid, or on time = 0);
  // -1 for an invoice still unpaid past due at the end.
  int days_late = -1;
};

struct CalibrationBin {
  double from = 0;
  double to = 0;
  int64_t count = 0;
  double mean_predicted = 0;
  double observed_rate = 0;
};

struct RiskScores {
  int64_t predictions = 0;
  double observed_late_rate = 0;
  double auc = 0.5;  // 0.5 when one class is empty
  double brier = 0;
  double days_late_mae = 0;
  double days_late_mae_always_zero = 0;     // the baseline: "0 days late" every time
  std::vector<CalibrationBin> calibration;  // ten bins of width 0.1
};

// Area under the ROC curve by ranks (Mann-Whitney), ties counted half:
// O(n log n).
double Auc(const std::vector<RiskPrediction>& predictions);
RiskScores ScoreRisk(const std::vector<RiskPrediction>& predictions);

// Every invoice issued in [start, end] whose outcome is known on `end`,
// predicted by EstimateInvoiceRisk on its issue day.
std::vector<RiskPrediction> ReplayRisk(const std::vector<AccountContext>& accounts,
                                       absl::CivilDay start, absl::CivilDay end,
                                       const ReplayProgress& progress);

// ------------------------------------------------------------ policy

// How a reminder moves a payment in the simulation: with probability
// response_bp / 10000 an overdue invoice that the reminder reaches is paid
// lag_days later (if that is earlier than it was paid).
struct ReminderEffect {
  bool fitted = false;  // false: the defaults below
  int response_bp = 3000;
  int lag_days = 7;
  int64_t reminded = 0;  // sample sizes of the fit
  int64_t unreminded = 0;
};
// Enough history for a fit: this many reminded and unreminded invoices.
inline constexpr int kMinReminderSample = 30;
// The window a payment must fall in after a reminder to count as its effect.
inline constexpr int kReminderWindowDays = 14;

// From the history's outbound contacts: among overdue invoices reminded
// while open, the share paid within kReminderWindowDays (f1); among overdue
// invoices never reminded, the share paid within the same window from the
// same age (f0). response = (f1 - f0) / (1 - f0), at least 0; lag = the
// median days from reminder to payment within the window.
ReminderEffect FitReminderEffect(const std::vector<AccountContext>& accounts, absl::CivilDay start,
                                 absl::CivilDay end);

struct PolicyOutcome {
  int64_t contacts = 0;
  int customers_contacted = 0;
  int customers_overdue = 0;
  double contacts_per_customer = 0;
  std::map<Stage, int64_t> stages_reached;  // customers by highest stage
  int64_t referrals = 0;
  int64_t settlements_offered = 0;
  int64_t payment_plans_offered = 0;
  std::map<Action, int64_t> actions;
  std::string currency;
  double dso_actual = 0;
  double dso_simulated = 0;
  int64_t recovered_actual = 0;
  int64_t recovered_simulated = 0;
  // Late fees and interest on the invoices of the money figures (see
  // FeeReplay): simulated (expected under the reminder effect), the
  // invoices charged, and those raised in the history and not waived.
  int64_t fees_simulated = 0;
  int64_t fee_invoices = 0;
  int64_t fees_actual = 0;
  // Invoices whose fees could not be assessed (a rate table without the
  // day's rate, terms the fee rules refuse); they count no simulated fee.
  int64_t fees_unassessed = 0;
};

// What the fee part of ReplayPolicy needs beyond the copy: the rules the
// server assesses fees with, and each invoice's late-fee terms (the copy's
// InvoiceState has none). Without rules, no fee is simulated.
//
// Each invoice is assessed once, on the last day of the range or on the
// day its account was referred (the agency takes over then), as
// ApplyLateFees would assess it that day having charged nothing before:
// stages_reached = the ladder stages after PRE_DUE_REMINDER that the policy
// carried out on it after its due date; paused while a dispute on it is
// open that day; interest accrues on the amount due of each day, so it
// ends with the payment. When the reminder effect moves the payment, the
// fee is the same mixture as the money figures: (1 - q) x the fee with the
// actual payments + q x the fee with the rest paid on the moved day.
struct FeeReplay {
  const FeeRules* rules = nullptr;
  // By account, then by invoice in AccountContext::invoices order;
  // missing entries mean no clause (LateFeeKind::kUnspecified).
  std::vector<std::vector<LateFeeTerms>> terms;
};

// Replays `policy` over [start, end] (see the header comment) and simulates
// the payments under `effect`. Deterministic.
PolicyOutcome ReplayPolicy(const std::vector<AccountContext>& accounts,
                           const CollectionPolicy& policy, absl::CivilDay start, absl::CivilDay end,
                           const ReminderEffect& effect, const ReplayProgress& progress,
                           const FeeReplay& fees = {});

// The assumptions of ReplayPolicy and the effect used, in sentences.
std::vector<std::string> BacktestAssumptions(const ReminderEffect& effect);

}  // namespace collections::domain

#endif  // COLLECTIONS_DOMAIN_BACKTEST_H_
