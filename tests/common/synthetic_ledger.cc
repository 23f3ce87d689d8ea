#include "tests/common/synthetic_ledger.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace collections::synthetic {

namespace {

// SplitMix64: small, and the same on every machine.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(Next() >> 11) / 9007199254740992.0; }
  int Below(int n) { return static_cast<int>(Next() % static_cast<uint64_t>(n)); }

 private:
  uint64_t state_;
};

constexpr double kStableRates[] = {0.02, 0.05, 0.10, 0.20, 0.40, 0.60, 0.85};
constexpr double kMeanDelays[] = {5, 10, 20, 40};

}  // namespace

const char* SegmentName(PayerSegment segment) {
  switch (segment) {
    case PayerSegment::kStable:
      return "stable";
    case PayerSegment::kDrifting:
      return "drifting";
    case PayerSegment::kSeasonal:
      return "seasonal";
    case PayerSegment::kDisputer:
      return "disputer";
  }
  return "?";
}

double SyntheticLedger::TrueLateProbability(int customer, absl::CivilDay due) const {
  const SyntheticCustomer& c = customers[customer];
  switch (c.segment) {
    case PayerSegment::kStable:
      return c.late_start;
    case PayerSegment::kDrifting: {
      const double t =
          std::clamp(static_cast<double>(due - options.start) / options.days, 0.0, 1.0);
      return c.late_start + (c.late_end - c.late_start) * t;
    }
    case PayerSegment::kSeasonal:
      return due.month() == 7 || due.month() == 8 || due.month() == 12 ? 0.8 : 0.1;
    case PayerSegment::kDisputer:
      // Late at the base rate, and always when disputed (a quarter).
      return 1 - (1 - c.late_start) * 0.75;
  }
  return 0;
}

SyntheticLedger GenerateSyntheticLedger(const SyntheticOptions& options) {
  SyntheticLedger out;
  out.options = options;
  out.end = options.start + (options.days - 1);
  Rng rng(options.seed);
  const PayerSegment segments[] = {PayerSegment::kStable, PayerSegment::kDrifting,
                                   PayerSegment::kSeasonal, PayerSegment::kDisputer};
  int index = 0;
  for (PayerSegment segment : segments) {
    for (int k = 0; k < options.customers_per_segment; ++k, ++index) {
      SyntheticCustomer c;
      c.id = absl::StrCat(SegmentName(segment), "-", k);
      c.segment = segment;
      c.mean_delay = kMeanDelays[rng.Below(4)];
      if (segment == PayerSegment::kStable) c.late_start = kStableRates[rng.Below(7)];
      if (segment == PayerSegment::kDrifting) {
        c.late_start = k % 2 == 0 ? 0.1 : 0.7;
        c.late_end = k % 2 == 0 ? 0.7 : 0.1;
      }
      if (segment == PayerSegment::kDisputer) c.late_start = 0.25;
      out.customers.push_back(c);

      domain::AccountContext a;
      a.customer.id = c.id;
      a.customer.display_name = absl::StrCat("Customer ", c.id);
      a.customer.kind = domain::CustomerKind::kBusiness;
      a.customer.time_zone = "UTC";
      a.customer.channels.push_back({domain::Channel::kEmail, absl::StrCat(c.id, "@example.com")});
      const bool reminded = options.reminder_response > 0 && index % 2 == 0;
      int n = 0;
      for (absl::CivilDay issue = options.start + rng.Below(options.mean_days_between_invoices);
           issue <= out.end;
           issue += 1 + rng.Below(2 * options.mean_days_between_invoices - 1), ++n) {
        domain::InvoiceContext inv;
        domain::InvoiceState& s = inv.state;
        s.id = absl::StrCat(c.id, "-", n);
        s.number = absl::StrCat("INV-", s.id);
        s.customer = c.id;
        s.currency = "EUR";
        s.issue_date = issue;
        s.due_date = issue + options.terms_days;
        s.total = 10000 + 100 * rng.Below(4900);
        // Disputers: the base rate here; the dispute below makes it late too.
        const bool late = rng.Uniform() < (segment == PayerSegment::kDisputer
                                               ? c.late_start
                                               : out.TrueLateProbability(index, s.due_date));
        absl::CivilDay paid;
        if (segment == PayerSegment::kDisputer && rng.Uniform() < 0.25) {
          domain::Dispute d;
          d.id = absl::StrCat("d-", s.id);
          d.invoice_id = s.id;
          d.reason = "QUALITY";
          d.opened_date = s.due_date - 3;
          const absl::CivilDay resolved = s.due_date + 30 + rng.Below(31);
          if (resolved <= out.end) {
            d.status = domain::DisputeStatus::kResolved;
            d.resolved_date = resolved;
          }
          if (d.opened_date <= out.end) a.disputes.push_back(d);
          paid = resolved + 2 + rng.Below(4);
        } else if (late) {
          paid = s.due_date + 1 + static_cast<int>(-c.mean_delay * std::log(1 - rng.Uniform()));
        } else {
          paid = std::max(issue, s.due_date - rng.Below(11));
        }
        const absl::CivilDay reminder = s.due_date + 7;
        if (reminded && paid > reminder && reminder <= out.end) {
          domain::ContactRecord k;
          k.id = absl::StrCat("k-", s.id);
          k.time = absl::FromCivil(
              absl::CivilSecond(reminder.year(), reminder.month(), reminder.day(), 12, 0, 0),
              absl::UTCTimeZone());
          k.channel = domain::Channel::kEmail;
          k.direction = domain::Direction::kOutbound;
          k.outcome = domain::ContactOutcome::kSent;
          k.stage = domain::Stage::kFriendlyReminder;
          k.invoice_ids = {s.id};
          a.contacts.push_back(k);
          if (rng.Uniform() < options.reminder_response) paid = std::min(paid, reminder + 3);
        }
        if (paid <= out.end) {
          s.settlements.push_back({domain::SettlementKind::kPayment, paid, s.total});
        }
        a.invoices.push_back(std::move(inv));
      }
      std::sort(a.contacts.begin(), a.contacts.end(),
                [](const auto& x, const auto& y) { return x.time < y.time; });
      out.accounts.push_back(std::move(a));
    }
  }
  return out;
}

}  // namespace collections::synthetic
