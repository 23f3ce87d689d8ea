#include "service/app/portfolio.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "collections_sidecar/v1/ledger.pb.h"
#include "service/app/arrangements_app.h"
#include "service/app/ledger_ops.h"
#include "service/base/resource_names.h"
#include "service/base/status_macros.h"
#include "service/domain/amount_limits.h"
#include "service/domain/ledger.h"

namespace collections::app {
namespace {

// Bounds that cut days since issue into DSO's 30-day periods: bucket 0
// (issued on the day) and bucket 1 (1..29 days before) make period 0,
// bucket p+1 is period p after that.
std::vector<int> DsoPeriodBounds() {
  std::vector<int> bounds;
  for (int p = 1; p <= domain::kDsoPeriods; ++p) bounds.push_back(p * domain::kDsoPeriodDays - 1);
  return bounds;
}

absl::StatusOr<PortfolioPoint> PointOn(store::Store& store, const std::string& tenant,
                                       absl::CivilDay day) {
  PortfolioPoint point{day, {}};
  const size_t bucket_count = kPortfolioBucketBounds.size() + 1;
  store::AgingQuery due;
  due.as_of_day = domain::DayNumber(day);
  due.bucket_bounds = kPortfolioBucketBounds;
  due.by_customer = false;
  ASSIGN_OR_RETURN(std::vector<store::AgingCell> cells, store.Aging(tenant, due));
  for (const store::AgingCell& c : cells) {
    CurrencyPoint& p = point.currencies[c.currency];
    p.buckets.resize(bucket_count, 0);
    if (c.bucket >= 0 && c.bucket < static_cast<int>(bucket_count)) p.buckets[c.bucket] = c.amount;
  }
  store::AgingQuery invoiced = due;
  invoiced.bucket_bounds = DsoPeriodBounds();
  invoiced.measure = store::AgingMeasure::kInvoiced;
  ASSIGN_OR_RETURN(std::vector<store::AgingCell> sales_cells, store.Aging(tenant, invoiced));
  std::map<std::string, std::vector<int64_t>> sales;
  for (const store::AgingCell& c : sales_cells) {
    std::vector<int64_t>& periods = sales[c.currency];
    periods.resize(domain::kDsoPeriods, 0);
    const int period = std::max(0, c.bucket - 1);
    if (period < domain::kDsoPeriods) {
      domain::AmountSum sum(periods[period]);
      sum += c.amount;
      periods[period] = sum.Clamped();  // saturated sales cover any balance
    }
  }
  for (auto& [currency, p] : point.currencies) {
    domain::AmountSum balance, overdue;
    for (size_t b = 0; b < p.buckets.size(); ++b) {
      balance += p.buckets[b];
      if (b > 0) overdue += p.buckets[b];
    }
    ASSIGN_OR_RETURN(p.balance, balance.Get(absl::StrCat("the ", currency, " open balance")));
    ASSIGN_OR_RETURN(p.overdue, overdue.Get(absl::StrCat("the ", currency, " overdue balance")));
    p.dso_centi = domain::CountbackDsoCentiFromPeriods(p.balance, sales[currency]);
  }
  return point;
}

}  // namespace

absl::StatusOr<std::vector<PortfolioPoint>> PortfolioTrend(
    store::Store& store, const CallContext& ctx, const std::string& tenant,
    const std::vector<absl::CivilDay>& days) {
  RETURN_IF_ERROR(CheckTenant(ctx, tenant));
  std::vector<PortfolioPoint> out;
  for (absl::CivilDay day : days) {
    ASSIGN_OR_RETURN(PortfolioPoint p, PointOn(store, tenant, day));
    out.push_back(std::move(p));
  }
  return out;
}

absl::StatusOr<std::vector<PromiseDue>> PromisesDue(store::Store& store, const CallContext& ctx,
                                                    const std::string& tenant, absl::CivilDay from,
                                                    absl::CivilDay to, int scan_limit,
                                                    bool* truncated) {
  RETURN_IF_ERROR(CheckTenant(ctx, tenant));
  std::vector<PromiseDue> out;
  *truncated = false;
  RETURN_IF_ERROR(
      store.Run(tenant, store::TxMode::kRead, [&](store::Transaction& tx) -> absl::Status {
        out.clear();
        ASSIGN_OR_RETURN(std::vector<store::Doc> docs,
                         tx.ListDocs(kPromiseKind, "", "", scan_limit + 1));
        if (static_cast<int>(docs.size()) > scan_limit) {
          *truncated = true;
          docs.resize(scan_limit);
        }
        std::map<std::string, std::string> names;  // customer id -> display name
        for (const store::Doc& d : docs) {
          PromiseDue due;
          if (!due.promise.ParseFromString(d.body)) {
            return absl::InternalError(absl::StrCat("promise ", d.id, " does not parse"));
          }
          if (due.promise.status() != v1::PromiseToPay::PENDING) continue;
          ASSIGN_OR_RETURN(absl::CivilDay day, ToDay(due.promise.promised_date(), "promised_date"));
          if (day < from || day > to) continue;
          due.customer = CustomerResource(tenant, d.customer);
          auto [it, fresh] = names.try_emplace(d.customer);
          if (fresh) {
            ASSIGN_OR_RETURN(std::optional<store::Doc> c, tx.GetDoc(kCustomerKind, d.customer));
            v1::Customer customer;
            if (c && customer.ParseFromString(c->body)) it->second = customer.display_name();
          }
          due.display_name = it->second;
          out.push_back(std::move(due));
        }
        return absl::OkStatus();
      }));
  std::stable_sort(out.begin(), out.end(), [](const PromiseDue& a, const PromiseDue& b) {
    const auto& x = a.promise.promised_date();
    const auto& y = b.promise.promised_date();
    return std::tuple(x.year(), x.month(), x.day()) < std::tuple(y.year(), y.month(), y.day());
  });
  return out;
}

}  // namespace collections::app
