#include "service/domain/risk.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace collections::domain {

namespace {

constexpr int kRecentDisputeDays = 180;
constexpr int kRecentBrokenPromiseDays = 365;
constexpr double kOpenDisputeOdds = 1.25;
constexpr int kDisputeHabitDays = 365;
constexpr int kHabitualDisputes = 3;
constexpr double kRecentDisputeOdds = 1.1;
constexpr double kBrokenPromiseOdds = 1.5;
constexpr int kMaxBrokenPromisesCounted = 2;
constexpr double kPlanInArrearsOdds = 2.0;
constexpr double kInvoiceDisputedOdds = 3.0;
// The open-ended last delay band is read as ending here when interpolating.
constexpr int kLastBandEnd = 730;

// ------------------------------------------------------------ Kaplan-Meier

// Late delays at one time: payments made that late, and invoices known to
// be at least that late (still open, or written off).
struct KmPoint {
  int time = 0;
  int64_t events = 0;
  int64_t censored = 0;
};

// The delays of late payments, ascending by time. `banded` points stand for
// a band ending at `time` (the quantile is interpolated within the band);
// otherwise each point is an exact day.
struct DelayModel {
  std::vector<KmPoint> points;
  bool banded = false;
  int64_t payments = 0;
  bool own = false;
};

// The q-quantile of the delay given that it exceeds `given` days, by the
// Kaplan-Meier estimate (censored points leave the risk set after the
// events at the same time). When the curve never falls that far (heavy
// censoring) the last time observed; nullopt without any point beyond.
std::optional<double> KmQuantile(const DelayModel& m, double q, int given) {
  int64_t at_risk = 0;
  for (const KmPoint& p : m.points) {
    if (p.time > given) at_risk += p.events + p.censored;
  }
  if (at_risk == 0) return std::nullopt;
  const double target = 1.0 - q;
  double survival = 1.0;
  double prev_time = given;
  double last = given;
  for (const KmPoint& p : m.points) {
    if (p.time <= given) continue;
    const double t = std::min(p.time, kLastBandEnd);
    if (p.events > 0 && at_risk > 0) {
      const double next = survival * (1.0 - static_cast<double>(p.events) / at_risk);
      if (next <= target + 1e-12) {
        if (!m.banded) return t;
        return prev_time + (t - prev_time) * (survival - target) / (survival - next);
      }
      survival = next;
    }
    at_risk -= p.events + p.censored;
    last = t;
    prev_time = t;
  }
  return last;
}

int RoundDays(double d) { return std::max(1, static_cast<int>(std::lround(d))); }

DelayQuartiles QuartilesOf(const DelayModel& m) {
  if (m.payments == 0) return kDefaultDelay;
  DelayQuartiles out;
  out.low = RoundDays(KmQuantile(m, 0.25, 0).value_or(kDefaultDelay.low));
  out.median = RoundDays(KmQuantile(m, 0.5, 0).value_or(kDefaultDelay.median));
  out.high = RoundDays(KmQuantile(m, 0.75, 0).value_or(kDefaultDelay.high));
  out.payments = m.payments;
  return out;
}

DelayModel PortfolioDelays(const std::array<int64_t, kDelayBands>& paid,
                           const std::array<int64_t, kDelayBands>& open) {
  DelayModel m;
  m.banded = true;
  for (int b = 0; b < kDelayBands; ++b) {
    if (paid[b] <= 0 && open[b] <= 0) continue;
    m.points.push_back(
        {kDelayBandUpper[b], std::max<int64_t>(0, paid[b]), std::max<int64_t>(0, open[b])});
    m.payments += std::max<int64_t>(0, paid[b]);
  }
  return m;
}

// ------------------------------------------------------------ the record

// The customer's own record on `as_of`.
struct OwnRecord {
  int matured = 0;
  int late = 0;
  double weighted_matured = 0;
  double weighted_late = 0;
  double weight_squares = 0;
  DelayModel delays;  // exact days
};

OwnRecord OwnRecordOf(const AccountContext& ctx, absl::CivilDay as_of) {
  OwnRecord r;
  std::map<int, KmPoint> by_day;
  for (const auto& inv : ctx.invoices) {
    const std::optional<InvoiceOutcome> o = OutcomeAsOf(inv.state, as_of);
    if (!o) continue;
    const double age = std::max<int64_t>(0, as_of - inv.state.due_date);
    const double w = std::exp2(-age / kRecencyHalfLifeDays);
    ++r.matured;
    r.weighted_matured += w;
    r.weight_squares += w * w;
    if (!o->late) continue;
    ++r.late;
    r.weighted_late += w;
    KmPoint& p = by_day[o->days_late];
    p.time = o->days_late;
    if (o->paid) {
      ++p.events;
      ++r.delays.payments;
    } else {
      ++p.censored;
    }
  }
  for (const auto& [day, p] : by_day) r.delays.points.push_back(p);
  r.delays.own = true;
  return r;
}

// An odds multiplier with its code and words.
struct Signal {
  const char* code;
  double odds;
  std::string words;
};

std::vector<Signal> SignalsOf(const AccountContext& ctx, absl::CivilDay as_of) {
  std::vector<Signal> out;
  bool open_dispute = false;
  bool recent_dispute = false;
  int past_year = 0;
  for (const Dispute& d : ctx.disputes) {
    if (d.opened_date > as_of) continue;
    const bool open =
        d.status == DisputeStatus::kOpen || !d.resolved_date || *d.resolved_date > as_of;
    if (open) open_dispute = true;
    if (as_of - d.opened_date <= kRecentDisputeDays) recent_dispute = true;
    if (as_of - d.opened_date <= kDisputeHabitDays) ++past_year;
  }
  if (past_year >= kHabitualDisputes) {
    // Disputing is this customer's habit: its record already carries the
    // effect, and the odds would count it twice.
  } else if (open_dispute) {
    out.push_back(
        {"OPEN_DISPUTE", kOpenDisputeOdds, "an open dispute raises the odds by a quarter"});
  } else if (recent_dispute) {
    out.push_back({"RECENT_DISPUTE", kRecentDisputeOdds,
                   absl::StrCat("a dispute in the last ", kRecentDisputeDays,
                                " days raises the odds by a tenth")});
  }
  int broken = 0;
  for (const Promise& p : ctx.promises) {
    if (p.status != PromiseStatus::kBroken && p.status != PromiseStatus::kPartlyKept) continue;
    if (!p.resolved_date || *p.resolved_date > as_of ||
        as_of - *p.resolved_date > kRecentBrokenPromiseDays) {
      continue;
    }
    ++broken;
  }
  if (broken > 0) {
    const int counted = std::min(broken, kMaxBrokenPromisesCounted);
    out.push_back(
        {"BROKEN_PROMISE", std::pow(kBrokenPromiseOdds, counted),
         absl::StrCat(broken, " broken promise", broken > 1 ? "s" : "", " in the last year multipl",
                      counted > 1 ? "y" : "ies", " the odds by ", counted > 1 ? "2.25" : "1.5")});
  }
  for (const PaymentPlan& p : ctx.plans) {
    if (p.status == PlanStatus::kActive && p.in_arrears) {
      out.push_back(
          {"PLAN_IN_ARREARS", kPlanInArrearsOdds, "a payment plan in arrears doubles the odds"});
      break;
    }
  }
  return out;
}

double ApplyOdds(double p, double odds) {
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  const double o = p / (1 - p) * odds;
  return o / (1 + o);
}

std::string Percent(double p) {
  return absl::StrFormat("%d%%", static_cast<int>(std::lround(p * 100)));
}

// "1 day", "14 days".
std::string Days(int n) { return absl::StrCat(n, n == 1 ? " day" : " days"); }

std::string DelayWords(const DelayQuartiles& q, bool own) {
  return absl::StrCat("If late, about ", Days(q.median), " (half of late payments between ", q.low,
                      " and ", q.high, " days; ",
                      q.payments == 0 ? std::string("a default until late payments are known")
                      : own           ? absl::StrCat("from ", q.payments, " own late payments")
                            : absl::StrCat("from the portfolio's ", q.payments, " late payments"),
                      ")");
}

// The customer's matured invoices due in one calendar month of any year,
// and how much its months differ.
struct SeasonRecord {
  int month = 0;  // 1..12
  int matured = 0;
  int late = 0;
  double rate = 0;      // recency-weighted late share, as the own record's
  double evidence = 0;  // Kish's effective size, in invoices
  // The weight of the customer's overall rate against this month's record,
  // in invoices: PriorStrengthFromTotals over the twelve months as if they
  // were customers. nullopt while fewer than kMinCustomersForStrength
  // months have matured invoices or the months do not differ at all.
  std::optional<double> strength;
};

SeasonRecord SeasonRecordOf(const AccountContext& ctx, absl::CivilDay as_of, int month) {
  SeasonRecord r;
  r.month = month;
  std::array<RiskContribution, 12> by_month{};
  double wm = 0, wl = 0, wsq = 0;
  for (const auto& inv : ctx.invoices) {
    const std::optional<InvoiceOutcome> o = OutcomeAsOf(inv.state, as_of);
    if (!o) continue;
    RiskContribution& cell = by_month[inv.state.due_date.month() - 1];
    ++cell.matured;
    cell.late += o->late ? 1 : 0;
    if (inv.state.due_date.month() != month) continue;
    const double age = std::max<int64_t>(0, as_of - inv.state.due_date);
    const double w = std::exp2(-age / kRecencyHalfLifeDays);
    ++r.matured;
    wm += w;
    wsq += w * w;
    if (o->late) {
      ++r.late;
      wl += w;
    }
  }
  if (wm > 0) {
    r.rate = wl / wm;
    r.evidence = wm * wm / wsq;
  }
  PortfolioTotals months;
  for (const RiskContribution& cell : by_month) months.Add(cell, +1);
  r.strength = PriorStrengthFromTotals(months);
  return r;
}

const char* MonthName(int month) {
  static constexpr const char* kNames[] = {"January",   "February", "March",    "April",
                                           "May",       "June",     "July",     "August",
                                           "September", "October",  "November", "December"};
  return month >= 1 && month <= 12 ? kNames[month - 1] : "?";
}

// Everything an estimate of the account needs on `as_of`.
struct AccountModel {
  OwnRecord own;
  double own_rate = 0;      // recency-weighted late share
  double own_evidence = 0;  // in invoices
  double p_base = 0;
  // The seasonal blend (invoice estimates only): p_base moved toward the
  // customer's record in the invoice's due month.
  std::optional<SeasonRecord> season;
  double season_weight = 0;  // K: the overall rate's weight against the month's record
  double p_season = 0;
  double p = 0;
  std::vector<Signal> signals;
  DelayModel delays;
  DelayQuartiles if_late;
};

}  // namespace

