// risk_report: the payment-risk model and the policy backtest on the
// synthetic ledger (tests/common/synthetic_ledger.h), for BENCHMARKS.md.
//
//   risk_report                      model vs baselines, walk-forward, as a
//                                    Markdown table (whole range and second half)
//   risk_report --customers_per_segment=500 --timing
//                                    ~100k invoices: wall time and peak RSS of
//                                    ReplayRisk and ReplayPolicy (with fees
//                                    assessed on every invoice)
//
// Baselines are computed here from the same past data as the model:
//   previous model  the model before the current one (commit afe85f9): paid
//                   invoices only, the portfolio worth 8 invoices, mean delay;
//   own rate        the customer's late rate over its matured invoices so far
//                   (the portfolio's without any), with "0 days late" (so its
//                   MAE column is the "always 0 days late" baseline);
//   own rate, recent-weighted  the same with the model's half-life;
//   truth           the generator's own probability (a ceiling, not a model).
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_format.h"
#include "service/domain/backtest.h"
#include "tests/common/synthetic_ledger.h"

ABSL_FLAG(int, customers_per_segment, 25, "customers of each of the four segments");
ABSL_FLAG(int, days, 730, "days of history");
ABSL_FLAG(uint64_t, seed, 20, "generator seed");
ABSL_FLAG(bool, timing, false, "time the replays instead of comparing models");

