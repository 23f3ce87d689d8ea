// CaseService's operations on the stored cases: GetCase, ListCases (keyset
// pages by priority, bound to their filter), RebuildCases and the verifying
// rebuild, and the store migration that builds missing cases. How a case
// moves is cases_app.cc (CaseKeeper) and service/domain/cases.h.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "service/app/cases_app.h"
#include "service/app/cases_internal.h"
#include "service/app/partial_update.h"
#include "service/base/errors.h"
#include "service/base/resource_names.h"
#include "service/base/status_macros.h"

namespace collections::app {

namespace v1 = ::collections_sidecar::v1;
namespace {

using domain::InvalidInput;

constexpr char kCustomerKind2[] = "customer";
// Customers per transaction when many cases move at once.
constexpr int kBatch = 200;

}  // namespace

namespace {

struct CaseName {
  std::string tenant;
  std::string customer;
};

absl::StatusOr<CaseName> ParseCaseName(absl::string_view name) {
  if (!absl::EndsWith(name, "/case")) {
    return InvalidInput("INVALID_RESOURCE_NAME", "name",
                        "expected tenants/{tenant}/customers/{customer}/case");
  }
  ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(absl::StripSuffix(name, "/case"), "name"));
  return CaseName{cn.tenant, cn.customer};
}

// A page token carries the last (priority, customer); omit_history shapes the
// answer, not the list, so it may change between pages.
constexpr const char* kCasesNotFilters[] = {"omit_history"};

}  // namespace

absl::StatusOr<v1::Case> CasesApp::GetCase(const CallContext& ctx, const v1::GetCaseRequest& r) {
  ASSIGN_OR_RETURN(CaseName n, ParseCaseName(r.name()));
  RETURN_IF_ERROR(CheckTenant(ctx, n.tenant));
  v1::Case out;
  RETURN_IF_ERROR(keeper_.ReadCurrent(
      store_, n.tenant, n.customer, [&](store::Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(auto row, tx.GetCase(n.customer));
        if (!row) {
          ASSIGN_OR_RETURN(auto customer, tx.GetDoc(kCustomerKind2, n.customer));
          if (!customer) {
            return domain::NotFoundError(
                "CUSTOMER_NOT_FOUND",
                absl::StrCat(CustomerResource(n.tenant, n.customer), " does not exist"));
          }
          return domain::NotFoundError("CASE_NOT_FOUND",
                                       absl::StrCat(r.name(),
                                                    " has not been built; run "
                                                    "`collectionsctl cases rebuild`"));
        }
        if (!out.ParseFromString(row->body))
          return absl::InternalError("stored case does not parse");
        return absl::OkStatus();
      }));
  StampEtag(&out);
  return out;
}

absl::StatusOr<v1::ListCasesResponse> CasesApp::ListCases(const CallContext& ctx,
                                                          const v1::ListCasesRequest& r) {
  ASSIGN_OR_RETURN(std::string tenant, ParseTenantName(r.parent(), "parent"));
  RETURN_IF_ERROR(CheckTenant(ctx, tenant));
  ASSIGN_OR_RETURN(int page_size, PageSize(r.page_size(), 50, 500));
  RETURN_IF_ERROR(keeper_.CatchUp(tenant));
  store::CaseFilter f;
  for (int s : r.states()) {
    if (!v1::Case::State_IsValid(s) || s == 0) {
      return InvalidInput("INVALID_FILTER", "states", "unknown case state");
    }
    f.states.push_back(s);
  }
  f.stage = static_cast<int>(r.stage());
  if (r.paused() == v1::ListCasesRequest::PAUSED_ONLY) f.paused = true;
  if (r.paused() == v1::ListCasesRequest::NOT_PAUSED) f.paused = false;
  f.owner = r.owner();
  if (r.min_overdue_minor() < 0 || r.max_overdue_minor() < 0) {
    return InvalidInput("INVALID_FILTER",
                        r.min_overdue_minor() < 0 ? "min_overdue_minor" : "max_overdue_minor",
                        "must not be negative");
  }
  if (r.min_overdue_minor() > 0) f.min_overdue = r.min_overdue_minor();
  if (r.max_overdue_minor() > 0) f.max_overdue = r.max_overdue_minor();
  f.overdue_only = r.overdue_only();
  f.limit = page_size + 1;
  if (!r.page_token().empty()) {
    ASSIGN_OR_RETURN(std::string token, PageStart(r, kCasesNotFilters));
    std::vector<std::string> parts = absl::StrSplit(token, absl::MaxSplits('|', 1));
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &f.after_priority)) {
      return InvalidInput("INVALID_PAGE_TOKEN", "page_token", "not a page token of ListCases");
    }
    f.has_after = true;
    f.after_customer = parts[1];
  }
  v1::ListCasesResponse out;
  RETURN_IF_ERROR(
      store_.Run(tenant, store::TxMode::kRead, [&](store::Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(auto rows, tx.ListCases(f));
        for (int i = 0; i < static_cast<int>(rows.size()) && i < page_size; ++i) {
          v1::Case* c = out.add_cases();
          if (!c->ParseFromString(rows[i].body))
            return absl::InternalError("stored case does not parse");
          StampEtag(c);  // of the stored case, history included
          if (r.omit_history()) c->clear_history();
        }
        if (static_cast<int>(rows.size()) > page_size) {
          const auto& last = rows[page_size - 1];
          out.set_next_page_token(
              NextPageToken(r, absl::StrCat(last.priority, "|", last.customer), kCasesNotFilters));
        }
        return absl::OkStatus();
      }));
  return out;
}