// ------------------------------------------------------------ outcomes

int DelayBand(int days) {
  for (int b = 0; b < kDelayBands; ++b) {
    if (days <= kDelayBandUpper[b]) return b;
  }
  return kDelayBands - 1;
}

std::optional<InvoiceOutcome> OutcomeAsOf(const InvoiceState& s, absl::CivilDay as_of) {
  if (s.voided || s.total <= 0 || s.issue_date > as_of) return std::nullopt;
  // The day the settlements known on as_of brought the amount due to zero.
  std::vector<const Settlement*> known;
  for (const Settlement& st : s.settlements) {
    if (st.day <= as_of) known.push_back(&st);
  }
  std::stable_sort(known.begin(), known.end(),
                   [](const Settlement* a, const Settlement* b) { return a->day < b->day; });
  int64_t left = s.total;
  std::optional<absl::CivilDay> closed;
  bool written_off = false;
  for (const Settlement* st : known) {
    left -= st->amount;
    if (st->kind == SettlementKind::kWriteOff) written_off = true;
    if (left <= 0) {
      closed = st->day;
      break;
    }
  }
  InvoiceOutcome o;
  if (closed) {
    o.closed = *closed;
    const int delay = DaysPastDue(s.due_date, *closed);
    o.late = delay > 0 || written_off;
    o.paid = !written_off;
    o.days_late = o.late ? std::max(1, delay) : 0;
    return o;
  }
  const int dpd = DaysPastDue(s.due_date, as_of);
  if (dpd <= 0) return std::nullopt;
  o.late = true;
  o.days_late = dpd;
  return o;
}

