#include "service/domain/ledger.h"

#include <algorithm>
#include <climits>
#include <map>

#include "absl/strings/str_cat.h"
#include "service/base/errors.h"
#include "service/base/money.h"
#include "service/domain/amount_limits.h"

namespace collections::domain {

// The store refuses a settlement beyond the amount due (INVOICE_OVER_ALLOCATED),
// so these stay within [0, total]; clamping only guards a corrupt row.
int64_t InvoiceState::Settled(SettlementKind kind) const {
  AmountSum sum;
  for (const auto& s : settlements) {
    if (s.kind == kind) sum += s.amount;
  }
  return sum.Clamped();
}

int64_t InvoiceState::AmountDue() const {
  AmountSum due(total);
  for (const auto& s : settlements) due -= s.amount;
  return due.Clamped();
}

int64_t InvoiceState::AmountDueAsOf(absl::CivilDay day) const {
  AmountSum due(total);
  for (const auto& s : settlements) {
    if (s.day <= day) due -= s.amount;
  }
  return due.Clamped();
}

std::optional<absl::CivilDay> InvoiceState::PaidDate() const {
  if (voided || AmountDue() != 0 || settlements.empty()) return std::nullopt;
  absl::CivilDay last = settlements.front().day;
  for (const auto& s : settlements) last = std::max(last, s.day);
  return last;
}

InvoiceStatus DeriveStatus(const InvoiceState& inv) {
  if (inv.voided) return InvoiceStatus::kVoid;
  const int64_t due = inv.AmountDue();
  if (due <= 0) {
    return inv.Settled(SettlementKind::kWriteOff) > 0 ? InvoiceStatus::kWrittenOff
                                                      : InvoiceStatus::kPaid;
  }
  if (due < inv.total) return InvoiceStatus::kPartiallyPaid;
  return InvoiceStatus::kOpen;
}

const char* StatusName(InvoiceStatus status) {
  switch (status) {
    case InvoiceStatus::kOpen:
      return "OPEN";
    case InvoiceStatus::kPartiallyPaid:
      return "PARTIALLY_PAID";
    case InvoiceStatus::kPaid:
      return "PAID";
    case InvoiceStatus::kVoid:
      return "VOID";
    case InvoiceStatus::kWrittenOff:
      return "WRITTEN_OFF";
  }
  return "UNSPECIFIED";
}

int DaysPastDue(absl::CivilDay due_date, absl::CivilDay as_of) {
  return static_cast<int>(as_of - due_date);
}

std::vector<AllocationLine> AllocateOldestFirst(std::vector<const InvoiceState*> open,
                                                int64_t amount, int64_t* unapplied) {
  std::sort(open.begin(), open.end(), [](const InvoiceState* a, const InvoiceState* b) {
    if (a->due_date != b->due_date) return a->due_date < b->due_date;
    if (a->issue_date != b->issue_date) return a->issue_date < b->issue_date;
    if (a->number != b->number) return a->number < b->number;
    return a->id < b->id;
  });
  std::vector<AllocationLine> out;
  for (const InvoiceState* inv : open) {
    if (amount <= 0) break;
    if (inv->voided) continue;
    const int64_t due = inv->AmountDue();
    if (due <= 0) continue;
    const int64_t take = std::min(due, amount);
    out.push_back({inv->id, take});
    amount -= take;
  }
  *unapplied = amount;
  return out;
}

std::vector<int> DefaultBucketBounds() { return {30, 60, 90, 120}; }

absl::StatusOr<std::vector<BucketSpec>> MakeBuckets(const std::vector<int>& bounds) {
  if (bounds.size() > 12) {
    return InvalidInput("INVALID_BUCKETS", "bucket_bounds", "at most 12 bounds");
  }
  std::vector<BucketSpec> out;
  out.push_back({"current", INT_MIN, 0});
  int prev = 0;
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (bounds[i] <= prev) {
      return InvalidInput("INVALID_BUCKETS", absl::StrCat("bucket_bounds[", i, "]"),
                          "bounds must be positive and strictly ascending");
    }
    out.push_back({absl::StrCat(prev + 1, "-", bounds[i]), prev + 1, bounds[i]});
    prev = bounds[i];
  }
  out.push_back({absl::StrCat("over ", prev), prev + 1, -1});
  return out;
}

int BucketIndex(const std::vector<BucketSpec>& buckets, int dpd) {
  for (size_t i = 0; i < buckets.size(); ++i) {
    if (dpd >= buckets[i].min_days && (buckets[i].max_days < 0 || dpd <= buckets[i].max_days)) {
      return static_cast<int>(i);
    }
  }
  return static_cast<int>(buckets.size()) - 1;
}