namespace collections {
namespace {

using domain::AccountContext;
using domain::RiskPrediction;

// The customer's matured record on a day.
struct Record {
  double n = 0, k = 0, wn = 0, wk = 0;
  int64_t paid = 0, paid_late = 0, paid_days = 0;
};

Record RecordOf(const AccountContext& a, absl::CivilDay day) {
  Record r;
  for (const auto& inv : a.invoices) {
    const auto o = domain::OutcomeAsOf(inv.state, day);
    if (!o) continue;
    const double w =
        std::exp2(-static_cast<double>(std::max<int64_t>(0, day - inv.state.due_date)) /
                  domain::kRecencyHalfLifeDays);
    r.n += 1;
    r.k += o->late;
    r.wn += w;
    r.wk += w * o->late;
    if (o->paid) {
      ++r.paid;
      if (o->late) {
        ++r.paid_late;
        r.paid_days += o->days_late;
      }
    }
  }
  return r;
}

struct Portfolio {
  double n = 0, k = 0;
  int64_t paid = 0, paid_late = 0, paid_days = 0;
};

std::vector<RiskPrediction> Baseline(const synthetic::SyntheticLedger& ledger,
                                     const std::vector<RiskPrediction>& model, int which) {
  std::map<std::string, int> index;
  for (size_t i = 0; i < ledger.accounts.size(); ++i) index[ledger.accounts[i].customer.id] = i;
  std::map<absl::CivilDay, Portfolio> portfolio;
  std::vector<RiskPrediction> out = model;
  for (RiskPrediction& p : out) {
    auto it = portfolio.find(p.issue_date);
    if (it == portfolio.end()) {
      Portfolio all;
      for (const auto& a : ledger.accounts) {
        const Record r = RecordOf(a, p.issue_date);
        all.n += r.n;
        all.k += r.k;
        all.paid += r.paid;
        all.paid_late += r.paid_late;
        all.paid_days += r.paid_days;
      }
      it = portfolio.emplace(p.issue_date, all).first;
    }
    const Portfolio& all = it->second;
    const int c = index[p.customer];
    const Record r = RecordOf(ledger.accounts[c], p.issue_date);
    const double rate = all.n > 0 ? all.k / all.n : 0.3;
    switch (which) {
      case 0: {  // the previous model
        const double prior_late =
            all.paid > 0 ? static_cast<double>(all.paid_late) / all.paid : 0.3;
        const double prior_days = all.paid > 0 ? static_cast<double>(all.paid_days) / all.paid : 8;
        p.probability = (r.paid_late + 8 * prior_late) / (r.paid + 8.0);
        p.expected_days_late =
            static_cast<int>(std::lround((r.paid_days + 8 * prior_days) / (r.paid + 8.0)));
        break;
      }
      case 1:
        p.probability = r.n > 0 ? r.k / r.n : rate;
        p.expected_days_late = 0;
        break;
      case 2:
        p.probability = r.wn > 0 ? r.wk / r.wn : rate;
        p.expected_days_late = 0;
        break;
      case 3: {
        const auto& inv = ledger.accounts[c].invoices;
        for (const auto& i : inv) {
          if (i.state.id == p.invoice)
            p.probability = ledger.TrueLateProbability(c, i.state.due_date);
        }
        break;
      }
    }
  }
  return out;
}

double MaxCalibrationGap(const domain::RiskScores& s) {
  double gap = 0;
  for (const auto& b : s.calibration) {
    if (b.count >= 50) gap = std::max(gap, std::abs(b.mean_predicted - b.observed_rate));
  }
  return gap;
}

// Mean prediction and observed rate for invoices of customers without a
// matured invoice of their own on the issue day.
std::pair<double, double> ColdStart(const synthetic::SyntheticLedger& ledger,
                                    const std::vector<RiskPrediction>& ps) {
  std::map<std::string, int> index;
  for (size_t i = 0; i < ledger.accounts.size(); ++i) index[ledger.accounts[i].customer.id] = i;
  double pred = 0, obs = 0;
  int n = 0;
  for (const auto& p : ps) {
    if (RecordOf(ledger.accounts[index[p.customer]], p.issue_date).n > 0) continue;
    pred += p.probability;
    obs += p.late;
    ++n;
  }
  return n > 0 ? std::pair{pred / n, obs / n} : std::pair{0.0, 0.0};
}

void Row(const char* name, const synthetic::SyntheticLedger& ledger,
         const std::vector<RiskPrediction>& ps, bool days) {
  const domain::RiskScores s = domain::ScoreRisk(ps);
  const auto [cold_pred, cold_obs] = ColdStart(ledger, ps);
  std::printf("| %s | %.3f | %.3f | %s | %.3f | %.2f / %.2f |\n", name, s.auc, s.brier,
              days ? absl::StrFormat("%.2f", s.days_late_mae).c_str() : "–", MaxCalibrationGap(s),
              cold_pred, cold_obs);
}

void Table(const char* title, const synthetic::SyntheticLedger& ledger,
           const std::vector<RiskPrediction>& model) {
  std::printf("\n%s (%zu invoices)\n\n", title, model.size());
  std::printf(
      "| model | AUC | Brier | days-late MAE | worst calibration bin (n>=50) | cold start: "
      "predicted / observed |\n");
  std::printf("|---|---|---|---|---|---|\n");
  Row("this model", ledger, model, true);
  Row("previous model (afe85f9)", ledger, Baseline(ledger, model, 0), true);
  Row("own late rate so far; always \"0 days late\"", ledger, Baseline(ledger, model, 1), true);
  Row("own rate, recent weighted", ledger, Baseline(ledger, model, 2), false);
  Row("truth (generator's probability)", ledger, Baseline(ledger, model, 3), false);
}

// The explanation of a fresh invoice due next July for the first seasonal
// customer, estimated on the last day.
void PrintSeasonalExample(const synthetic::SyntheticLedger& ledger) {
  std::vector<const AccountContext*> all;
  for (const auto& a : ledger.accounts) all.push_back(&a);
  const domain::PortfolioPrior prior = domain::EstimatePortfolioPrior(all, ledger.end);
  for (size_t i = 0; i < ledger.accounts.size(); ++i) {
    if (ledger.customers[i].segment != synthetic::PayerSegment::kSeasonal) continue;
    domain::InvoiceState next = ledger.accounts[i].invoices.back().state;
    next.id = "next";
    next.settlements.clear();
    next.issue_date = ledger.end;
    next.due_date = absl::CivilDay(ledger.end.year() + 1, 7, 15);
    const domain::RiskEstimate r =
        domain::EstimateInvoiceRisk(ledger.accounts[i], next, prior, ledger.end);
    std::printf("\nExample (%s, an invoice due %s):\n> %s\n", ledger.customers[i].id.c_str(),
                absl::FormatCivilTime(next.due_date).c_str(), r.explanation.c_str());
    return;
  }
}

long PeakRssKb() {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

int Main() {
  synthetic::SyntheticOptions o;
  o.customers_per_segment = absl::GetFlag(FLAGS_customers_per_segment);
  o.days = absl::GetFlag(FLAGS_days);
  o.seed = absl::GetFlag(FLAGS_seed);
  auto t0 = std::chrono::steady_clock::now();
  const synthetic::SyntheticLedger ledger = synthetic::GenerateSyntheticLedger(o);
  size_t invoices = 0;
  for (const auto& a : ledger.accounts) invoices += a.invoices.size();
  auto seconds = [](auto from) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - from).count();
  };
  std::printf("synthetic ledger: %zu customers, %zu invoices, %d days (generated in %.2f s)\n",
              ledger.accounts.size(), invoices, o.days, seconds(t0));
  t0 = std::chrono::steady_clock::now();
  const std::vector<RiskPrediction> ps =
      domain::ReplayRisk(ledger.accounts, o.start, ledger.end, nullptr);
  const double risk_s = seconds(t0);
  if (absl::GetFlag(FLAGS_timing)) {
    const domain::RiskScores s = domain::ScoreRisk(ps);
    std::printf("ReplayRisk: %zu predictions in %.2f s (AUC %.3f, Brier %.3f)\n", ps.size(), risk_s,
                s.auc, s.brier);
    t0 = std::chrono::steady_clock::now();
    const domain::ReminderEffect e =
        domain::FitReminderEffect(ledger.accounts, o.start, ledger.end);
    // Every invoice with contract interest (8 % a year), so that every
    // invoice's fees are assessed: the fee replay's worst case.
    const domain::FeeRules rules = domain::DefaultFeeRules();
    domain::FeeReplay fees{&rules, {}};
    domain::LateFeeTerms interest;
    interest.kind = domain::LateFeeKind::kDailyInterest;
    interest.annual_rate_bp = 800;
    for (const auto& a : ledger.accounts) fees.terms.emplace_back(a.invoices.size(), interest);
    const domain::PolicyOutcome out = domain::ReplayPolicy(ledger.accounts, domain::DefaultPolicy(),
                                                           o.start, ledger.end, e, nullptr, fees);
    std::printf(
        "ReplayPolicy (default policy, fees on every invoice): %lld contacts, %lld referrals, "
        "EUR %.2f fees on %lld invoices in %.2f s\n",
        static_cast<long long>(out.contacts), static_cast<long long>(out.referrals),
        out.fees_simulated / 100.0, static_cast<long long>(out.fee_invoices), seconds(t0));
    std::printf("peak RSS %ld MiB\n", PeakRssKb() / 1024);
    return 0;
  }
  Table("Whole range", ledger, ps);
  std::vector<RiskPrediction> second;
  const absl::CivilDay mid = o.start + o.days / 2;
  for (const auto& p : ps) {
    if (p.issue_date >= mid) second.push_back(p);
  }
  Table("Second half", ledger, second);
  const domain::RiskScores s = domain::ScoreRisk(second);
  const domain::RiskScores all = domain::ScoreRisk(ps);
  std::printf(
      "\nDays-late MAE of the point figure (the median of the predictive distribution) "
      "against always \"0 days late\": whole range %.2f vs %.2f (%s), second half %.2f vs %.2f "
      "(%s)\n",
      all.days_late_mae, all.days_late_mae_always_zero,
      all.days_late_mae < all.days_late_mae_always_zero ? "beats it" : "does not beat it",
      s.days_late_mae, s.days_late_mae_always_zero,
      s.days_late_mae < s.days_late_mae_always_zero ? "beats it" : "does not beat it");
  PrintSeasonalExample(ledger);
  std::printf(
      "\nCalibration of this model, second half\n\n| predicted | invoices | mean predicted | "
      "observed |\n|---|---|---|---|\n");
  for (const auto& b : s.calibration) {
    if (b.count == 0) continue;
    std::printf("| %.0f-%.0f %% | %lld | %.3f | %.3f |\n", b.from * 100, b.to * 100,
                static_cast<long long>(b.count), b.mean_predicted, b.observed_rate);
  }
  return 0;
}

}  // namespace
}  // namespace collections

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return collections::Main();
}