RiskContribution RiskContributionOf(const AccountContext& ctx, absl::CivilDay as_of) {
  RiskContribution c;
  for (const auto& inv : ctx.invoices) {
    const std::optional<InvoiceOutcome> o = OutcomeAsOf(inv.state, as_of);
    if (!o) continue;
    ++c.matured;
    if (!o->late) continue;
    ++c.late;
    (o->paid ? c.delays_paid : c.delays_open)[DelayBand(o->days_late)]++;
  }
  return c;
}

void PortfolioTotals::Add(const RiskContribution& c, int sign) {
  if (c.matured > 0) {
    customers += sign;
    matured_sq += sign * c.matured * c.matured;
    // 128-bit so a customer with millions of invoices cannot overflow.
    late_sq_over_n_micro +=
        sign * static_cast<int64_t>(static_cast<__int128>(c.late) * c.late * 1000000 / c.matured);
  }
  matured += sign * c.matured;
  late += sign * c.late;
  for (int b = 0; b < kDelayBands; ++b) {
    delays_paid[b] += sign * c.delays_paid[b];
    delays_open[b] += sign * c.delays_open[b];
  }
}

// ------------------------------------------------------------ the prior

std::optional<double> PriorStrengthFromTotals(const PortfolioTotals& t) {
  if (t.customers < kMinCustomersForStrength || t.matured <= t.customers) return std::nullopt;
  const double n = static_cast<double>(t.matured);
  const double mu = static_cast<double>(t.late) / n;
  if (mu <= 0 || mu >= 1) return std::nullopt;
  const double spread = t.late_sq_over_n_micro / 1e6 - mu * static_cast<double>(t.late);
  const double groups = static_cast<double>(t.customers) - 1;
  const double denom = n - static_cast<double>(t.matured_sq) / n - groups;
  if (denom <= 0) return std::nullopt;  // one invoice per customer: no spread to read
  double rho = (spread / (mu * (1 - mu)) - groups) / denom;
  rho = std::clamp(rho, 1.0 / (kMaxPriorStrength + 1), 1.0 / (kMinPriorStrength + 1));
  return 1.0 / rho - 1.0;
}