absl::StatusOr<v1::RebuildCasesResponse> CasesApp::RebuildCases(const CallContext& ctx,
                                                                const v1::RebuildCasesRequest& r) {
  ASSIGN_OR_RETURN(std::string tenant, ParseTenantName(r.parent(), "parent"));
  RETURN_IF_ERROR(CheckTenant(ctx, tenant));
  const absl::CivilDay today = keeper_.clock().TodayUtc();
  if (r.verify_only()) return VerifyTenant(tenant, r.customer());
  if (r.customer().empty()) return RebuildTenant(tenant, today);
  ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(r.customer(), "customer"));
  if (cn.tenant != tenant) {
    return InvalidInput("CROSS_TENANT_REFERENCE", "customer", "names a customer of another tenant");
  }
  v1::RebuildCasesResponse out;
  RETURN_IF_ERROR(
      store_.Run(tenant, store::TxMode::kWrite, [&](store::Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(auto customer, tx.GetDoc(kCustomerKind2, cn.customer));
        if (!customer) {
          return domain::NotFoundError("CUSTOMER_NOT_FOUND",
                                       absl::StrCat(r.customer(), " does not exist"));
        }
        ASSIGN_OR_RETURN(auto before, keeper_.Load(tx, cn.customer));
        MarkCaseHandled(tx, cn.customer);
        ASSIGN_OR_RETURN(CaseAdvance adv,
                         keeper_.Advance(tx, tenant, cn.customer, "cases.rebuilt", today, false));
        out.set_rebuilt(1);
        if (!before || !domain::SameCaseState(*before, adv.outcome.after, nullptr))
          out.set_changed(1);
        return absl::OkStatus();
      }));
  return out;
}

absl::StatusOr<v1::RebuildCasesResponse> CasesApp::RebuildTenant(const std::string& tenant,
                                                                 absl::CivilDay day) {
  // Deferred refreshes first, so none replays an old event over the rebuilt case.
  RETURN_IF_ERROR(keeper_.CatchUp(tenant));
  v1::RebuildCasesResponse out;
  std::string after;
  domain::PortfolioTotals totals;
  while (true) {
    std::vector<std::string> batch;
    RETURN_IF_ERROR(
        store_.Run(tenant, store::TxMode::kWrite, [&](store::Transaction& tx) -> absl::Status {
          batch.clear();
          ASSIGN_OR_RETURN(auto docs, tx.ListDocs(kCustomerKind2, "", after, kBatch));
          for (const auto& d : docs) {
            batch.push_back(d.id);
            ASSIGN_OR_RETURN(auto before, keeper_.Load(tx, d.id));
            MarkCaseHandled(tx, d.id);
            ASSIGN_OR_RETURN(CaseAdvance adv,
                             keeper_.Advance(tx, tenant, d.id, "cases.rebuilt", day, false));
            out.set_rebuilt(out.rebuilt() + 1);
            if (!before || !domain::SameCaseState(*before, adv.outcome.after, nullptr)) {
              out.set_changed(out.changed() + 1);
            }
            totals.Add(adv.outcome.after.prior_contribution, +1);
          }
          return absl::OkStatus();
        }));
    if (batch.empty()) break;
    after = batch.back();
    if (static_cast<int>(batch.size()) < kBatch) break;
  }
  // The aggregate from scratch (the per-case deltas above assumed the old
  // aggregate was right).
  RETURN_IF_ERROR(store_.Run(tenant, store::TxMode::kWrite, [&](store::Transaction& tx) {
    return cases_internal::PutTotals(tx, totals);
  }));
  return out;
}