int64_t CountbackDsoCentiFromPeriods(int64_t balance, const std::vector<int64_t>& period_sales) {
  if (balance <= 0) return 0;
  int64_t remaining = balance;
  int64_t centi = 0;
  for (int p = 0; p < kDsoPeriods; ++p) {
    const int64_t sales = p < static_cast<int>(period_sales.size()) ? period_sales[p] : 0;
    if (sales >= remaining) {
      centi +=
          static_cast<int64_t>((static_cast<__int128>(remaining) * kDsoPeriodDays * 100) / sales);
      return centi;
    }
    remaining -= sales;
    centi += kDsoPeriodDays * 100;
  }
  return centi;
}

int64_t CountbackDsoCenti(const std::vector<InvoiceState>& invoices, const std::string& currency,
                          int64_t balance, absl::CivilDay as_of) {
  if (balance <= 0) return 0;
  std::vector<int64_t> period_sales(kDsoPeriods, 0);
  for (int p = 0; p < kDsoPeriods; ++p) {
    const absl::CivilDay hi = as_of - p * kDsoPeriodDays;  // inclusive
    const absl::CivilDay lo = hi - (kDsoPeriodDays - 1);
    int64_t& sales = period_sales[p];
    for (const auto& inv : invoices) {
      if (inv.voided || inv.currency != currency) continue;
      // Saturates: a period's sales past int64 cover any balance.
      if (inv.issue_date >= lo && inv.issue_date <= hi && AddOverflows(sales, inv.total, &sales)) {
        sales = INT64_MAX;
      }
    }
  }
  return CountbackDsoCentiFromPeriods(balance, period_sales);
}

absl::StatusOr<AccountFacts> SummarizeAccount(const std::vector<InvoiceState>& invoices,
                                              const std::vector<CreditState>& credits,
                                              const std::vector<absl::CivilDay>& payment_days,
                                              absl::CivilDay as_of,
                                              const std::vector<BucketSpec>& buckets) {
  std::map<std::string, CurrencyAging> by_ccy;
  auto position = [&](const std::string& ccy) -> CurrencyAging& {
    auto& p = by_ccy[ccy];
    if (p.currency.empty()) {
      p.currency = ccy;
      p.buckets.resize(buckets.size());
    }
    return p;
  };
  AccountFacts facts;
  // Set when a per-currency sum would leave int64: the summary then fails.
  std::string overflow;
  auto add = [&overflow](int64_t& into, int64_t v, const std::string& ccy) {
    if (AddOverflows(into, v, &into) && overflow.empty()) overflow = ccy;
  };
  int64_t late_days_sum = 0;
  int late = 0;
  for (const auto& inv : invoices) {
    if (inv.voided || inv.issue_date > as_of) continue;
    const int64_t due = inv.AmountDueAsOf(as_of);
    if (due > 0) {
      auto& p = position(inv.currency);
      const int dpd = DaysPastDue(inv.due_date, as_of);
      add(p.balance, due, inv.currency);
      ++p.open_count;
      if (dpd > 0) {
        add(p.overdue, due, inv.currency);
        ++p.overdue_count;
        facts.oldest_days_past_due = std::max(facts.oldest_days_past_due, dpd);
      }
      auto& b = p.buckets[BucketIndex(buckets, dpd)];
      add(b.amount, due, inv.currency);
      ++b.count;
    } else if (inv.AmountDueAsOf(as_of) == 0 && inv.Settled(SettlementKind::kWriteOff) == 0) {
      // Paid (or credited) in full by as_of.
      absl::CivilDay paid = inv.issue_date;
      for (const auto& s : inv.settlements) {
        if (s.day <= as_of) paid = std::max(paid, s.day);
      }
      ++facts.history.invoices_paid;
      const int days_late = DaysPastDue(inv.due_date, paid);
      if (days_late > 0) {
        ++late;
        late_days_sum += days_late;
        facts.history.worst_days_late = std::max(facts.history.worst_days_late, days_late);
      }
    }
  }
  for (const auto& c : credits) {
    if (c.day > as_of || c.unapplied == 0) continue;
    add(position(c.currency).unapplied, c.unapplied, c.currency);
  }
  for (const auto& d : payment_days) {
    if (d > as_of) continue;
    if (!facts.history.last_payment_date || *facts.history.last_payment_date < d) {
      facts.history.last_payment_date = d;
    }
  }
  if (facts.history.invoices_paid > 0) {
    facts.history.paid_late_bp = static_cast<int>(late * 10000LL / facts.history.invoices_paid);
  }
  if (late > 0)
    facts.history.average_days_late_centi = static_cast<int>(late_days_sum * 100 / late);
  for (auto& [ccy, p] : by_ccy) {
    if (__builtin_sub_overflow(p.balance, p.unapplied, &p.net_balance) && overflow.empty()) {
      overflow = ccy;
    }
  }
  if (!overflow.empty()) {
    return AmountSumOverflow(absl::StrCat("the account's ", overflow, " balance"));
  }
  for (auto& [ccy, p] : by_ccy) {
    p.dso_centi = CountbackDsoCenti(invoices, ccy, p.balance, as_of);
    facts.positions.push_back(std::move(p));
  }
  return facts;
}

}  // namespace collections::domain