PortfolioPrior PriorFromTotals(const PortfolioTotals& t) {
  PortfolioPrior prior;
  prior.matured = std::max<int64_t>(0, t.matured);
  prior.customers = std::max<int64_t>(0, t.customers);
  const double mu = (static_cast<double>(std::max<int64_t>(0, t.late)) +
                     kColdStartWeight * kColdStartLateBp / 10000.0) /
                    (static_cast<double>(prior.matured) + kColdStartWeight);
  prior.late_bp = static_cast<int>(std::lround(mu * 10000));
  if (std::optional<double> m = PriorStrengthFromTotals(t)) {
    prior.strength = *m;
    prior.strength_estimated = true;
  }
  prior.delays_paid = t.delays_paid;
  prior.delays_open = t.delays_open;
  prior.if_late = QuartilesOf(PortfolioDelays(t.delays_paid, t.delays_open));
  return prior;
}

PortfolioPrior EstimatePortfolioPrior(const std::vector<const AccountContext*>& accounts,
                                      absl::CivilDay as_of) {
  PortfolioTotals totals;
  for (const AccountContext* a : accounts) totals.Add(RiskContributionOf(*a, as_of), +1);
  return PriorFromTotals(totals);
}

// ------------------------------------------------------------ estimates

namespace {

// `due_month` (1..12, or 0 for an account estimate) selects the seasonal
// record the invoice's figure is blended with.
AccountModel ModelOf(const AccountContext& ctx, const PortfolioPrior& prior, absl::CivilDay as_of,
                     int due_month) {
  AccountModel m;
  m.own = OwnRecordOf(ctx, as_of);
  if (m.own.weighted_matured > 0) {
    m.own_rate = m.own.weighted_late / m.own.weighted_matured;
    // Kish's effective sample size of the weighted record.
    m.own_evidence = m.own.weighted_matured * m.own.weighted_matured / m.own.weight_squares;
  }
  const double mu = prior.late_bp / 10000.0;
  const double strength = prior.strength;
  m.p_base = (m.own_rate * m.own_evidence + strength * mu) / (m.own_evidence + strength);
  m.p_season = m.p_base;
  if (due_month > 0) {
    m.season = SeasonRecordOf(ctx, as_of, due_month);
    if (m.season->strength) {
      const double k = std::max(*m.season->strength, kMinSeasonStrength);
      m.season_weight = k;
      m.p_season = (m.season->rate * m.season->evidence + k * m.p_base) / (m.season->evidence + k);
    }
  }
  m.signals = SignalsOf(ctx, as_of);
  m.p = m.p_season;
  for (const Signal& s : m.signals) m.p = ApplyOdds(m.p, s.odds);
  m.delays = m.own.delays.payments >= kMinOwnLatePayments
                 ? m.own.delays
                 : PortfolioDelays(prior.delays_paid, prior.delays_open);
  m.if_late = QuartilesOf(m.delays);
  return m;
}

// The seasonal blend changed the figure as shown (in whole percent).
bool SeasonMoves(const AccountModel& m) {
  return m.season && Percent(m.p_season) != Percent(m.p_base);
}

std::string SeasonWords(const AccountModel& m) {
  const SeasonRecord& s = *m.season;
  return absl::StrCat("invoices due in ", MonthName(s.month), " were late ", s.late, " of ",
                      s.matured, " times against ", Percent(m.p_base),
                      " overall, and this customer's months differ more than chance would make "
                      "them (its overall rate weighs as ",
                      absl::StrFormat("%.1f", m.season_weight),
                      " invoices against them), which moves ", "the figure to ",
                      Percent(m.p_season));
}

// The median of the whole predicted delay (0 = on time), in days.
int PointDelay(const AccountModel& m) {
  if (m.p <= 0.5) return 0;
  const double q = 1.0 - 0.5 / m.p;
  // Without any late payment known: kDefaultDelay's quartiles (q <= 0.5).
  if (m.delays.payments == 0) return q < 0.25 ? kDefaultDelay.low : kDefaultDelay.median;
  return RoundDays(KmQuantile(m.delays, q, 0).value_or(m.if_late.median));
}

RiskEstimate Fill(const AccountContext& ctx, const PortfolioPrior& prior, const AccountModel& m,
                  absl::CivilDay as_of) {
  RiskEstimate r;
  r.subject = ctx.customer.id;
  r.late_probability_bp = static_cast<int>(std::clamp<int64_t>(std::lround(m.p * 10000), 0, 10000));
  r.expected_days_late = PointDelay(m);
  r.expected_payment_date = as_of;
  r.own_history_count = m.own.matured;
  r.own_weight_bp =
      static_cast<int>(std::lround(10000 * m.own_evidence / (m.own_evidence + prior.strength)));
  r.if_late = m.if_late;
  r.portfolio_late_bp = prior.late_bp;
  r.prior_strength_centi = static_cast<int>(std::lround(prior.strength * 100));
  if (m.own.matured == 0) r.signals.push_back("COLD_START");
  const bool seasonal = SeasonMoves(m);
  if (seasonal) r.signals.push_back("SEASONAL");
  for (const Signal& s : m.signals) r.signals.push_back(s.code);

  const std::string own =
      m.own.matured == 0
          ? std::string("no matured invoices of its own yet, so the portfolio's rate applies")
          : absl::StrCat(m.own.late, " of ", m.own.matured,
                         " matured invoices were late (paid after the due date or still unpaid "
                         "past it; recent ones weigh more, half-life ",
                         kRecencyHalfLifeDays, " days)");
  const std::string portfolio = absl::StrCat(
      "portfolio ", Percent(prior.late_bp / 10000.0), " late over ", prior.matured,
      " matured invoices",
      prior.matured < 10 * kColdStartWeight
          ? absl::StrCat(" (blended with a 50% default worth ", kColdStartWeight, " invoices)")
          : std::string(),
      ", weighing as ", absl::StrFormat("%.1f", prior.strength), " invoices (",
      prior.strength_estimated ? "estimated from how much customers' late rates differ"
                               : "a default until enough customers have history",
      "); own history weighs ", Percent(r.own_weight_bp / 10000.0));
  std::vector<std::string> signal_words;
  for (const Signal& s : m.signals) signal_words.push_back(s.words);
  r.explanation = absl::StrCat(
      "Late-payment risk ", Percent(m.p), ": ", own, "; ", portfolio,
      seasonal ? absl::StrCat("; ", SeasonWords(m)) : std::string(),
      signal_words.empty() ? std::string()
                           : absl::StrCat("; ", absl::StrJoin(signal_words, "; "), " (from ",
                                          Percent(m.p_season), ")"),
      ". ", DelayWords(m.if_late, m.delays.own && m.delays.payments > 0), ". ",
      r.expected_days_late == 0 ? std::string("Most likely paid on time.")
                                : absl::StrCat("Most likely paid about ",
                                               Days(r.expected_days_late), " after the due date."));
  return r;
}

}  // namespace