absl::StatusOr<v1::RebuildCasesResponse> CasesApp::VerifyTenant(const std::string& tenant,
                                                                const std::string& only) {
  constexpr int kMaxDifferences = 20;
  RETURN_IF_ERROR(keeper_.CatchUp(tenant));
  std::string only_id;
  if (!only.empty()) {
    ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(only, "customer"));
    only_id = cn.customer;
  }
  v1::RebuildCasesResponse out;
  std::string after;
  while (true) {
    std::vector<std::string> batch;
    RETURN_IF_ERROR(
        store_.Run(tenant, store::TxMode::kRead, [&](store::Transaction& tx) -> absl::Status {
          batch.clear();
          std::vector<store::Doc> docs;
          if (!only_id.empty()) {
            ASSIGN_OR_RETURN(auto d, tx.GetDoc(kCustomerKind2, only_id));
            if (d) docs.push_back(*d);
          } else {
            ASSIGN_OR_RETURN(docs, tx.ListDocs(kCustomerKind2, "", after, kBatch));
          }
          ASSIGN_OR_RETURN(v1::CollectionPolicy pp, keeper_.loader().TenantPolicy(tx));
          const domain::CollectionPolicy policy = PolicyFromProto(pp);
          ASSIGN_OR_RETURN(domain::PortfolioPrior prior, keeper_.Prior(tx));
          for (const auto& d : docs) {
            batch.push_back(d.id);
            out.set_rebuilt(out.rebuilt() + 1);
            ASSIGN_OR_RETURN(auto stored, keeper_.Load(tx, d.id));
            std::string diff = "no case";
            bool same = false;
            if (stored && stored->evaluated_day) {
              const absl::CivilDay day = *stored->evaluated_day;
              ASSIGN_OR_RETURN(domain::AccountContext account,
                               keeper_.loader().LoadContext(tx, tenant, d.id, day));
              const domain::CaseOutcome again = domain::Transition(
                  *stored, {"cases.verified", day, false}, account, policy, prior);
              same = domain::SameCaseState(*stored, again.after, &diff);
            }
            if (!same) {
              out.set_changed(out.changed() + 1);
              if (out.differences_size() < kMaxDifferences) {
                out.add_differences(absl::StrCat(d.id, ": ", diff));
              }
            }
          }
          return absl::OkStatus();
        }));
    if (batch.empty() || !only_id.empty()) break;
    after = batch.back();
    if (static_cast<int>(batch.size()) < kBatch) break;
  }
  return out;
}

absl::Status CasesApp::MigrateStore() {
  ASSIGN_OR_RETURN(auto tenants, store_.ListTenants());
  for (const auto& tenant : tenants) {
    bool needs = false;
    RETURN_IF_ERROR(
        store_.Run(tenant, store::TxMode::kRead, [&](store::Transaction& tx) -> absl::Status {
          ASSIGN_OR_RETURN(auto customers, tx.ListDocs(kCustomerKind2, "", "", 1));
          if (customers.empty()) return absl::OkStatus();
          ASSIGN_OR_RETURN(auto c, tx.GetCase(customers.front().id));
          // No cases yet, or cases kept by a store without the risk aggregate of
          // this model (an older version): rebuild them and the aggregate.
          ASSIGN_OR_RETURN(bool aggregate, cases_internal::HasTotals(tx));
          needs = !c.has_value() || !aggregate;
          return absl::OkStatus();
        }));
    if (needs) RETURN_IF_ERROR(RebuildTenant(tenant, keeper_.clock().TodayUtc()).status());
  }
  return absl::OkStatus();
}

}  // namespace collections::app
