#include "service/domain/backtest.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <initializer_list>
#include <optional>
#include <set>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "service/domain/amount_limits.h"

namespace collections::domain {

namespace {

constexpr int kProgressEveryDays = 7;

// Day offsets from `first`, inclusive of `last`.
int DayCount(absl::CivilDay first, absl::CivilDay last) {
  return static_cast<int>(std::max<int64_t>(0, last - first + 1));
}

bool Covers(const std::vector<std::string>& ids, const std::string& id) {
  return ids.empty() || std::find(ids.begin(), ids.end(), id) != ids.end();
}

absl::CivilDay EarliestIssue(const std::vector<AccountContext>& accounts, absl::CivilDay fallback) {
  absl::CivilDay first = fallback;
  for (const auto& a : accounts) {
    for (const auto& inv : a.invoices) first = std::min(first, inv.state.issue_date);
  }
  return first;
}

// The first outbound contact of `ctx` about `invoice` on a day in (after,
// before), by the day in UTC; nullopt if none. Failed and bounced
// deliveries do not count.
std::optional<absl::CivilDay> FirstContact(const AccountContext& ctx, const std::string& invoice,
                                           absl::CivilDay after, absl::CivilDay before) {
  std::optional<absl::CivilDay> out;
  for (const ContactRecord& k : ctx.contacts) {
    if (k.direction != Direction::kOutbound || k.outcome == ContactOutcome::kBounced ||
        k.outcome == ContactOutcome::kFailed || !Covers(k.invoice_ids, invoice)) {
      continue;
    }
    const absl::CivilDay d = absl::ToCivilDay(k.time, absl::UTCTimeZone());
    if (d <= after || d >= before) continue;
    if (!out || d < *out) out = d;
  }
  return out;
}

// The day an invoice was paid in full by `end`, if it was (write-offs are
// not payments).
std::optional<absl::CivilDay> PaidBy(const InvoiceState& inv, absl::CivilDay end) {
  const std::optional<InvoiceOutcome> o = OutcomeAsOf(inv, end);
  if (o && o->paid) return o->closed;
  return std::nullopt;
}

// The payments on `inv` dated before `day` (write-offs and credit notes
// are not payments).
int64_t PaymentsBefore(const InvoiceState& inv, absl::CivilDay day) {
  AmountSum sum;
  for (const Settlement& s : inv.settlements) {
    if (s.kind == SettlementKind::kPayment && s.day < day) sum += s.amount;
  }
  return sum.Clamped();
}

}  // namespace

// ------------------------------------------------------------ scores

double Auc(const std::vector<RiskPrediction>& predictions) {
  std::vector<const RiskPrediction*> sorted;
  sorted.reserve(predictions.size());
  for (const auto& p : predictions) sorted.push_back(&p);
  std::sort(sorted.begin(), sorted.end(), [](const RiskPrediction* a, const RiskPrediction* b) {
    return a->probability < b->probability;
  });
  double positive_rank_sum = 0;
  int64_t positives = 0;
  for (size_t i = 0; i < sorted.size();) {
    size_t j = i;
    while (j < sorted.size() && sorted[j]->probability == sorted[i]->probability) ++j;
    const double mean_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;
    for (size_t k = i; k < j; ++k) {
      if (sorted[k]->late) {
        positive_rank_sum += mean_rank;
        ++positives;
      }
    }
    i = j;
  }
  const int64_t negatives = static_cast<int64_t>(sorted.size()) - positives;
  if (positives == 0 || negatives == 0) return 0.5;
  return (positive_rank_sum - static_cast<double>(positives) * (positives + 1) / 2) /
         (static_cast<double>(positives) * negatives);
}

RiskScores ScoreRisk(const std::vector<RiskPrediction>& predictions) {
  RiskScores s;
  s.predictions = static_cast<int64_t>(predictions.size());
  s.calibration.resize(10);
  for (int b = 0; b < 10; ++b) s.calibration[b] = {b / 10.0, (b + 1) / 10.0, 0, 0, 0};
  if (predictions.empty()) return s;
  double late = 0;
  double brier = 0;
  double abs_error = 0;
  double zero_error = 0;
  int64_t with_delay = 0;
  for (const RiskPrediction& p : predictions) {
    const double y = p.late ? 1.0 : 0.0;
    late += y;
    brier += (p.probability - y) * (p.probability - y);
    if (p.days_late >= 0) {
      abs_error += std::abs(p.expected_days_late - p.days_late);
      zero_error += p.days_late;
      ++with_delay;
    }
    CalibrationBin& bin = s.calibration[std::clamp(static_cast<int>(p.probability * 10), 0, 9)];
    ++bin.count;
    bin.mean_predicted += p.probability;
    bin.observed_rate += y;
  }
  for (CalibrationBin& bin : s.calibration) {
    if (bin.count == 0) continue;
    bin.mean_predicted /= bin.count;
    bin.observed_rate /= bin.count;
  }
  s.observed_late_rate = late / s.predictions;
  s.brier = brier / s.predictions;
  s.days_late_mae = with_delay > 0 ? abs_error / with_delay : 0;
  s.days_late_mae_always_zero = with_delay > 0 ? zero_error / with_delay : 0;
  s.auc = Auc(predictions);
  return s;
}

// ------------------------------------------------------------ risk replay

std::vector<RiskPrediction> ReplayRisk(const std::vector<AccountContext>& accounts,
                                       absl::CivilDay start, absl::CivilDay end,
                                       const ReplayProgress& progress) {
  const absl::CivilDay first = EarliestIssue(accounts, start);
  const int days = DayCount(first, end);
  // Days on which a customer's contribution may change (an invoice matures
  // the day after its due date, or a settlement closes it), and the
  // invoices to predict on each day.
  std::vector<std::vector<int>> refresh(days);
  std::vector<std::vector<std::pair<int, int>>> issued(days);
  auto at = [&](absl::CivilDay d) -> int64_t { return d - first; };
  for (int c = 0; c < static_cast<int>(accounts.size()); ++c) {
    const auto& invoices = accounts[c].invoices;
    for (int i = 0; i < static_cast<int>(invoices.size()); ++i) {
      const InvoiceState& s = invoices[i].state;
      auto mark = [&](absl::CivilDay d) {
        const int64_t k = at(d);
        if (k >= 0 && k < days) refresh[k].push_back(c);
      };
      mark(s.due_date + 1);
      for (const Settlement& st : s.settlements) mark(st.day);
      if (s.issue_date >= start && s.issue_date <= end) issued[at(s.issue_date)].push_back({c, i});
    }
  }
  std::vector<RiskContribution> contribution(accounts.size());
  PortfolioTotals totals;
  std::vector<RiskPrediction> out;
  for (int k = 0; k < days; ++k) {
    const absl::CivilDay day = first + k;
    std::vector<int>& who = refresh[k];
    std::sort(who.begin(), who.end());
    who.erase(std::unique(who.begin(), who.end()), who.end());
    for (int c : who) {
      RiskContribution now = RiskContributionOf(accounts[c], day);
      totals.Add(contribution[c], -1);
      totals.Add(now, +1);
      contribution[c] = now;
    }
    if (!issued[k].empty()) {
      const PortfolioPrior prior = PriorFromTotals(totals);
      for (const auto& [c, i] : issued[k]) {
        const InvoiceState& s = accounts[c].invoices[i].state;
        const std::optional<InvoiceOutcome> outcome = OutcomeAsOf(s, end);
        if (!outcome) continue;
        const RiskEstimate r = EstimateInvoiceRisk(accounts[c], s, prior, day);
        RiskPrediction p;
        p.customer = accounts[c].customer.id;
        p.invoice = s.id;
        p.issue_date = day;
        p.probability = r.late_probability_bp / 10000.0;
        p.expected_days_late = r.expected_days_late;
        p.late = outcome->late;
        p.days_late = !outcome->late ? 0 : outcome->paid ? outcome->days_late : -1;
        out.push_back(std::move(p));
      }
    }
    if (progress && (k % kProgressEveryDays == 0 || k == days - 1) && !progress(k + 1, days)) break;
  }
  return out;
}

// ------------------------------------------------------------ reminders

ReminderEffect FitReminderEffect(const std::vector<AccountContext>& accounts, absl::CivilDay start,
                                 absl::CivilDay end) {
  ReminderEffect e;
  struct Open {
    absl::CivilDay due;
    std::optional<absl::CivilDay> paid;
  };
  std::vector<Open> unreminded;
  std::vector<int> ages;
  std::vector<int> lags;
  int64_t responded = 0;
  for (const AccountContext& a : accounts) {
    for (const InvoiceContext& inv : a.invoices) {
      const InvoiceState& s = inv.state;
      if (s.voided || s.total <= 0 || s.issue_date < start || s.due_date >= end) continue;
      const std::optional<absl::CivilDay> paid = PaidBy(s, end);
      if (paid && *paid <= s.due_date) continue;  // never overdue
      const std::optional<absl::CivilDay> reminder =
          FirstContact(a, s.id, s.due_date, paid ? *paid : end + 1);
      if (!reminder) {
        unreminded.push_back({s.due_date, paid});
        continue;
      }
      if (*reminder + kReminderWindowDays > end) continue;
      ++e.reminded;
      ages.push_back(static_cast<int>(*reminder - s.due_date));
      if (paid && *paid - *reminder <= kReminderWindowDays) {
        ++responded;
        lags.push_back(static_cast<int>(*paid - *reminder));
      }
    }
  }
  // The age reminders came at (a week when the history has none).
  std::sort(ages.begin(), ages.end());
  const int age = ages.empty() ? 7 : ages[ages.size() / 2];
  int64_t paid_anyway = 0;
  for (const Open& o : unreminded) {
    const absl::CivilDay from = o.due + age;
    if (from + kReminderWindowDays > end || (o.paid && *o.paid <= from)) continue;
    ++e.unreminded;
    if (o.paid && *o.paid - from <= kReminderWindowDays) ++paid_anyway;
  }
  if (e.reminded < kMinReminderSample || e.unreminded < kMinReminderSample) return e;
  const double f1 = static_cast<double>(responded) / e.reminded;
  const double f0 = static_cast<double>(paid_anyway) / e.unreminded;
  e.fitted = true;
  e.response_bp =
      f0 >= 1 ? 0 : static_cast<int>(std::lround(10000 * std::max(0.0, (f1 - f0) / (1 - f0))));
  if (!lags.empty()) {
    std::sort(lags.begin(), lags.end());
    e.lag_days = std::max(1, lags[lags.size() / 2]);
  }
  return e;
}

// ------------------------------------------------------------ policy replay

namespace {

// One customer as the replayed policy sees it.
struct SimAccount {
  AccountContext ctx;       // visible invoices and disputes, own contacts
  std::vector<int> source;  // original invoice index of each visible invoice
  std::vector<int> open;    // visible invoices with an amount due
  std::vector<std::optional<absl::CivilDay>> first_contact;  // by original invoice, after due
  // By original invoice: the ladder stages (bit = Stage) carried out on it
  // after its due date while it was open, for stage fees.
  std::vector<uint32_t> stages_after_due;
  std::optional<absl::CivilDay> referred;
  std::vector<int64_t> due_at_referral;  // by original invoice
  absl::TimeZone tz;
  Stage highest = Stage::kNone;
  int64_t contacts = 0;
  bool ever_overdue = false;
};

enum class EventKind { kIssue, kSettlement, kDisputeOpened, kDisputeResolved };
struct Event {
  EventKind kind;
  int customer;
  int index;       // invoice or dispute
  int settlement;  // for kSettlement
};

int MaxPreDueDays(const CollectionPolicy& policy) {
  int out = 0;
  for (int d : policy.default_rules.pre_due_reminder_days) out = std::max(out, d);
  for (const auto& s : policy.segments) {
    for (int d : s.rules.pre_due_reminder_days) out = std::max(out, d);
  }
  return out;
}

void Apply(const Event& e, const std::vector<AccountContext>& accounts,
           std::vector<SimAccount>& sims, std::vector<int>& visible_index) {
  const AccountContext& src = accounts[e.customer];
  SimAccount& sim = sims[e.customer];
  switch (e.kind) {
    case EventKind::kIssue: {
      InvoiceContext inv = src.invoices[e.index];
      inv.state.settlements.clear();
      visible_index[e.index] = static_cast<int>(sim.ctx.invoices.size());
      sim.ctx.invoices.push_back(std::move(inv));
      sim.source.push_back(e.index);
      sim.open.push_back(visible_index[e.index]);
      break;
    }
    case EventKind::kSettlement: {
      const int v = visible_index[e.index];
      if (v < 0) break;
      InvoiceState& s = sim.ctx.invoices[v].state;
      s.settlements.push_back(src.invoices[e.index].state.settlements[e.settlement]);
      if (s.AmountDue() <= 0)
        sim.open.erase(std::remove(sim.open.begin(), sim.open.end(), v), sim.open.end());
      break;
    }
    case EventKind::kDisputeOpened: {
      Dispute d = src.disputes[e.index];
      d.status = DisputeStatus::kOpen;
      d.resolved_date.reset();
      d.id = absl::StrCat("bt-", e.index);
      sim.ctx.disputes.push_back(std::move(d));
      break;
    }
    case EventKind::kDisputeResolved: {
      for (Dispute& d : sim.ctx.disputes) {
        if (d.id == absl::StrCat("bt-", e.index)) {
          d.status = src.disputes[e.index].status == DisputeStatus::kRejected
                         ? DisputeStatus::kRejected
                         : DisputeStatus::kResolved;
          d.resolved_date = src.disputes[e.index].resolved_date;
        }
      }
      break;
    }
  }
}

// Takes the recommendation's step on `day`.
void TakeStep(const Recommendation& rec, absl::CivilDay day, SimAccount& sim, PolicyOutcome& out) {
  if (!rec.Actionable() || rec.action == Action::kPause) return;
  ++out.actions[rec.action];
  sim.highest = std::max(sim.highest, rec.stage);
  sim.ctx.last_outbox_day = day;
  if (rec.stage > Stage::kPreDueReminder) {
    for (size_t v = 0; v < sim.ctx.invoices.size(); ++v) {
      const InvoiceState& s = sim.ctx.invoices[v].state;
      if (day > s.due_date && s.AmountDueAsOf(day) > 0 && Covers(rec.invoice_ids, s.id)) {
        sim.stages_after_due[sim.source[v]] |= 1u << static_cast<int>(rec.stage);
      }
    }
  }
  switch (rec.action) {
    case Action::kReferToAgency:
    case Action::kApproveReferral:
    case Action::kLegalReview: {
      sim.ctx.referral.state =
          rec.action == Action::kLegalReview ? EndState::kLegal : EndState::kAgency;
      sim.ctx.referral.since = day;
      sim.referred = day;
      ++out.referrals;
      for (size_t v = 0; v < sim.ctx.invoices.size(); ++v) {
        sim.due_at_referral[sim.source[v]] = sim.ctx.invoices[v].state.AmountDueAsOf(day);
      }
      return;
    }
    case Action::kWriteOffReview:
    case Action::kApplyLateFee:
      return;
    default:
      break;
  }
  if (rec.action == Action::kOfferSettlement) ++out.settlements_offered;
  if (rec.action == Action::kOfferPaymentPlan || rec.offer_payment_plan)
    ++out.payment_plans_offered;
  ContactRecord k;
  k.id = absl::StrCat("bt-", sim.contacts);
  k.time = absl::FromCivil(absl::CivilSecond(day.year(), day.month(), day.day(), 12, 0, 0), sim.tz);
  k.channel = rec.channel;
  k.direction = Direction::kOutbound;
  k.outcome = rec.action == Action::kCallTask ? ContactOutcome::kSpoke : ContactOutcome::kSent;
  k.stage = rec.stage;
  k.invoice_ids = rec.invoice_ids;
  sim.ctx.contacts.push_back(std::move(k));
  ++sim.contacts;
  ++out.contacts;
  for (size_t v = 0; v < sim.ctx.invoices.size(); ++v) {
    const InvoiceState& s = sim.ctx.invoices[v].state;
    const int orig = sim.source[v];
    if (day > s.due_date && s.AmountDueAsOf(day) > 0 && !sim.first_contact[orig] &&
        Covers(rec.invoice_ids, s.id)) {
      sim.first_contact[orig] = day;
    }
  }
}

std::string MainCurrency(const std::vector<AccountContext>& accounts, absl::CivilDay start,
                         absl::CivilDay end) {
  std::map<std::string, AmountSum> issued;
  for (const auto& a : accounts) {
    for (const auto& inv : a.invoices) {
      const InvoiceState& s = inv.state;
      if (!s.voided && s.issue_date >= start && s.issue_date <= end) issued[s.currency] += s.total;
    }
  }
  std::string best;
  int64_t most = -1;
  for (const auto& [cur, sum] : issued) {
    if (sum.Clamped() > most) {
      most = sum.Clamped();
      best = cur;
    }
  }
  return best;
}

// The money figures of the simulation, summed over invoices.
struct MoneyTotals {
  double weighted_days_actual = 0;
  double weighted_days_sim = 0;
  double amount = 0;
  double recovered_actual = 0;
  double recovered_sim = 0;
  double fees_sim = 0;
  int64_t fee_invoices = 0;
  int64_t fees_unassessed = 0;
};

// `s` with its settlements up to the day before `paid_on` and the rest of
// its amount paid that day (none when `paid_on` is after `end`).
InvoiceState PaidOn(const InvoiceState& s, absl::CivilDay paid_on, absl::CivilDay end) {
  InvoiceState moved = s;
  moved.settlements.clear();
  for (const Settlement& st : s.settlements) {
    if (st.day < paid_on) moved.settlements.push_back(st);
  }
  const int64_t rest = moved.AmountDue();
  if (paid_on <= end && rest > 0) {
    moved.settlements.push_back({SettlementKind::kPayment, paid_on, rest});
  }
  return moved;
}

// The fees AssessLateFees raises on `invoice` as of `as_of` with nothing
// charged before (FeeReplay in backtest.h); nullopt when it refuses.
std::optional<int64_t> FeesOf(const AccountContext& src, const InvoiceState& invoice,
                              const LateFeeTerms& terms, uint32_t stages, const FeeRules& rules,
                              absl::CivilDay as_of) {
  FeeInput in;
  in.invoice = invoice;
  in.invoice_terms = terms;
  in.customer_kind = src.customer.kind;
  in.country = src.customer.country_code;
  in.stages_reached = std::popcount(stages);
  for (const Dispute& d : src.disputes) {
    if (d.invoice_id == invoice.id && d.opened_date <= as_of &&
        (!d.resolved_date || *d.resolved_date > as_of)) {
      in.paused_reason = "open dispute";
    }
  }
  const absl::StatusOr<FeeAssessment> a = AssessLateFees(in, rules, as_of);
  if (!a.ok()) return std::nullopt;
  AmountSum sum;
  for (const FeeLine& line : a->lines) sum += line.amount;
  return sum.Clamped();
}

// The money figures of invoice `i` under the simulation.
void Simulate(const AccountContext& src, const SimAccount& sim, int i,
              const CollectionPolicy& policy, absl::CivilDay end, const ReminderEffect& effect,
              const FeeReplay& fees, const std::vector<LateFeeTerms>* terms, MoneyTotals& t) {
  const InvoiceState& s = src.invoices[i].state;
  const std::optional<absl::CivilDay> paid = PaidBy(s, end);
  const absl::CivilDay base = paid ? *paid : end + 1;
  const double total = static_cast<double>(s.total);
  const int64_t paid_amount = PaymentsBefore(s, end + 1);
  const double recoverable = paid ? static_cast<double>(paid_amount)
                                  : static_cast<double>(paid_amount + s.AmountDueAsOf(end));
  auto days_out = [&](absl::CivilDay close) {
    return static_cast<double>(std::min(close, end + 1) - s.issue_date);
  };
  const bool has_terms = fees.rules != nullptr && terms != nullptr &&
                         i < static_cast<int>(terms->size()) &&
                         EffectiveTerms((*terms)[i], {}).kind != LateFeeKind::kNone;
  // The expected fee over the scenarios (weight, invoice as paid in it, day assessed).
  auto add_fees =
      [&](std::initializer_list<std::tuple<double, const InvoiceState*, absl::CivilDay>> cases) {
        if (!has_terms) return;
        double expected = 0;
        for (const auto& [weight, invoice, as_of] : cases) {
          if (weight <= 0) continue;
          const std::optional<int64_t> fee =
              FeesOf(src, *invoice, (*terms)[i], sim.stages_after_due[i], *fees.rules, as_of);
          if (!fee) {
            ++t.fees_unassessed;
            return;
          }
          expected += weight * static_cast<double>(*fee);
        }
        t.fees_sim += expected;
        if (expected > 0) ++t.fee_invoices;
      };
  t.weighted_days_actual += total * days_out(base);
  t.amount += total;
  t.recovered_actual += static_cast<double>(paid_amount);
  if (sim.referred && *sim.referred < base) {
    // Handed over: what was paid before, then the agency's net recovery.
    const Economics& e = policy.economics;
    const double net = e.agency_recovery_bp / 10000.0 * (1 - e.agency_commission_bp / 10000.0);
    t.weighted_days_sim += total * days_out(base);
    t.recovered_sim += static_cast<double>(PaymentsBefore(s, *sim.referred)) +
                       net * static_cast<double>(sim.due_at_referral[i]);
    add_fees({{1.0, &s, *sim.referred}});
    return;
  }
  const double q = effect.response_bp / 10000.0;
  const std::optional<absl::CivilDay> real = FirstContact(src, s.id, s.due_date, base);
  const std::optional<absl::CivilDay>& ours = sim.first_contact[i];
  absl::CivilDay alternative = base;
  if (ours && *ours < base && (!real || *ours < *real)) {
    alternative = std::min(base, *ours + effect.lag_days);  // brought forward
  } else if (real && (!ours || *ours > *real) && base <= *real + kReminderWindowDays) {
    // The history's reminder may have brought this payment; without it,
    // it comes after our own reminder, or not within the range.
    alternative = ours ? std::max(base, *ours + effect.lag_days) : end + 1;
  }
  t.weighted_days_sim += total * ((1 - q) * days_out(base) + q * days_out(alternative));
  // Paid by the end when the invoice closes on `close`: all of it when that
  // is within the range, else the payments before it (a part-payment counts).
  auto recovered_if = [&](absl::CivilDay close) {
    return close <= end ? recoverable
                        : static_cast<double>(PaymentsBefore(s, std::min(close, end + 1)));
  };
  t.recovered_sim += (1 - q) * recovered_if(base) + q * recovered_if(alternative);
  if (alternative == base) {
    add_fees({{1.0, &s, end}});
  } else {
    const InvoiceState moved = PaidOn(s, alternative, end);
    add_fees({{1 - q, &s, end}, {q, &moved, end}});
  }
}

// Fees raised in the history on invoice `i` and not waived.
int64_t ActualFees(const AccountContext& src, const InvoiceState& s) {
  AmountSum sum;
  for (const FeeCharge& f : src.fees) {
    if (f.invoice_id == s.id && !f.waived && f.amount.currency == s.currency) sum += f.amount.minor;
  }
  return sum.Clamped();
}

}  // namespace

PolicyOutcome ReplayPolicy(const std::vector<AccountContext>& accounts,
                           const CollectionPolicy& policy, absl::CivilDay start, absl::CivilDay end,
                           const ReminderEffect& effect, const ReplayProgress& progress,
                           const FeeReplay& fees) {
  PolicyOutcome out;
  const int days = DayCount(start, end);
  std::vector<std::vector<Event>> events(days);
  std::vector<SimAccount> sims(accounts.size());
  std::vector<std::vector<int>> visible(accounts.size());
  // Everything before `start` is known on the first day.
  auto slot = [&](absl::CivilDay d) -> int64_t { return std::max<int64_t>(0, d - start); };
  for (int c = 0; c < static_cast<int>(accounts.size()); ++c) {
    const AccountContext& a = accounts[c];
    SimAccount& sim = sims[c];
    sim.ctx.customer = a.customer;
    if (!absl::LoadTimeZone(a.customer.time_zone, &sim.tz)) sim.tz = absl::UTCTimeZone();
    sim.first_contact.resize(a.invoices.size());
    sim.stages_after_due.assign(a.invoices.size(), 0);
    sim.due_at_referral.assign(a.invoices.size(), 0);
    visible[c].assign(a.invoices.size(), -1);
    for (int i = 0; i < static_cast<int>(a.invoices.size()); ++i) {
      const InvoiceState& s = a.invoices[i].state;
      if (s.voided || s.issue_date > end) continue;
      events[slot(s.issue_date)].push_back({EventKind::kIssue, c, i, 0});
      for (int k = 0; k < static_cast<int>(s.settlements.size()); ++k) {
        // A settlement dated before its invoice's issue date waits for it.
        const absl::CivilDay d = std::max(s.settlements[k].day, s.issue_date);
        if (d <= end) events[slot(d)].push_back({EventKind::kSettlement, c, i, k});
      }
    }
    for (int k = 0; k < static_cast<int>(a.disputes.size()); ++k) {
      const Dispute& d = a.disputes[k];
      if (d.opened_date > end) continue;
      events[slot(d.opened_date)].push_back({EventKind::kDisputeOpened, c, k, 0});
      if (d.resolved_date && *d.resolved_date <= end) {
        events[slot(std::max(*d.resolved_date, d.opened_date))].push_back(
            {EventKind::kDisputeResolved, c, k, 0});
      }
    }
  }
  // Issues before settlements before dispute changes, within a day.
  for (auto& day_events : events) {
    std::stable_sort(day_events.begin(), day_events.end(), [](const Event& a, const Event& b) {
      return static_cast<int>(a.kind) < static_cast<int>(b.kind);
    });
  }
  const int pre_due = MaxPreDueDays(policy);
  const PortfolioPrior prior;  // risk figures do not steer the ladder
  std::set<int> active;
  for (int k = 0; k < days; ++k) {
    const absl::CivilDay day = start + k;
    for (const Event& e : events[k]) {
      Apply(e, accounts, sims, visible[e.customer]);
      active.insert(e.customer);
    }
    for (auto it = active.begin(); it != active.end();) {
      SimAccount& sim = sims[*it];
      if (sim.open.empty() || sim.referred) {
        it = active.erase(it);
        continue;
      }
      ++it;
      bool due_soon = false;
      for (int v : sim.open) {
        const InvoiceState& s = sim.ctx.invoices[v].state;
        if (s.due_date - pre_due <= day) due_soon = true;
        if (s.due_date < day) sim.ever_overdue = true;
      }
      if (!due_soon) continue;
      const Recommendation rec = Recommend(sim.ctx, policy, prior, day);
      TakeStep(rec, day, sim, out);
    }
    if (progress && (k % kProgressEveryDays == 0 || k == days - 1) && !progress(k + 1, days)) break;
  }

  // Counts, and the money figures in the main currency.
  out.currency = MainCurrency(accounts, start, end);
  MoneyTotals t;
  AmountSum fees_actual;
  for (size_t c = 0; c < accounts.size(); ++c) {
    const SimAccount& sim = sims[c];
    if (sim.contacts > 0) ++out.customers_contacted;
    if (sim.ever_overdue) ++out.customers_overdue;
    if (sim.highest != Stage::kNone) ++out.stages_reached[sim.highest];
    const std::vector<LateFeeTerms>* terms = c < fees.terms.size() ? &fees.terms[c] : nullptr;
    for (size_t i = 0; i < accounts[c].invoices.size(); ++i) {
      const InvoiceState& s = accounts[c].invoices[i].state;
      if (s.voided || s.total <= 0 || s.currency != out.currency || s.issue_date < start ||
          s.issue_date > end) {
        continue;
      }
      Simulate(accounts[c], sim, static_cast<int>(i), policy, end, effect, fees, terms, t);
      fees_actual += ActualFees(accounts[c], s);
    }
  }
  out.contacts_per_customer =
      out.customers_overdue > 0 ? static_cast<double>(out.contacts) / out.customers_overdue : 0;
  out.dso_actual = t.amount > 0 ? t.weighted_days_actual / t.amount : 0;
  out.dso_simulated = t.amount > 0 ? t.weighted_days_sim / t.amount : 0;
  out.recovered_actual = static_cast<int64_t>(std::llround(t.recovered_actual));
  out.recovered_simulated = static_cast<int64_t>(std::llround(t.recovered_sim));
  out.fees_simulated = static_cast<int64_t>(std::llround(t.fees_sim));
  out.fee_invoices = t.fee_invoices;
  out.fees_unassessed = t.fees_unassessed;
  out.fees_actual = fees_actual.Clamped();
  return out;
}

std::vector<std::string> BacktestAssumptions(const ReminderEffect& e) {
  std::vector<std::string> out;
  out.push_back(
      e.fitted
          ? absl::StrFormat(
                "A reminder after the due date brings the payment of %d%% of the overdue invoices "
                "it reaches forward to %d days after it (fitted from this history: %d reminded "
                "and %d unreminded overdue invoices, payments within %d days).",
                (e.response_bp + 50) / 100, e.lag_days, e.reminded, e.unreminded,
                kReminderWindowDays)
          : absl::StrFormat(
                "A reminder after the due date brings the payment of %d%% of the overdue invoices "
                "it reaches forward to %d days after it (a default: the history has %d reminded "
                "and %d unreminded overdue invoices, fewer than %d of each needed for a fit).",
                (e.response_bp + 50) / 100, e.lag_days, e.reminded, e.unreminded,
                kMinReminderSample));
  out.push_back(
      "When the history reminded an invoice earlier than the policy would have and it was paid "
      "within the reminder window, that payment comes after the policy's own reminder instead, "
      "with the same share.");
  out.push_back(
      "The policy sees the actual payments and disputes of each day; the history's own contacts, "
      "promises, payment plans and settlements are not shown to it (they belong to the policy "
      "that was in force). Every step is taken on the day it is due and reaches the debtor.");
  out.push_back(
      "A referral (an agency, legal review, or an approval task, taken as approved) hands the "
      "account over: what was still due then is recovered at the policy's agency recovery rate "
      "net of commission, and its receivable stays on the books until the actual payment day.");
  out.push_back(
      "Money figures cover the invoices issued in the range in the currency with the most "
      "invoiced. Late fees and interest follow each invoice's own late-fee terms and the "
      "server's fee rules, as ApplyLateFees would charge them on the last day (or on the day "
      "of a referral) having charged nothing before: one fixed fee per ladder stage the policy "
      "carried out on the invoice after its due date, interest to the simulated payment day, "
      "nothing while a dispute on the invoice is open; fees are not counted as recovered. The "
      "history's own fee invoices are left out of the copy.");
  return out;
}

}  // namespace collections::domain