RiskEstimate EstimateAccountRisk(const AccountContext& ctx, const PortfolioPrior& prior,
                                 absl::CivilDay as_of) {
  return Fill(ctx, prior, ModelOf(ctx, prior, as_of, 0), as_of);
}

RiskEstimate EstimateInvoiceRisk(const AccountContext& ctx, const InvoiceState& invoice,
                                 const PortfolioPrior& prior, absl::CivilDay as_of) {
  AccountModel m = ModelOf(ctx, prior, as_of, invoice.due_date.month());
  const int dpd = DaysPastDue(invoice.due_date, as_of);
  bool disputed = false;
  for (const Dispute& d : ctx.disputes) {
    if (d.invoice_id == invoice.id && d.opened_date <= as_of &&
        (d.status == DisputeStatus::kOpen || !d.resolved_date || *d.resolved_date > as_of)) {
      disputed = true;
    }
  }
  if (dpd <= 0 && disputed) {
    m.p = ApplyOdds(m.p, kInvoiceDisputedOdds);
    m.signals.push_back({"INVOICE_DISPUTED", kInvoiceDisputedOdds,
                         "this invoice is disputed, which triples the odds"});
  }
  RiskEstimate r = Fill(ctx, prior, m, as_of);
  r.subject = invoice.id;
  if (dpd > 0) {
    // Already late: the median of the late delays longer than its age; a
    // week more when nothing that late is known.
    const std::optional<double> median = KmQuantile(m.delays, 0.5, dpd);
    r.late_probability_bp = 10000;
    r.expected_days_late = std::max(dpd + 1, median ? RoundDays(*median) : dpd + 7);
    r.explanation =
        absl::StrCat("Already ", Days(dpd), " past due; most likely paid about ",
                     Days(r.expected_days_late), " after the due date. ", r.explanation);
  } else {
    r.explanation =
        absl::StrCat("Due ", absl::FormatCivilTime(invoice.due_date), ". ", r.explanation);
  }
  r.expected_payment_date = invoice.due_date + r.expected_days_late;
  return r;
}

}  // namespace collections::domain
